"""Loading the generator's two inputs: the proto schema and the principals spec."""

from aether_codegen.load.proto import CompiledProto, compile_proto
from aether_codegen.load.spec import load_spec

__all__ = ["CompiledProto", "compile_proto", "load_spec"]
