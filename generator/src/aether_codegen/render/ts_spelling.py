"""How the typescript target spells the model's Python names, the way protoc-gen-es (protobuf-es
v2) does: snake_case fields and oneof cases in lowerCamelCase, an enum's shared prefix dropped
from its members, Python literals as TypeScript source."""

from __future__ import annotations

import ast
import json
import re


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


def ts_literal(py_source: str) -> str:
    """A default as Python source (repr) -> TypeScript source."""
    value = ast.literal_eval(py_source)
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
