"""Functional tier: generate from inline YAML, import the result, run it against a real gateway."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import FIXTURE, render_fixture

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client.proto import aether_pb2


def _import_generated(tmp_path: Path, spec_text: str, name: str) -> dict[str, ModuleType]:
    for rel, text in render_fixture(spec_text).items():
        target = tmp_path / name / rel.removeprefix("pkg/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / name / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        return {
            mod: importlib.import_module(f"{name}._generated.{mod}")
            for mod in ("clients_async", "clients", "principals", "topics")
        }
    finally:
        sys.path.remove(str(tmp_path))


@pytest.fixture
def probe_sdk(tmp_path: Path) -> dict[str, ModuleType]:
    return _import_generated(tmp_path, (FIXTURE / "principals.yaml").read_text(), "probe_sdk_a")


async def test_new_principal_from_yaml_talks_through_the_gateway(
    probe_sdk: dict[str, ModuleType],
) -> None:
    table = probe_sdk["principals"]
    config = GatewayConfig(
        dev_mode=True, principals=table.BY_ARM, prefixes=probe_sdk["topics"].VALID_PREFIXES
    )
    async with EmbeddedGateway(config) as gateway:
        clients = probe_sdk["clients_async"]
        one, two = clients.AsyncProbeClient("lab", "one"), clients.AsyncProbeClient("lab", "two")
        got: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
        two.on_chat_message = got.put_nowait
        await one.connect(gateway.target)
        await two.connect(gateway.target)
        await one.send_message_to_probe("lab", "two", b"ping")  # CHAT by the principal's override
        msg = await asyncio.wait_for(got.get(), 5)
        assert msg.source_topic == "pr::lab::one"
        assert msg.payload == b"ping" and msg.message_type == aether_pb2.CHAT
        await one.close()
        await two.close()


async def test_the_permission_table_comes_from_the_yaml(probe_sdk: dict[str, ModuleType]) -> None:
    table = probe_sdk["principals"]
    config = GatewayConfig(
        dev_mode=True, principals=table.BY_ARM, prefixes=probe_sdk["topics"].VALID_PREFIXES
    )
    async with EmbeddedGateway(config) as gateway:
        clients = probe_sdk["clients_async"]
        probe = clients.AsyncProbeClient("lab", "three")
        errors: asyncio.Queue[aether_pb2.ErrorResponse] = asyncio.Queue()
        probe.on_error = errors.put_nowait
        await probe.connect(gateway.target)
        await probe.send_message("ag::ws::impl::spec", b"x")  # probes may send only to pr::
        err = await asyncio.wait_for(errors.get(), 5)
        assert err.code == "ERR_PERMISSION_DENIED"
        await probe.close()


def test_editing_the_yaml_changes_the_generated_clients(tmp_path: Path) -> None:
    text = (FIXTURE / "principals.yaml").read_text()
    edited = text.replace("class: Probe", "class: Sonde")
    sdk = _import_generated(tmp_path, edited, "probe_sdk_b")
    assert hasattr(sdk["clients"], "SondeClient") and not hasattr(sdk["clients"], "ProbeClient")
    assert hasattr(sdk["clients_async"], "AsyncSondeClient")


def test_generated_sync_client_validates_identity(probe_sdk: dict[str, ModuleType]) -> None:
    from scitrera_aether_client import InvalidArgumentError

    with pytest.raises(InvalidArgumentError) as info:
        probe_sdk["clients"].ProbeClient("lab", "bad::spec")
    assert info.value.argument == "specifier"
