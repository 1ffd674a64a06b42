"""docs/contributing.md "Add a principal type", followed to the letter on a copy of the repository:
edit principals.yaml only, regenerate, then use the new clients against the embedded gateway."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO

SDK = "packages/scitrera-aether-client/src/scitrera_aether_client"
DOC = REPO / "docs" / "contributing.md"
# What `aether-codegen generate` owns; anything else that changes was edited by hand.
GENERATED = (f"{SDK}/_generated/", f"{SDK}/proto/", "packages/aether-client-ts/src/generated/")


def _section() -> str:
    text = DOC.read_text()
    start = text.index("## Add a principal type")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def doc_files() -> set[str]:
    """The files the walkthrough says you edit by hand (the list after its marker)."""
    listed = _section().split("<!-- add-principal-files -->", 1)[1].strip().split("\n\n", 1)[0]
    return set(re.findall(r"^- `([^`]+)`$", listed, re.M))


def doc_yaml() -> dict[str, Any]:
    after = _section().split("<!-- add-principal-yaml -->", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", after, re.S)
    assert block is not None, "the walkthrough lost its YAML block"
    loaded: dict[str, Any] = yaml.safe_load(block.group(1))
    return loaded


def doc_commands() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", _section(), re.S)
    assert block is not None, "the walkthrough lost its commands"
    return [line.split() for line in block.group(1).splitlines() if line.strip()]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _merge(spec: dict[str, Any], added: dict[str, Any]) -> None:
    """Step 1 of the walkthrough: each part goes under the existing key of the same name."""
    for key, value in added.items():
        if isinstance(value, list):
            spec[key] = [*spec[key], *value]
        else:
            spec[key] = {**spec[key], **value}


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    """A copy of schema/ and the SDK with the walkthrough applied: (root, hand-edited files,
    files `aether-codegen generate` changed)."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "schema", root / "schema")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / SDK, root / SDK, ignore=ignore)
    ts = "packages/aether-client-ts/src/generated"
    shutil.copytree(REPO / ts, root / ts, ignore=ignore)
    pristine = _snapshot(root)

    spec_path = root / "schema" / "principals.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    _merge(spec, doc_yaml())
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    edited = {p for p, data in _snapshot(root).items() if pristine.get(p) != data}

    before = _snapshot(root)
    for command in doc_commands():
        assert command[0] == "aether-codegen", command
        args = [sys.executable, "-m", "aether_codegen.cli", "--root", str(root), *command[1:]]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout}{proc.stderr}"
    after = _snapshot(root)
    generated = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return root, edited, generated


def test_the_walkthrough_lists_exactly_the_files_edited_by_hand(
    repo_copy: tuple[Path, set[str], set[str]],
) -> None:
    _, edited, generated = repo_copy
    assert edited == doc_files() == {"schema/principals.yaml"}
    assert generated, "regenerating changed nothing"
    assert [p for p in sorted(generated) if not p.startswith(GENERATED)] == []
    assert f"{SDK}/_generated/exports.py" in generated


# Runs in a fresh interpreter whose first sys.path entry is the regenerated SDK copy.
PROBE = textwrap.dedent(
    """
    import asyncio, queue, sys
    import scitrera_aether_client
    from scitrera_aether_client import AsyncAgentClient, AsyncFooClient, FooClient, PrincipalType
    from aether_gateway import run_gateway
    from aether_gateway.config import GatewayConfig

    assert scitrera_aether_client.__file__.startswith(sys.argv[1]), scitrera_aether_client.__file__
    assert {"FooClient", "AsyncFooClient"} <= set(scitrera_aether_client.__all__)
    assert PrincipalType.FOO == "Foo"

    with run_gateway(GatewayConfig(dev_mode=True)) as gateway:
        to_sync = queue.Queue()
        sync = FooClient("lab", "sync")
        sync.on_message = to_sync.put
        sync.connect(gateway.target)

        async def main():
            to_async = asyncio.Queue()
            errors = asyncio.Queue()
            peer = AsyncFooClient("lab", "async")
            peer.on_message = to_async.put_nowait
            peer.on_error = errors.put_nowait
            await peer.connect(gateway.target)
            await peer.send_message_to_foo("lab", "sync", b"ping")
            got = await asyncio.to_thread(to_sync.get, True, 10)
            assert (got.source_topic, got.payload) == ("fo::lab::async", b"ping"), got
            await asyncio.to_thread(sync.send_message_to_foo, "lab", "async", b"pong")
            back = await asyncio.wait_for(to_async.get(), 10)
            assert (back.source_topic, back.payload) == ("fo::lab::sync", b"pong"), back
            await peer.send_message("us::alice::w1", b"x")  # not in may_send_to
            refused = await asyncio.wait_for(errors.get(), 10)
            assert refused.code == "ERR_PERMISSION_DENIED", refused
            # gateway_roles: [reports_progress] lets a foo report to its workspace's lane.
            watcher = AsyncAgentClient("lab", "watcher", "w1")
            updates = asyncio.Queue()
            watcher.on_progress = updates.put_nowait
            await watcher.connect(gateway.target)
            await peer.report_progress("job-1", summary="foo at work")
            update = await asyncio.wait_for(updates.get(), 10)
            assert (update.source, update.summary) == ("fo::lab::async", "foo at work"), update
            await watcher.close()
            await peer.close()

        asyncio.run(main())
        sync.close()
    print("foo clients talked")
    """
)


def test_the_new_principal_talks_through_the_embedded_gateway(
    repo_copy: tuple[Path, set[str], set[str]],
) -> None:
    root, _, _ = repo_copy
    sdk_src = str(root / "packages" / "scitrera-aether-client" / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([sdk_src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, sdk_src],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "foo clients talked" in proc.stdout
