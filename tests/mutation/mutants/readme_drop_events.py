"""The gateway accepts EVENT and METRIC sends, checks them, and then loses them: nothing reaches
the workflow engine (event::receiver0) or the metrics bridge (metric::receiver0)."""

from __future__ import annotations

FAULT = "Hub.publish silently drops every frame for event:: and metric:: topics"
CAUGHT_BY = [
    "tests/e2e/reference_readme/test_messaging.py::test_13_sending_messages",
    "tests/e2e/reference_readme/test_messaging.py::test_12_message_types",
    "tests/e2e/reference_readme/test_client_types.py::test_08_workflow_engine_client",
    "tests/e2e/reference_readme/test_client_types.py::test_09_metrics_bridge_client",
]


def plant() -> None:
    from aether_gateway.hub import Hub
    from scitrera_aether_client.proto import aether_pb2

    original = Hub.publish

    def publish(self: Hub, topic: str, frame: aether_pb2.DownstreamMessage) -> int:
        if topic.startswith(("event::", "metric::")):
            return 0  # after the router's checks, so refusals (ERR_METRIC_*) still happen
        return original(self, topic, frame)

    Hub.publish = publish  # type: ignore[method-assign]
