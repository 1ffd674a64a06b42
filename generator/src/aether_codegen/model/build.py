"""Build the frozen Model from the compiled proto and the validated spec; check cross-references."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen import __version__
from aether_codegen.errors import Problem, SpecError
from aether_codegen.model.check import Checker, oneof_arms
from aether_codegen.model.entities import Callback, Model, Route, Topic
from aether_codegen.model.helpers import build_helpers
from aether_codegen.model.messages import build_message
from aether_codegen.model.principals import build_principal, check_unique

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def build_model(
    proto: descriptor_pb2.FileDescriptorProto,
    spec: dict[str, Any],
    *,
    spec_file: str = "principals.yaml",
    spec_text: str | None = None,
    inputs: tuple[str, ...] = ("schema/aether/v1/aether.proto", "schema/principals.yaml"),
) -> Model:
    check = Checker(spec_file, spec_text)
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
    helpers = build_helpers(spec, topics, prefixes, message_types, check)
    principals = tuple(
        build_principal(key, raw, topics, prefixes, callbacks, helpers, messages, enums, check)
        for key, raw in spec["principals"].items()
    )
    check_unique(principals, check)
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
        messages=tuple(build_message(messages[n], set(dataclass_names)) for n in dataclass_names),
        service_name=service.name,
        service_methods=tuple(
            (m.name, m.input_type.rsplit(".", 1)[-1], m.output_type.rsplit(".", 1)[-1])
            for m in service.method
        ),
    )


def _message_types(
    enums: dict[str, descriptor_pb2.EnumDescriptorProto], check: Checker
) -> tuple[tuple[str, int], ...]:
    if "MessageType" not in enums:
        check.problems.append(Problem("aether.proto", "MessageType", "enum MessageType is missing"))
        return ()
    return tuple((v.name, v.number) for v in enums["MessageType"].value)


def _callbacks(
    spec: dict[str, Any],
    messages: dict[str, descriptor_pb2.DescriptorProto],
    message_types: tuple[tuple[str, int], ...],
    check: Checker,
) -> dict[str, Callback]:
    arms = oneof_arms(messages["DownstreamMessage"], "payload")
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
    check: Checker,
) -> tuple[Route, ...]:
    arms = oneof_arms(messages["DownstreamMessage"], "payload")
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
