"""The view the typescript templates read (templates/typescript/): the Model's topics, callbacks,
routes and principals with every name already spelled for TypeScript, and exactly what clients.ts
imports. ts_build makes one from a Model."""

from __future__ import annotations

from dataclasses import dataclass

from aether_codegen.model.entities import Model

# Where the generated files import the hand-written runtime and protoc-gen-es's messages from.
RUNTIME_IMPORT = "../runtime"
PROTO_IMPORT = "../proto/aether/v1/aether_pb.js"


@dataclass(frozen=True, slots=True)
class TsTopic:
    name: str
    template: str
    fn: str
    params: tuple[str, ...]  # camelCase argument names, in placeholder order
    checks: tuple[tuple[str, str], ...]  # (placeholder as the user knows it, argument)
    expr: str  # a TS template literal (or a plain string when nothing is filled in)

    def call(self, args: dict[str, str] | None = None) -> str:
        names = [(args or {}).get(p, p) for p in self.params]
        return f"{self.fn}({', '.join(names)})"


@dataclass(frozen=True, slots=True)
class TsCallback:
    name: str  # camelCase handler name, e.g. onChatMessage
    snake: str
    params: str  # "msg: IncomingMessage", "reason: string" or ""
    doc: str


@dataclass(frozen=True, slots=True)
class TsRoute:
    arm: str  # camelCase oneof case of DownstreamMessage
    message: str
    correlated: bool
    callbacks: tuple[str, ...]
    kind: str


@dataclass(frozen=True, slots=True)
class TsParam:
    name: str
    decl: str  # "workspace: string", "messageType: MessageType = MessageType.CHAT"


@dataclass(frozen=True, slots=True)
class TsHelper:
    name: str
    doc: str
    params: tuple[TsParam, ...]
    target: tuple[tuple[str, str], ...]  # (condition or "", topic call): if / else-if / else
    payload: str
    message_type: str
    app_workspace: str  # the argument carrying app_workspace, or ""


@dataclass(frozen=True, slots=True)
class TsIdentityParam:
    name: str  # camelCase property of the identity object
    snake: str
    ts_type: str
    optional: bool
    default: str | None  # TS source of the default, None when required
    field: str  # camelCase field of the identity message
    invert: bool
    check: str  # "identity" | "list" | ""
    required: bool  # for identity checks: empty strings refused
    generate: str


@dataclass(frozen=True, slots=True)
class TsPrincipal:
    key: str
    class_name: str
    type_name: str
    enum_value: int
    acl_type: str
    identity_arm: str  # camelCase InitConnection case
    identity_message: str
    extension_identity: bool  # no aether.v1 arm: the identity travels in PrincipalIdentity
    identity_fields: tuple[str, ...]
    identity: tuple[TsIdentityParam, ...]
    topic: str
    lock_key: str
    pooled_topic: str
    subscriptions: tuple[str, ...]
    pooled_subscriptions: tuple[str, ...]
    workspace_subscriptions: tuple[str, ...]
    may_send_to: tuple[str, ...]
    kv: bool
    needs_credentials: bool
    pool_worker: bool
    callbacks: tuple[TsCallback, ...]
    helpers: tuple[TsHelper, ...]


@dataclass(frozen=True, slots=True)
class TsOperation:
    """A row of the operation table (schema/operations.yaml)."""

    arm: str  # camelCase UpstreamMessage case carrying it
    op: int  # its OpType value
    name: str
    kind: str  # read | write | value_write | counter
    idempotent: bool
    served: bool


@dataclass(frozen=True, slots=True)
class TsView:
    """Everything the typescript templates read."""

    model: Model
    runtime: str
    proto: str
    topics: tuple[TsTopic, ...]
    callbacks: tuple[TsCallback, ...]
    common_callbacks: tuple[TsCallback, ...]
    routes: tuple[TsRoute, ...]
    message_type_callbacks: tuple[tuple[str, int, str], ...]  # (enum member, number, handler)
    principals: tuple[TsPrincipal, ...]
    operations: tuple[TsOperation, ...]
    callback_types: tuple[str, ...]  # message types the handler signatures name
    imports: ClientImports


@dataclass(frozen=True, slots=True)
class ClientImports:
    """Exactly what clients.ts imports (ESLint refuses unused imports)."""

    proto_values: tuple[str, ...]  # schemas and enums
    proto_types: tuple[str, ...]  # message types named in signatures only
    validation: tuple[str, ...]  # runtime checks the constructors and helpers call
    topic_values: tuple[str, ...]  # topic builders and SERVICE_WILDCARD
    topic_types: tuple[str, ...]  # Wildcard
