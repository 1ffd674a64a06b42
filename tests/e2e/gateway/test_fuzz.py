"""Fuzzed UpstreamMessage frames over real gRPC, for every principal type, before and after the
handshake: no crash, no ERR_INTERNAL, no traceback or overlong line in the gateway log, and the
gateway still serves a well-behaved client afterwards.

Frames are built by hypothesis from the schema's descriptors (every arm, every field, edge
numbers, unknown enum values, long and odd strings), some sent as raw mutated bytes. After each
batch a probe (a checkpoint LIST, which every principal may send) proves the stream is still
answered in order; a stream the gateway ended must have ended with a deliberate status.

The suite runs a small budget; `AETHER_FUZZ_FRAMES` raises it (docs/gateway.md "Limits"):

    AETHER_FUZZ_FRAMES=100000 .tox/py311/bin/pytest -q tests/e2e/gateway/test_fuzz.py
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2

T = TypeVar("T")
# A failing example's repr can be large; the warning about it must not hide the failure.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
Up = aether_pb2.UpstreamMessage
Down = aether_pb2.DownstreamMessage
LIST = aether_pb2.CheckpointOperation.LIST

TOTAL_FRAMES = int(os.environ.get("AETHER_FUZZ_FRAMES", "2400"))
PRINCIPALS = (
    "agent",
    "task",
    "user",
    "orchestrator",
    "workflow_engine",
    "metrics_bridge",
    "bridge",
    "service",
)
TESTS = 2 * len(PRINCIPALS)  # before and after the handshake, per principal
FRAMES_PER_EXAMPLE = 8
EXAMPLES = max(2, math.ceil(TOTAL_FRAMES / TESTS / (FRAMES_PER_EXAMPLE / 2 + 0.5)))
TIMEOUT_S = 120 + TOTAL_FRAMES // TESTS // 10  # generous per test; raised with the budget
WAIT = 15.0
MAX_LOG_LINE = 1_200  # the gateway clips its messages to 1,000 characters, plus the prefix
# Ends the gateway may choose for a stream: refusals and deliberate ends. UNKNOWN and INTERNAL
# are what an exception escaping a handler turns into.
DELIBERATE = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
}

# ------------------------------------------------------------------------------ strategies

WORDS = ["", "ws", "bot", "x", "*", "admin", "ag::ws::bot::x", "us::u::w", "default", "a" * 129]
INT32 = [0, 1, -1, 10, 40, 99, 2**31 - 1, -(2**31)]
INT64 = [0, 1, -1, 2**31, 2**53, 2**63 - 1, -(2**63)]


def _text() -> st.SearchStrategy[str]:
    odd = st.sampled_from(["\n", "\x00", "::", "|", ":", "é", "\u202e", "\U0001f600", "%s", "{}"])
    return st.one_of(
        st.sampled_from(WORDS),
        st.text(max_size=40),
        st.lists(st.one_of(st.sampled_from(WORDS), odd), max_size=6).map("".join),
        st.integers(200, 70_000).map(lambda n: "y" * n),  # past every name and identity bound
    )


def _bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"\xff\xfe", b"{}", b"0"]))


def _scalar(fd: Any) -> st.SearchStrategy[Any]:  # descriptors are typed loosely by protobuf
    t = fd.type
    if t == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if t == FieldDescriptor.TYPE_STRING:
        return _text()
    if t == FieldDescriptor.TYPE_BYTES:
        return _bytes()
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if t == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in fd.enum_type.values]
        return st.one_of(st.sampled_from(known), st.sampled_from(INT32))
    if t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if t in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if t in (
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
    ):
        return st.one_of(st.sampled_from(INT32), st.integers(-(2**31), 2**31 - 1))
    return st.one_of(st.sampled_from(INT64), st.integers(-(2**63), 2**63 - 1))


_CACHE: dict[tuple[str, int], st.SearchStrategy[Any]] = {}


def messages_of(descriptor: Any, depth: int = 3) -> st.SearchStrategy[Any]:
    """Messages of `descriptor` with any subset of fields set (at most one per oneof)."""
    key = (descriptor.full_name, depth)
    if key not in _CACHE:
        _CACHE[key] = st.deferred(lambda: _build(descriptor, depth))
    return _CACHE[key]


def _field(fd: Any, depth: int) -> st.SearchStrategy[Any] | None:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        k, v = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
        value = _field(v, depth - 1)
        if value is None:
            return None
        return st.dictionaries(_scalar(k), value, max_size=3)
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        if depth <= 0:
            return None
        one = messages_of(fd.message_type, depth - 1)
    else:
        one = _scalar(fd)
    if fd.is_repeated:
        return st.lists(one, max_size=3)
    return one


def _build(descriptor: Any, depth: int) -> st.SearchStrategy[Any]:
    cls = _class(descriptor)
    plain = {
        fd.name: s
        for fd in descriptor.fields
        if fd.containing_oneof is None and (s := _field(fd, depth)) is not None
    }
    oneofs = []
    for oneof in descriptor.oneofs:
        arms = [(fd.name, s) for fd in oneof.fields if (s := _field(fd, depth)) is not None]
        if arms:
            oneofs.append(st.one_of(*(st.tuples(st.just(n), s) for n, s in arms)) | st.none())
    return st.builds(_assemble, st.just(cls), st.fixed_dictionaries({}, optional=plain), *oneofs)


def _assemble(cls: type[Message], fields: dict[str, Any], *arms: tuple[str, Any] | None) -> Any:
    message = cls()
    for name, value in [*fields.items(), *(a for a in arms if a is not None)]:
        _set(message, name, value)
    return message


def _set(message: Message, name: str, value: Any) -> None:
    target = getattr(message, name)
    if isinstance(value, Message):
        target.CopyFrom(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, Message):
                target[k].CopyFrom(v)
            else:
                target[k] = v
    elif isinstance(value, list):
        if value and isinstance(value[0], Message):
            target.extend(value)
        else:
            target.extend(value)
    else:
        setattr(message, name, value)


def _class(descriptor: Any) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


UP: Any = Up.DESCRIPTOR
ARMS = [fd.name for fd in UP.oneofs_by_name["payload"].fields]


def upstream(arms: list[str]) -> st.SearchStrategy[Up]:
    """An UpstreamMessage carrying one of `arms` (or none), any content."""

    def wrap(arm: str, body: Message | None) -> Up:
        frame = Up()
        if body is not None:
            getattr(frame, arm).CopyFrom(body)
        return frame

    choices = [
        st.builds(wrap, st.just(a), messages_of(UP.fields_by_name[a].message_type)) for a in arms
    ]
    return st.one_of(*choices, st.just(Up()))


def _suffixed(word: str, n: int) -> str:
    return f"{word}{n}" if word else word


def identities(principal: str) -> st.SearchStrategy[Up]:
    """InitConnection for `principal`: mostly valid-looking identity fields, sometimes not."""
    arm = UP.fields_by_name["init"].message_type.fields_by_name[principal]
    names = [
        fd.name
        for fd in arm.message_type.fields
        if fd.type == FieldDescriptor.TYPE_STRING and not fd.is_repeated
    ]
    plain = st.builds(_suffixed, st.sampled_from(["ws", "bot", "fz", "a", ""]), st.integers(0, 9))
    fields = st.fixed_dictionaries({n: st.one_of(plain, plain, _text()) for n in names})
    init = messages_of(UP.fields_by_name["init"].message_type, 2)

    def make(base: aether_pb2.InitConnection, values: dict[str, str]) -> Up:
        base.ClearField(principal)
        body = getattr(base, principal)
        body.SetInParent()
        for name, value in values.items():
            setattr(body, name, value)
        return Up(init=base)

    return st.builds(make, init, fields)


@dataclass
class Raw:
    """A frame sent as these bytes (a mutated or random encoding), not as a message."""

    data: bytes


def mutated(frames: st.SearchStrategy[Up]) -> st.SearchStrategy[Raw]:
    def mutate(frame: Up, cut: int, flips: list[tuple[int, int]]) -> Raw:
        data = bytearray(frame.SerializeToString())
        for position, value in flips:
            if data:
                data[position % len(data)] = value
        return Raw(bytes(data[: max(cut, 0)] if cut < len(data) else data))

    flips = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4)
    depth = st.integers(1, 200).map(lambda n: Raw(b"\x12\x00" + b"\x0a\x02" * n))  # nesting
    junk = st.one_of(st.binary(min_size=1, max_size=64).map(Raw), depth)
    return st.one_of(st.builds(mutate, frames, st.integers(0, 10_000), flips), junk)


def after_handshake() -> st.SearchStrategy[Up | Raw]:
    frames = upstream([a for a in ARMS if a != "init"])
    rare = upstream(["init"])
    return st.one_of(frames, frames, frames, frames, frames, frames, rare, mutated(frames))


def first_frames(principal: str) -> st.SearchStrategy[Up | Raw]:
    return st.one_of(
        identities(principal), identities(principal), upstream(ARMS), mutated(identities(principal))
    )


# ------------------------------------------------------------------------------ the driver


def _write_raced_the_end(stream: Stream) -> bool:
    """A write issued after the gateway ended the RPC fails in the client's core, and the client
    then reports INTERNAL "Internal error from Core" instead of the gateway's status. A crash in
    the gateway would also log a traceback, which the log check catches."""
    return stream.ended == grpc.StatusCode.INTERNAL and stream.details == "Internal error from Core"


class LogRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.tracebacks: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines.extend(text.splitlines())
        if record.exc_info or "Traceback" in text:
            self.tracebacks.append(text)


class Loop:
    """An event loop on its own thread: the gateway and the fuzz streams live there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Stream:
    """One Connect RPC sending raw bytes, so mutated encodings can go on the wire."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        connect = channel.stream_stream(
            "/aether.v1.AetherGateway/Connect",
            request_serializer=lambda data: data,
            response_deserializer=Down.FromString,
        )
        self.call: Any = connect()
        self.ended: grpc.StatusCode | None = None
        self.details = ""

    async def send(self, frame: Up | Raw) -> bool:
        data = frame.data if isinstance(frame, Raw) else frame.SerializeToString()
        try:
            await self.call.write(data)
        except (grpc.RpcError, asyncio.InvalidStateError):
            await self._end()
            return False
        return True

    async def read(self) -> Down | None:
        """The next frame, or None once the RPC ended (its status is in `ended`)."""
        try:
            frame = await asyncio.wait_for(self.call.read(), WAIT)
        except grpc.RpcError as error:
            self.ended = error.code()
            self.details = error.details() or ""
            return None
        if frame is grpc.aio.EOF:
            await self._end()
            return None
        return frame  # type: ignore[no-any-return]

    async def _end(self) -> None:
        if self.ended is None:
            self.ended = await asyncio.wait_for(self.call.code(), WAIT)


@dataclass
class Findings:
    frames: int = 0
    internal: list[str] = field(default_factory=list)
    bad_ends: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)


class Fuzzer:
    def __init__(self, target: str) -> None:
        self.target = target
        self.channel = grpc.aio.insecure_channel(target)
        self.streams: dict[str, Stream] = {}
        self.findings = Findings()
        self.ids = itertools.count()

    async def handshake(self, principal: str) -> Stream:
        """A live stream for `principal`; fixed identities wait for their last holder to go."""
        live = self.streams.get(principal)
        if live is not None and live.ended is None:
            return live
        for attempt in range(200):
            stream = Stream(self.channel)
            await stream.send(_init(principal, next(self.ids)))
            ack = await stream.read()
            if ack is not None and ack.WhichOneof("payload") == "connection_ack":
                self.streams[principal] = stream
                return stream
            stream.call.cancel()
            assert stream.ended == grpc.StatusCode.ALREADY_EXISTS, (principal, stream.ended)
            await asyncio.sleep(0.02 * min(attempt + 1, 10))
        raise AssertionError(f"{principal} never got its identity back")

    async def batch(self, stream: Stream, frames: list[Up | Raw], label: str) -> None:
        """Send `frames` and a probe; read every answer up to the probe's, or to the end."""
        for frame in frames:
            self.findings.frames += 1
            if not await stream.send(frame):
                break
        probe = f"probe-{next(self.ids)}"
        await stream.send(
            Up(checkpoint_op=aether_pb2.CheckpointOperation(op=LIST, request_id=probe))
        )
        while (down := await stream.read()) is not None:
            self._inspect(down, label)
            if down.WhichOneof("payload") == "checkpoint" and down.checkpoint.request_id == probe:
                return
        if stream.ended not in DELIBERATE and not _write_raced_the_end(stream):
            ended = f"{stream.ended} {stream.details[:300]!r}"
            self.findings.bad_ends.append(f"{label}: stream ended {ended}")

    def _inspect(self, down: Down, label: str) -> None:
        text = str(down)[:2_000]
        internal = down.WhichOneof("payload") == "error" and down.error.code == "ERR_INTERNAL"
        # "internal error" is how KV and checkpoint answers report a database error.
        if internal or "internal error" in text:
            self.findings.internal.append(f"{label}: {text}")

    async def after(self, principal: str, frames: list[Up | Raw]) -> None:
        stream = await self.handshake(principal)
        await self.batch(stream, frames, f"{principal} after handshake")

    async def before(self, principal: str, first: Up | Raw, frames: list[Up | Raw]) -> None:
        stream = Stream(self.channel)
        try:
            await self.batch(stream, [first, *frames], f"{principal} before handshake")
        finally:
            stream.call.cancel()

    async def close(self) -> None:
        for stream in self.streams.values():
            stream.call.cancel()
        await self.channel.close(grace=None)


