"""The generated dataclass twins convert to and from protobuf without losing a field."""

from __future__ import annotations

import dataclasses

import pytest
from google.protobuf import descriptor

from scitrera_aether_client import messages
from scitrera_aether_client.proto import aether_pb2

FD = descriptor.FieldDescriptor


def _populate(msg: object, depth: int = 0) -> None:
    """Give every field of `msg` a non-default value (nested messages to depth 2)."""
    for field in msg.DESCRIPTOR.fields:  # type: ignore[attr-defined]
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            target = getattr(msg, name)
            if value_field.message_type is not None:
                if depth < 2:
                    _populate(target["k"], depth + 1)
            else:
                target["k"] = _scalar(value_field)
        elif field.message_type is not None:
            if depth < 2:
                child = getattr(msg, name).add() if field.is_repeated else getattr(msg, name)
                _populate(child, depth + 1)
        elif field.is_repeated:
            getattr(msg, name).append(_scalar(field))
        else:
            setattr(msg, name, _scalar(field))


def _scalar(field: FD) -> object:
    if field.type == FD.TYPE_STRING:
        return f"v-{field.name}"
    if field.type == FD.TYPE_BYTES:
        return b"\x01\x02"
    if field.type == FD.TYPE_BOOL:
        return True
    if field.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return 1.5
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.values[-1].number
    return 7


@pytest.mark.parametrize("name", messages.__all__)
def test_round_trip_keeps_every_field(name: str) -> None:
    pb = getattr(aether_pb2, name)()
    _populate(pb)
    twin = getattr(messages, name).from_pb(pb)
    assert twin.to_pb() == pb
    assert dataclasses.is_dataclass(twin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        twin.__setattr__(next(iter(dataclasses.fields(twin))).name, None)


def test_defaults_match_an_empty_message() -> None:
    assert messages.KVResponse().to_pb() == aether_pb2.KVResponse()
    assert messages.KVResponse.from_pb(aether_pb2.KVResponse()) == messages.KVResponse()
