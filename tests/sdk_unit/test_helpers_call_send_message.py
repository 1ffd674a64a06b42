"""The generated send helpers go through send_message, so a subclass that overrides it (to log,
count or wrap every send) sees the helpers' sends too, as with the reference client."""

from __future__ import annotations

from typing import Any

from scitrera_aether_client import AgentClient, AsyncAgentClient


class RecordingAgent(AgentClient):
    def __init__(self) -> None:
        super().__init__("ws", "impl", "me")
        self.seen: list[str] = []

    def send_message(self, target_topic: str, payload: bytes, *args: Any, **kw: Any) -> Any:
        self.seen.append(target_topic)
        return super().send_message(target_topic, payload, *args, **kw)


class RecordingAsyncAgent(AsyncAgentClient):
    def __init__(self) -> None:
        super().__init__("ws", "impl", "me")
        self.seen: list[str] = []

    def send_message(self, target_topic: str, payload: bytes, *args: Any, **kw: Any) -> Any:
        self.seen.append(target_topic)
        return super().send_message(target_topic, payload, *args, **kw)


def test_a_sync_helper_goes_through_an_overridden_send_message() -> None:
    client = RecordingAgent()
    try:
        client.send_message_to_agent("ws", "other", "peer", b"hi")
        assert client.seen == ["ag::ws::other::peer"]
    finally:
        client.close()


async def test_an_async_helper_goes_through_an_overridden_send_message() -> None:
    client = RecordingAsyncAgent()
    try:
        await client.send_message_to_agent("ws", "other", "peer", b"hi")
        assert client.seen == ["ag::ws::other::peer"]
    finally:
        await client.close()
