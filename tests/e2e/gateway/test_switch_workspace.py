"""Issue 3 item 7: SwitchWorkspace re-subscribes a user's workspace lanes."""

from __future__ import annotations

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncServiceClient,
    AsyncTaskClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
)

from ._support import barrier, errors, messages, payloads, wait_payload


async def test_switching_moves_gu_and_uw_to_the_new_workspace(
    gateway: EmbeddedGateway, opened
) -> None:
    user = await opened(AsyncUserClient("hana", "w1"), gateway.target)
    received = messages(user)
    engine = await opened(AsyncWorkflowEngineClient(), gateway.target)
    await user.switch_workspace("red")
    await barrier(user)
    await engine.send_broadcast_to_users("red", b"gu red 1")
    await engine.send_message_to_user_workspace("hana", "red", b"uw red 1")
    await wait_payload(received, b"uw red 1")
    await user.switch_workspace("blue")
    await barrier(user)
    await engine.send_broadcast_to_users("red", b"gu red 2")
    await engine.send_message_to_user_workspace("hana", "red", b"uw red 2")
    await engine.send_broadcast_to_users("blue", b"gu blue")
    await engine.send_message_to_user_workspace("hana", "blue", b"uw blue")
    await wait_payload(received, b"uw blue")
    assert payloads(received) == [b"gu red 1", b"uw red 1", b"gu blue", b"uw blue"]


async def test_switching_to_the_current_workspace_is_a_silent_no_op(
    gateway: EmbeddedGateway, opened
) -> None:
    user = await opened(AsyncUserClient("ivan", "w1"), gateway.target)
    received, failures = messages(user), errors(user)
    engine = await opened(AsyncWorkflowEngineClient(), gateway.target)
    await user.switch_workspace("red")
    await user.switch_workspace("red")
    await barrier(user)
    await engine.send_broadcast_to_users("red", b"once")
    await engine.send_message_to_user("ivan", "w1", b"marker")
    await wait_payload(received, b"marker")
    assert payloads(received) == [b"once", b"marker"]  # one subscription, not two
    assert failures.items == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: AsyncAgentClient("ws", "bot", "switcher"),
        lambda: AsyncTaskClient("ws", "job", "switcher"),
        lambda: AsyncServiceClient("svc", "switcher"),
    ],
    ids=["agent", "task", "service"],
)
async def test_other_principals_get_err_invalid_principal(
    gateway: EmbeddedGateway, opened, make
) -> None:
    client = await opened(make(), gateway.target)
    failures = errors(client)
    await client.switch_workspace("elsewhere")
    error = await failures.wait_for()
    assert error.code == "ERR_INVALID_PRINCIPAL"
