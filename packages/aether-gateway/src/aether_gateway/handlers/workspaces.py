"""WorkspaceOperation: the admin catalogue of workspaces.

Responses echo request_id (the reference does not; the SDK ignores it either way).
"""

from __future__ import annotations

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_input import (
    MAX_TEXT_CHARS,
    invalid,
    metadata_problem,
    page,
    text_problem,
    texts_problem,
    workspace_id_problem,
)
from aether_gateway.handlers.admin_policy import admin_area, denial_error
from aether_gateway.store.workspaces import WorkspaceStore
from scitrera_aether_client.wire import aether_pb2

Op = aether_pb2.WorkspaceOperation


def handle_workspace_op(
    workspaces: WorkspaceStore, caller: Caller, op: aether_pb2.WorkspaceOperation, allowed: bool
) -> list[aether_pb2.DownstreamMessage]:
    if not allowed:
        return [denial_error(caller, admin_area("workspace_op"), op.request_id)]
    response = _dispatch(workspaces, op)
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(workspace=response)]


def _dispatch(
    workspaces: WorkspaceStore, op: aether_pb2.WorkspaceOperation
) -> aether_pb2.WorkspaceResponse:
    # UPDATE and DELETE name the workspace in workspace_id; accept it inside `workspace` too.
    workspace_id = op.workspace_id or op.workspace.workspace_id
    if op.op == Op.LIST:
        limit, offset = page(op.filter.limit, op.filter.offset)
        listed, total = workspaces.list_workspaces(op.filter.tenant_id, limit, offset)
        return aether_pb2.WorkspaceResponse(success=True, workspaces=listed, total_count=total)
    if op.op not in (Op.GET, Op.CREATE, Op.UPDATE, Op.DELETE):
        return aether_pb2.WorkspaceResponse(success=False, error="not implemented")
    if not workspace_id:
        return aether_pb2.WorkspaceResponse(success=False, error="workspace_id is required")
    if problem := _input_problem(workspace_id, op):
        return _failure(invalid(problem))
    if op.op == Op.CREATE:
        info = aether_pb2.WorkspaceInfo()
        info.CopyFrom(op.workspace)
        info.workspace_id = workspace_id
        if workspaces.create(info) is None:
            return _failure(f"workspace already exists: {workspace_id}")
        return aether_pb2.WorkspaceResponse(success=True, message="workspace created successfully")
    if op.op == Op.GET:
        found = workspaces.get(workspace_id)
        if found is None:
            return _not_found(workspace_id)
        return aether_pb2.WorkspaceResponse(success=True, workspace=found)
    if op.op == Op.UPDATE:
        if workspaces.update(workspace_id, op.workspace) is None:
            return _not_found(workspace_id)
        return aether_pb2.WorkspaceResponse(success=True, message="workspace updated successfully")
    if not workspaces.delete(workspace_id):
        return _not_found(workspace_id)
    return aether_pb2.WorkspaceResponse(success=True, message="workspace deleted successfully")


def _input_problem(workspace_id: str, op: aether_pb2.WorkspaceOperation) -> str | None:
    """Ids a connect could never name, and fields past the catalogue's bounds, are refused."""
    info = op.workspace
    return (
        workspace_id_problem(workspace_id)
        or texts_problem({"display_name": info.display_name, "tenant_id": info.tenant_id})
        or text_problem("description", info.description, MAX_TEXT_CHARS)
        or metadata_problem("metadata", info.metadata)
    )


def _failure(error: str) -> aether_pb2.WorkspaceResponse:
    return aether_pb2.WorkspaceResponse(success=False, error=error)


def _not_found(workspace_id: str) -> aether_pb2.WorkspaceResponse:
    return _failure(f"workspace not found: {workspace_id}")
