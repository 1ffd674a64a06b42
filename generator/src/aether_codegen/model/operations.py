"""Add schema/operations.yaml to the model: the request operations, checked against the proto
and the principals, so templates and the gateway read one table."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen.errors import SpecError
from aether_codegen.model.check import Checker, oneof_arms
from aether_codegen.model.entities import Model, Operation, OperationArm, OpParam

#: Python spelling of each parameter type the spec allows.
_TYPES = {"str": "str", "bytes": "bytes", "int": "int"}
#: Suffixes of the generated method forms; a method name may not collide with another's form.
_FORMS = ("", "_sync", "_nowait")
#: Seconds a waiting method waits when the arm does not say (the reference's KV/checkpoint value).
DEFAULT_TIMEOUT = 5.0


def add_operations(
    model: Model,
    proto: descriptor_pb2.FileDescriptorProto,
    spec: dict[str, Any],
    principals_kv: dict[str, bool],
    *,
    spec_file: str = "operations.yaml",
    spec_text: str | None = None,
) -> Model:
    """`model` with its operation arms; `principals_kv` is each principal key's `kv` flag."""
    check = Checker(spec_file, spec_text)
    messages = {m.name: m for m in proto.message_type}
    up = oneof_arms(messages["UpstreamMessage"], "payload")
    down = oneof_arms(messages["DownstreamMessage"], "payload")
    callbacks = {c.arm: c.name for c in model.callbacks if c.arm and not c.message_type}
    arms = []
    for arm, raw in spec["arms"].items():
        path: list[str | int] = ["arms", arm]
        if arm not in up:
            check.add(path, f"UpstreamMessage has no arm {arm!r}")
            continue
        if up[arm] != raw["message"]:
            check.add([*path, "message"], f"arm {arm!r} carries {up[arm]}, not {raw['message']}")
            continue
        op_enum = _op_enum(messages[raw["message"]])
        if op_enum is None:
            check.add([*path, "message"], f"{raw['message']} has no nested enum OpType")
            continue
        if raw["response"] not in down:
            check.add([*path, "response"], f"DownstreamMessage has no arm {raw['response']!r}")
            continue
        callers = _callers(raw["callers"], principals_kv, [*path, "callers"], check)
        params = _params(raw.get("params", {}))
        raw_ops = spec["operations"].get(arm)
        if raw_ops is None:
            check.add(path, f"arm {arm!r} declares no operations (add operations.{arm})")
            continue
        values = {v.name: v.number for v in op_enum.value}
        for name in values:
            if name not in raw_ops:
                check.add(["operations", arm], f"{raw['message']}.OpType.{name} is not declared")
        ops = []
        for name, op in raw_ops.items():
            if name not in values:
                check.add(["operations", arm, name], f"{raw['message']}.OpType has no {name!r}")
                continue
            ops.append(_operation(arm, name, op, values, params, check, raw.get("admin")))
        response_message = messages[down[raw["response"]]]
        if any(op.result == "counter_applied" for op in ops):
            fields = {f.name for f in response_message.field}
            if not {"counter_value", "applied"} <= fields:
                check.add(
                    ["operations", arm],
                    f"result counter_applied needs counter_value and applied in "
                    f"{response_message.name}",
                )
        if any(op.method for op in ops) and "builder" not in raw:
            check.add(path, "an arm with SDK methods needs a frame `builder`")
        if any(op.store for op in ops):
            for op in ops:
                if op.served and not op.store:
                    check.add(["operations", arm, op.name], "a served op of this arm needs `store`")
        arms.append(
            OperationArm(
                arm=arm,
                message=raw["message"],
                response=raw["response"],
                response_message=response_message.name,
                callback=callbacks.get(raw["response"], ""),
                callers=callers,
                builder=raw.get("builder", ""),
                authorization=bool(raw.get("authorization", False)),
                timeout=float(raw.get("timeout", DEFAULT_TIMEOUT)),
                operations=tuple(ops),
                admin_area=raw["admin"]["area"] if "admin" in raw else "",
            )
        )
    for arm in spec["operations"]:
        if arm not in spec["arms"]:
            check.add(["operations", arm], f"operations of an undeclared arm {arm!r}")
    _check_method_names(arms, check)
    if check.problems:
        raise SpecError(check.problems)
    return dataclasses.replace(model, operation_arms=tuple(arms))


