"""The typescript target: the same Model, spelled for TypeScript (templates/typescript/).

The model decides everything (names, routes, permissions); this module only maps its Python
spellings to TypeScript ones (snake_case -> camelCase, `str` -> `string`, `aether_pb2.X` -> `X`)
so the templates stay free of logic. Messages come from protoc-gen-es (protobuf-es v2), which
names oneof cases and fields in lowerCamelCase and strips an enum's shared prefix; the helpers
below follow the same rules so the generated code refers to what protoc-gen-es emits.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from importlib import resources

from aether_codegen.errors import Problem, SpecError
from aether_codegen.model.entities import (
    Callback,
    Helper,
    IdentityParam,
    Model,
    Param,
    Principal,
    Route,
    Topic,
)
from aether_codegen.render.env import make_environment

TS_PACKAGE_DIR = "packages/aether-client-ts/src/generated"
TEMPLATE_ROOT = "typescript"
# Where the generated files import the hand-written runtime and protoc-gen-es's messages from.
RUNTIME_IMPORT = "../runtime"
PROTO_IMPORT = "../proto/aether/v1/aether_pb.js"

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_IDENTITY_TYPES = {
    "str": ("string", False),
    "str | None": ("string", True),  # optional: undefined stands for Python's None
    "list[str]": ("readonly string[]", False),
    "bool": ("boolean", False),
    "int": ("number", False),
}
_ARG_TYPES = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}


def camel(snake: str) -> str:
    """lowerCamelCase as protoc-gen-es spells field and oneof names: `kv_op` -> `kvOp`."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def ts_string(value: str) -> str:
    return json.dumps(value)


