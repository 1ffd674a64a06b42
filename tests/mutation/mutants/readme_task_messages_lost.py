"""Messages addressed to tasks are lost: the unique (tu::), pooled (ta::) and pool-lane (tb::)
topics accept sends without error and deliver nothing."""

from __future__ import annotations

FAULT = "Hub.publish silently drops every frame for tu::, ta:: and tb:: topics"
CAUGHT_BY = [
    "tests/e2e/reference_readme/test_client_types.py::test_05_task_client",
    "tests/e2e/reference_readme/test_messaging.py::test_13_sending_messages",
]


def plant() -> None:
    from aether_gateway.hub import Hub
    from scitrera_aether_client.proto import aether_pb2

    original = Hub.publish

    def publish(self: Hub, topic: str, frame: aether_pb2.DownstreamMessage) -> int:
        if topic.startswith(("tu::", "ta::", "tb::")):
            return 0
        return original(self, topic, frame)

    Hub.publish = publish  # type: ignore[method-assign]