def _op_enum(msg: descriptor_pb2.DescriptorProto) -> descriptor_pb2.EnumDescriptorProto | None:
    return next((e for e in msg.enum_type if e.name == "OpType"), None)


def _callers(
    raw: str | list[str], principals_kv: dict[str, bool], path: list[str | int], check: Checker
) -> tuple[str, ...]:
    if raw == "all":
        return tuple(principals_kv)
    if raw == "kv":  # the KV right is a principal fact, declared once in principals.yaml
        return tuple(key for key, kv in principals_kv.items() if kv)
    for i, key in enumerate(raw):
        if key not in principals_kv:
            check.add([*path, i], f"unknown principal {key!r}")
    return tuple(key for key in raw if key in principals_kv)


def _params(raw: dict[str, Any]) -> dict[str, OpParam]:
    return {
        name: OpParam(
            name=name,
            py_type=_TYPES[p["type"]],
            default=repr(p["default"]) if "default" in p else None,
            field=p["field"],
        )
        for name, p in raw.items()
    }


def _operation(
    arm: str,
    name: str,
    raw: dict[str, Any],
    values: dict[str, int],
    params: dict[str, OpParam],
    check: Checker,
    admin: dict[str, str] | None = None,
) -> Operation:
    path: list[str | int] = ["operations", arm, name]
    served = bool(raw.get("served", True))
    method = raw.get("method", "")
    if not served:
        for key in ("method", "store"):
            if key in raw:
                check.add([*path, key], f"an op that is not served has no {key}")
    if method:
        for key in ("doc", "params"):
            if key not in raw:
                check.add(path, f"an op with a method needs `{key}`")
    else:
        for key in ("params", "added", "nowait", "result", "doc"):
            if key in raw:
                check.add([*path, key], f"`{key}` describes a method: give the op a `method`")
    chosen: list[OpParam] = []
    for key in ("params", "added"):
        for i, pname in enumerate(raw.get(key, [])):
            if pname not in params:
                check.add([*path, key, i], f"no parameter {pname!r} under arms.{arm}.params")
            elif pname in {p.name for p in chosen}:
                check.add([*path, key, i], f"parameter {pname!r} is listed twice")
            else:
                chosen.append(params[pname])
    ref = tuple(params[p] for p in raw.get("params", []) if p in params)
    added = tuple(params[p] for p in raw.get("added", []) if p in params)
    for i, (before, after) in enumerate(itertools.pairwise(ref)):
        if before.default is not None and after.default is None:
            check.add([*path, "params", i + 1], f"{after.name!r} needs a default: it follows one")
    for i, p in enumerate(added):
        if p.default is None:
            check.add([*path, "added", i], f"added parameter {p.name!r} needs a default")
    return Operation(
        arm=arm,
        name=name,
        number=values[name],
        kind=raw["kind"],
        idempotent=bool(raw.get("idempotent", False)),
        served=served,
        store=raw.get("store", ""),
        method=method,
        doc=raw.get("doc", ""),
        params=ref,
        added=added,
        nowait=bool(raw.get("nowait", False)),
        result=raw.get("result", "response"),
        admin_level=_admin_level(raw["kind"], admin),
    )


def _admin_level(kind: str, admin: dict[str, str] | None) -> str:
    """The level the admin gate asks on admin/<area>: reads the arm's `reads`, the rest admin."""
    if admin is None:
        return ""
    return admin["reads"] if kind == "read" else "admin"


def _check_method_names(arms: list[OperationArm], check: Checker) -> None:
    seen: dict[str, str] = {}
    for arm in arms:
        for op in arm.methods:
            for form in _FORMS:
                name = op.method + form
                if name in seen:
                    check.add(
                        ["operations", arm.arm, op.name, "method"],
                        f"method {name!r} is already generated for {seen[name]}",
                    )
                seen[name] = f"{arm.arm}.{op.name}"
