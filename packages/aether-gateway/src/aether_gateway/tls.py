"""Server-side TLS: the gRPC credentials `aether-gateway serve --tls-cert/--tls-key` listens with.

Only the gateway serves, so this lives here; the SDK keeps the client side (resolving CA and client
certificate, channel credentials).
"""

from __future__ import annotations

import grpc

from scitrera_aether_client.exceptions import InvalidArgumentError

__all__ = ["server_credentials"]


def server_credentials(
    cert_pem: bytes, key_pem: bytes, client_ca_pem: bytes | None = None
) -> grpc.ServerCredentials:
    """Server-side credentials; with ``client_ca_pem``, clients must present a cert it signed."""
    for argument, value in (("cert_pem", cert_pem), ("key_pem", key_pem)):
        if not isinstance(value, bytes) or not value.strip():
            raise InvalidArgumentError(f"{argument} must be non-empty PEM bytes", argument=argument)
    if client_ca_pem is not None and (
        not isinstance(client_ca_pem, bytes) or not client_ca_pem.strip()
    ):
        raise InvalidArgumentError(
            "client_ca_pem must be non-empty PEM bytes or None", argument="client_ca_pem"
        )
    return grpc.ssl_server_credentials(
        [(key_pem, cert_pem)],
        root_certificates=client_ca_pem,
        require_client_auth=client_ca_pem is not None,
    )
