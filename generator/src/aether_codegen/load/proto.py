"""Compile the proto with grpc_tools.protoc: descriptors for the model, pb2 text for the SDK."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from aether_codegen.errors import Problem, SpecError


@dataclass(frozen=True, slots=True)
class CompiledProto:
    """What protoc made of one .proto file."""

    file: descriptor_pb2.FileDescriptorProto
    pb2_source: str
    pyi_source: str


def compile_proto(proto_path: Path, include_root: Path) -> CompiledProto:
    """Run protoc in-process; a syntax error becomes a located SpecError."""
    from grpc_tools import protoc  # imported lazily: it is heavy and only needed here

    rel = proto_path.resolve().relative_to(include_root.resolve()).as_posix()
    with tempfile.TemporaryDirectory() as out:
        desc_path = Path(out) / "set.pb"
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = protoc.main(
                [
                    "protoc",
                    f"-I{include_root}",
                    f"--python_out={out}",
                    f"--pyi_out={out}",
                    f"--descriptor_set_out={desc_path}",
                    "--include_source_info",
                    rel,
                ]
            )
        if code != 0:
            raise SpecError(_protoc_problems(err.getvalue(), proto_path, code))
        fds = descriptor_pb2.FileDescriptorSet.FromString(desc_path.read_bytes())
        stem = rel.removesuffix(".proto")
        pb2 = (Path(out) / f"{stem}_pb2.py").read_text()
        pyi = (Path(out) / f"{stem}_pb2.pyi").read_text()
    return CompiledProto(file=fds.file[-1], pb2_source=pb2, pyi_source=pyi)


_PROTOC_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


def _protoc_problems(stderr: str, proto_path: Path, code: int) -> list[Problem]:
    problems = []
    for raw in stderr.splitlines():
        m = _PROTOC_LINE.match(raw.strip())
        if m:
            problems.append(
                Problem(str(proto_path), f"column {m['col']}", m["msg"], int(m["line"]))
            )
        elif raw.strip():
            problems.append(Problem(str(proto_path), "", raw.strip()))
    return problems or [Problem(str(proto_path), "", f"protoc failed with exit code {code}")]
