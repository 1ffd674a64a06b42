"""Load schema/operations.yaml (validated against operations.schema.json) into the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

from aether_codegen.load.spec import load_spec
from aether_codegen.model.entities import Model
from aether_codegen.model.operations import add_operations

OPERATIONS = "schema/operations.yaml"
OPERATIONS_SCHEMA = "schema/operations.schema.json"


def read_operations(
    root: Path,
    model: Model,
    proto: descriptor_pb2.FileDescriptorProto,
    principals_spec: dict[str, Any],
    *,
    text: str | None = None,
) -> Model:
    """`model` plus the operations of `root`/schema/operations.yaml; unchanged without the file.

    `text` overrides the file's content (tests). The schema file always comes from `root`.
    """
    path = root / OPERATIONS
    if text is None and not path.is_file():
        return model
    source = path.read_text() if text is None else text
    spec = load_spec(path, root / OPERATIONS_SCHEMA, text=source)
    kv = {key: bool(raw["kv"]) for key, raw in principals_spec["principals"].items()}
    return add_operations(model, proto, spec, kv, spec_file=str(path), spec_text=source)