def enum_member(enum: str, value: str, all_values: tuple[str, ...]) -> str:
    """`Enum.MEMBER` as protoc-gen-es names it: the shared `ENUM_NAME_` prefix is dropped when
    every value carries it."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum).upper() + "_"
    if all(v.startswith(prefix) for v in all_values):
        value = value.removeprefix(prefix)
    return f"{enum}.{value}"


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


class _Problems:
    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.found.append(Problem("schema/principals.yaml", path, message))


def _topic(t: Topic) -> TsTopic:
    params = tuple(camel(p) for p in t.placeholders)
    if t.placeholders:
        expr = "`" + _PLACEHOLDER.sub(lambda m: "${" + camel(m[1]) + "}", t.template) + "`"
    else:
        expr = ts_string(t.template)
    checks = tuple(zip(t.placeholders, params, strict=True))
    return TsTopic(t.name, t.template, f"createTopic{pascal(t.name)}", params, checks, expr)


def _callback(c: Callback, message_by_arm: dict[str, str], problems: _Problems) -> TsCallback:
    if c.arm:  # the handler receives the arm's message, whatever Python type `args` names
        name = c.args.partition(":")[0].strip() or "frame"
        params = f"{camel(name)}: {message_by_arm.get(c.arm, 'unknown')}"
    elif c.args:
        name, _, py_type = (part.strip() for part in c.args.partition(":"))
        if py_type not in _ARG_TYPES:
            problems.add(f"callbacks.{c.name}.args", f"no TypeScript type for {py_type!r}")
        params = f"{camel(name)}: {_ARG_TYPES.get(py_type, 'unknown')}"
    else:
        params = ""
    return TsCallback(camel(c.name), c.name, params, c.doc)


def _literal(py_source: str) -> str:
    """A default as Python source (repr) -> TypeScript source."""
    value = ast.literal_eval(py_source)
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _identity(p: Principal, problems: _Problems) -> tuple[TsIdentityParam, ...]:
    out = []
    for ip in p.identity_params:
        mapped = _IDENTITY_TYPES.get(ip.py_type)
        if mapped is None:
            problems.add(
                f"principals.{p.key}.identity.params", f"no TypeScript type for {ip.py_type!r}"
            )
            mapped = ("unknown", False)
        ts_type, nullable = mapped
        out.append(_identity_param(ip, ts_type, nullable))
    return tuple(out)


def _identity_param(ip: IdentityParam, ts_type: str, nullable: bool) -> TsIdentityParam:
    default = None if ip.default is None else _literal(ip.default)
    check = "list" if ip.py_type == "list[str]" else "identity" if ip.validated else ""
    return TsIdentityParam(
        name=camel(ip.name),
        snake=ip.name,
        ts_type=ts_type,
        optional=nullable or default is not None,
        default=None if default == "undefined" else default,
        field=camel(ip.field),
        invert=ip.invert,
        check=check,
        required=ip.default is None or ip.generate != "",
        generate=ip.generate,
    )


def _helper(h: Helper, topics: dict[str, TsTopic], message_types: tuple[str, ...]) -> TsHelper:
    params = tuple(_helper_param(hp, message_types) for hp in h.params)
    kinds = {hp.kind: camel(hp.name) for hp in h.params}
    target: list[tuple[str, str]] = []
    if h.topic is None:
        target.append(("", kinds["target_topic"]))
    else:
        for v in h.variants:
            arg = camel(v.param)
            cond = f"{arg} === SERVICE_WILDCARD" if v.when == "wildcard" else f'{arg} === ""'
            target.append((cond, topics[v.topic.name].call()))
        target.append(("", topics[h.topic.name].call()))
    payload = "encodeMetric(metric)" if "metric" in kinds else kinds.get("payload", "payload")
    mt = kinds.get("message_type") or enum_member("MessageType", h.message_type, message_types)
    return TsHelper(
        camel(h.name), h.doc, params, tuple(target), payload, mt, kinds.get("app_workspace", "")
    )


def _helper_param(hp: Param, message_types: tuple[str, ...]) -> TsParam:
    name = camel(hp.name)
    if hp.kind == "message_type":
        default = enum_member("MessageType", hp.default or "OPAQUE", message_types)
        return TsParam(name, f"{name}: MessageType = {default}")
    if hp.kind == "metric":
        return TsParam(name, f"{name}: Metric | Uint8Array")
    if hp.kind == "payload":
        return TsParam(name, f"{name}: Uint8Array")
    ts_type = "string | Wildcard" if hp.py_type == "str | object" else "string"
    if hp.default is None:
        return TsParam(name, f"{name}: {ts_type}")
    if ts_type == "string":  # the type is inferred from the literal (ESLint no-inferrable-types)
        return TsParam(name, f"{name} = {_literal(hp.default)}")
    return TsParam(name, f"{name}: {ts_type} = {_literal(hp.default)}")


def _principal(
    p: Principal,
    topics: dict[str, TsTopic],
    message_by_arm: dict[str, str],
    message_types: tuple[str, ...],
    problems: _Problems,
) -> TsPrincipal:
    return TsPrincipal(
        key=p.key,
        class_name=p.class_name,
        type_name=p.type_name,
        enum_value=p.enum_value,
        acl_type=p.acl_type,
        identity_arm=camel(p.identity_arm),
        identity_message=p.identity_message,
        identity_fields=p.identity_fields,
        identity=_identity(p, problems),
        topic=p.topic.template if p.topic else "",
        lock_key=p.lock_key.template,
        pooled_topic=p.pooled_topic.template if p.pooled_topic else "",
        subscriptions=tuple(t.template for t in p.subscriptions),
        pooled_subscriptions=tuple(t.template for t in p.pooled_subscriptions),
        workspace_subscriptions=tuple(t.template for t in p.workspace_subscriptions),
        may_send_to=p.may_send_to,
        kv=p.kv,
        needs_credentials=p.needs_credentials,
        pool_worker=p.pool_worker,
        callbacks=tuple(_callback(c, message_by_arm, problems) for c in p.callbacks),
        helpers=tuple(_helper(h, topics, message_types) for h in p.helpers),
    )


def build_view(model: Model, runtime: str = RUNTIME_IMPORT, proto: str = PROTO_IMPORT) -> TsView:
    problems = _Problems()
    topics = {t.name: _topic(t) for t in model.topics}
    message_by_arm = {r.arm: r.message for r in model.routes}
    message_types = tuple(n for n, _ in model.message_types)
    callbacks = tuple(_callback(c, message_by_arm, problems) for c in model.callbacks)
    by_name = {c.snake: c for c in callbacks}
    principals = tuple(
        _principal(p, topics, message_by_arm, message_types, problems) for p in model.principals
    )
    if problems.found:
        raise SpecError(problems.found)
    typed = []
    for c in model.typed_message_callbacks:
        for name, number in model.message_types:
            if name == c.message_type:
                member = enum_member("MessageType", name, message_types)
                typed.append((member, number, camel(c.name)))
    routes = tuple(_route(r) for r in model.routes)
    imports = _client_imports(principals)
    return TsView(
        model=model,
        runtime=runtime,
        proto=proto,
        topics=tuple(topics.values()),
        callbacks=callbacks,
        common_callbacks=tuple(by_name[c.name] for c in model.common_callbacks),
        routes=routes,
        message_type_callbacks=tuple(typed),
        principals=principals,
        callback_types=tuple(sorted(set().union(*(_types_in(c.params) for c in callbacks)))),
        imports=imports,
    )


def _client_imports(principals: tuple[TsPrincipal, ...]) -> ClientImports:
    proto_values = {"InitConnectionSchema", "MessageType"}
    proto_types: set[str] = set()
    validation: set[str] = set()
    topic_values: set[str] = set()
    topic_types: set[str] = set()
    for p in principals:
        proto_values.add(f"{p.identity_message}Schema")
        for ip in p.identity:
            if ip.check == "list":
                validation.add("checkIdentityList")
            elif ip.check == "identity":
                validation.add("checkIdentityField")
            if ip.generate == "short_uuid":
                validation.add("shortUuid")
        for h in p.helpers:
            for cond, call in h.target:
                if "(" in call:
                    topic_values.add(call.split("(")[0])
                if cond.endswith("SERVICE_WILDCARD"):
                    topic_values.add("SERVICE_WILDCARD")
            if any("Wildcard" in prm.decl for prm in h.params):
                topic_types.add("Wildcard")
            if h.payload.startswith("encodeMetric"):
                validation.add("encodeMetric")
                proto_types.add("Metric")
        for c in p.callbacks:
            proto_types.update(_types_in(c.params))
    return ClientImports(
        tuple(sorted(proto_values)),
        tuple(sorted(proto_types)),
        tuple(sorted(validation)),
        tuple(sorted(topic_values)),
        tuple(sorted(topic_types)),
    )


def _types_in(params: str) -> set[str]:
    """Message types named by a handler signature (not the TS builtins)."""
    if not params:
        return set()
    ts_type = params.split(": ", 1)[1]
    return set() if ts_type in _ARG_TYPES.values() else {ts_type}


def _route(r: Route) -> TsRoute:
    callbacks = tuple(camel(c) for c in r.callbacks)
    return TsRoute(camel(r.arm), r.message, r.correlated, callbacks, r.kind)


def _template_names() -> list[str]:
    root = resources.files("aether_codegen").joinpath("templates", TEMPLATE_ROOT)
    return sorted(
        child.name
        for child in root.iterdir()
        if child.name.endswith(".j2") and not child.name.startswith("_")
    )


def header(model: Model) -> str:
    sources = ", ".join(model.inputs)
    return (
        f"// DO NOT EDIT: generated by aether-codegen {model.generator_version}.\n"
        f"// Inputs: {sources}.\n"
        "// Change the inputs or the templates, then run `aether-codegen generate`.\n"
    )


def render_typescript(
    model: Model,
    out_dir: str = TS_PACKAGE_DIR,
    *,
    runtime: str = RUNTIME_IMPORT,
    proto: str = PROTO_IMPORT,
) -> dict[str, str]:
    """Render the typescript target into {path: text}; `runtime` and `proto` are import paths
    relative to `out_dir` (tests render elsewhere and point them back at the package)."""
    env = make_environment()
    env.filters["js"] = ts_string
    view = build_view(model, runtime, proto)
    files: dict[str, str] = {}
    for name in _template_names():
        text = env.get_template(f"{TEMPLATE_ROOT}/{name}").render(
            ts=view, header=header(model), model=model
        )
        files[f"{out_dir}/{name.removesuffix('.j2')}"] = text
    return files
