"""Issue 9 findings 3 and 4: identities cannot alias one another, and a credential bound to a
workspace reaches nothing outside it unless an ACL rule grants it.

Finding 3 runs in dev mode (aliasing is a storage and lock property, not an ACL one); finding 4 runs
outside dev mode with API keys bound to one workspace, and once in dev mode, where everything stays
open. Every "not delivered" is proven by a marker sent afterwards on the same path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol, TypeVar

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.store.acl import AccessLevel
from scitrera_aether_client import (
    POOL,
    SELF_ASSIGN,
    TARGETED,
    AsyncAgentClient,
    AsyncServiceClient,
    AsyncTaskClient,
    AsyncUserClient,
    Credentials,
    InvalidArgumentError,
    PermissionDeniedError,
)
from scitrera_aether_client._core.validation import check_identity_field
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.http.proxy import ProxyError, proxy_http_async
from scitrera_aether_client.http.server import MintedRequest, serve_async
from scitrera_aether_client.proto import aether_pb2

from ._support import (
    Inbox,
    RawStream,
    Up,
    agent_init,
    barrier,
    errors,
    messages,
    payloads,
    wait_payload,
)

C = TypeVar("C", bound=BaseAsyncAetherClient)
R = TypeVar("R")


class Opener(Protocol):
    """The `opened` fixture: connect a client now, close it at teardown."""

    def __call__(self, client: C, target: str) -> Awaitable[C]: ...


class RawOpener(Protocol):
    """The `raw` fixture: a raw stream, past its handshake when `init` is given."""

    def __call__(self, target: str, init: Up | None = None) -> Awaitable[RawStream]: ...


def got(response: R | None) -> R:
    """A correlated call's response (None would mean it timed out)."""
    assert response is not None, "no response in time"
    return response


# ------------------------------------------------------------------------------------ finding 3


async def test_two_workspaces_with_one_agent_name_keep_separate_exclusive_kv(
    gateway: EmbeddedGateway, opened: Opener
) -> None:
    first = await opened(AsyncAgentClient("ws-a", "bot", "twin"), gateway.target)
    assert got(await first.kv_put("g", b"a-global", scope="global-exclusive")).success
    assert got(await first.kv_put("w", b"a-ws", scope="workspace-exclusive")).success
    assert got(await first.kv_put("u", b"a-user", scope="user", user_id="carol")).success
    second = AsyncAgentClient("ws-b", "bot", "twin")
    snapshots: Inbox[aether_pb2.ConfigSnapshot] = Inbox()
    second.on_config = snapshots
    await opened(second, gateway.target)
    snapshot = await snapshots.wait_for()
    assert dict(snapshot.global_exclusive_kv) == {} and dict(snapshot.workspace_exclusive_kv) == {}
    assert got(await second.kv_get("g", scope="global-exclusive")).value == b""
    assert got(await second.kv_list("", scope="global-exclusive")).keys == []
    # Naming the other workspace addresses the caller's own store for it, not ws-a's agent's.
    assert got(await second.kv_get("w", scope="workspace-exclusive", workspace="ws-a")).value == b""
    assert got(await second.kv_get("u", scope="user", user_id="carol")).value == b""
    # The first agent still has everything: the reads above were not just empty stores.
    assert got(await first.kv_get("g", scope="global-exclusive")).value == b"a-global"
    assert got(await first.kv_get("u", scope="user", user_id="carol")).value == b"a-user"


async def test_an_agent_a_task_and_a_service_with_one_name_keep_separate_exclusive_kv(
    gateway: EmbeddedGateway, opened: Opener
) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "same"), gateway.target)
    task = await opened(AsyncTaskClient("ws", "bot", "same"), gateway.target)
    service = await opened(AsyncServiceClient("bot", "same"), gateway.target)
    assert got(await agent.kv_put("k", b"agent", scope="global-exclusive")).success
    assert got(await task.kv_get("k", scope="global-exclusive")).value == b""
    assert got(await service.kv_get("k", scope="global-exclusive")).value == b""
    assert got(await agent.kv_get("k", scope="global-exclusive")).value == b"agent"


def _user_init(user_id: str, window_id: str) -> Up:
    identity = aether_pb2.UserIdentity(user_id=user_id, window_id=window_id)
    return Up(init=aether_pb2.InitConnection(user=identity))


ALIASES = {
    # Two identities whose parts, joined naively, give the same key.
    "pipe-in-kv-owner": (agent_init("ws", "p|q", "r"), agent_init("ws", "p", "q|r")),
    "colon-in-agent-lock": (agent_init("ws-a", ":coll", "x"), agent_init("ws-a:", "coll", "x")),
    "colon-in-user-lock": (_user_init("u", ":w"), _user_init("u:", "w")),
}