def _init(principal: str, n: int) -> Up:
    fields: dict[str, dict[str, Any]] = {
        "agent": {"workspace": "ws", "implementation": "fuzz", "specifier": f"a{n}"},
        "task": {"workspace": "ws", "implementation": "fuzz", "unique_specifier": f"t{n}"},
        "user": {"user_id": "fuzzer", "window_id": f"w{n}"},
        "orchestrator": {
            "implementation": "fuzz",
            "specifier": f"o{n}",
            "supported_profiles": ["p"],
        },
        "workflow_engine": {},
        "metrics_bridge": {},
        "bridge": {"implementation": "fuzz", "specifier": f"b{n}"},
        "service": {"implementation": "fuzz", "specifier": f"s{n}"},
    }
    init = aether_pb2.InitConnection()
    body = getattr(init, principal)
    body.SetInParent()
    for name, value in fields[principal].items():
        if isinstance(value, list):
            getattr(body, name).extend(value)
        else:
            setattr(body, name, value)
    return Up(init=init)


# ------------------------------------------------------------------------------ fixtures


@dataclass
class Harness:
    loop: Loop
    gateway: EmbeddedGateway
    fuzzer: Fuzzer
    log: LogRecorder


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    recorder = LogRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    old_level = root.level
    root.setLevel(logging.INFO)
    loop = Loop()
    # Dev mode admits every principal and opens admin, so the fuzz reaches every handler.
    config = GatewayConfig(dev_mode=True, rate_per_s=1e9, rate_burst=1e9)
    gateway = loop.run(EmbeddedGateway(config).start())
    fuzzer = loop.run(_make_fuzzer(gateway.target))
    try:
        yield Harness(loop, gateway, fuzzer, recorder)
    finally:
        loop.run(fuzzer.close())
        loop.run(gateway.stop())
        loop.close()
        root.removeHandler(recorder)
        root.setLevel(old_level)


