"""The SDK's pytest plugin (entry point `aether` in pytest11, docs/testing.md), used as a user's
project uses it: a fresh pytest process in an empty directory, with no conftest of ours and
pytest-asyncio in its default strict mode. The inner tests run real gateways and clients; this
test reads the inner run's outcome line and exit code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

INNER_TIMEOUT_S = 300

PROJECT_TESTS = """
import pytest

from scitrera_aether_client import (
    AgentClient, AsyncAgentClient, BaseAetherClient, BaseAsyncAetherClient,
)

OPENED: list[object] = []
TARGETS: dict[str, str] = {}


def test_function_gateway_and_sync_factory(aether_gateway, aether_client):
    got = []
    receiver = aether_client(AgentClient("ws", "bot", "rx"))
    receiver.on_message = got.append
    sender = aether_client(AgentClient("ws", "bot", "tx"))
    sender.send_message_to_agent("ws", "bot", "rx", b"hi", wait_for_commit=True)
    import time
    deadline = time.monotonic() + 10
    while not got:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert got[0].payload == b"hi"
    assert receiver.target == sender.target == aether_gateway.target
    OPENED.extend([receiver, sender])
    TARGETS["function-1"] = aether_gateway.target


def test_the_factory_closed_what_it_opened():
    assert len(OPENED) == 2
    assert all(isinstance(c, BaseAetherClient) and not c.is_running for c in OPENED)
    OPENED.clear()


def test_each_test_gets_its_own_gateway(aether_gateway):
    TARGETS["function-2"] = aether_gateway.target
    assert TARGETS["function-2"] != TARGETS["function-1"]


def test_session_gateway_first(aether_gateway_session, aether_client):
    client = aether_client(AgentClient("ws", "bot", "s1"))
    assert client.target == aether_gateway_session.target  # the factory picked the session one
    TARGETS["session"] = aether_gateway_session.target


def test_session_gateway_is_shared(aether_gateway_session):
    assert aether_gateway_session.target == TARGETS["session"]
    assert TARGETS["session"] not in (TARGETS["function-1"], TARGETS["function-2"])


@pytest.mark.asyncio
async def test_async_gateway_and_factory(async_aether_gateway, async_aether_client):
    client = await async_aether_client(AsyncAgentClient("ws", "bot", "a1"))
    assert client.is_connected and client.target == async_aether_gateway.target
    response = await client.kv_put("k", b"v")
    assert response is not None and response.success
    OPENED.append(client)


def test_the_async_factory_closed_what_it_opened():
    assert len(OPENED) == 1
    assert isinstance(OPENED[0], BaseAsyncAetherClient) and not OPENED[0].is_running


def test_the_factory_refuses_the_wrong_kind_of_client(aether_client):
    with pytest.raises(TypeError, match="async_aether_client"):
        aether_client(AsyncAgentClient("ws", "bot", "wrong"))
"""

CHECKED_CONFTEST = """
import pytest
from aether_gateway.config import GatewayConfig


@pytest.fixture(scope="session")
def aether_gateway_config():
    return GatewayConfig(dev_mode=False)
"""

CHECKED_TESTS = """
import pytest
from scitrera_aether_client import AgentClient, AuthenticationError


def test_the_config_override_reaches_the_gateway(aether_gateway, aether_client):
    assert not aether_gateway.config.dev_mode
    with pytest.raises(AuthenticationError):
        aether_client(AgentClient("ws", "bot", "anonymous"))
"""

NO_GATEWAY_CONFTEST = """
import sys

sys.modules["aether_gateway"] = None  # as if only the SDK were installed, without [testing]
"""

NO_GATEWAY_TESTS = """
def test_a_test_without_the_fixtures_still_runs():
    import scitrera_aether_client  # noqa: F401


def test_the_fixture_explains_what_is_missing(aether_gateway):
    raise AssertionError("not reached: the fixture fails first")
"""


def run_inner(project: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=INNER_TIMEOUT_S,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def outcome(output: str) -> str:
    """The inner run's closing line, e.g. "8 passed in 3.1s" -> "8 passed"."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    assert lines, output
    return re.sub(r"\s+in [\d.]+s.*$", "", lines[-1].strip("= "))


def test_a_project_gets_gateways_and_clients_that_close_themselves(tmp_path: Path) -> None:
    (tmp_path / "test_with_plugin.py").write_text(PROJECT_TESTS)
    code, output = run_inner(tmp_path)
    assert (code, outcome(output)) == (0, "8 passed"), output


def test_a_project_overrides_the_gateway_config(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CHECKED_CONFTEST)
    (tmp_path / "test_checked.py").write_text(CHECKED_TESTS)
    code, output = run_inner(tmp_path)
    assert (code, outcome(output)) == (0, "1 passed"), output


def test_without_the_gateway_the_fixture_fails_with_an_install_hint(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(NO_GATEWAY_CONFTEST)
    (tmp_path / "test_no_gateway.py").write_text(NO_GATEWAY_TESTS)
    code, output = run_inner(tmp_path)
    assert (code, outcome(output)) == (1, "1 passed, 1 error"), output
    assert "pip install 'scitrera-aether-client[testing]'" in output
    assert "not reached" not in output