@pytest.mark.parametrize("pair", ALIASES.values(), ids=ALIASES.keys())
async def test_identity_parts_that_could_alias_are_refused_at_connect(
    gateway: EmbeddedGateway, raw: RawOpener, pair: tuple[Up, Up]
) -> None:
    for init in pair:
        stream = await raw(gateway.target)
        await stream.send(init)
        code, details = await stream.status()
        assert code == grpc.StatusCode.INVALID_ARGUMENT, details
        assert details.startswith("invalid identity")


ALLOWED = "azAZ09-_.@/"
REFUSED = ":|\\#%?*[]{}()<>!,;=+~$&'\"^` é\t"


@pytest.mark.parametrize("char", list(ALLOWED + REFUSED))
async def test_the_sdk_and_the_gateway_agree_on_the_identity_characters(
    gateway: EmbeddedGateway, raw: RawOpener, char: str
) -> None:
    specifier = f"x{char}y"
    try:
        check_identity_field("specifier", specifier, required=True)
        sdk_accepts = True
    except InvalidArgumentError:
        sdk_accepts = False
    stream = await raw(gateway.target)
    await stream.send(agent_init(spec=specifier))
    try:
        first = await stream.read()
    except grpc.RpcError as refusal:
        assert refusal.code() == grpc.StatusCode.INVALID_ARGUMENT
        gateway_accepts = False
    else:
        gateway_accepts = first.WhichOneof("payload") == "connection_ack"
    assert sdk_accepts == gateway_accepts == (char in ALLOWED)


# ------------------------------------------------------------------------------------ finding 4


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


def _key(gw: EmbeddedGateway, principal_type: str, workspace: str, user: str = "admin") -> str:
    _, plaintext = gw.services.tokens.create(
        f"{principal_type}-{workspace}",
        principal_type,
        workspace_patterns=(workspace,),
        created_by=user,
    )
    return plaintext


def _agent(gw: EmbeddedGateway, workspace: str, impl: str, spec: str) -> AsyncAgentClient:
    key = _key(gw, "Agent", workspace)
    return AsyncAgentClient(workspace, impl, spec, credentials=Credentials.api_key(key))


def _grant_workspace(gw: EmbeddedGateway, principal_type: str, principal_id: str) -> None:
    gw.services.acl.grant(principal_type, principal_id, "workspace", "ws-b", AccessLevel.READWRITE)


GUEST = "ag::ws-a::bot::guest"


