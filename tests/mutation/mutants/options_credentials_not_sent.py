"""The credentials never reach the handshake: the InitConnection is built from the identity and
the extensions only."""

from __future__ import annotations

FAULT = "ClientOptions.connection_init leaves out the credentials"
CAUGHT_BY = [
    "tests/e2e/test_client_options.py::test_async_constructor_paths_send_the_credentials",
    "tests/e2e/test_client_options.py::test_sync_constructor_paths_send_the_credentials",
]


def plant() -> None:
    from scitrera_aether_client._core.options import ClientOptions
    from scitrera_aether_client.proto import aether_pb2

    original = ClientOptions.connection_init

    def connection_init(self: ClientOptions) -> aether_pb2.InitConnection:
        out = original(self)
        out.ClearField("credentials")
        return out

    ClientOptions.connection_init = connection_init  # type: ignore[method-assign]
