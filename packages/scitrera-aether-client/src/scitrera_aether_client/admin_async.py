"""AsyncAdminClient: the admin operations of AdminClient as coroutines, over a connected async
client (AsyncAgentClient, AsyncUserClient, ...).

    admin = AsyncAdminClient(agent)
    await admin.create_workspace(workspace_id="ws-1", display_name="Workspace One")
    sessions = await admin.list_connections(workspace="ws-1")
    await admin.disconnect_session(session_id="abc-123", reason="ops cleanup")

Same names, parameters, defaults and answers as AdminClient (see admin for the error policy):
the response proto, None on timeout, PermissionDeniedError on refusal.
"""

from __future__ import annotations

from scitrera_aether_client._admin.async_acl import AsyncAclAdmin
from scitrera_aether_client._admin.async_acl_sets import AsyncAclSetAdmin
from scitrera_aether_client._admin.async_registry import AsyncRegistryAdmin
from scitrera_aether_client._admin.async_runtime import AsyncRuntimeAdmin
from scitrera_aether_client.health import GatewayHealth

__all__ = ["AsyncAdminClient", "GatewayHealth"]


class AsyncAdminClient(AsyncRegistryAdmin, AsyncAclAdmin, AsyncAclSetAdmin, AsyncRuntimeAdmin):
    """Admin operations over a connected async client; it owns no connection of its own."""
