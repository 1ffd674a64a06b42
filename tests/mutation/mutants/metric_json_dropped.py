"""send_metric's JSON form is accepted and silently dropped: no error at the call site, none in
on_error, and nothing at the metrics bridge (issue 14, seed example 1)."""

from __future__ import annotations

FAULT = "AgentClient/AsyncAgentClient.send_metric return without sending when given JSON bytes"
CAUGHT_BY = [
    "tests/e2e/test_seed_metric_json.py::test_the_readme_json_metric_reaches_the_bridge_as_a_metric",
    "tests/e2e/reference_readme/test_messaging.py::test_13_sending_messages",
]


def plant() -> None:
    from typing import Any

    from scitrera_aether_client._generated import clients, clients_async

    sync_send, async_send = (
        clients.AgentClient.send_metric,
        clients_async.AsyncAgentClient.send_metric,
    )

    def is_json(metric: object) -> bool:
        return isinstance(metric, bytes) and metric.lstrip()[:1] == b"{"

    def send_metric(self: Any, metric: Any, *args: Any, **kwargs: Any) -> None:
        if not is_json(metric):
            sync_send(self, metric, *args, **kwargs)

    async def send_metric_async(self: Any, metric: Any, *args: Any, **kwargs: Any) -> None:
        if not is_json(metric):
            await async_send(self, metric, *args, **kwargs)

    clients.AgentClient.send_metric = send_metric  # type: ignore[method-assign]
    clients_async.AsyncAgentClient.send_metric = send_metric_async  # type: ignore[method-assign]
