"""tls_enabled=True stops reading the certificate variables (what sync clients did before the
flavours shared one TLS rule): a CA configured only in the environment is not used."""

from __future__ import annotations

FAULT = "resolve_tls ignores AETHER_TLS_* material when tls_enabled is True"
CAUGHT_BY = [
    "tests/e2e/test_client_options.py::test_sync_reads_the_environment_like_async",
]


def plant() -> None:
    import dataclasses

    from scitrera_aether_client._core import settings
    from scitrera_aether_client._core.options import ClientOptions
    from scitrera_aether_client._core.tls import TLSOptions

    original = settings.resolve_tls  # type: ignore[attr-defined]

    def resolve_tls(options: ClientOptions) -> TLSOptions | None:
        if options.tls_enabled is True:
            options = dataclasses.replace(options, environ={})
        return original(options)

    settings.resolve_tls = resolve_tls  # type: ignore[attr-defined]
