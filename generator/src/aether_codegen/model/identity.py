"""A principal's identity (which InitConnection arm carries which fields) and its ACL id field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen.model.check import Checker, oneof_arms
from aether_codegen.model.entities import IdentityParam
from aether_codegen.model.helpers import py_default

#: The InitConnection arm (and its message) of principal types that aether.v1 lacks: their key
#: and identity fields travel in PrincipalIdentity (an extension arm, field 1000).
EXTENSION_ARM = "principal"
EXTENSION_MESSAGE = "PrincipalIdentity"


@dataclass(frozen=True, slots=True)
class Identity:
    arm: str
    message: str
    fields: tuple[str, ...]  # in wire order
    params: tuple[IdentityParam, ...]
    extension: bool


def build_identity(
    path: list[str | int],
    ident: dict[str, Any],
    messages: dict[str, descriptor_pb2.DescriptorProto],
    check: Checker,
) -> Identity:
    arms = oneof_arms(messages["InitConnection"], "client_type")
    # Naming the extension arm by hand is refused, then treated as the extension it means.
    named = ident.get("arm") == EXTENSION_ARM
    extension = "arm" not in ident or named
    arm, message = (
        (EXTENSION_ARM, EXTENSION_MESSAGE) if extension else (ident["arm"], ident["message"])
    )
    if named:
        check.add([*path, "identity", "arm"], f"omit arm and message to use the {arm!r} arm")
    elif extension:
        if arms.get(arm) != message:
            check.add([*path, "identity"], f"InitConnection has no extension arm {arm!r}")
    elif arm not in arms:
        check.add([*path, "identity", "arm"], f"InitConnection has no identity arm {arm!r}")
    elif arms[arm] != message:
        check.add([*path, "identity", "message"], f"arm {arm!r} carries {arms[arm]}, not {message}")
    id_fields = {f.name for f in messages[message].field} if message in messages else set()
    params = []
    for i, raw_param in enumerate(ident["params"]):
        p = {"name": raw_param} if isinstance(raw_param, str) else raw_param
        field = p.get("field", p["name"])
        py_type = p.get("type", "str")
        where = [*path, "identity", "params", i]
        if extension and (py_type not in ("str", "str | None") or p.get("invert")):
            check.add(where, "an extension identity (no arm) carries strings only")
        elif not extension and id_fields and field not in id_fields:
            check.add(where, f"{message} has no field {field!r}")
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
    if extension:
        fields = tuple(p.field for p in params)
    else:
        fields = tuple(f.name for f in messages[message].field) if message in messages else ()
    return Identity(arm, message, fields, tuple(params), extension)


def check_acl_id(
    path: list[str | int], raw: dict[str, Any], identity: Identity, check: Checker
) -> str:
    """The identity field ACL rules name this principal by ("" = its identity string)."""
    return check_field_ref("acl_id", path, raw, identity, check)


def check_field_ref(
    key: str, path: list[str | int], raw: dict[str, Any], identity: Identity, check: Checker
) -> str:
    """`raw[key]`, which must name one of the principal's identity fields ("" if absent)."""
    name = str(raw.get(key, ""))
    if name and name not in identity.fields:
        check.add([*path, key], f"{key} {name!r} is not one of its identity fields")
    return name
