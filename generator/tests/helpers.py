"""Shared by the generator tests: build a model and render from fixture or inline inputs."""

from __future__ import annotations

from pathlib import Path

from aether_codegen.load import compile_proto, load_spec
from aether_codegen.model import Model, build_model
from aether_codegen.render import render_project, render_typescript

REPO = Path(__file__).resolve().parents[2]
SCHEMA_JSON = REPO / "schema" / "principals.schema.json"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "mini"
GOLDEN = Path(__file__).resolve().parent / "goldens" / "mini"
GOLDEN_TS = Path(__file__).resolve().parent / "goldens" / "mini_ts"


def model_from(proto_root: Path, spec_text: str, spec_name: str = "principals.yaml") -> Model:
    proto = compile_proto(proto_root / "aether" / "v1" / "aether.proto", proto_root)
    spec_path = proto_root / spec_name
    spec = load_spec(spec_path, SCHEMA_JSON, text=spec_text)
    return build_model(proto.file, spec, spec_file=str(spec_path), spec_text=spec_text)


def render_fixture(spec_text: str | None = None) -> dict[str, str]:
    """Render the mini fixture's generated package (without pb2) relative to its package dir."""
    text = spec_text if spec_text is not None else (FIXTURE / "principals.yaml").read_text()
    model = model_from(FIXTURE, text)
    proto = compile_proto(FIXTURE / "aether" / "v1" / "aether.proto", FIXTURE)
    return render_project(model, proto, out_dir="pkg", with_pb2=False)


def render_fixture_ts(spec_text: str | None = None) -> dict[str, str]:
    """Render the mini fixture's typescript target relative to its output dir."""
    text = spec_text if spec_text is not None else (FIXTURE / "principals.yaml").read_text()
    return render_typescript(model_from(FIXTURE, text), out_dir="generated")
