"""Load principals.yaml and validate it against its JSON Schema, reporting located problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from aether_codegen.errors import Problem, SpecError


def load_spec(spec_path: Path, schema_path: Path, text: str | None = None) -> dict[str, Any]:
    """Parse and schema-check the spec. `text` overrides the file content (used by tests)."""
    source = spec_path.read_text() if text is None else text
    name = str(spec_path)
    try:
        root_node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError([Problem(name, "", f"invalid YAML: {exc}", line)]) from None
    if not isinstance(data, dict):
        raise SpecError([Problem(name, "", "expected a mapping at the top level", 1)])
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        Problem(
            name, _dotted(err.absolute_path), _explain(err), _line_of(root_node, err.absolute_path)
        )
        for err in sorted(
            validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
        )
    ]
    if problems:
        raise SpecError(problems)
    return data


def locate(text: str, path: list[str | int]) -> int | None:
    """The 1-based line of `path` inside the YAML text, for semantic errors found later."""
    return _line_of(yaml.compose(text, Loader=yaml.SafeLoader), path)


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(err: jsonschema.ValidationError) -> str:
    if err.validator == "oneOf":
        return f"expected one of the allowed shapes, got {err.instance!r}"
    if err.validator == "additionalProperties":
        return f"unknown key: {err.message.split('(')[-1].rstrip(')')}"
    if err.validator == "required":
        return f"missing required key: {err.message.split(' ')[0]}"
    if err.validator == "type":
        return f"expected {err.validator_value}, got {type(err.instance).__name__} {err.instance!r}"
    return err.message


def _line_of(node: Any, path: Any) -> int | None:
    current = node
    for part in path:
        if isinstance(current, yaml.MappingNode):
            found = None
            for key, value in current.value:
                if key.value == part:
                    found = value
                    break
            if found is None:
                break
            current = found
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                break
            current = current.value[part]
        else:
            break
    return current.start_mark.line + 1 if current is not None else None
