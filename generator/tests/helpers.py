"""Shared by the generator tests: build a model and render from fixture or inline inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


#: Two processes with different string hashing: set and dict-of-set iteration orders differ
#: between them, so output that depends on such an order cannot match in both.
HASH_SEEDS = ("0", "12345")


def render_in_subprocess(renderer: str, prefix: str, seed: str) -> dict[str, str]:
    """`renderer()` of this module run in a fresh interpreter with PYTHONHASHSEED=`seed`:
    {path under the golden dir (`prefix` removed): text}."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"from helpers import {renderer}\n"
        f"json.dump({renderer}(), sys.stdout)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).resolve().parent)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"rendering with PYTHONHASHSEED={seed} failed:\n{proc.stderr}"
    rendered: dict[str, str] = json.loads(proc.stdout)
    return {rel.removeprefix(prefix): text for rel, text in rendered.items()}
