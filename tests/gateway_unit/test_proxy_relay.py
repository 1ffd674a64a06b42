"""The gateway's proxy relay without a server: pins, TTLs, depth, header minting, peer loss."""

from __future__ import annotations

from dataclasses import dataclass, field

from aether_gateway.context import Caller
from aether_gateway.proxy import ProxyRelay
from scitrera_aether_client.wire import PRINCIPALS, VALID_PREFIXES, aether_pb2

Kind = aether_pb2.ProxyError


@dataclass(eq=False)
class FakeSession:
    caller: Caller
    sent: list[aether_pb2.DownstreamMessage] = field(default_factory=list)

    @property
    def ended(self) -> FakeEvent:
        return FakeEvent()


class FakeEvent:
    def is_set(self) -> bool:
        return False


class FakeHub:
    def __init__(self) -> None:
        self.subscribers: dict[str, set[FakeSession]] = {}
        self.by_id: dict[str, FakeSession] = {}

    def add(self, caller: Caller) -> FakeSession:
        session = FakeSession(caller)
        self.by_id[caller.session_id] = session
        self.subscribers.setdefault(caller.topic, set()).add(session)
        return session

    def send_to_session(self, session_id: str, frame: aether_pb2.DownstreamMessage) -> bool:
        session = self.by_id.get(session_id)
        if session is None:
            return False
        session.sent.append(frame)
        return True


def caller(key: str, sid: str, topic: str, **fields: str) -> Caller:
    return Caller(
        session_id=sid,
        principal=PRINCIPALS[key],
        identity=topic,
        topic=topic,
        fields=fields,
        workspace=fields.get("workspace", ""),
    )


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def setup() -> tuple[ProxyRelay, FakeHub, FakeSession, FakeSession, Clock]:
    hub = FakeHub()
    clock = Clock()
    relay = ProxyRelay(
        hub,  # type: ignore[arg-type]
        resolve_service=lambda w: "sv::svc::a" if w == "sv::svc" else None,
        prefixes=VALID_PREFIXES,
        workspace_access=lambda c: 20,
        clock=clock,
    )
    agent = hub.add(caller("agent", "s-agent", "ag::ws::bot::one", workspace="ws"))
    service = hub.add(caller("service", "s-svc", "sv::svc::a"))
    return relay, hub, agent, service, clock


def request(**kw: object) -> aether_pb2.ProxyHttpRequest:
    base: dict[str, object] = {"request_id": "r1", "target_topic": "sv::svc", "method": "GET"}
    base.update(kw)
    return aether_pb2.ProxyHttpRequest(path="/", **base)  # type: ignore[arg-type]


def test_request_is_rewritten_and_headers_minted() -> None:
    relay, _, agent, service, _ = setup()
    out = relay.on_request(agent.caller, request(proxy_chain_depth=3, headers={"X-AUTH-x": "1"}))
    assert out == []
    forwarded = service.sent[0].proxy_http_request
    assert forwarded.request_id.startswith("_aether/wire/")
    assert forwarded.target_topic == "sv::svc::a" and forwarded.proxy_chain_depth == 4
    assert "X-AUTH-x" not in forwarded.headers
    assert forwarded.headers["X-Auth-User-ID"] == "ag::ws::bot::one"
    assert forwarded.headers["X-Auth-Workspace-Access"] == "20"


def test_response_goes_back_with_the_original_id_and_pins_clear() -> None:
    relay, _, agent, service, _ = setup()
    relay.on_request(agent.caller, request())
    wire = service.sent[0].proxy_http_request.request_id
    head = aether_pb2.ProxyHttpResponse(request_id=wire, status_code=200, body_chunked=True)
    relay.on_response(service.caller, head)
    chunk = aether_pb2.ProxyHttpBodyChunk(request_id=wire, seq=0, data=b"x", fin=True)
    relay.on_chunk(service.caller, chunk)
    assert [f.WhichOneof("payload") for f in agent.sent] == [
        "proxy_http_response",
        "proxy_http_body_chunk",
    ]
    assert agent.sent[1].proxy_http_body_chunk.request_id == "r1"
    assert relay.table.pins == {} and relay.table.by_origin == {} and relay.table.by_session == {}


def test_expired_pin_refuses_request_chunks() -> None:
    relay, _, agent, _, clock = setup()
    relay.on_request(agent.caller, request(body_chunked=True, timeout_ms=1000))
    clock.now += 31.5  # timeout 1 s + 30 s slack
    chunk = aether_pb2.ProxyHttpBodyChunk(request_id="r1", is_request=True, seq=0, fin=True)
    out = relay.on_chunk(agent.caller, chunk)
    assert out[0].proxy_http_response.error.message == "request pin expired or unknown"


def test_only_the_terminator_may_answer() -> None:
    relay, _, agent, service, _ = setup()
    relay.on_request(agent.caller, request())
    wire = service.sent[0].proxy_http_request.request_id
    relay.on_response(agent.caller, aether_pb2.ProxyHttpResponse(request_id=wire))
    assert agent.sent == [] and wire in relay.table.pins


def test_peer_loss_tells_the_survivor() -> None:
    relay, _, agent, service, _ = setup()
    relay.on_request(agent.caller, request())
    relay.on_disconnect(service.caller)
    error, fin = agent.sent
    assert error.proxy_http_response.request_id == "r1"
    assert error.proxy_http_response.error.kind == Kind.SIDECAR_UNAVAILABLE
    assert error.proxy_http_response.error.message.startswith("peer session ended (")
    assert fin.proxy_http_body_chunk.fin and fin.proxy_http_body_chunk.data == b""
    assert relay.table.pins == {}


def test_caller_loss_tells_the_terminator_with_the_wire_id() -> None:
    relay, _, agent, service, _ = setup()
    relay.on_request(agent.caller, request())
    wire = service.sent[0].proxy_http_request.request_id
    relay.on_disconnect(agent.caller)
    assert service.sent[1].proxy_http_response.request_id == wire
    assert service.sent[2].proxy_http_body_chunk.fin
