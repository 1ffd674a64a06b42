"""Argument validation: identity rules, payloads, message types, timeouts, scopes, metrics."""

from __future__ import annotations

import math

import pytest

from scitrera_aether_client._core import validation as v
from scitrera_aether_client.exceptions import InvalidArgumentError, InvalidPayloadTypeError
from scitrera_aether_client.proto import aether_pb2


@pytest.mark.parametrize(
    "value",
    [
        "agent-1",
        "my.agent",
        "user@example.com",
        "under_score",
        "MixedCase09",
        "scitrera/echo-bot",
        "x" * 128,
    ],
)
def test_valid_identities(value: str) -> None:
    assert v.identity_problem(value) is None
    assert v.check_identity_field("implementation", value, required=True) == value


@pytest.mark.parametrize(
    "value",
    [
        "x" * 129,
        "é" * 65,  # 65 characters but 130 bytes: the limit is in bytes
        "a*b",
        "a>b",
        "a b",
        "a\tb",
        "a\nb",
        "a\x00b",
        "a\x1fb",
        "a\x7fb",
        "a::b",
        "::",
        "a:b",  # one colon is enough to alias lock keys: ("ws-a", ":x") vs ("ws-a:", "x")
        "a|b",
        "a?b",
        "a[b]",
        "ünïcödé",
        "\ud800",  # a lone surrogate cannot be encoded as UTF-8
    ],
)
def test_invalid_identities_name_the_field(value: str) -> None:
    assert v.identity_problem(value) is not None
    with pytest.raises(InvalidArgumentError) as info:
        v.check_identity_field("workspace", value, required=False)
    assert info.value.argument == "workspace"
    assert info.value.code == "INVALID_ARGUMENT"


def test_identity_length_boundary_in_bytes() -> None:
    assert v.MAX_IDENTITY_BYTES == 128
    assert v.identity_problem("a" * 128) is None
    assert v.identity_problem("a" * 127 + "é") is not None  # 129 bytes


def test_empty_identity_only_when_optional() -> None:
    assert v.check_identity_field("specifier", "", required=False) == ""
    with pytest.raises(InvalidArgumentError) as info:
        v.check_identity_field("specifier", "", required=True)
    assert info.value.argument == "specifier"


@pytest.mark.parametrize("value", [None, 1, b"bytes", ["a"]])
def test_identity_must_be_str(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        v.check_identity_field("workspace", value, required=False)
    assert info.value.argument == "workspace"


def test_identity_lists() -> None:
    assert v.check_identity_list("targets", ["a", "b"]) == ["a", "b"]
    assert v.check_identity_list("targets", ("a",)) == ["a"]
    invalid: tuple[object, ...] = ("ab", [], None, {"a"})
    for bad in invalid:
        with pytest.raises(InvalidArgumentError) as info:
            v.check_identity_list("targets", bad)
        assert info.value.argument == "targets"
    with pytest.raises(InvalidArgumentError) as info:
        v.check_identity_list("targets", ["ok", "not ok"])
    assert info.value.argument == "targets[1]"


def test_topics() -> None:
    assert v.check_topic("topic", "ag::ws::impl::spec") == "ag::ws::impl::spec"
    assert v.check_topic("topic", "t" * 256) == "t" * 256
    for bad in ("", None, 3, "t" * 257):
        with pytest.raises(InvalidArgumentError) as info:
            v.check_topic("topic", bad)
        assert info.value.argument == "topic"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"raw", b"raw"),
        (b"", b""),
        (bytearray(b"ba"), b"ba"),
        (memoryview(b"mv"), b"mv"),
    ],
)
def test_payload_bytes_like_accepted(payload: object, expected: bytes) -> None:
    result = v.check_payload("payload", payload)
    assert result == expected
    assert type(result) is bytes


@pytest.mark.parametrize("payload", ["text", None, 1, {"a": 1}, [1]])
def test_payload_other_types_rejected_as_type_errors(payload: object) -> None:
    with pytest.raises(InvalidPayloadTypeError) as info:
        v.check_payload("payload", payload)
    assert info.value.argument == "payload"
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, InvalidArgumentError)


def test_message_types() -> None:
    for number in aether_pb2.MessageType.values():
        assert v.check_message_type(number) == number
    invalid: tuple[object, ...] = (True, "CHAT", 1.0, max(aether_pb2.MessageType.values()) + 1, -1)
    for bad in invalid:
        with pytest.raises(InvalidArgumentError) as info:
            v.check_message_type(bad)
        assert info.value.argument == "message_type"


@pytest.mark.parametrize(("timeout", "expected"), [(1, 1.0), (0.5, 0.5), (3600.0, 3600.0)])
def test_valid_timeouts(timeout: object, expected: float) -> None:
    result = v.check_timeout("timeout", timeout)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("timeout", [0, -1, math.inf, math.nan, True, "1", None])
def test_invalid_timeouts(timeout: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        v.check_timeout("timeout", timeout)
    assert info.value.argument == "timeout"


def test_non_negative_ints() -> None:
    assert v.check_non_negative("limit", 0) == 0
    assert v.check_non_negative("limit", 7) == 7
    for bad in (-1, 1.5, True, "3", None):
        with pytest.raises(InvalidArgumentError) as info:
            v.check_non_negative("limit", bad)
        assert info.value.argument == "limit"


def test_scopes_cover_the_reference_strings() -> None:
    expected = {
        "global": aether_pb2.KVOperation.GLOBAL,
        "workspace": aether_pb2.KVOperation.WORKSPACE,
        "user": aether_pb2.KVOperation.USER,
        "user-workspace": aether_pb2.KVOperation.USER_WORKSPACE,
        "global-exclusive": aether_pb2.KVOperation.GLOBAL_EXCLUSIVE,
        "workspace-exclusive": aether_pb2.KVOperation.WORKSPACE_EXCLUSIVE,
        "user-shared": aether_pb2.KVOperation.USER_SHARED,
        "user-workspace-shared": aether_pb2.KVOperation.USER_WORKSPACE_SHARED,
    }
    assert expected == v.KV_SCOPES
    for name, number in expected.items():
        assert v.check_scope(name) == number


@pytest.mark.parametrize("scope", ["", "Global", "tenant", None, 1])
def test_unknown_scopes_are_rejected_not_silently_unspecified(scope: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        v.check_scope(scope)
    assert info.value.argument == "scope"


def test_metric_encoding() -> None:
    metric = aether_pb2.Metric(trace_id="t1", entries=[aether_pb2.MetricEntry(name="n", qty=2.0)])
    encoded = v.encode_metric(metric)
    assert aether_pb2.Metric.FromString(encoded) == metric
    assert v.encode_metric(encoded) == encoded
    assert v.encode_metric(bytearray(encoded)) == encoded
    for bad in ("text", None, {"trace_id": "t"}, aether_pb2.MetricEntry(name="n")):
        with pytest.raises(InvalidPayloadTypeError) as info:
            v.encode_metric(bad)
        assert info.value.argument == "metric"


def test_short_uuid() -> None:
    values = {v.short_uuid() for _ in range(100)}
    assert len(values) == 100
    assert all(len(x) == 8 and int(x, 16) >= 0 for x in values)
