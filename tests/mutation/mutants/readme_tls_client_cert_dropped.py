"""The SDK forgets the mTLS client certificate: the channel is built with the CA only, so an
mTLS gateway cannot authenticate the client."""

from __future__ import annotations

from typing import Any

FAULT = "resolve_tls (as make_connection uses it) drops the client certificate and key"
CAUGHT_BY = ["tests/e2e/reference_readme/test_config_and_tls.py::test_24_tls_configuration"]


def plant() -> None:
    from scitrera_aether_client._core import settings
    from scitrera_aether_client._core.tls import TLSOptions

    original = settings.resolve_tls  # type: ignore[attr-defined]

    def resolve_tls(*args: Any, **kwargs: Any) -> TLSOptions | None:
        options = original(*args, **kwargs)
        return None if options is None else TLSOptions(root_cert=options.root_cert)

    settings.resolve_tls = resolve_tls  # type: ignore[attr-defined]
