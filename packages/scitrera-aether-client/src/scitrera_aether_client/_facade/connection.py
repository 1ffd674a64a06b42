"""The protocol core behind a client, for the SDK's own add-ons (the HTTP proxy in `http/`).

A client facade keeps its `Connection` as an implementation detail. Add-ons that must work on the
connection itself (register frame handlers, correlate a request) get it from `connection_of`
rather than reading the facade's attributes, so how a facade holds its core stays the facade's
business: this is the one place outside the facades that knows.
"""

from __future__ import annotations

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client._facade.async_base import AsyncOps
from scitrera_aether_client._facade.sync_base import SyncOps

__all__ = ["connection_of"]


def connection_of(client: SyncOps | AsyncOps) -> Connection:
    """The connection a sync or async client runs on (package-internal: not a public API)."""
    return client._conn
