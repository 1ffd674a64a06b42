"""Workspaces: WorkspaceStore and handle_workspace_op."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.workspaces import handle_workspace_op
from aether_gateway.store.db import Database
from aether_gateway.store.workspaces import WorkspaceStore
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.WorkspaceOperation
Info = aether_pb2.WorkspaceInfo


@pytest.fixture
def store() -> WorkspaceStore:
    return WorkspaceStore(Database(":memory:"))


def caller() -> Caller:
    fields = {"user_id": "alice", "window_id": "w"}
    return Caller("s1", PRINCIPALS["user"], "us::alice::w", "us::alice::w", fields)


def run(store: WorkspaceStore, op: aether_pb2.WorkspaceOperation) -> aether_pb2.WorkspaceResponse:
    frames = handle_workspace_op(store, caller(), op, True)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "workspace"
    assert frames[0].workspace.request_id == op.request_id
    return frames[0].workspace


def create(
    store: WorkspaceStore,
    workspace_id: str,
    display_name: str = "",
    description: str = "",
    tenant_id: str = "",
) -> aether_pb2.WorkspaceResponse:
    info = Info(
        workspace_id=workspace_id,
        display_name=display_name,
        description=description,
        tenant_id=tenant_id,
    )
    return run(store, Op(op=Op.CREATE, workspace=info, request_id=f"c-{workspace_id}"))


def test_create_then_get(store: WorkspaceStore) -> None:
    created = create(store, "ws1", display_name="One", description="first", tenant_id="t")
    assert created.success and created.message == "workspace created successfully"
    assert not created.HasField("workspace")
    got = run(store, Op(op=Op.GET, workspace_id="ws1", request_id="g"))
    assert got.success
    ws = got.workspace
    assert (ws.workspace_id, ws.display_name, ws.description, ws.tenant_id) == (
        "ws1",
        "One",
        "first",
        "t",
    )
    assert ws.created_at > 0 and ws.updated_at == ws.created_at


def test_create_keeps_metadata_and_takes_the_id_from_the_operation(store: WorkspaceStore) -> None:
    info = Info(metadata={"team": "red"})
    response = run(store, Op(op=Op.CREATE, workspace_id="ws2", workspace=info))
    assert response.success
    assert dict(run(store, Op(op=Op.GET, workspace_id="ws2")).workspace.metadata) == {"team": "red"}


def test_create_refuses_duplicates_and_missing_ids(store: WorkspaceStore) -> None:
    create(store, "ws1")
    duplicate = create(store, "ws1")
    assert not duplicate.success and duplicate.error == "workspace already exists: ws1"
    assert create(store, "").error == "workspace_id is required"


def test_list_filters_by_tenant_and_pages(store: WorkspaceStore) -> None:
    for name, tenant in (("a", "t1"), ("b", "t2"), ("c", "t1")):
        create(store, name, tenant_id=tenant)
    everything = run(store, Op(op=Op.LIST, request_id="l"))
    assert [w.workspace_id for w in everything.workspaces] == ["a", "b", "c"]
    assert everything.total_count == 3
    t1 = run(store, Op(op=Op.LIST, filter=aether_pb2.WorkspaceFilter(tenant_id="t1")))
    assert [w.workspace_id for w in t1.workspaces] == ["a", "c"] and t1.total_count == 2
    page = run(store, Op(op=Op.LIST, filter=aether_pb2.WorkspaceFilter(limit=1, offset=1)))
    assert [w.workspace_id for w in page.workspaces] == ["b"] and page.total_count == 3


def test_update_changes_only_the_fields_given(store: WorkspaceStore) -> None:
    create(store, "ws1", display_name="One", description="first")
    update = Info(description="changed", metadata={"k": "v"})
    response = run(store, Op(op=Op.UPDATE, workspace_id="ws1", workspace=update, request_id="u"))
    assert response.success and response.message == "workspace updated successfully"
    ws = run(store, Op(op=Op.GET, workspace_id="ws1")).workspace
    assert (ws.display_name, ws.description, dict(ws.metadata)) == ("One", "changed", {"k": "v"})
    assert ws.updated_at >= ws.created_at


def test_update_accepts_the_id_inside_the_workspace(store: WorkspaceStore) -> None:
    create(store, "ws1")
    response = run(store, Op(op=Op.UPDATE, workspace=Info(workspace_id="ws1", display_name="X")))
    assert response.success
    assert run(store, Op(op=Op.GET, workspace_id="ws1")).workspace.display_name == "X"


def test_delete(store: WorkspaceStore) -> None:
    create(store, "ws1")
    response = run(store, Op(op=Op.DELETE, workspace_id="ws1", request_id="d"))
    assert response.success and response.message == "workspace deleted successfully"
    assert run(store, Op(op=Op.LIST)).total_count == 0


@pytest.mark.parametrize("op", [Op.GET, Op.UPDATE, Op.DELETE])
def test_missing_workspaces_are_reported(store: WorkspaceStore, op: int) -> None:
    response = run(store, Op(op=op, workspace_id="ghost", request_id="m"))  # type: ignore[arg-type]
    assert not response.success and response.error == "workspace not found: ghost"


def test_message_flow_is_not_implemented(store: WorkspaceStore) -> None:
    response = run(store, Op(op=Op.GET_MESSAGE_FLOW, workspace_id="ws1"))
    assert not response.success and response.error == "not implemented"


def test_refusal_is_an_error_response_carrying_the_request_id(store: WorkspaceStore) -> None:
    frames = handle_workspace_op(store, caller(), Op(op=Op.CREATE, workspace_id="x"), False)
    assert len(frames) == 1 and frames[0].error.code == "ERR_PERMISSION_DENIED"
    frames = handle_workspace_op(store, caller(), Op(op=Op.LIST, request_id="r"), False)
    assert frames[0].error.request_id == "r" and "admin/workspaces" in frames[0].error.message
    assert store.get("x") is None


def test_workspaces_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "ws.db"
    first = WorkspaceStore(Database(path))
    created = first.create(Info(workspace_id="ws1", display_name="One", metadata={"a": "b"}))
    assert created is not None
    assert WorkspaceStore(Database(path)).get("ws1") == created
