"""Principals: identity, topics, permissions and helpers of each principal type, cross-checked."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen.model.check import Checker, oneof_arms
from aether_codegen.model.entities import Callback, Helper, IdentityParam, Principal, Topic
from aether_codegen.model.helpers import bind_helper, py_default


def build_principal(
    key: str,
    raw: dict[str, Any],
    topics: dict[str, Topic],
    prefixes: tuple[str, ...],
    callbacks: dict[str, Callback],
    helpers: dict[str, Helper],
    messages: dict[str, descriptor_pb2.DescriptorProto],
    enums: dict[str, descriptor_pb2.EnumDescriptorProto],
    check: Checker,
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
    arms = oneof_arms(messages["InitConnection"], "client_type")
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
                default=py_default(p["default"]) if "default" in p else None,
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
        bound.append(bind_helper(helpers[name], ref, extra.get(name, [])))
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


def check_unique(principals: tuple[Principal, ...], check: Checker) -> None:
    for attr in ("class_name", "identity_arm", "enum", "type_name"):
        seen: dict[str, str] = {}
        for p in principals:
            value = getattr(p, attr)
            if value in seen:
                check.add(
                    ["principals", p.key], f"{attr} {value!r} is already used by {seen[value]!r}"
                )
            seen[value] = p.key
