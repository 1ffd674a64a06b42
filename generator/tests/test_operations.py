"""schema/operations.yaml: loaded, validated (located errors for bad entries), put in the model,
and rendered into the operation table and the KV/checkpoint methods of both flavours."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from helpers import REPO

from aether_codegen.errors import SpecError
from aether_codegen.load import compile_proto, load_spec
from aether_codegen.load.operations import OPERATIONS, read_operations
from aether_codegen.model import Model, build_model

SPEC_TEXT = (REPO / OPERATIONS).read_text()


@cache
def _base() -> tuple[Model, object, dict[str, object]]:
    proto = compile_proto(REPO / "schema/aether/v1/aether.proto", REPO / "schema")
    principals = load_spec(REPO / "schema/principals.yaml", REPO / "schema/principals.schema.json")
    return build_model(proto.file, principals), proto.file, principals


def model_with(text: str) -> Model:
    model, proto, principals = _base()
    return read_operations(REPO, model, proto, principals, text=text)  # type: ignore[arg-type]


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        model_with(text)
    return [str(p) for p in info.value.problems]


def edit(old: str, new: str) -> str:
    assert old in SPEC_TEXT, old
    edited: str = SPEC_TEXT.replace(old, new, 1)
    return edited


def test_the_repository_spec_builds_every_kv_and_checkpoint_method() -> None:
    arms = {a.arm: a for a in model_with(SPEC_TEXT).operation_arms}
    kv = arms["kv_op"]
    assert kv.response_message == "KVResponse" and kv.callback == "on_kv_response"
    assert set(kv.callers) == {"agent", "task", "service", "workflow_engine", "metrics_bridge"}
    served = {op.name: op.method for op in kv.operations if op.served}
    assert served["COMPARE_AND_DELETE"] == "kv_compare_and_delete"
    assert all(served.values())
    inc_if = next(op for op in kv.operations if op.name == "INCREMENT_IF")
    assert [p.name for p in inc_if.params][:3] == ["key", "delta", "ceiling"]
    assert inc_if.params[2].field == "guard" and inc_if.result == "counter_applied"
    assert {op.method for op in arms["checkpoint_op"].operations} == {
        "checkpoint_save",
        "checkpoint_load",
        "checkpoint_delete",
        "checkpoint_list",
    }


def test_a_tree_without_the_file_has_no_operations(tmp_path: Path) -> None:
    model, proto, principals = _base()
    assert read_operations(tmp_path, model, proto, principals).operation_arms == ()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      kind: read\n      idempotent: true\n      store: get\n",
            "      kind: reed\n      idempotent: true\n      store: get\n",
            "operations.kv_op.GET.kind: 'reed' is not one of",
        ),
        (
            "    GET:\n      kind: read\n      idempotent: true\n      store: get\n",
            "    GETT:\n      kind: read\n      idempotent: true\n      store: get\n",
            "KVOperation.OpType has no 'GETT'",
        ),
        (
            "    SET_CARD: {kind: read, served: false}\n",
            "",
            "KVOperation.OpType.SET_CARD is not declared",
        ),
        (
            "params: [key, scope, user_id, workspace]\n    PUT:",
            "params: [key, scope, usr, workspace]\n    PUT:",
            "no parameter 'usr' under arms.kv_op.params",
        ),
        (
            "SET_ADD: {kind: value_write, served: false}",
            "SET_ADD: {kind: value_write, served: false, method: kv_set_add}",
            "an op that is not served has no method",
        ),
        ("    callers: kv\n", "    callers: [agent, robot]\n", "unknown principal 'robot'"),
        ("    response: kv\n", "    response: kvv\n", "DownstreamMessage has no arm 'kvv'"),
        (
            "    message: KVOperation\n",
            "    message: CheckpointOperation\n",
            "arm 'kv_op' carries KVOperation, not CheckpointOperation",
        ),
        (
            "      method: kv_delete\n",
            "      method: kv_get\n",
            "method 'kv_get' is already generated",
        ),
        (
            "params: [key, value, scope, user_id, workspace, ttl]\n      nowait: true",
            "params: [key, scope, value, user_id, workspace, ttl]\n      nowait: true",
            "'value' needs a default: it follows one",
        ),
        (
            "      added: [delta]\n    DECREMENT:",
            "      added: [key]\n    DECREMENT:",
            "parameter 'key' is listed twice",
        ),
        ("      store: compare_and_delete\n", "", "a served op of this arm needs `store`"),
        ("      doc: Remove a key.\n", "", "an op with a method needs `doc`"),
    ],
)
def test_bad_entries_are_located_errors(old: str, new: str, expected: str) -> None:
    found = problems(edit(old, new))
    assert any(expected in p for p in found), found
    assert all("operations.yaml:" in p for p in found), found


def test_a_schema_error_names_its_line() -> None:
    text = edit(
        "    INCREMENT:\n      kind: counter\n",
        "    INCREMENT:\n      kind: counter\n      bogus: 1\n",
    )
    [problem] = problems(text)
    line = text.splitlines().index("      bogus: 1") + 1
    assert f"operations.yaml:{line - 1}" in problem or f"operations.yaml:{line}" in problem
    assert "unknown key: 'bogus'" in problem and "operations.kv_op.INCREMENT" in problem
