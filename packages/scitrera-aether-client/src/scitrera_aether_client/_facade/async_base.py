"""What every async operation mixin needs: the connection it sends through."""

from __future__ import annotations

from scitrera_aether_client._core.connection import Connection


class AsyncOps:
    _conn: Connection
