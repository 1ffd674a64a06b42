"""`aether`, the SDK's command line (docs/cli.md), end to end: the installed console script runs as
a real subprocess against a real gateway subprocess (`python -m aether_gateway serve`) on
127.0.0.1, and each test reads its stdout, stderr and exit code as a shell script would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client.cli import INSTALL_HINT
from scitrera_aether_client.testing import TestPKI, make_test_pki

AETHER = Path(sys.executable).with_name("aether")  # the console script of the SDK in this venv
RUN_TIMEOUT_S = 60


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without AETHER_* (so no setting leaks in), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AETHER_")}
    env.update(extra)
    return env


def aether(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AETHER), *args],
        env=env if env is not None else clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def json_out(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(proc))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """One `serve --dev` process for the module; every test uses identities of its own."""
    proc = GatewayProcess(tmp_path_factory.mktemp("cli-gateway")).start()
    yield proc
    proc.stop()


class Subscriber:
    """`aether ... subscribe` running in the background, started once it reports it connected."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(AETHER), *args],
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        first = self.proc.stderr.readline()  # blocks until connected, or "" if it died
        assert first.startswith("subscribed as "), first + self.proc.stderr.read()

    def finish(self) -> tuple[int, list[str], str]:
        out, err = self.proc.communicate(timeout=RUN_TIMEOUT_S)
        return self.proc.returncode, out.splitlines(), err


def test_the_console_script_is_installed() -> None:
    assert AETHER.is_file(), f"no {AETHER}: is the SDK installed (pip install -e ...[cli])?"
    assert "Usage: aether" in ok(aether("--help"))


def test_health_for_people_and_for_scripts(gateway: GatewayProcess) -> None:
    human = ok(aether("--target", gateway.target, "health")).splitlines()
    assert human[0] == "status: healthy"
    assert human[1].startswith("version: aether-gateway-py/")
    report = json_out(aether("--target", gateway.target, "--json", "health"))
    assert report["status"] == "healthy"
    assert report["sessions_by_type"].get("agent", 0) >= 1  # the CLI's own session at least
    assert set(report) == {
        "status",
        "version",
        "uptime_seconds",
        "sessions_by_type",
        "total_sessions",
        "queued_messages",
    }


def test_send_and_subscribe_print_messages_as_they_arrive(gateway: GatewayProcess) -> None:
    t = ["--target", gateway.target]
    inbox = Subscriber(*t, "--as", "ag::ws::cli::inbox", "--json", "subscribe", "--count", "3")
    sent = ok(aether(*t, "send", "ag::ws::cli::inbox", "hello"))
    assert sent == "sent 5 bytes to ag::ws::cli::inbox: stored by the gateway\n"
    # As a user identity, with a message type, and the payload from stdin.
    as_user = ["--as", "us::alice::w1", "--json", "send", "--type", "chat"]
    assert json_out(aether(*t, *as_user, "ag::ws::cli::inbox", "second")) == {
        "topic": "ag::ws::cli::inbox",
        "bytes": 6,
        "committed": True,
    }
    ok(aether(*t, "--as", "us::alice::w1", "send", "--file", "-", "ag::ws::cli::inbox", stdin="3"))
    code, lines, err = inbox.finish()
    assert code == 0, err
    got = [json.loads(line) for line in lines]
    assert [(m["source_topic"][:4], m["message_type"], m["payload"]) for m in got] == [
        ("ag::", "OPAQUE", "hello"),
        ("us::", "CHAT", "second"),
        ("us::", "OPAQUE", "3"),
    ]
    assert got[1]["source_topic"] == "us::alice::w1"


def test_human_subscribe_lines_and_a_timeout_short_of_the_count(gateway: GatewayProcess) -> None:
    t = ["--target", gateway.target]
    inbox = Subscriber(
        *t, "--as", "ag::ws::cli::short", "subscribe", "--count", "2", "--timeout", "3"
    )
    ok(aether(*t, "--as", "ag::ws::cli::tx", "send", "ag::ws::cli::short", "only one"))
    code, lines, err = inbox.finish()
    assert lines == ["ag::ws::cli::tx [OPAQUE] only one"]
    assert code == 1 and "timed out after 1 of 2 messages" in err


