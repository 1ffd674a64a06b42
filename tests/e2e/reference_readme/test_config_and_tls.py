"""README snippets 21-24: "Connection Configuration", "Workspace Switching", "Constants" and
"TLS Configuration"."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from aether_gateway.tls import server_credentials
from scitrera_aether_client import AgentClient, TaskClient
from scitrera_aether_client._core.tls import TLSOptions
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.testing import TestPKI

from ._support import WAIT, Inbox


def test_21_connection_configuration() -> None:
    # --- snippet 21 as written ---
    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="01",
        # Retry configuration
        max_retries=5,  # Max connection attempts (0 = infinite)
        initial_backoff=1.0,  # Initial retry delay in seconds
        max_backoff=30.0,  # Maximum retry delay
        auto_reconnect=True,  # Auto-reconnect on connection loss
    )
    # --- end of snippet ---

    # The reference's public attributes; set at construction, not declared on the class.
    settings = (client.max_retries, client.initial_backoff, client.max_backoff)  # type: ignore[attr-defined]
    assert settings == (5, 1.0, 30.0)
    assert client.auto_reconnect is True  # type: ignore[attr-defined]
    # auto_reconnect in action: the gateway goes away and comes back on the same address; the
    # client connects again by itself (on_connect fires a second time) and is usable.
    connected = threading.Semaphore(0)
    lost = threading.Event()
    client.on_connect = connected.release
    client.on_disconnect = lambda reason: lost.set()
    with run_gateway(GatewayConfig(dev_mode=True)) as first:
        client.connect(first.target)
        assert connected.acquire(timeout=WAIT)
    assert lost.wait(WAIT), "the client never noticed the gateway went away"
    with run_gateway(GatewayConfig(dev_mode=True), port=first.port) as again:
        assert connected.acquire(timeout=WAIT), "the client did not reconnect"
        stored = client.kv_put_sync("after", b"reconnect", scope="global", timeout=WAIT)
        assert stored is not None and stored.success
        assert client.is_connected and client.target == again.target
    client.close()


@pytest.mark.parametrize("kind", ["agent", "task"])
def test_22_workspace_switching(sync_gateway: EmbeddedGateway, kind: str) -> None:
    errors: Inbox[aether_pb2.ErrorResponse] = Inbox()
    if kind == "agent":
        client: AgentClient | TaskClient = AgentClient("default", "switcher", "01")
    else:
        client = TaskClient("default", "switcher", unique_specifier="01")
    client.on_error = errors
    client.connect(sync_gateway.target)

    # --- snippet 22 as written ---
    client.switch_workspace("new-workspace")
    # --- end of snippet ---

    # Refused on purpose (docs/sdk.md, "Reference README snippets our gateway refuses"): only
    # users switch workspaces, as in the reference gateway.
    refusal = errors.get()
    client.close()
    assert (refusal.code, refusal.message) == (
        "ERR_INVALID_PRINCIPAL",
        "only users can switch workspaces",
    )


def test_23_constants() -> None:
    # --- snippet 23 as written ---
    # isort: off
    from scitrera_aether_client import (
        # Message types
        CHAT,  # Regular messages
        CONTROL,  # Control/command messages
        TOOL_CALL,  # Tool invocations
        EVENT,  # Events for workflow engine
        METRIC,  # Telemetry data
        # Task assignment modes
        SELF_ASSIGN,  # Creator handles the task
        TARGETED,  # Assign to specific agent
        POOL,  # Load-balanced assignment
        # KV operations
        KV_GET,
        KV_PUT,
        KV_LIST,
        KV_DELETE,
        # KV scopes
        KV_SCOPE_GLOBAL,
        KV_SCOPE_WORKSPACE,
        KV_SCOPE_USER,
        KV_SCOPE_USER_WORKSPACE,
    )

    # isort: on
    # --- end of snippet ---

    # Each constant is the aether.v1 wire value its name says (MessageType, TaskAssignmentMode,
    # KVOperation.OpType) or the scope string the gateway takes.
    names = {
        "CHAT": CHAT,
        "CONTROL": CONTROL,
        "TOOL_CALL": TOOL_CALL,
        "EVENT": EVENT,
        "METRIC": METRIC,
    }
    assert {n: aether_pb2.MessageType.Name(v) for n, v in names.items()} == {n: n for n in names}
    assert (CHAT, CONTROL, TOOL_CALL, EVENT, METRIC) == (1, 2, 3, 4, 5)
    modes = {"SELF_ASSIGN": SELF_ASSIGN, "TARGETED": TARGETED, "POOL": POOL}
    assert {n: aether_pb2.TaskAssignmentMode.Name(v) for n, v in modes.items()} == {
        n: n for n in modes
    }
    kv_ops = {"GET": KV_GET, "PUT": KV_PUT, "LIST": KV_LIST, "DELETE": KV_DELETE}
    assert {n: aether_pb2.KVOperation.OpType.Name(v) for n, v in kv_ops.items()} == {
        n: n for n in kv_ops
    }
    assert (KV_GET, KV_PUT, KV_LIST, KV_DELETE) == (0, 1, 2, 3)
    scopes = (KV_SCOPE_GLOBAL, KV_SCOPE_WORKSPACE, KV_SCOPE_USER, KV_SCOPE_USER_WORKSPACE)
    assert scopes == ("global", "workspace", "user", "user-workspace")


# ------------------------------------------------------------------------------------- TLS


@pytest.fixture
def tls_gateway(pki: TestPKI) -> Iterator[EmbeddedGateway]:
    """Server authentication only: the client needs the test CA to trust it."""
    creds = server_credentials(pki.server_cert, pki.server_key)
    with run_gateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        yield gw


@pytest.fixture
def mtls_gateway(pki: TestPKI) -> Iterator[EmbeddedGateway]:
    """Mutual TLS: the client must also present a certificate the test CA signed."""
    creds = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    with run_gateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        yield gw


SYSTEM_CA_CLIENT = """
from scitrera_aether_client import AgentClient
client = AgentClient(
    workspace="default", implementation="worker", specifier="w1",
    tls_enabled=True,
)
client.connect({target!r})
print("connected" if client.is_connected else "not connected")
client.close()
"""


def test_24_tls_configuration(
    pki: TestPKI, tls_gateway: EmbeddedGateway, mtls_gateway: EmbeddedGateway
) -> None:
    # The snippet's placeholders: the test PKI's files and bytes.
    ca, cert, key = str(pki.ca_cert_path), str(pki.client_cert_path), str(pki.client_key_path)
    ca_cert_bytes, client_cert_bytes, client_key_bytes = (
        pki.ca_cert,
        pki.client_cert,
        pki.client_key,
    )
    built: list[AgentClient] = []

    # --- snippet 24 as written (paths and bytes replaced) ---
    # Simple TLS (server authentication using system CA)
    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
    )
    built.append(client)

    # Custom CA certificate
    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert_path=ca,
    )
    built.append(client)

    # mTLS (mutual authentication)
    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert_path=ca,
        tls_client_cert_path=cert,
        tls_client_key_path=key,
    )
    built.append(client)

    # Pass certificate bytes directly instead of paths
    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert=ca_cert_bytes,
        tls_client_cert=client_cert_bytes,
        tls_client_key=client_key_bytes,
    )
    built.append(client)
    # --- end of snippet ---

    system_ca, custom_ca, mtls_paths, mtls_bytes = built
    assert all(c.tls_enabled for c in built)  # type: ignore[attr-defined]
    # Each client connects over TLS with the material it was given (read at connect; `_conn.tls`
    # is what built the channel). A TLS gateway refuses plaintext, an mTLS one a client without a
    # certificate its CA signed, so getting through proves the material was used.
    for client, gw, material in (
        (custom_ca, tls_gateway, TLSOptions(root_cert=pki.ca_cert)),
        (mtls_paths, mtls_gateway, TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)),
        (mtls_bytes, mtls_gateway, TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)),
    ):
        client.connect(gw.target)
        assert client.is_connected and client._conn.tls == material
        stored = client.kv_put_sync("tls", b"over tls", scope="global")
        assert stored is not None and stored.success
        client.close()
    # "System CA": gRPC reads the system roots once per process, so a fresh process whose
    # roots file is the test CA runs the first client as written and connects.
    env = dict(os.environ, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=str(pki.ca_cert_path))
    done = subprocess.run(
        [sys.executable, "-c", SYSTEM_CA_CLIENT.format(target=tls_gateway.target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "connected\n"), done.stderr[-2000:]
    system_ca.close()
