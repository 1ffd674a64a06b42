"""ProgressReport (upstream 14) becomes a ProgressUpdate on the progress lanes."""

from __future__ import annotations

import time

from aether_gateway.context import Caller, Hub
from scitrera_aether_client.wire import aether_pb2


def handle_progress(
    hub: Hub, caller: Caller, report: aether_pb2.ProgressReport
) -> list[aether_pb2.DownstreamMessage]:
    if not caller.principal.reports_progress:  # declared in principals.yaml (gateway_roles)
        err = aether_pb2.ErrorResponse(
            code="ERR_INVALID_PRINCIPAL",
            message=f"{caller.principal.type_name} principals do not report progress",
            request_id=report.request_id,
        )
        return [aether_pb2.DownstreamMessage(error=err)]
    update = aether_pb2.ProgressUpdate(
        source=caller.topic,
        task_id=report.task_id,
        state=report.state,
        completion=report.completion,
        summary=report.summary,
        timestamp_ms=int(time.time() * 1000),
        workspace=caller.workspace,
        request_id=report.request_id,
        metadata=dict(report.metadata),
        recipient=report.recipient,
        kind=report.kind,
    )
    if report.HasField("step"):
        update.step.CopyFrom(report.step)
    frame = aether_pb2.DownstreamMessage(progress_update=update)
    recipient = report.recipient
    if recipient.startswith("us::"):
        user_id = recipient.split("::")[1]
        hub.deliver(f"pg::us::{user_id}", frame)
    elif caller.workspace:
        hub.deliver(f"pg::{caller.workspace}", frame)
    return []
