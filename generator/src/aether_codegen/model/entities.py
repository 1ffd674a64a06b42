"""Frozen entities of the model. Templates only read these; they never decide anything."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    """A named topic template such as ``ag::{workspace}::{implementation}::{specifier}``."""

    name: str
    template: str
    placeholders: tuple[str, ...]

    @property
    def prefix(self) -> str:
        return self.template.split("::", 1)[0]

    @property
    def fstring(self) -> str:
        """The template as the body of a Python f-string."""
        return self.template


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a proto message, as a dataclass field."""

    name: str
    number: int
    py_type: str
    default: str
    kind: str  # scalar | enum | message | dataclass | map | map_dataclass
    repeated: bool
    ref: str = ""  # dataclass or pb2 message name for message-valued fields


@dataclass(frozen=True, slots=True)
class Message:
    name: str
    fields: tuple[Field, ...]
    doc: str


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of a generated helper method."""

    name: str
    py_type: str
    default: str | None  # Python source of the default, None when required
    kind: str  # topic | payload | message_type | metric | target_topic | app_workspace


@dataclass(frozen=True, slots=True)
class Variant:
    param: str
    when: str  # empty | wildcard
    topic: Topic


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    doc: str
    topic: Topic | None
    params: tuple[Param, ...]
    message_type: str
    variants: tuple[Variant, ...]

    @property
    def topic_args(self) -> tuple[str, ...]:
        return self.topic.placeholders if self.topic else ()


@dataclass(frozen=True, slots=True)
class IdentityParam:
    """A constructor parameter that fills a field of the principal's identity message."""

    name: str
    py_type: str
    default: str | None
    field: str
    invert: bool
    trailing: bool
    validated: bool  # a plain identity string checked by the identity rules
    generate: str = ""  # how to fill a None value: "short_uuid" or nothing


@dataclass(frozen=True, slots=True)
class Callback:
    name: str
    arm: str
    message_type: str
    args: str
    doc: str


@dataclass(frozen=True, slots=True)
class Route:
    """How the client handles one DownstreamMessage arm."""

    arm: str
    message: str
    correlated: bool
    callbacks: tuple[str, ...]
    kind: str  # callback | response | runtime


@dataclass(frozen=True, slots=True)
class Principal:
    key: str
    class_name: str
    type_name: str
    enum: str
    enum_value: int
    acl_type: str
    identity_arm: str
    identity_fields: tuple[str, ...]
    identity_message: str
    identity_params: tuple[IdentityParam, ...]
    topic: Topic | None
    lock_key: Topic
    pooled_topic: Topic | None
    pooled_subscriptions: tuple[Topic, ...]
    subscriptions: tuple[Topic, ...]
    workspace_subscriptions: tuple[Topic, ...]
    may_send_to: tuple[str, ...]
    kv: bool
    needs_credentials: bool
    pool_worker: bool
    callbacks: tuple[Callback, ...]
    helpers: tuple[Helper, ...]
    extension_identity: bool = False  # no aether.v1 arm: identity travels in PrincipalIdentity
    gateway_roles: tuple[str, ...] = ()  # what the gateway does for it (principals.schema.json)
    acl_id: str = ""  # identity field ACL rules name it by ("" = its identity string)
    key_owner: str = ""  # identity field its API keys are bound to by created_by ("" = none)

    def has_role(self, role: str) -> bool:
        return role in self.gateway_roles

    @property
    def leading_params(self) -> tuple[IdentityParam, ...]:
        return tuple(p for p in self.identity_params if not p.trailing)

    @property
    def trailing_params(self) -> tuple[IdentityParam, ...]:
        return tuple(p for p in self.identity_params if p.trailing)


@dataclass(frozen=True, slots=True)
class Model:
    generator_version: str
    inputs: tuple[str, ...]
    package: str
    prefixes: tuple[str, ...]
    topics: tuple[Topic, ...]
    message_types: tuple[tuple[str, int], ...]
    callbacks: tuple[Callback, ...]
    common_callbacks: tuple[Callback, ...]
    routes: tuple[Route, ...]
    principals: tuple[Principal, ...]
    messages: tuple[Message, ...]
    service_name: str
    service_methods: tuple[tuple[str, str, str], ...]  # (name, request type, response type)
    # From schema/operations.yaml (model/operations.py); empty when a tree has no such file.
    operation_arms: tuple[OperationArm, ...] = ()

    @property
    def typed_message_callbacks(self) -> tuple[Callback, ...]:
        return tuple(c for c in self.callbacks if c.arm == "msg" and c.message_type)


@dataclass(frozen=True, slots=True)
class OpParam:
    """A parameter of a generated operation method and the frame-builder argument it fills."""

    name: str
    py_type: str
    default: str | None  # Python source of the default, None when required
    field: str


@dataclass(frozen=True, slots=True)
class Operation:
    """One request operation of schema/operations.yaml: an (UpstreamMessage arm, OpType) pair."""

    arm: str
    name: str  # OpType value name, e.g. "SET_NX"
    number: int
    kind: str  # read | write | value_write | counter
    idempotent: bool
    served: bool
    store: str  # gateway store function ("" if none)
    method: str  # SDK method ("" if none)
    doc: str
    params: tuple[OpParam, ...]  # the reference's parameters, in its order
    added: tuple[OpParam, ...]  # ours, after timeout (and authorization)
    nowait: bool
    result: str  # response | counter_applied
    admin_level: str = ""  # admin arms: the ACL level on admin/<area> it needs (read | admin)


@dataclass(frozen=True, slots=True)
class OperationArm:
    """An UpstreamMessage arm that carries operations, and the facts all its operations share."""

    arm: str
    message: str  # the arm's proto message, whose nested OpType numbers the operations
    response: str  # the DownstreamMessage arm answering them
    response_message: str
    callback: str  # the callback uncorrelated responses reach ("" if none)
    callers: tuple[str, ...]  # principal keys allowed to send it
    builder: str  # frame builder in _core/frames.py ("" when no SDK method is generated)
    authorization: bool  # async awaiting methods take `authorization`
    timeout: float  # default timeout of the methods that wait for the response
    operations: tuple[Operation, ...]
    admin_area: str = ""  # admin arms: the area of the ACL resource admin/<area> that grants it

    @property
    def methods(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.method)
