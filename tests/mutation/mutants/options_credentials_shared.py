"""ClientOptions keeps a view of the caller's credentials dict instead of a copy: changing the
dict after construction changes what a built client sends."""

from __future__ import annotations

FAULT = "ClientOptions wraps the caller's credentials dict without copying it"
CAUGHT_BY = [
    "tests/sdk_unit/test_client_options.py::test_options_are_frozen_and_keep_their_own_copies",
]


def plant() -> None:
    from collections.abc import Mapping
    from types import MappingProxyType

    from scitrera_aether_client._core import options

    original = options._credentials

    def _credentials(value: object) -> Mapping[str, str] | None:
        original(value)  # the same checks
        return None if value is None else MappingProxyType(value)  # type: ignore[arg-type]

    options._credentials = _credentials