def test_messages_past_the_count_are_left_for_the_next_subscriber(gateway: GatewayProcess) -> None:
    t = ["--target", gateway.target]
    for payload in ("first", "second"):  # queued: the inbox is offline (dev mode queues for it)
        ok(aether(*t, "--as", "ag::ws::cli::tx2", "send", "ag::ws::cli::later", payload))
    first = Subscriber(*t, "--as", "ag::ws::cli::later", "--json", "subscribe", "--count", "1")
    code, lines, err = first.finish()
    assert code == 0, err
    assert [json.loads(line)["payload"] for line in lines] == ["first"]
    again = Subscriber(*t, "--as", "ag::ws::cli::later", "--json", "subscribe", "--count", "1")
    code, lines, err = again.finish()
    assert code == 0, err
    assert [json.loads(line)["payload"] for line in lines] == ["second"]


def test_kv_put_get_list_delete(gateway: GatewayProcess) -> None:
    t = ["--target", gateway.target, "--as", "ag::ws::cli::kv"]
    assert ok(aether(*t, "kv", "put", "cli/greeting", "hello")) == "stored cli/greeting\n"
    ok(aether(*t, "kv", "put", "cli/other", "x", "--scope", "workspace", "--workspace", "ws"))
    assert ok(aether(*t, "kv", "get", "cli/greeting")) == "hello\n"
    assert json_out(aether(*t, "--json", "kv", "list", "cli/")) == {
        "keys": [{"key": "cli/greeting", "value": "hello"}],
        "has_more": False,
    }
    assert ok(aether(*t, "kv", "list", "cli/", "--scope", "workspace", "--workspace", "ws")) == (
        "cli/other\n"
    )
    assert ok(aether(*t, "kv", "delete", "cli/greeting")) == "deleted cli/greeting\n"
    assert json_out(aether(*t, "--json", "kv", "get", "cli/greeting")) == {
        "key": "cli/greeting",
        "value": "",
    }


def test_checkpoint_save_list_load(gateway: GatewayProcess) -> None:
    t = ["--target", gateway.target, "--as", "ag::ws::cli::worker"]
    ok(aether(*t, "checkpoint", "save", "step 3 of 7", "--key", "progress"))
    ok(aether(*t, "checkpoint", "save", "unnamed state"))
    # The unnamed checkpoint is stored under the key "default".
    assert ok(aether(*t, "checkpoint", "list")).splitlines() == ["default", "progress"]
    assert ok(aether(*t, "checkpoint", "load", "progress")) == "step 3 of 7\n"
    loaded = json_out(aether(*t, "--json", "checkpoint", "load"))
    assert (loaded["key"], loaded["data"]) == ("", "unnamed state")
    other = ["--target", gateway.target, "--as", "ag::ws::cli::stranger"]
    assert json_out(aether(*other, "--json", "checkpoint", "list")) == {"keys": []}


