"""handle_session_op: listing, inspecting and disconnecting live sessions."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers import sessions as sessions_module
from aether_gateway.handlers.sessions import handle_session_op
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.SessionOperation
Filter = aether_pb2.ConnectionFilter
NOW_MS = 1_700_000_000_000


class FakeHub:
    """Live sessions, and a record of the disconnects asked for."""

    def __init__(self, *callers: Caller) -> None:
        self.live = {c.session_id: c for c in callers}
        self.disconnected: list[tuple[str, str]] = []

    def deliver(self, topic: str, frame: aether_pb2.DownstreamMessage) -> None:
        raise AssertionError("not used")

    def send_to_session(self, session_id: str, frame: aether_pb2.DownstreamMessage) -> bool:
        raise AssertionError("not used")

    def sessions(self) -> Sequence[Caller]:
        return list(self.live.values())

    def session_by_identity(self, identity: str) -> Caller | None:
        return next((c for c in self.live.values() if c.identity == identity), None)

    def disconnect(self, session_id: str, reason: str) -> bool:
        if self.live.pop(session_id, None) is None:
            return False
        self.disconnected.append((session_id, reason))
        return True


def agent(spec: str, workspace: str, age_s: int = 0) -> Caller:
    fields = {"workspace": workspace, "implementation": "impl", "specifier": spec}
    topic = f"ag::{workspace}::impl::{spec}"
    return Caller(
        f"s-{spec}",
        PRINCIPALS["agent"],
        topic,
        topic,
        fields,
        workspace,
        connected_at_ms=NOW_MS - age_s * 1000,
        remote_addr="ipv4:127.0.0.1:5000",
    )


def user() -> Caller:
    fields = {"user_id": "alice", "window_id": "w"}
    return Caller("s-user", PRINCIPALS["user"], "us::alice::w", "us::alice::w", fields, "ws1")


def service() -> Caller:
    fields = {"implementation": "svc", "specifier": "x"}
    return Caller("s-svc", PRINCIPALS["service"], "sv::svc::x", "sv::svc::x", fields)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions_module, "now_ms", lambda: NOW_MS)


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub(agent("a1", "ws1", age_s=3725), agent("a2", "ws2", age_s=42), user(), service())


def run(hub: FakeHub, op: aether_pb2.SessionOperation) -> aether_pb2.SessionOperationResponse:
    frames = handle_session_op(hub, user(), op, True)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "session_response"
    assert frames[0].session_response.request_id == op.request_id
    return frames[0].session_response


def test_list_describes_every_session(hub: FakeHub) -> None:
    response = run(hub, Op(op=Op.LIST, request_id="l"))
    assert response.success and response.total_count == 4
    first = response.connections[0]
    assert (first.session_id, first.type, first.identity) == (
        "s-a1",
        aether_pb2.PRINCIPAL_AGENT,
        "ag::ws1::impl::a1",
    )
    assert (first.workspace, first.implementation, first.specifier) == ("ws1", "impl", "a1")
    assert first.connected_at == NOW_MS // 1000 - 3725 and first.duration == "1h2m5s"
    assert first.remote_addr == "ipv4:127.0.0.1:5000"
    assert response.connections[1].duration == "42s"
    assert [c.type for c in response.connections[2:]] == [
        aether_pb2.PRINCIPAL_USER,
        aether_pb2.PRINCIPAL_SERVICE,
    ]


@pytest.mark.parametrize(
    ("session_filter", "expected"),
    [
        (Filter(type=aether_pb2.PRINCIPAL_AGENT), ["s-a1", "s-a2"]),
        (Filter(workspace="ws1"), ["s-a1", "s-user"]),
        (Filter(type=aether_pb2.PRINCIPAL_AGENT, workspace="ws2"), ["s-a2"]),
        (Filter(limit=2, offset=1), ["s-a2", "s-user"]),
        (Filter(type=aether_pb2.PRINCIPAL_BRIDGE), []),
    ],
)
def test_list_filters_and_counts_the_page(
    hub: FakeHub, session_filter: aether_pb2.ConnectionFilter, expected: list[str]
) -> None:
    response = run(hub, Op(op=Op.LIST, filter=session_filter))
    assert [c.session_id for c in response.connections] == expected
    assert response.total_count == len(expected)


def test_get_one_session(hub: FakeHub) -> None:
    response = run(hub, Op(op=Op.GET, session_id="s-a2", request_id="g"))
    assert response.success and response.connection.identity == "ag::ws2::impl::a2"
    assert response.connection.duration == "42s"
    missing = run(hub, Op(op=Op.GET, session_id="nope"))
    assert not missing.success and missing.error == "session not found: nope"


def test_disconnect_ends_the_session(hub: FakeHub) -> None:
    response = run(hub, Op(op=Op.DISCONNECT, session_id="s-a1", request_id="d"))
    assert response.success and response.message == "session disconnected"
    assert hub.disconnected == [("s-a1", "disconnected by administrator")]
    run(hub, Op(op=Op.DISCONNECT, session_id="s-a2", reason="maintenance"))
    assert hub.disconnected[-1] == ("s-a2", "maintenance")
    again = run(hub, Op(op=Op.DISCONNECT, session_id="s-a1"))
    assert not again.success and again.error == "session not found: s-a1"
    assert run(hub, Op(op=Op.DISCONNECT)).error == "session not found: "


def test_unknown_operations_are_not_implemented(hub: FakeHub) -> None:
    response = run(hub, Op(op=7, request_id="x"))  # type: ignore[arg-type]
    assert not response.success and response.error == "not implemented"


def test_refusal_is_a_session_response_carrying_the_request_id(hub: FakeHub) -> None:
    op = Op(op=Op.DISCONNECT, session_id="s-a1", request_id="r")
    [frame] = handle_session_op(hub, service(), op, False)
    refused = frame.session_response
    assert not refused.success and refused.request_id == "r"
    assert "admin/sessions" in refused.error and "sv::svc::x" in refused.error
    assert hub.disconnected == []
