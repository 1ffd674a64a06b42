"""Building the typescript target's view (ts_view.TsView) from the Model: the model decides
everything (names, routes, permissions); this only maps its Python spellings and types to
TypeScript ones, and reports a spec type it has no TypeScript type for as a located problem."""

from __future__ import annotations

import re

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
from aether_codegen.render.ts_spelling import camel, enum_member, pascal, ts_literal, ts_string
from aether_codegen.render.ts_view import (
    PROTO_IMPORT,
    RUNTIME_IMPORT,
    ClientImports,
    TsCallback,
    TsHelper,
    TsIdentityParam,
    TsOperation,
    TsParam,
    TsPrincipal,
    TsRoute,
    TsTopic,
    TsView,
)

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_IDENTITY_TYPES = {
    "str": ("string", False),
    "str | None": ("string", True),  # optional: undefined stands for Python's None
    "list[str]": ("readonly string[]", False),
    "bool": ("boolean", False),
    "int": ("number", False),
}
_ARG_TYPES = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}


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
    default = None if ip.default is None else ts_literal(ip.default)
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
        return TsParam(name, f"{name} = {ts_literal(hp.default)}")
    return TsParam(name, f"{name}: {ts_type} = {ts_literal(hp.default)}")


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
        extension_identity=p.extension_identity,
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
        operations=tuple(
            TsOperation(camel(a.arm), o.number, o.name, o.kind, o.idempotent, o.served)
            for a in model.operation_arms
            for o in a.operations
        ),
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