async def test_a_key_bound_to_ws_a_cannot_send_or_broadcast_into_ws_b(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    guest = await opened(_agent(secure, "ws-a", "bot", "guest"), secure.target)
    victim = await opened(_agent(secure, "ws-b", "bot", "victim"), secure.target)
    peer = await opened(_agent(secure, "ws-b", "bot", "peer"), secure.target)
    refusals, received = errors(guest), messages(victim)
    await guest.send_message_to_agent("ws-b", "bot", "victim", b"leak online")
    await guest.send_message_to_agent("ws-b", "bot", "nobody", b"leak offline")
    await guest.send_broadcast_to_agents("ws-b", b"leak broadcast")
    await refusals.wait_count(3)
    # The same refusal whether the target is online, offline or absent: nothing about it leaks.
    targets = ["ag::ws-b::bot::victim", "ag::ws-b::bot::nobody", "ga::ws-b"]
    assert [(e.code, e.message) for e in refusals.items] == [
        ("ERR_PERMISSION_DENIED", f"not authorized to send to topic {t}") for t in targets
    ]
    await peer.send_message_to_agent("ws-b", "bot", "victim", b"marker")
    await wait_payload(received, b"marker")
    assert payloads(received) == [b"marker"]
    await peer.send_message_to_agent("ws-b", "bot", "nobody", b"stored marker")
    nobody = _agent(secure, "ws-b", "bot", "nobody")
    stored = messages(nobody)
    await opened(nobody, secure.target)
    await wait_payload(stored, b"stored marker")
    assert payloads(stored) == [b"stored marker"]  # the refused message was never queued


async def test_a_key_bound_to_ws_a_cannot_proxy_http_into_ws_b(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    guest = await opened(_agent(secure, "ws-a", "bot", "guest"), secure.target)
    server = await opened(_agent(secure, "ws-b", "web", "srv"), secure.target)
    served: list[str] = []

    def handler(request: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        served.append(request.path)
        return 200, {}, b"served"

    await serve_async(server, handler)
    refusals = []
    for target in ("ag::ws-b::web::srv", "ag::ws-b::web::gone"):
        with pytest.raises(ProxyError) as info:
            await proxy_http_async(guest, target, "GET", "/secret", timeout=10)
        refusals.append((info.value.kind, info.value.message))
    # Online or not, the same refusal, and the server never saw the request.
    assert refusals == [
        (aether_pb2.ProxyError.ACL_DENIED, f"not authorized to reach {t}")
        for t in ("ag::ws-b::web::srv", "ag::ws-b::web::gone")
    ]
    assert served == []
    _grant_workspace(secure, "agent", GUEST)
    allowed = await proxy_http_async(guest, "ag::ws-b::web::srv", "GET", "/granted", timeout=10)
    assert allowed.status_code == 200 and served == ["/granted"]


async def test_a_user_bound_to_ws_a_cannot_switch_into_ws_b(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    key = _key(secure, "User", "ws-a", user="alice")
    alice = AsyncUserClient("alice", "w1", credentials=Credentials.api_key(key))
    await opened(alice, secure.target)
    refusals, received = errors(alice), messages(alice)
    in_a = await opened(_agent(secure, "ws-a", "bot", "a-host"), secure.target)
    in_b = await opened(_agent(secure, "ws-b", "bot", "b-host"), secure.target)
    await alice.switch_workspace("ws-a")
    await alice.switch_workspace("ws-b")
    refusal = await refusals.wait_for()
    assert refusal.code == "ERR_PERMISSION_DENIED"
    await in_b.send_broadcast_to_users("ws-b", b"ws-b broadcast")
    await in_b.send_message_to_user_session("alice", "w1", b"marker")
    await wait_payload(received, b"marker")
    await in_a.send_broadcast_to_users("ws-a", b"still in ws-a")
    await wait_payload(received, b"still in ws-a")
    assert payloads(received) == [b"marker", b"still in ws-a"]


async def test_a_key_bound_to_ws_a_cannot_create_or_read_tasks_in_ws_b(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    secure.services.agents.register(aether_pb2.AgentRegistrationInfo(implementation="crunch"))
    worker = _agent(secure, "ws-b", "crunch", "w1")
    pushed: Inbox[aether_pb2.TaskAssignment] = Inbox()
    worker.on_task_assignment = pushed
    await opened(worker, secure.target)
    owner = await opened(_agent(secure, "ws-b", "bot", "owner"), secure.target)
    private = got(
        await owner.create_task_sync(
            "private", "ws-b", metadata={"secret": "s3"}, assignment_mode=SELF_ASSIGN
        )
    )
    guest = await opened(_agent(secure, "ws-a", "bot", "guest"), secure.target)
    with pytest.raises(PermissionDeniedError):
        await guest.create_task_sync(
            "steal", "ws-b", target_implementation="crunch", assignment_mode=POOL
        )
    with pytest.raises(PermissionDeniedError):
        await guest.create_task_sync(
            "steal", "ws-a", target_agent_id="ag::ws-b::crunch::w1", assignment_mode=TARGETED
        )
    listed = got(await guest.query_tasks(workspace="ws-b"))
    assert not listed.success and list(listed.tasks) == []
    hidden = got(await guest.get_task(private.task_id))
    assert not hidden.success and not hidden.task.metadata
    await barrier(worker)
    assert pushed.items == []
    visible = got(await owner.query_tasks(workspace="ws-b"))
    assert [t.task_id for t in visible.tasks] == [private.task_id]  # nothing was stored in ws-b


async def test_a_service_bound_to_ws_a_is_offered_no_pool_task_of_ws_b(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    key = _key(secure, "Service", "ws-a")
    service = AsyncServiceClient("ocr", "s1", credentials=Credentials.api_key(key))
    pushed: Inbox[aether_pb2.TaskAssignment] = Inbox()
    service.on_task_assignment = pushed
    await opened(service, secure.target)
    in_b = await opened(_agent(secure, "ws-b", "bot", "owner"), secure.target)
    hidden = got(
        await in_b.create_task_sync(
            "read", "ws-b", target_implementation="ocr", metadata={"doc": "b"}, assignment_mode=POOL
        )
    )
    assert hidden.status == "pending_pool"
    await barrier(service)
    assert pushed.items == []
    assert got(await in_b.get_task(hidden.task_id)).task.assigned_to == ""
    secure.services.acl.grant("service", "sv::ocr::s1", "workspace", "ws-b", AccessLevel.READWRITE)
    granted = got(
        await in_b.create_task_sync(
            "read", "ws-b", target_implementation="ocr", assignment_mode=POOL
        )
    )
    assert (await pushed.wait_for()).task_id == granted.task_id


async def test_workspace_scoped_kv_of_ws_b_stays_closed_despite_a_kv_scope_grant(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    for scope in ("workspace", "user-workspace-shared"):
        secure.services.acl.grant("agent", "*", "kv_scope", scope, AccessLevel.READWRITE)
    guest = await opened(_agent(secure, "ws-a", "bot", "guest"), secure.target)
    owner = await opened(_agent(secure, "ws-b", "bot", "owner"), secure.target)
    assert got(await owner.kv_put("plan", b"b-secret", scope="workspace")).success
    assert got(await owner.kv_put("pref", b"b-user", "user-workspace-shared", user_id="u")).success
    read = got(await guest.kv_get("plan", scope="workspace", workspace="ws-b"))
    assert not read.success and read.value == b""
    wrote = got(await guest.kv_put("plan", b"overwritten", scope="workspace", workspace="ws-b"))
    assert not wrote.success
    listed = got(await guest.kv_list("", scope="workspace", workspace="ws-b"))
    assert not listed.success and list(listed.keys) == []
    user_ws = got(
        await guest.kv_get("pref", "user-workspace-shared", user_id="u", workspace="ws-b")
    )
    assert not user_ws.success and user_ws.value == b""
    assert got(await owner.kv_get("plan", scope="workspace")).value == b"b-secret"
    # The grant itself works in the guest's own workspace.
    assert got(await guest.kv_put("plan", b"a-plan", scope="workspace")).success


async def test_an_acl_rule_on_ws_b_opens_it_to_a_key_bound_to_ws_a(
    secure: EmbeddedGateway, opened: Opener
) -> None:
    secure.services.agents.register(aether_pb2.AgentRegistrationInfo(implementation="crunch"))
    secure.services.acl.grant("agent", "*", "kv_scope", "workspace", AccessLevel.READWRITE)
    _grant_workspace(secure, "agent", GUEST)
    _grant_workspace(secure, "user", "alice")
    guest = await opened(_agent(secure, "ws-a", "bot", "guest"), secure.target)
    worker = _agent(secure, "ws-b", "crunch", "w1")
    pushed: Inbox[aether_pb2.TaskAssignment] = Inbox()
    worker.on_task_assignment = pushed
    await opened(worker, secure.target)
    received = messages(worker)
    await guest.send_message_to_agent("ws-b", "crunch", "w1", b"direct")
    await guest.send_broadcast_to_agents("ws-b", b"broadcast")
    await wait_payload(received, b"broadcast")
    assert payloads(received) == [b"direct", b"broadcast"]
    created = got(
        await guest.create_task_sync(
            "work", "ws-b", target_implementation="crunch", assignment_mode=POOL
        )
    )
    assert (await pushed.wait_for()).task_id == created.task_id
    listed = got(await guest.query_tasks(workspace="ws-b"))
    assert listed.success and [t.task_id for t in listed.tasks] == [created.task_id]
    assert got(await guest.kv_put("plan", b"shared", scope="workspace", workspace="ws-b")).success
    assert got(await worker.kv_get("plan", scope="workspace")).value == b"shared"
    key = _key(secure, "User", "ws-a", user="alice")
    alice = await opened(
        AsyncUserClient("alice", "w1", credentials=Credentials.api_key(key)), secure.target
    )
    inbox, refusals = messages(alice), errors(alice)
    await alice.switch_workspace("ws-b")
    await barrier(alice)
    await worker.send_broadcast_to_users("ws-b", b"welcome to ws-b")
    await wait_payload(inbox, b"welcome to ws-b")
    assert refusals.items == []


async def test_dev_mode_leaves_every_workspace_open(
    gateway: EmbeddedGateway, opened: Opener
) -> None:
    gateway.services.agents.register(aether_pb2.AgentRegistrationInfo(implementation="crunch"))
    guest = await opened(AsyncAgentClient("ws-a", "bot", "guest"), gateway.target)
    worker = AsyncAgentClient("ws-b", "crunch", "w1")
    pushed: Inbox[aether_pb2.TaskAssignment] = Inbox()
    worker.on_task_assignment = pushed
    await opened(worker, gateway.target)
    received = messages(worker)
    await guest.send_message_to_agent("ws-b", "crunch", "w1", b"direct")
    await guest.send_broadcast_to_agents("ws-b", b"broadcast")
    await wait_payload(received, b"broadcast")
    created = got(
        await guest.create_task_sync(
            "work", "ws-b", target_implementation="crunch", assignment_mode=POOL
        )
    )
    assert (await pushed.wait_for()).task_id == created.task_id
    assert got(await guest.query_tasks(workspace="ws-b")).success
    assert got(await guest.kv_put("plan", b"open", scope="workspace", workspace="ws-b")).success
    assert got(await worker.kv_get("plan", scope="workspace")).value == b"open"
    alice = await opened(AsyncUserClient("alice", "w1"), gateway.target)
    inbox = messages(alice)
    await alice.switch_workspace("ws-b")
    await barrier(alice)
    await worker.send_broadcast_to_users("ws-b", b"welcome")
    await wait_payload(inbox, b"welcome")
