"""The options of the `aether` group that every command shares (`Settings`, found with
`settings()` from inside a command), and the client they describe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from scitrera_aether_client._generated.clients_async import AsyncAgentClient, AsyncUserClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.credentials import Credentials

DEFAULT_TARGET = "localhost:50051"
CLI_IMPLEMENTATION = "aether-cli"
# A one-shot command should fail fast on a gateway that is not there, not retry for minutes.
RETRY = {"max_retries": 2, "initial_backoff": 0.2, "max_backoff": 1.0}


@dataclass(frozen=True)
class Settings:
    """The group options every command shares."""

    target: str
    identity: str
    api_key: str | None
    tls: bool
    tls_ca: str | None
    tls_cert: str | None
    tls_key: str | None
    as_json: bool
    timeout: float

    def client(self) -> BaseAsyncAetherClient:
        """A client (not yet connected) for `identity`, with the credentials and TLS asked for."""
        options: dict[str, Any] = {
            "credentials": Credentials.api_key(self.api_key) if self.api_key else None,
            "tls_enabled": self.tls,
            "tls_root_cert_path": self.tls_ca,
            "tls_client_cert_path": self.tls_cert,
            "tls_client_key_path": self.tls_key,
            **RETRY,
        }
        parts = self.identity.split("::")
        if parts[0] == "ag" and len(parts) == 4:
            return AsyncAgentClient(parts[1], parts[2], parts[3], **options)
        if parts[0] == "us" and len(parts) == 3:
            return AsyncUserClient(parts[1], parts[2], **options)
        raise click.BadParameter(
            f"{self.identity!r}: expected ag::WORKSPACE::IMPLEMENTATION::SPECIFIER (an agent) "
            "or us::USER_ID::WINDOW_ID (a user)",
            param_hint="'--as'",
        )


def settings() -> Settings:
    obj = click.get_current_context().find_object(Settings)
    assert obj is not None, "the aether group stores its Settings first"
    return obj
