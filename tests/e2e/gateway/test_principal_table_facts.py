"""Principal facts the gateway used to spell by name now come from principals.yaml (issue 11).

- Which key type could connect as an offline identity topic (the queue limits' "can this target
  exist" check) comes from the principal table's topic templates, for every type with one.
- Which key types need a creator (`key_owner`: a user key connects only as its user_id) is read
  from the table, over the wire and in the admin CLI alike.
- A task token's principal type is the type owning the launched identity's topic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.handlers import tokens as token_handler
from aether_gateway.handlers.orchestration import mint_task_token
from aether_gateway.identity import topic_owners
from scitrera_aether_client import AsyncAgentClient, Credentials
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.wire import PRINCIPALS

from ._support import Inbox, barrier, errors

Opened = Callable[..., Awaitable[Any]]
T = aether_pb2.TokenOperation

#: Per identity-topic prefix: a key of its type (with the patterns that bind it), the topic that
#: key admits, and one of the same shape that no key admits.
CASES: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "ag": ("Agent", {"specifier_patterns": ("a1",)}, "ag::ws::bot::a1", "ag::ws::bot::ghost"),
    "tu": ("Task", {"specifier_patterns": ("t1",)}, "tu::ws::job::t1", "tu::ws::job::ghost"),
    "us": ("User", {"created_by": "alice"}, "us::alice::w1", "us::mallory::w1"),
    "sv": ("Service", {"implementation_patterns": ("search",)}, "sv::search::s1", "sv::other::s1"),
    "br": ("Bridge", {"implementation_patterns": ("slack",)}, "br::slack::b1", "br::irc::b1"),
}


@pytest.fixture
async def secure_gateway(tmp_path: Path) -> AsyncIterator[EmbeddedGateway]:
    config = GatewayConfig(data_path=str(tmp_path / "gateway.sqlite3"))  # not dev mode
    async with EmbeddedGateway(config) as gw:
        yield gw


async def _refused(sender: AsyncAgentClient, failures: Inbox[Any], topic: str) -> bool:
    before = len(failures.items)
    await sender.send_message(topic, b"mail")
    await barrier(sender)  # every answer to the send has arrived
    drawn = failures.items[before:]
    return any(e.code == "ERR_TARGET_UNKNOWN" for e in drawn)


def test_the_identity_topics_are_those_of_the_principal_table() -> None:
    owners = topic_owners(PRINCIPALS)
    assert {p: o.principal.type_name for p, o in owners.items()} == {
        p: case[0] for p, case in CASES.items()
    }


async def test_an_offline_identity_a_key_admits_gets_mail_for_every_type_in_the_table(
    secure_gateway: EmbeddedGateway, opened: Opened
) -> None:
    gw = secure_gateway
    _, send_key = gw.services.tokens.create("sender", "Agent", specifier_patterns=("tx",))
    sender = AsyncAgentClient("ws", "bot", "tx", credentials=Credentials.api_key(send_key))
    await opened(sender, gw.target)
    failures = errors(sender)
    for prefix, (type_name, binding, admitted, foreign) in CASES.items():
        assert await _refused(sender, failures, foreign), f"{prefix}: {foreign} was queued"
        gw.services.tokens.create(f"key-{prefix}", type_name, **binding)
        assert not await _refused(sender, failures, admitted), f"{prefix}: {admitted} refused"
        assert await _refused(sender, failures, foreign), f"{prefix}: {foreign} was queued"


async def test_a_key_type_the_table_binds_to_a_creator_needs_one(
    secure_gateway: EmbeddedGateway, opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = secure_gateway
    _, key = gw.services.tokens.create("root", "Agent", scopes=("connect", "admin"))
    admin = AsyncAgentClient("ws", "bot", "root", credentials=Credentials.api_key(key))
    await opened(admin, gw.target)

    async def mint(principal_type: str, created_by: str = "") -> aether_pb2.TokenResponse:
        request = aether_pb2.TokenCreateRequest(
            name="k", principal_type=principal_type, created_by=created_by
        )
        response = await admin.token_op(T(op=T.CREATE, create_request=request))
        assert response is not None
        return response

    refused = await mint("User")  # principals.yaml: user has key_owner: user_id
    assert not refused.success and refused.error == (
        "created_by (the user_id) is required for User tokens"
    )
    assert (await mint("User", "alice")).success
    assert (await mint("Service")).success  # declares none
    # Declared for services too (as a new entry in the table would), their keys need one.
    owners = {**token_handler._KEY_OWNERS, "Service": "implementation"}
    monkeypatch.setattr(token_handler, "_KEY_OWNERS", owners)
    refused = await mint("Service")
    assert not refused.success and "the implementation" in refused.error
    assert (await mint("Service", "search")).success


@pytest.mark.parametrize(
    ("identity", "type_name"),
    [("ag::ws::bot::a1", "Agent"), ("tu::ws::job::t1", "Task"), ("sv::search::s1", "Service")],
)
async def test_a_task_token_is_of_the_type_owning_the_identity(
    secure_gateway: EmbeddedGateway, identity: str, type_name: str
) -> None:
    plaintext = mint_task_token(secure_gateway.services.tokens, identity, "ws")
    record = secure_gateway.services.tokens.authenticate(plaintext)
    assert record is not None and record.principal_type == type_name
    assert record.name == f"task:{identity}"


async def test_a_task_token_for_a_topic_no_type_owns_is_refused(
    secure_gateway: EmbeddedGateway,
) -> None:
    with pytest.raises(ValueError, match="no principal type"):
        mint_task_token(secure_gateway.services.tokens, "event::receiver0", "ws")
