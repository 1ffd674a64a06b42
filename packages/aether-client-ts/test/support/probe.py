"""The Python side of the new-principal test: one spec edit, both languages, one gateway.

Usage: probe.py REPO_ROOT OUT_DIR

Takes the repository's principals.yaml and replaces the bridge principal by a new principal type
"probe" (prefix `pr`, riding the bridge identity arm; InitConnection has no ninth arm), exactly
what a contributor would write in YAML. From that one edited spec it renders the TypeScript target
into OUT_DIR/generated (importing the package's built runtime) and the Python target into a temp
package, starts an in-process gateway serving the edited permission table, and runs a Python probe
("pr::lab::py") that answers every CHAT it receives with "pong: <payload>". Prints
"listening on HOST:PORT" and then "ready"; runs until stdin closes.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from aether_codegen.load import compile_proto, load_spec
from aether_codegen.model import build_model
from aether_codegen.render import render_project, render_typescript
from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client.proto import aether_pb2

PROBE = {
    "class": "Probe",
    "type_name": "Bridge",
    "enum": "PRINCIPAL_BRIDGE",
    "acl_type": "bridge",
    "identity": {
        "arm": "bridge",
        "message": "BridgeIdentity",
        "params": ["implementation", "specifier"],
    },
    "topic": "probe",
    "lock_key": "probe",
    "subscriptions": [],
    "may_send_to": ["pr"],
    "kv": False,
    "needs_credentials": False,
    "callbacks": [],
    "helpers": [{"name": "send_message_to_probe", "message_type": "CHAT"}],
}


def edited_spec(repo: Path) -> str:
    spec = yaml.safe_load((repo / "schema" / "principals.yaml").read_text())
    spec["prefixes"].append("pr")
    spec["topics"]["probe"] = "pr::{implementation}::{specifier}"
    spec["helpers"]["send_message_to_probe"] = {
        "doc": "Send a message to one probe.",
        "topic": "probe",
        "params": ["implementation", "specifier", "payload", "message_type"],
    }
    del spec["principals"]["bridge"]
    spec["principals"]["probe"] = PROBE
    return yaml.safe_dump(spec, sort_keys=False)


def render(repo: Path, out: Path, package: Path) -> dict[str, Any]:
    """Write the TS target under `out` and the Python one under `package`; import the latter."""
    schema = repo / "schema"
    proto = compile_proto(schema / "aether" / "v1" / "aether.proto", schema)
    text = edited_spec(repo)
    spec_path = out / "principals.yaml"
    spec = load_spec(spec_path, schema / "principals.schema.json", text=text)
    model = build_model(proto.file, spec, spec_file=str(spec_path), spec_text=text)
    ts = render_typescript(
        model,
        out_dir="generated",
        runtime="../../dist/src/runtime",
        proto="../../dist/src/proto/aether/v1/aether_pb.js",
    )
    for rel, body in ts.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    for rel, body in render_project(model, proto, out_dir="probe_sdk", with_pb2=False).items():
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    (package / "probe_sdk" / "__init__.py").write_text("")
    sys.path.insert(0, str(package))
    return {
        name: importlib.import_module(f"probe_sdk._generated.{name}")
        for name in ("principals", "topics", "clients_async")
    }


async def serve(sdk: dict[str, Any]) -> None:
    config = GatewayConfig(
        dev_mode=True, principals=sdk["principals"].BY_ARM, prefixes=sdk["topics"].VALID_PREFIXES
    )
    async with EmbeddedGateway(config) as gateway:
        print(f"listening on {gateway.target}", flush=True)
        probe = sdk["clients_async"].AsyncProbeClient("lab", "py")

        async def pong(msg: aether_pb2.IncomingMessage) -> None:
            _, implementation, specifier = msg.source_topic.split("::")
            await probe.send_message_to_probe(implementation, specifier, b"pong: " + msg.payload)

        probe.on_chat_message = pong
        await probe.connect(gateway.target)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the test closes our stdin
        await probe.close()


def main() -> None:
    repo, out = Path(sys.argv[1]), Path(sys.argv[2])
    package = Path(tempfile.mkdtemp(prefix="probe-py-"))
    try:
        asyncio.run(serve(render(repo, out, package)))
    finally:
        shutil.rmtree(package, ignore_errors=True)


if __name__ == "__main__":
    main()
