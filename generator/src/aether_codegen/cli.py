"""aether-codegen command line: `generate` writes the SDKs' generated layers (Python and
TypeScript, from one model) and the sync twins of the async modules declared in render/unasync.py;
`check` verifies all of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aether_codegen.errors import SpecError
from aether_codegen.load import compile_proto, load_spec
from aether_codegen.load.operations import read_operations
from aether_codegen.model import build_model
from aether_codegen.render import check_tree, render_project, render_typescript, write_tree
from aether_codegen.render.unasync import render_twins, twin_sources

PROTO = "schema/aether/v1/aether.proto"
SPEC = "schema/principals.yaml"
SPEC_SCHEMA = "schema/principals.schema.json"


def find_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / SPEC).is_file() and (candidate / PROTO).is_file():
            return candidate
    raise SystemExit(f"aether-codegen: no {SPEC} found in {start} or its parents; pass --root")


def render_repo(root: Path) -> dict[str, str]:
    proto = compile_proto(root / PROTO, root / "schema")
    spec_path = root / SPEC
    spec = load_spec(spec_path, root / SPEC_SCHEMA)
    model = build_model(proto.file, spec, spec_file=str(spec_path), spec_text=spec_path.read_text())
    model = read_operations(root, model, proto.file, spec)
    twins = render_twins(root, model.generator_version)
    return {**render_project(model, proto), **render_typescript(model), **twins}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aether-codegen", description=__doc__)
    parser.add_argument(
        "--root", type=Path, default=None, help="repository root (default: search upward)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="regenerate the SDK's generated files")
    sub.add_parser("check", help="exit non-zero and list stale files if the tree is out of date")
    args = parser.parse_args(argv)
    root = args.root or find_root(Path.cwd())
    try:
        files = render_repo(root)
    except SpecError as exc:
        print("aether-codegen: invalid input", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.command == "generate":
        changed = write_tree(root, files)
        print(f"aether-codegen: {len(files)} files generated, {len(changed)} changed")
        for rel in changed:
            print(f"  {rel}")
        return 0
    stale = check_tree(root, files)
    if stale:
        print(
            "aether-codegen: generated files are stale; run `aether-codegen generate`:",
            file=sys.stderr,
        )
        twins = twin_sources()
        for rel in stale:
            # A twin is stale when its async source changed or the twin was edited by hand.
            why = f" (sync twin of {twins[rel]}; edit that, not the twin)" if rel in twins else ""
            print(f"  {rel}{why}", file=sys.stderr)
        return 1
    print(f"aether-codegen: {len(files)} generated files are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