def test_admin_basics_with_an_admin_key_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys_create = [sys.executable, "-m", "aether_gateway", "keys", "create"]
    admin_flags = ["--data-dir", str(data), "--type", "Agent", "--name", "ops", "--admin"]
    bootstrap = subprocess.run(
        [*keys_create, *admin_flags], capture_output=True, text=True, check=True, timeout=60
    )
    admin_key = bootstrap.stdout.strip()
    keyed = GatewayProcess(data, dev=False).start()
    try:
        env = clean_env(AETHER_TARGET=keyed.target, AETHER_API_KEY=admin_key)
        minted = json_out(
            aether(
                "--json", "admin", "tokens", "create", "--name", "ci", "--type", "Agent", env=env
            )
        )
        assert minted["key"].startswith("ak_") and minted["token"]["name"] == "ci"
        listed = json_out(aether("--json", "admin", "tokens", "list", env=env))["tokens"]
        assert sorted(t["name"] for t in listed) == ["ci", "ops"]
        assert all("key" not in t and minted["key"] not in json.dumps(t) for t in listed)
        ok(aether("admin", "workspaces", "create", "ws-1", "--display-name", "One", env=env))
        assert ok(aether("admin", "workspaces", "list", env=env)) == "ws-1  One\n"
        sessions = ok(aether("admin", "sessions", "list", env=env))
        assert "ag::default::aether-cli::" in sessions  # the CLI's own session
        # The minted key works from --api-key (its exclusive KV is open to it), but it is no
        # admin key; shared KV needs an ACL rule outside dev mode.
        as_ci = ["--target", keyed.target, "--api-key", minted["key"]]
        assert ok(aether(*as_ci, "kv", "put", "k", "v", "--scope", "global-exclusive")) == (
            "stored k\n"
        )
        shared = aether(*as_ci, "kv", "put", "k", "v")
        assert shared.returncode == 1 and "kv put k failed" in shared.stderr
        refused = aether(*as_ci, "admin", "workspaces", "list")
        assert refused.returncode == 1 and "PERMISSION_DENIED" in refused.stderr
        ok(aether("admin", "tokens", "revoke", minted["token"]["id"], env=env))
        revoked = aether(*as_ci, "health")
        assert revoked.returncode == 1 and "UNAUTHENTICATED" in revoked.stderr
        anonymous = aether("--target", keyed.target, "health")
        assert anonymous.returncode == 1 and "UNAUTHENTICATED" in anonymous.stderr
    finally:
        keyed.stop()


@pytest.fixture
def pki(tmp_path: Path) -> TestPKI:
    return make_test_pki(tmp_path / "pki")


def test_tls_and_mtls_options_and_their_environment_variables(tmp_path: Path, pki: TestPKI) -> None:
    extra = ["--tls-cert", str(pki.server_cert_path), "--tls-key", str(pki.server_key_path)]
    extra += ["--tls-client-ca", str(pki.ca_cert_path)]
    secure = GatewayProcess(tmp_path / "data", extra=extra).start()
    try:
        flags = ["--tls-ca", str(pki.ca_cert_path), "--tls-cert", str(pki.client_cert_path)]
        flags += ["--tls-key", str(pki.client_key_path)]
        env = clean_env(AETHER_TARGET=f"localhost:{secure.port}")
        assert ok(aether(*flags, "health", env=env)).startswith("status: healthy")
        by_env = clean_env(
            AETHER_TARGET=f"localhost:{secure.port}",
            AETHER_TLS_CA_CERT=str(pki.ca_cert_path),
            AETHER_TLS_CLIENT_CERT=str(pki.client_cert_path),
            AETHER_TLS_CLIENT_KEY=str(pki.client_key_path),
        )
        assert ok(aether("health", env=by_env)).startswith("status: healthy")
        no_client_cert = aether("--tls-ca", str(pki.ca_cert_path), "health", env=env)
        assert no_client_cert.returncode == 1
        plaintext = aether("health", env=env)
        assert plaintext.returncode == 1
    finally:
        secure.stop()


def test_usage_errors_exit_2() -> None:
    bad_identity = aether("--as", "orc::x::y", "health")
    assert bad_identity.returncode == 2 and "ag::WORKSPACE::IMPLEMENTATION::SPECIFIER" in (
        bad_identity.stderr
    )
    bad_characters = aether("--as", "ag::ws::bot::a b", "health")
    assert bad_characters.returncode == 2 and "specifier" in bad_characters.stderr
    no_payload = aether("send", "ag::ws::bot::x")
    assert no_payload.returncode == 2 and "PAYLOAD or --file" in no_payload.stderr


def test_without_click_the_command_names_the_extra() -> None:
    hide_click = "import sys; sys.modules['click'] = None\n"
    run = "from scitrera_aether_client.cli import main; raise SystemExit(main(['health']))"
    proc = subprocess.run(
        [sys.executable, "-c", hide_click + run],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert (proc.returncode, proc.stderr.strip()) == (2, INSTALL_HINT)
