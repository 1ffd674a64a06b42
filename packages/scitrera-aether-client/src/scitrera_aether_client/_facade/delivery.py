"""The delivery-mode surface shared by sync and async clients (it never waits, so one copy serves
both flavours)."""

from __future__ import annotations

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client.exceptions import InvalidArgumentError


class DeliveryOptions:
    _conn: Connection

    #: Seconds a send with wait_for_commit=True waits for the gateway's confirmation.
    commit_timeout: float = 30.0

    @property
    def acknowledged_delivery(self) -> bool:
        """Whether the client asks the gateway for the delivery extension (default True).

        Set it to False before connect() to run best effort even where the gateway offers it.
        """
        return self._conn.wants_acknowledged

    @acknowledged_delivery.setter
    def acknowledged_delivery(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise InvalidArgumentError(
                "acknowledged_delivery must be a bool", "acknowledged_delivery"
            )
        self._conn.wants_acknowledged = value

    @property
    def delivery_mode(self) -> str:
        """ "acknowledged" when the gateway negotiated the delivery extension (sends confirmed,
        received messages acknowledged after their callbacks, duplicates dropped), else
        "best-effort". See docs/sdk.md, "Delivery guarantees"."""
        return self._conn.delivery_mode
