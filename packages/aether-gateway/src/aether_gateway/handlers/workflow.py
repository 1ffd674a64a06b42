"""WorkflowOperation relay: forwarded to the connected workflow engine, which answers
with a WorkflowResponse that goes back to the requester (matched by request_id)."""

from __future__ import annotations

import uuid

from aether_gateway.context import Caller, Hub
from scitrera_aether_client.wire import aether_pb2

Down = aether_pb2.DownstreamMessage


class WorkflowRelay:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.pending: dict[str, str] = {}  # request_id -> requester session_id

    def forward(self, caller: Caller, op: aether_pb2.WorkflowOperation) -> list[Down]:
        engine = next((c for c in self.hub.sessions() if c.principal.runs_workflows), None)
        if engine is None:
            failed = aether_pb2.WorkflowResponse(
                success=False, error="workflow engine not connected", request_id=op.request_id
            )
            return [Down(workflow_response=failed)]
        forwarded = aether_pb2.WorkflowOperation()
        forwarded.CopyFrom(op)
        forwarded.request_id = op.request_id or uuid.uuid4().hex
        self.pending[forwarded.request_id] = caller.session_id
        self.hub.send_to_session(engine.session_id, Down(workflow_op=forwarded))
        return []

    def answer(self, caller: Caller, response: aether_pb2.WorkflowResponse) -> list[Down]:
        if not caller.principal.runs_workflows:
            return []  # only the engine's answers count
        requester = self.pending.pop(response.request_id, None)
        if requester is not None:
            self.hub.send_to_session(requester, Down(workflow_response=response))
        return []

    def forget(self, session_id: str) -> None:
        for rid in [r for r, s in self.pending.items() if s == session_id]:
            del self.pending[rid]
