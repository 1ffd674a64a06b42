"""Build the frozen Model from the compiled proto and the validated spec; check cross-references."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen import __version__
from aether_codegen.errors import Problem, SpecError
from aether_codegen.model.entities import (
    Callback,
    Field,
    Helper,
    IdentityParam,
    Message,
    Model,
    Param,
    Principal,
    Route,
    Topic,
    Variant,
)

FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
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
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_PAYLOAD_KINDS = {
    "payload": ("bytes", None),
    "metric": ("aether_pb2.Metric | bytes", None),
    "target_topic": ("str", None),
    "app_workspace": ("str", '""'),
}


class _Checker:
    """Collects semantic problems, each located in the spec file."""

    def __init__(self, spec_file: str, spec_text: str | None) -> None:
        self.file = spec_file
        self.text = spec_text
        self.problems: list[Problem] = []

    def add(self, path: list[str | int], message: str) -> None:
        from aether_codegen.load.spec import locate

        line = locate(self.text, path) if self.text is not None else None
        dotted = ".".join(str(p) for p in path)
        self.problems.append(Problem(self.file, dotted, message, line))


def build_model(
    proto: descriptor_pb2.FileDescriptorProto,
    spec: dict[str, Any],
    *,
    spec_file: str = "principals.yaml",
    spec_text: str | None = None,
    inputs: tuple[str, ...] = ("schema/aether/v1/aether.proto", "schema/principals.yaml"),
) -> Model:
    check = _Checker(spec_file, spec_text)
    messages = {m.name: m for m in proto.message_type}
    enums = {e.name: e for e in proto.enum_type}

    topics = {
        name: Topic(name, tmpl, tuple(_PLACEHOLDER.findall(tmpl)))
        for name, tmpl in spec["topics"].items()
    }
    prefixes = tuple(spec["prefixes"])

    message_types = _message_types(enums, check)
    callbacks = _callbacks(spec, messages, message_types, check)
    routes = _routes(messages, spec, callbacks, check)
    helpers = _helpers(spec, topics, prefixes, message_types, check)
    principals = tuple(
        _principal(key, raw, topics, prefixes, callbacks, helpers, messages, enums, check)
        for key, raw in spec["principals"].items()
    )
    _check_unique(principals, check)
    dataclass_names = list(spec["dataclasses"])
    for i, name in enumerate(dataclass_names):
        if name not in messages:
            check.add(["dataclasses", i], f"unknown proto message {name!r}")
    if check.problems:
        raise SpecError(check.problems)

    service = proto.service[0]
    return Model(
        generator_version=__version__,
        inputs=inputs,
        package=proto.package,
        prefixes=prefixes,
        topics=tuple(topics.values()),
        message_types=message_types,
        callbacks=tuple(callbacks.values()),
        common_callbacks=tuple(callbacks[c] for c in spec["common_callbacks"] if c in callbacks),
        routes=routes,
        principals=principals,
        messages=tuple(_message(messages[n], set(dataclass_names)) for n in dataclass_names),
        service_name=service.name,
        service_methods=tuple(
            (m.name, m.input_type.rsplit(".", 1)[-1], m.output_type.rsplit(".", 1)[-1])
            for m in service.method
        ),
    )


def _message_types(
    enums: dict[str, descriptor_pb2.EnumDescriptorProto], check: _Checker
) -> tuple[tuple[str, int], ...]:
    if "MessageType" not in enums:
        check.problems.append(Problem("aether.proto", "MessageType", "enum MessageType is missing"))
        return ()
    return tuple((v.name, v.number) for v in enums["MessageType"].value)


def _oneof_arms(msg: descriptor_pb2.DescriptorProto, oneof: str) -> dict[str, str]:
    idx = [o.name for o in msg.oneof_decl].index(oneof)
    return {
        f.name: f.type_name.rsplit(".", 1)[-1]
        for f in msg.field
        if f.HasField("oneof_index") and f.oneof_index == idx
    }


def _callbacks(
    spec: dict[str, Any],
    messages: dict[str, descriptor_pb2.DescriptorProto],
    message_types: tuple[tuple[str, int], ...],
    check: _Checker,
) -> dict[str, Callback]:
    arms = _oneof_arms(messages["DownstreamMessage"], "payload")
    known_types = {n for n, _ in message_types}
    out = {}
    for name, raw in spec["callbacks"].items():
        arm = raw.get("arm", "")
        if arm and arm not in arms:
            check.add(["callbacks", name, "arm"], f"no DownstreamMessage arm named {arm!r}")
        mt = raw.get("message_type", "")
        if mt and mt not in known_types:
            check.add(["callbacks", name, "message_type"], f"unknown MessageType {mt!r}")
        out[name] = Callback(name, arm, mt, raw["args"], raw["doc"])
    for i, name in enumerate(spec["common_callbacks"]):
        if name not in out:
            check.add(["common_callbacks", i], f"unknown callback {name!r}")
    return out


def _routes(
    messages: dict[str, descriptor_pb2.DescriptorProto],
    spec: dict[str, Any],
    callbacks: dict[str, Callback],
    check: _Checker,
) -> tuple[Route, ...]:
    arms = _oneof_arms(messages["DownstreamMessage"], "payload")
    responses = set(spec["responses"])
    runtime = set(spec["runtime_arms"])
    routes = []
    for arm, msg_name in arms.items():
        cbs = tuple(c.name for c in callbacks.values() if c.arm == arm and not c.message_type)
        kind = "callback" if cbs or arm == "msg" else "response" if arm in responses else ""
        if arm in runtime:
            kind = "runtime"
        if not kind:
            check.add(
                ["responses"],
                f"DownstreamMessage arm {arm!r} is routed nowhere: give it a callback, "
                "or list it under responses or runtime_arms",
            )
            continue
        correlated = any(f.name == "request_id" for f in messages[msg_name].field)
        routes.append(Route(arm, msg_name, correlated, cbs, kind))
    for key in ("responses", "runtime_arms"):
        for i, arm in enumerate(spec[key]):
            if arm not in arms:
                check.add([key, i], f"no DownstreamMessage arm named {arm!r}")
    return tuple(routes)


def _helpers(
    spec: dict[str, Any],
    topics: dict[str, Topic],
    prefixes: tuple[str, ...],
    message_types: tuple[tuple[str, int], ...],
    check: _Checker,
) -> dict[str, Helper]:
    out = {}
    for name, raw in spec["helpers"].items():
        path: list[str | int] = ["helpers", name]
        topic = topics.get(raw.get("topic", ""))
        if "topic" in raw and topic is None:
            check.add([*path, "topic"], f"unknown topic template {raw['topic']!r}")
        if topic is not None and topic.prefix not in prefixes:
            check.add([*path, "topic"], f"topic prefix {topic.prefix!r} is not in prefixes")
        mt = raw.get("message_type", "OPAQUE")
        params = []
        for i, p in enumerate(raw["params"]):
            pname, pdefault = (p, None) if isinstance(p, str) else (p["name"], p.get("default"))
            default = (
                None if pdefault is None and not isinstance(p, dict) else _py_default(pdefault)
            )
            if isinstance(p, dict) and "default" not in p:
                default = None
            if pname == "message_type":
                params.append(Param(pname, "int", mt, "message_type"))
            elif pname in _PAYLOAD_KINDS:
                py_type, kdefault = _PAYLOAD_KINDS[pname]
                params.append(Param(pname, py_type, default or kdefault, pname))
            elif topic is not None and pname in topic.placeholders:
                py_type = "str | object" if _is_wildcard_param(raw, pname) else "str"
                params.append(Param(pname, py_type, default, "topic"))
            else:
                check.add([*path, "params", i], f"parameter {pname!r} fills nothing")
        names = {p.name for p in params}
        if topic is not None:
            for ph in topic.placeholders:
                if ph not in names:
                    check.add([*path, "params"], f"topic {topic.name!r} needs parameter {ph!r}")
        elif "target_topic" not in names:
            check.add([*path], "a helper needs a topic or a target_topic parameter")
        variants = []
        for i, v in enumerate(raw.get("variants", [])):
            vt = topics.get(v["topic"])
            if vt is None:
                check.add([*path, "variants", i, "topic"], f"unknown topic template {v['topic']!r}")
                continue
            if v["param"] not in names:
                check.add([*path, "variants", i, "param"], f"no parameter {v['param']!r}")
            variants.append(Variant(v["param"], v["when"], vt))
        out[name] = Helper(name, raw["doc"], topic, tuple(params), mt, tuple(variants))
    return out


def _is_wildcard_param(raw: dict[str, Any], pname: str) -> bool:
    return any(v["param"] == pname and v["when"] == "wildcard" for v in raw.get("variants", []))


def _py_default(value: Any) -> str:
    return repr(value)


def _principal(
    key: str,
    raw: dict[str, Any],
    topics: dict[str, Topic],
    prefixes: tuple[str, ...],
    callbacks: dict[str, Callback],
    helpers: dict[str, Helper],
    messages: dict[str, descriptor_pb2.DescriptorProto],
    enums: dict[str, descriptor_pb2.EnumDescriptorProto],
    check: _Checker,
) -> Principal:
    path: list[str | int] = ["principals", key]

    def topic(name: str | None, *sub: str | int) -> Topic | None:
        if name is None:
            return None
        if name not in topics:
            check.add([*path, *sub], f"unknown topic template {name!r}")
            return None
        return topics[name]

    ident = raw["identity"]
    arms = _oneof_arms(messages["InitConnection"], "client_type")
    if ident["arm"] not in arms:
        check.add(
            [*path, "identity", "arm"], f"InitConnection has no identity arm {ident['arm']!r}"
        )
    elif arms[ident["arm"]] != ident["message"]:
        check.add(
            [*path, "identity", "message"],
            f"arm {ident['arm']!r} carries {arms[ident['arm']]}, not {ident['message']}",
        )
    id_fields = (
        {f.name for f in messages[ident["message"]].field}
        if ident["message"] in messages
        else set()
    )
    params = []
    for i, raw_param in enumerate(ident["params"]):
        p = {"name": raw_param} if isinstance(raw_param, str) else raw_param
        field = p.get("field", p["name"])
        if id_fields and field not in id_fields:
            check.add(
                [*path, "identity", "params", i], f"{ident['message']} has no field {field!r}"
            )
        py_type = p.get("type", "str")
        params.append(
            IdentityParam(
                name=p["name"],
                py_type=py_type,
                default=_py_default(p["default"]) if "default" in p else None,
                field=field,
                invert=bool(p.get("invert", False)),
                trailing=bool(p.get("trailing", False)),
                validated=py_type in ("str", "str | None"),
                generate=p.get("generate", ""),
            )
        )
    for i, prefix in enumerate(raw["may_send_to"]):
        if prefix not in prefixes:
            check.add([*path, "may_send_to", i], f"unknown topic prefix {prefix!r}")
    cbs = []
    for i, name in enumerate(raw["callbacks"]):
        if name not in callbacks:
            check.add([*path, "callbacks", i], f"unknown callback {name!r}")
        else:
            cbs.append(callbacks[name])
    bound = []
    extra = raw.get("extra_send_params", {})
    for i, ref in enumerate(raw["helpers"]):
        name = ref if isinstance(ref, str) else ref["name"]
        if name not in helpers:
            check.add([*path, "helpers", i], f"unknown helper {name!r}")
            continue
        bound.append(_bind_helper(helpers[name], ref, extra.get(name, [])))
    lock_key = topic(raw["lock_key"], "lock_key")
    enum_values = (
        {v.name: v.number for v in enums["PrincipalType"].value} if "PrincipalType" in enums else {}
    )
    if raw["enum"] not in enum_values:
        check.add([*path, "enum"], f"PrincipalType has no value {raw['enum']!r}")
    id_order = (
        tuple(f.name for f in messages[ident["message"]].field)
        if ident["message"] in messages
        else ()
    )
    return Principal(
        key=key,
        class_name=raw["class"],
        type_name=raw["type_name"],
        enum=raw["enum"],
        enum_value=enum_values.get(raw["enum"], 0),
        acl_type=raw["acl_type"],
        identity_arm=ident["arm"],
        identity_message=ident["message"],
        identity_fields=id_order,
        identity_params=tuple(params),
        topic=topic(raw.get("topic"), "topic"),
        lock_key=lock_key or Topic("invalid", "", ()),
        pooled_topic=topic(raw.get("pooled_topic"), "pooled_topic"),
        pooled_subscriptions=tuple(
            t
            for i, n in enumerate(raw.get("pooled_subscriptions", []))
            if (t := topic(n, "pooled_subscriptions", i))
        ),
        subscriptions=tuple(
            t for i, n in enumerate(raw["subscriptions"]) if (t := topic(n, "subscriptions", i))
        ),
        workspace_subscriptions=tuple(
            t
            for i, n in enumerate(raw.get("workspace_subscriptions", []))
            if (t := topic(n, "workspace_subscriptions", i))
        ),
        may_send_to=tuple(raw["may_send_to"]),
        kv=raw["kv"],
        needs_credentials=raw["needs_credentials"],
        pool_worker=bool(raw.get("pool_worker", False)),
        callbacks=tuple(cbs),
        helpers=tuple(bound),
    )


def _bind_helper(helper: Helper, ref: str | dict[str, Any], extra: list[str]) -> Helper:
    """Apply a principal's per-helper overrides (default message type, extra parameters)."""
    mt = (
        helper.message_type
        if isinstance(ref, str)
        else ref.get("message_type", helper.message_type)
    )
    params = tuple(
        Param(p.name, p.py_type, mt, p.kind) if p.kind == "message_type" else p
        for p in helper.params
    )
    params += tuple(Param(n, *_PAYLOAD_KINDS[n], n) for n in extra)
    return Helper(helper.name, helper.doc, helper.topic, params, mt, helper.variants)


def _check_unique(principals: tuple[Principal, ...], check: _Checker) -> None:
    for attr in ("class_name", "identity_arm", "enum", "type_name"):
        seen: dict[str, str] = {}
        for p in principals:
            value = getattr(p, attr)
            if value in seen:
                check.add(
                    ["principals", p.key], f"{attr} {value!r} is already used by {seen[value]!r}"
                )
            seen[value] = p.key


def _message(msg: descriptor_pb2.DescriptorProto, dataclasses: set[str]) -> Message:
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
                kind, vtype = "map", _SCALARS[val_f.type][0]
            py = f"Mapping[{_SCALARS[key_f.type][0]}, {vtype}]"
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
            py, default = _SCALARS[f.type]
            kind = "enum" if f.type == FDP.TYPE_ENUM else "scalar"
            if repeated:
                fields.append(Field(f.name, f.number, f"tuple[{py}, ...]", "()", kind, True))
            else:
                fields.append(Field(f.name, f.number, py, default, kind, False))
    return Message(msg.name, tuple(fields), f"Typed, immutable twin of aether.v1.{msg.name}.")
