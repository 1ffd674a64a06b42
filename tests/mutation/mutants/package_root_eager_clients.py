"""The package root imports every client class at import time again (the 150 ms import)."""

from __future__ import annotations

FAULT = "import scitrera_aether_client loads every generated client module eagerly"
CAUGHT_BY = [
    "tests/sdk_unit/test_lazy_package_root.py"
    "::test_the_bare_import_loads_no_client_admin_http_or_cli_module",
]


def plant() -> None:
    from scitrera_aether_client._generated import exports

    # What the old eager `from ._generated.exports import *` did at package import.
    for name in exports.__all__:
        getattr(exports, name)
