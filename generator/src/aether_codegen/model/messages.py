"""Frozen dataclass twins of proto messages: one Field per proto field."""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from aether_codegen.model.entities import Field, Message

FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    FDP.TYPE_STRING: ("str", '""'),
    FDP.TYPE_BYTES: ("bytes", 'b""'),
    FDP.TYPE_BOOL: ("bool", "False"),
    FDP.TYPE_INT32: ("int", "0"),
    FDP.TYPE_INT64: ("int", "0"),
    FDP.TYPE_UINT32: ("int", "0"),
    FDP.TYPE_UINT64: ("int", "0"),
    FDP.TYPE_SINT32: ("int", "0"),
    FDP.TYPE_SINT64: ("int", "0"),
    FDP.TYPE_DOUBLE: ("float", "0.0"),
    FDP.TYPE_FLOAT: ("float", "0.0"),
    FDP.TYPE_ENUM: ("int", "0"),
}


def build_message(msg: descriptor_pb2.DescriptorProto, dataclasses: set[str]) -> Message:
    fields = []
    maps = {n.name: n for n in msg.nested_type if n.options.map_entry}
    for f in msg.field:
        ref = f.type_name.rsplit(".", 1)[-1]
        repeated = f.label == FDP.LABEL_REPEATED
        if f.type == FDP.TYPE_MESSAGE and ref in maps:
            key_f, val_f = maps[ref].field
            vref = val_f.type_name.rsplit(".", 1)[-1]
            if val_f.type == FDP.TYPE_MESSAGE:
                kind = "map_dataclass" if vref in dataclasses else "map"
                vtype = vref if vref in dataclasses else f"aether_pb2.{vref}"
            else:
                kind, vtype = "map", SCALARS[val_f.type][0]
            py = f"Mapping[{SCALARS[key_f.type][0]}, {vtype}]"
            fields.append(Field(f.name, f.number, py, "_EMPTY_MAP", kind, False, vref))
        elif f.type == FDP.TYPE_MESSAGE:
            is_dc = ref in dataclasses
            base = ref if is_dc else f"aether_pb2.{ref}"
            kind = "dataclass" if is_dc else "message"
            if repeated:
                fields.append(Field(f.name, f.number, f"tuple[{base}, ...]", "()", kind, True, ref))
            else:
                fields.append(Field(f.name, f.number, f"{base} | None", "None", kind, False, ref))
        else:
            py, default = SCALARS[f.type]
            kind = "enum" if f.type == FDP.TYPE_ENUM else "scalar"
            if repeated:
                fields.append(Field(f.name, f.number, f"tuple[{py}, ...]", "()", kind, True))
            else:
                fields.append(Field(f.name, f.number, py, default, kind, False))
    return Message(msg.name, tuple(fields), f"Typed, immutable twin of aether.v1.{msg.name}.")
