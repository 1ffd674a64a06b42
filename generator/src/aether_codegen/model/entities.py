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

    @property
    def typed_message_callbacks(self) -> tuple[Callback, ...]:
        return tuple(c for c in self.callbacks if c.arm == "msg" and c.message_type)
