"""Problem collection and proto lookups shared by the model builders."""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from aether_codegen.errors import Problem


class Checker:
    """Collects semantic problems, each located in the spec file."""

    def __init__(self, spec_file: str, spec_text: str | None) -> None:
        self.file = spec_file
        self.text = spec_text
        self.problems: list[Problem] = []

    def add(self, path: list[str | int], message: str) -> None:
        from aether_codegen.load.spec import locate

        line = locate(self.text, path) if self.text is not None else None
        dotted = ".".join(str(p) for p in path)
        self.problems.append(Problem(self.file, dotted, message, line))


def oneof_arms(msg: descriptor_pb2.DescriptorProto, oneof: str) -> dict[str, str]:
    idx = [o.name for o in msg.oneof_decl].index(oneof)
    return {
        f.name: f.type_name.rsplit(".", 1)[-1]
        for f in msg.field
        if f.HasField("oneof_index") and f.oneof_index == idx
    }
