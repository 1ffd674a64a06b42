"""What operation handlers see: the caller making a request, and the hub that reaches sessions.

Handlers are plain functions `(ctx, caller, operation) -> list[DownstreamMessage]` (frames for the
caller, in order). They never touch gRPC; anything addressed to *other* sessions goes through
`Hub`. This keeps every handler testable without a server and keeps the server free of feature code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from scitrera_aether_client.wire import PrincipalSpec, aether_pb2


@dataclass
class Caller:
    """The authenticated session a request came from."""

    session_id: str
    principal: PrincipalSpec
    identity: str  # the lock key, e.g. "ag::ws::impl::spec" (Go's identity.String())
    topic: str  # its own topic ("" for orchestrators), e.g. "ag::ws::impl::spec"
    fields: Mapping[str, str]  # identity fields: workspace, implementation, specifier, user_id, ...
    workspace: str = ""  # current workspace; users get one through SwitchWorkspace
    is_admin: bool = False  # dev mode, or an API key whose scopes include "admin"
    token_scopes: Sequence[str] = field(default_factory=tuple)
    # Workspaces its credential is bound to (globs), besides its own; see workspace_reach.
    workspace_patterns: Sequence[str] = field(default_factory=tuple)
    credential: str = ""  # what authenticated it: "key:<id>", "task:<id>", "cert:<sha256>", ...
    connected_at_ms: int = 0
    remote_addr: str = ""
    associated_task_id: str = ""
    profiles: Sequence[str] = field(default_factory=tuple)  # an orchestrator's supported profiles

    @property
    def implementation(self) -> str:
        return self.fields.get("implementation", "")

    @property
    def specifier(self) -> str:
        return self.fields.get("specifier", "") or self.fields.get("unique_specifier", "")


class Hub(Protocol):
    """The gateway's live side, as handlers need it."""

    def deliver(self, topic: str, frame: aether_pb2.DownstreamMessage) -> None:
        """Send a frame to every live session subscribed to `topic` (no persistence)."""

    def send_to_session(self, session_id: str, frame: aether_pb2.DownstreamMessage) -> bool:
        """Send a frame to one session; False if it is not connected here."""

    def sessions(self) -> Sequence[Caller]:
        """Every live session on this gateway."""

    def session_by_identity(self, identity: str) -> Caller | None:
        """The live session holding `identity`'s lock, if any."""

    def disconnect(self, session_id: str, reason: str) -> bool:
        """Send FORCE_DISCONNECT and end the session; False if unknown."""
