"""Principals: identity, topics, permissions and helpers of each principal type, cross-checked."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen.model.check import Checker
from aether_codegen.model.entities import Callback, Helper, Principal, Topic
from aether_codegen.model.helpers import bind_helper
from aether_codegen.model.identity import build_identity, check_acl_id, check_field_ref


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

    identity = build_identity(path, raw["identity"], messages, check)
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
    enum = raw.get("enum", "")
    if enum and enum not in enum_values:
        check.add([*path, "enum"], f"PrincipalType has no value {enum!r}")
    elif not enum and not identity.extension:
        check.add([*path, "enum"], "a principal on an aether.v1 arm needs its PrincipalType value")
    return Principal(
        key=key,
        class_name=raw["class"],
        type_name=raw["type_name"],
        enum=enum,
        enum_value=enum_values.get(enum, 0),
        acl_type=raw["acl_type"],
        identity_arm=identity.arm,
        identity_message=identity.message,
        identity_fields=identity.fields,
        identity_params=identity.params,
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
        extension_identity=identity.extension,
        gateway_roles=tuple(raw.get("gateway_roles", [])),
        acl_id=check_acl_id(path, raw, identity, check),
        key_owner=check_field_ref("key_owner", path, raw, identity, check),
    )


def check_unique(principals: tuple[Principal, ...], check: Checker) -> None:
    for attr in ("class_name", "identity_arm", "enum", "type_name"):
        seen: dict[str, str] = {}
        for p in principals:
            value = getattr(p, attr)
            if p.extension_identity and attr in ("identity_arm", "enum"):
                continue  # the extension arm is shared; the key tells these principals apart
            if value in seen:
                check.add(
                    ["principals", p.key], f"{attr} {value!r} is already used by {seen[value]!r}"
                )
            seen[value] = p.key
