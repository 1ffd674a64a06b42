"""Send helpers: validate their topics and parameters, and bind them to a principal."""

from __future__ import annotations

from typing import Any

from aether_codegen.model.check import Checker
from aether_codegen.model.entities import Helper, Param, Topic, Variant

PAYLOAD_KINDS = {
    "payload": ("bytes", None),
    "metric": ("aether_pb2.Metric | bytes", None),
    "target_topic": ("str", None),
    "app_workspace": ("str", '""'),
}


def build_helpers(
    spec: dict[str, Any],
    topics: dict[str, Topic],
    prefixes: tuple[str, ...],
    message_types: tuple[tuple[str, int], ...],
    check: Checker,
) -> dict[str, Helper]:
    out = {}
    for name, raw in spec["helpers"].items():
        path: list[str | int] = ["helpers", name]
        topic = topics.get(raw.get("topic", ""))
        if "topic" in raw and topic is None:
            check.add([*path, "topic"], f"unknown topic template {raw['topic']!r}")
        if topic is not None and topic.prefix not in prefixes:
            check.add([*path, "topic"], f"topic prefix {topic.prefix!r} is not in prefixes")
        mt = raw.get("message_type", "OPAQUE")
        params = []
        for i, p in enumerate(raw["params"]):
            pname, pdefault = (p, None) if isinstance(p, str) else (p["name"], p.get("default"))
            default = None if pdefault is None and not isinstance(p, dict) else py_default(pdefault)
            if isinstance(p, dict) and "default" not in p:
                default = None
            if pname == "message_type":
                params.append(Param(pname, "int", mt, "message_type"))
            elif pname in PAYLOAD_KINDS:
                py_type, kdefault = PAYLOAD_KINDS[pname]
                params.append(Param(pname, py_type, default or kdefault, pname))
            elif topic is not None and pname in topic.placeholders:
                py_type = "str | object" if _is_wildcard_param(raw, pname) else "str"
                params.append(Param(pname, py_type, default, "topic"))
            else:
                check.add([*path, "params", i], f"parameter {pname!r} fills nothing")
        names = {p.name for p in params}
        if topic is not None:
            for ph in topic.placeholders:
                if ph not in names:
                    check.add([*path, "params"], f"topic {topic.name!r} needs parameter {ph!r}")
        elif "target_topic" not in names:
            check.add([*path], "a helper needs a topic or a target_topic parameter")
        variants = []
        for i, v in enumerate(raw.get("variants", [])):
            vt = topics.get(v["topic"])
            if vt is None:
                check.add([*path, "variants", i, "topic"], f"unknown topic template {v['topic']!r}")
                continue
            if v["param"] not in names:
                check.add([*path, "variants", i, "param"], f"no parameter {v['param']!r}")
            variants.append(Variant(v["param"], v["when"], vt))
        out[name] = Helper(name, raw["doc"], topic, tuple(params), mt, tuple(variants))
    return out


def _is_wildcard_param(raw: dict[str, Any], pname: str) -> bool:
    return any(v["param"] == pname and v["when"] == "wildcard" for v in raw.get("variants", []))


def py_default(value: Any) -> str:
    return repr(value)


def bind_helper(helper: Helper, ref: str | dict[str, Any], extra: list[str]) -> Helper:
    """Apply a principal's per-helper overrides (default message type, extra parameters)."""
    mt = (
        helper.message_type
        if isinstance(ref, str)
        else ref.get("message_type", helper.message_type)
    )
    params = tuple(
        Param(p.name, p.py_type, mt, p.kind) if p.kind == "message_type" else p
        for p in helper.params
    )
    params += tuple(Param(n, *PAYLOAD_KINDS[n], n) for n in extra)
    return Helper(helper.name, helper.doc, helper.topic, params, mt, helper.variants)
