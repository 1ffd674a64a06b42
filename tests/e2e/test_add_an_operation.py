"""docs/contributing.md, "Add an operation", followed for real on a copy of schema/.

The walkthrough's edits, read from the page, and nothing else: its proto line, its entry of
operations.yaml, its store function (added to store.kv.Operations at run time: the installed
gateway is not edited). Regenerating then gives the op a row in the operation table and its methods
in both client flavours, and the gateway serves it: both flavours run it against a real gateway.
"""

from __future__ import annotations

import importlib.util
import queue
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aether_codegen.load import compile_proto, load_spec
from aether_codegen.load.operations import read_operations
from aether_codegen.model import build_model
from aether_codegen.render import render_project
from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from aether_gateway.handlers import kv as kv_handler
from aether_gateway.store.kv import Operations
from scitrera_aether_client import AgentClient, AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.wire import OPERATIONS

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "docs/contributing.md").read_text()
NUMBER = 14  # the page's example value of KVOperation.OpType
#: Where the page's edits go in the copy: after the last OpType value, before the unserved ops.
PROTO_ANCHOR = "    SET_CARD = 13;\n"
SPEC_ANCHOR = "    # Not served yet"
STORE = "packages/aether-gateway/src/aether_gateway/store/kv.py"


def block(marker: str) -> str:
    """The fenced block right after `<!-- marker -->` on the page."""
    found = re.search(rf"<!-- {marker} -->\n```[a-z]*\n(.*?)```", PAGE, re.DOTALL)
    assert found, f"docs/contributing.md has no block after <!-- {marker} -->"
    return found.group(1)


def _store_function() -> Callable[..., aether_pb2.KVResponse]:
    namespace: dict[str, Any] = {}
    exec(block("add-operation-store"), namespace)  # the page's function, as written
    function: Callable[..., aether_pb2.KVResponse] = namespace["get_and_delete"]
    return function


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: the walkthrough's anchor {old!r} moved"
    path.write_text(text.replace(old, new))


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """Copy schema/, make the walkthrough's schema edits, regenerate into a temp package."""
    root = tmp_path_factory.mktemp("walkthrough")
    shutil.copytree(REPO / "schema", root / "schema")
    _edit(
        root / "schema/aether/v1/aether.proto",
        PROTO_ANCHOR,
        PROTO_ANCHOR + block("add-operation-proto"),
    )
    entry = block("add-operation-yaml").split("  kv_op:\n", 1)[1]  # the op's lines, as indented
    _edit(root / "schema/operations.yaml", SPEC_ANCHOR, entry + SPEC_ANCHOR)
    proto = compile_proto(root / "schema/aether/v1/aether.proto", root / "schema")
    principals = load_spec(root / "schema/principals.yaml", root / "schema/principals.schema.json")
    model = build_model(proto.file, principals)
    model = read_operations(root, model, proto.file, principals)
    out = root / "out"
    for rel, text in render_project(model, proto, out_dir=str(out), with_pb2=False).items():
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_text(text)
    try:
        return {
            name: _load(out / "_generated" / f"{name}.py", f"walkthrough_{name}")
            for name in ("operations", "storage")
        }
    finally:
        for name in ("operations", "storage"):
            sys.modules.pop(f"walkthrough_{name}", None)


@pytest.fixture
def serving(regenerated: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway as it is after the walkthrough: the regenerated table, one more function."""
    monkeypatch.setattr(kv_handler, "KV_OPERATIONS", regenerated["operations"].of_arm("kv_op"))
    function = staticmethod(_store_function())
    monkeypatch.setattr(Operations, "get_and_delete", function, raising=False)


def test_the_page_lists_exactly_the_files_the_walkthrough_edits() -> None:
    listed = PAGE.split("<!-- add-operation-files -->\n", 1)[1].split("\n\n", 1)[0]
    paths = re.findall(r"^- `([^`]+)`", listed, re.MULTILINE)
    assert paths == ["schema/aether/v1/aether.proto", "schema/operations.yaml", STORE]
    assert listed.splitlines()[-1] == "- a test under `tests/`"
    assert "class Operations" in (REPO / STORE).read_text()  # where step 3 puts the function


def test_the_table_and_both_flavours_gain_the_op(regenerated: dict[str, ModuleType]) -> None:
    spec = regenerated["operations"].OPERATIONS[("kv_op", NUMBER)]
    assert (spec.name, spec.kind, spec.served) == ("GET_AND_DELETE", "write", True)
    assert (spec.store, spec.method, spec.response) == ("get_and_delete", "kv_get_and_delete", "kv")
    storage = regenerated["storage"]
    assert callable(storage.AsyncStorageOps.kv_get_and_delete)
    assert callable(storage.SyncStorageOps.kv_get_and_delete)
    assert callable(storage.SyncStorageOps.kv_get_and_delete_sync)
    # The rest of the table is untouched.
    assert set(regenerated["operations"].OPERATIONS) - {("kv_op", NUMBER)} == set(OPERATIONS)


async def test_the_async_flavour_runs_it(regenerated: dict[str, ModuleType], serving: None) -> None:
    class Probe(regenerated["storage"].AsyncStorageOps, AsyncAgentClient):  # type: ignore[misc]
        pass

    async with EmbeddedGateway(GatewayConfig(dev_mode=True)) as gateway:
        client = Probe("ws", "walk", "async")
        await client.connect(gateway.target)
        try:
            put = await client.kv_put("k", b"once")
            assert put is not None and put.success
            got = await client.kv_get_and_delete("k")
            assert got is not None and got.success and got.value == b"once"
            after = await client.kv_get("k")
            assert after is not None and after.value == b""
        finally:
            await client.close()


def test_the_sync_flavour_runs_it(regenerated: dict[str, ModuleType], serving: None) -> None:
    class Probe(regenerated["storage"].SyncStorageOps, AgentClient):  # type: ignore[misc]
        pass

    responses: queue.Queue[aether_pb2.KVResponse] = queue.Queue()
    with run_gateway(GatewayConfig(dev_mode=True)) as gateway:
        client = Probe("ws", "walk", "sync")
        client.on_kv_response = responses.put
        client.connect(gateway.target)
        try:
            assert client.kv_put_sync("a", b"1") is not None
            got = client.kv_get_and_delete_sync("a")
            assert got is not None and got.success and got.value == b"1"
            assert client.kv_put_sync("b", b"2") is not None
            client.kv_get_and_delete("b")  # fire-and-forget: the answer reaches on_kv_response
            answered = responses.get(timeout=10)
            assert answered.success and answered.value == b"2"
            after = client.kv_get_sync("b")
            assert after is not None and after.value == b""
        finally:
            client.close()
