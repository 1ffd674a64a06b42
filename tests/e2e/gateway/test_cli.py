"""Issue 3 item 1: `aether-gateway serve` as a process: signals, TLS flags, the dev-mode warning."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_process import GatewayProcess, free_port

from scitrera_aether_client import AsyncAgentClient, ConnectionError
from scitrera_aether_client.proto import aether_pb2

from ._support import FAST, Inbox, messages, wait_payload

SCRIPT = Path(sys.executable).parent / "aether-gateway"


class ScriptGateway:
    """The installed console script, with its stderr kept for inspection."""

    def __init__(self, data_dir: Path, stderr_path: Path, *args: str) -> None:
        self.port = free_port()
        self.stderr_path = stderr_path
        cmd = [str(SCRIPT), "serve", "--port", str(self.port), "--data-dir", str(data_dir), *args]
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, text=True)

    def ready(self) -> ScriptGateway:
        """Wait for the "listening on" line."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if "listening on" in line:
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"aether-gateway did not start: {self.stderr_path.read_text()}")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def signal(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def script_gateways(tmp_path: Path) -> Iterator[list[ScriptGateway]]:
    started: list[ScriptGateway] = []
    yield started
    for gw in started:
        gw.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_sends_graceful_disconnect_and_exits_zero(
    tmp_path: Path, script_gateways: list[ScriptGateway], opened, sig: int
) -> None:
    gw = ScriptGateway(tmp_path / "data", tmp_path / "stderr.log", "--dev")
    script_gateways.append(gw)
    gw.ready()
    client = AsyncAgentClient("ws", "bot", "graceful", auto_reconnect=False)
    signals: Inbox[aether_pb2.Signal] = Inbox()
    client.on_signal = signals
    # Connected first: a signal in the instant after "listening on" is printed finds no handler
    # yet (cli._serve installs them after the print) and kills the process with the default.
    await opened(client, gw.target)
    code = await asyncio.to_thread(gw.signal, sig)
    assert code == 0
    signal_frame = await signals.wait_for()
    assert signal_frame.type == aether_pb2.Signal.GRACEFUL_DISCONNECT
    assert signal_frame.reason == "server shutting down"


def test_dev_mode_warns_at_start(tmp_path: Path, script_gateways: list[ScriptGateway]) -> None:
    dev = ScriptGateway(tmp_path / "dev", tmp_path / "dev.log", "--dev")
    secure = ScriptGateway(tmp_path / "secure", tmp_path / "secure.log")
    script_gateways += [dev, secure]
    dev.ready()
    secure.ready()
    # The warning is logged before the "listening on" line, so it is in the log by now.
    assert "dev mode" in dev.stderr_path.read_text()
    assert "dev mode" not in secure.stderr_path.read_text()


def test_mismatched_tls_flags_are_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), "serve", "--port", "0", "--tls-cert", str(tmp_path / "c.pem")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "--tls-cert and --tls-key go together" in result.stderr


@pytest.fixture
def pki(tmp_path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("cryptography", reason="TLS tests mint certificates with cryptography")
    from scitrera_aether_client.testing.certs import make_test_pki

    return make_test_pki(tmp_path / "pki")


@pytest.fixture
def tls_process(tmp_path: Path, pki) -> Iterator[GatewayProcess]:
    extra = ["--tls-cert", str(pki.server_cert_path), "--tls-key", str(pki.server_key_path)]
    proc = GatewayProcess(tmp_path / "data", extra=extra).start()
    yield proc
    proc.stop()


async def test_tls_flags_serve_tls(tls_process: GatewayProcess, pki, opened) -> None:
    sender = AsyncAgentClient("ws", "bot", "a", tls_enabled=True, tls_root_cert=pki.ca_cert)
    receiver = AsyncAgentClient("ws", "bot", "b", tls_enabled=True, tls_root_cert=pki.ca_cert)
    received = messages(receiver)
    await opened(sender, tls_process.target)
    await opened(receiver, tls_process.target)
    await sender.send_message_to_agent("ws", "bot", "b", b"over tls")
    await wait_payload(received, b"over tls")
    plaintext = AsyncAgentClient("ws", "bot", "plain", max_retries=1, **FAST)
    with pytest.raises(ConnectionError):
        await plaintext.connect(tls_process.target)
    await plaintext.close()


async def test_tls_client_ca_flag_requires_client_certificates(tmp_path: Path, pki, opened) -> None:
    extra = [
        "--tls-cert",
        str(pki.server_cert_path),
        "--tls-key",
        str(pki.server_key_path),
        "--tls-client-ca",
        str(pki.ca_cert_path),
    ]
    proc = GatewayProcess(tmp_path / "data", extra=extra).start()
    try:
        with_cert = AsyncAgentClient(
            "ws",
            "bot",
            "mtls",
            tls_enabled=True,
            tls_root_cert=pki.ca_cert,
            tls_client_cert=pki.client_cert,
            tls_client_key=pki.client_key,
        )
        await opened(with_cert, proc.target)
        assert (await with_cert.checkpoint_list()).success
        without = AsyncAgentClient(
            "ws",
            "bot",
            "nocert",
            tls_enabled=True,
            tls_root_cert=pki.ca_cert,
            max_retries=1,
            **FAST,
        )
        with pytest.raises(ConnectionError):
            await without.connect(proc.target)
        await without.close()
        await with_cert.close()
    finally:
        proc.stop()