async def _make_fuzzer(target: str) -> Fuzzer:
    return Fuzzer(target)  # its channel belongs to the loop it is made on


def _settings() -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )


def _fresh(h: Harness) -> None:
    """Each test answers for its own frames and log lines."""
    h.fuzzer.findings = Findings()
    h.log.lines.clear()
    h.log.tracebacks.clear()


def _assert_clean(h: Harness) -> None:
    f = h.fuzzer.findings
    assert not f.internal, f.internal[:3]
    assert not f.bad_ends, f.bad_ends[:3]
    assert not h.log.tracebacks, h.log.tracebacks[:1]
    long_lines = [line[:200] for line in h.log.lines if len(line) > MAX_LOG_LINE]
    assert not long_lines, long_lines[:3]


# ------------------------------------------------------------------------------ the tests


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_fuzzed_frames_after_the_handshake(harness: Harness, principal: str) -> None:
    _fresh(harness)

    @_settings()
    @given(st.lists(after_handshake(), min_size=1, max_size=FRAMES_PER_EXAMPLE))
    def run(frames: list[Up | Raw]) -> None:
        harness.loop.run(harness.fuzzer.after(principal, frames))

    run()
    _assert_clean(harness)


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_fuzzed_frames_before_the_handshake(harness: Harness, principal: str) -> None:
    _fresh(harness)

    @_settings()
    @given(first_frames(principal), st.lists(after_handshake(), max_size=FRAMES_PER_EXAMPLE - 1))
    def run(first: Up | Raw, frames: list[Up | Raw]) -> None:
        harness.loop.run(harness.fuzzer.before(principal, first, frames))

    run()
    _assert_clean(harness)


def test_the_gateway_still_serves_a_well_behaved_client(harness: Harness) -> None:
    _fresh(harness)

    async def exchange() -> None:
        sender = AsyncAgentClient("calm", "bot", "sender")
        receiver = AsyncAgentClient("calm", "bot", "receiver")
        got: asyncio.Queue[bytes] = asyncio.Queue()
        receiver.on_message = lambda m: got.put_nowait(m.payload)
        await receiver.connect(harness.gateway.target)
        await sender.connect(harness.gateway.target)
        try:
            await sender.send_message_to_agent("calm", "bot", "receiver", b"after the fuzz")
            assert await asyncio.wait_for(got.get(), WAIT) == b"after the fuzz"
            put = await sender.kv_put("after", b"fuzz")
            assert put is not None and put.success
            got_back = await receiver.kv_get("after")
            assert got_back is not None and got_back.value == b"fuzz"
        finally:
            await sender.close()
            await receiver.close()

    harness.loop.run(exchange())
    _assert_clean(harness)
