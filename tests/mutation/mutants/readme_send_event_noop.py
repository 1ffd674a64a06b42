"""The SDK's send_event sends nothing: no frame leaves the agent, no error is raised."""

from __future__ import annotations

FAULT = "AgentClient.send_event and AsyncAgentClient.send_event return without sending"
CAUGHT_BY = [
    "tests/e2e/reference_readme/test_messaging.py::test_13_sending_messages",
    "tests/e2e/reference_readme/test_messaging.py::test_12_message_types",
    "tests/e2e/reference_readme/test_client_types.py::test_08_workflow_engine_client",
]


def plant() -> None:
    from scitrera_aether_client._generated import clients, clients_async

    def send_event(self: object, payload: bytes, authorization: object = None) -> None:
        return None

    async def send_event_async(self: object, payload: bytes, authorization: object = None) -> None:
        return None

    clients.AgentClient.send_event = send_event  # type: ignore[method-assign]
    clients_async.AsyncAgentClient.send_event = send_event_async  # type: ignore[method-assign]
