"""`import scitrera_aether_client` loads grpc, protobuf, the constants and the exceptions only; the
client classes, admin, storage, HTTP and CLI modules load on first use of a name (PEP 562), and
every public name still resolves, by attribute, by `from ... import *` and in `dir()`."""

from __future__ import annotations

import json
import subprocess
import sys

import scitrera_aether_client as package
from scitrera_aether_client._generated import exports

PROBE = """
import json, sys
import scitrera_aether_client as p
before = sorted(m for m in sys.modules if m.startswith("scitrera_aether_client"))
p.AgentClient
after = sorted(m for m in sys.modules if m.startswith("scitrera_aether_client"))
print(json.dumps([before, after]))
"""

# Heavy modules the bare import used to load; none of them may load before a name needs it.
HEAVY = (
    "scitrera_aether_client._generated.clients",
    "scitrera_aether_client._generated.clients_async",
    "scitrera_aether_client._generated.storage",
    "scitrera_aether_client._generated.admin",
    "scitrera_aether_client._core.connection",
    "scitrera_aether_client.admin",
    "scitrera_aether_client.admin_async",
    "scitrera_aether_client.client",
    "scitrera_aether_client.client_async",
    "scitrera_aether_client.http",
    "scitrera_aether_client.cli",
)


def _probe() -> tuple[list[str], list[str]]:
    # A fresh interpreter: this one has long since imported everything.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    before, after = json.loads(done.stdout)
    return before, after


def test_the_bare_import_loads_no_client_admin_http_or_cli_module() -> None:
    before, after = _probe()
    assert [m for m in HEAVY if m in before] == []
    # The first use of a client class loads its module (and nothing is left lazy by mistake).
    assert "scitrera_aether_client._generated.clients" in after


def test_every_public_name_resolves_and_is_listed() -> None:
    namespace: dict[str, object] = {}
    exec("from scitrera_aether_client import *", namespace)
    assert set(package.__all__) <= set(namespace)
    assert set(package.__all__) <= set(dir(package))
    assert set(exports.__all__) <= set(package.__all__)
    assert all(getattr(package, n) is namespace[n] for n in package.__all__)


def test_formerly_eager_submodules_resolve_as_attributes() -> None:
    assert package.admin.AdminClient is package.AdminClient
    assert package.client_async.ResolvedIdentity is package.ResolvedIdentity


def test_unknown_names_raise_attribute_error() -> None:
    try:
        getattr(package, "NoSuchClient")  # noqa: B009  (mypy refuses the misspelt name itself)
    except AttributeError as error:
        assert "NoSuchClient" in str(error)
    else:
        raise AssertionError("an unknown name resolved")
