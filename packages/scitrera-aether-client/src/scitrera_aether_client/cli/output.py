"""How `aether` prints: lines for people, or one JSON document under --json; bytes as text when
they are UTF-8 (base64 under another key otherwise); failures as click errors (exit 1)."""

from __future__ import annotations

import base64
import json
from typing import Any, NoReturn

import click
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from scitrera_aether_client.cli.settings import settings


def _text(data: bytes) -> dict[str, str]:
    """Bytes for JSON output: as text when they are UTF-8, else base64 under another key."""
    try:
        return {"": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"_base64": base64.b64encode(data).decode("ascii")}


def bytes_field(name: str, data: bytes) -> dict[str, str]:
    """`data` as a JSON field named `name` (or `name`_base64 when it is not UTF-8)."""
    return {name + suffix: value for suffix, value in _text(data).items()}


def human_text(data: bytes) -> str:
    """`data` for a person: UTF-8 text, other bytes escaped."""
    return data.decode("utf-8", "backslashreplace")


def emit(human: str | list[str], data: object) -> None:
    """Print `data` as JSON under --json, else the human lines."""
    if settings().as_json:
        click.echo(json.dumps(data, sort_keys=True))
    else:
        for line in [human] if isinstance(human, str) else human:
            click.echo(line)


def proto_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def fail(message: str) -> NoReturn:
    raise click.ClickException(message)
