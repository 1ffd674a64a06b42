"""Bad inputs give located errors and a non-zero exit, never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import FIXTURE, REPO, model_from

from aether_codegen.cli import main
from aether_codegen.errors import SpecError
from aether_codegen.render.unasync import TWINS


def _spec() -> str:
    return (FIXTURE / "principals.yaml").read_text()


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        model_from(FIXTURE, text)
    return [str(p) for p in info.value.problems]


def test_schema_violation_names_file_line_path_and_expectation() -> None:
    text = _spec().replace("    kv: true\n", "    kv: yes-please\n", 1)
    (problem,) = _problems(text)
    line = text.splitlines().index("    kv: yes-please") + 1
    assert problem.startswith(f"{FIXTURE / 'principals.yaml'}:{line} at principals.agent.kv:")
    assert "expected boolean" in problem


def test_unknown_key_is_reported() -> None:
    text = _spec().replace("    kv: false\n", "    kv: false\n    colour: blue\n", 1)
    (problem,) = _problems(text)
    assert "principals.probe" in problem and "colour" in problem


def test_unknown_topic_reference_is_located() -> None:
    text = _spec().replace(
        "    topic: probe\n    lock_key: probe", "    topic: prob\n    lock_key: probe"
    )
    (problem,) = _problems(text)
    assert "principals.probe.topic" in problem and "unknown topic template 'prob'" in problem
    assert ":" in problem.split(" at ")[0]  # carries a line number


def test_identity_arm_must_exist_in_the_proto() -> None:
    text = _spec().replace(
        "arm: bridge, message: BridgeIdentity", "arm: courier, message: BridgeIdentity"
    )
    assert any("InitConnection has no identity arm 'courier'" in p for p in _problems(text))


def test_unrouted_downstream_arm_is_refused() -> None:
    text = _spec().replace("runtime_arms: [connection_ack]", "runtime_arms: []")
    assert any("'connection_ack' is routed nowhere" in p for p in _problems(text))


def test_helper_parameter_must_fill_something() -> None:
    text = _spec().replace(
        "params: [implementation, specifier, payload, message_type]",
        "params: [implementation, specifier, payload, colour]",
    )
    assert any("parameter 'colour' fills nothing" in p for p in _problems(text))


def test_malformed_yaml_is_located() -> None:
    (problem,) = _problems("version: 1\nprincipals: [unclosed\n")
    assert "invalid YAML" in problem
    located = re.match(r".*principals\.yaml:(\d+)", problem)
    assert located is not None and located.group(1) in ("2", "3")


def _repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "schema", root / "schema")
    pkg = "packages/scitrera-aether-client/src/scitrera_aether_client"
    for sub in ("_generated", "proto"):
        shutil.copytree(
            REPO / pkg / sub, root / pkg / sub, ignore=shutil.ignore_patterns("__pycache__")
        )
    for twin in TWINS:  # the async modules the sync twins are written from
        (root / pkg / twin.source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / pkg / twin.source, root / pkg / twin.source)
    return root


def test_cli_exits_2_on_a_bad_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _repo_copy(tmp_path)
    spec = root / "schema" / "principals.yaml"
    spec.write_text(spec.read_text().replace("    kv: true\n", "    kv: 3\n", 1))
    assert main(["--root", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert "principals.yaml:" in err and "principals.agent.kv" in err
    assert "Traceback" not in err


def test_cli_exits_2_on_a_malformed_proto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo_copy(tmp_path)
    proto = root / "schema" / "aether" / "v1" / "aether.proto"
    proto.write_text(
        proto.read_text().replace("message SendMessage {", "message SendMessage {{", 1)
    )
    assert main(["--root", str(root), "generate"]) == 2
    err = capsys.readouterr().err
    assert "aether.proto:" in err


def test_check_is_green_on_the_repository() -> None:
    assert main(["--root", str(REPO), "check"]) == 0


def test_check_lists_stale_files_and_generate_fixes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo_copy(tmp_path)
    spec = root / "schema" / "principals.yaml"
    spec.write_text(spec.read_text().replace("class: Bridge\n", "class: Relay\n", 1))
    stray = (
        root / "packages/scitrera-aether-client/src/scitrera_aether_client/_generated/handmade.py"
    )
    stray.write_text("x = 1\n")
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "_generated/clients.py" in err and "_generated/handmade.py" in err
    assert main(["--root", str(root), "generate"]) == 0
    assert not stray.exists()
    assert "class RelayClient(" in (stray.parent / "clients.py").read_text()
    assert main(["--root", str(root), "check"]) == 0


PKG = "packages/scitrera-aether-client/src/scitrera_aether_client"


def test_check_fails_on_a_hand_edited_sync_twin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo_copy(tmp_path)
    twin = root / PKG / "_generated" / "sync_tasks.py"
    twin.write_text(twin.read_text().replace('reason: str = ""', 'reason: str = "oops"', 1))
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    # The message names the stale twin and the async source to edit instead.
    assert f"{PKG}/_generated/sync_tasks.py (sync twin of {PKG}/_facade/async_tasks.py" in err
    assert "_generated/sync_admin.py" not in err  # only the edited twin is reported
    assert main(["--root", str(root), "generate"]) == 0
    assert main(["--root", str(root), "check"]) == 0
    assert 'reason: str = "oops"' not in twin.read_text()


def test_check_fails_when_an_async_source_changed_without_regenerating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo_copy(tmp_path)
    source = root / PKG / "_admin" / "async_acl_sets.py"
    source.write_text(source.read_text().replace("async def list_roles(", "async def roles(", 1))
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{PKG}/_generated/admin_acl_sets.py (sync twin of {PKG}/_admin/async_acl_sets.py" in err
    assert main(["--root", str(root), "generate"]) == 0
    assert "    def roles(" in (root / PKG / "_generated" / "admin_acl_sets.py").read_text()


def test_a_twin_replacement_that_no_longer_matches_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo_copy(tmp_path)
    source = root / PKG / "_admin" / "async_base.py"
    source.write_text(source.read_text().replace("for sync clients", "for blocking clients", 1))
    assert main(["--root", str(root), "check"]) == 2
    err = capsys.readouterr().err
    assert f"{PKG}/_admin/async_base.py: twin replacement no longer matches" in err
    assert "Traceback" not in err
