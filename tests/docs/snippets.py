"""Finds the ```python blocks of docs/*.md and runs them against a real embedded gateway.

A block runs as written, with three helps, each declared in the Markdown right above the block
as an HTML comment (invisible on the site):

    <!-- docs-test: skip why it cannot run here -->     opt out (counted and reported)
    <!-- docs-test: continue -->                         run in the namespace, loop and gateway
                                                         of the previous block of the same page
    <!-- docs-test: given NAME, NAME -->                 names the block uses but does not make
                                                         (see GIVEN), provided by the runner
    <!-- docs-test: pytest -->                           the block is a test module: it is run by
                                                         pytest in a subprocess and must pass

Directives combine with `;` (`continue; given fastapi_app`). A block that names
`localhost:50051` gets a fresh in-process gateway (dev mode, in-memory) and that address is
replaced by the gateway's own. Top-level `await` works (the block runs on the session's event
loop), and functions named `test_*` without parameters that a block defines are called after it,
so a pytest example in the docs is executed, not just defined. At the end of a session every SDK
client in its namespace is closed and its gateway stopped.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from scitrera_aether_client import (
    AdminClient,
    AgentClient,
    AsyncAgentClient,
    BaseAetherClient,
    BaseAsyncAetherClient,
    ServiceClient,
)
from scitrera_aether_client.http.server import MintedRequest, serve

DOCS = Path(__file__).resolve().parents[2] / "docs"
PLACEHOLDER_TARGET = "localhost:50051"
FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
PYTHON = {"python", "py"}
PYTEST_TIMEOUT_S = 120


@dataclass
class Block:
    page: str  # path relative to docs/
    line: int  # of the opening fence
    code: str
    skip: str = ""  # the reason, when the block opts out
    continues: bool = False
    given: tuple[str, ...] = ()
    pytest: bool = False

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


@dataclass
class Session:
    """Blocks that share one namespace: one block and the `continue` blocks after it."""

    blocks: list[Block] = field(default_factory=list)

    @property
    def id(self) -> str:
        first = self.blocks[0]
        more = f"+{len(self.blocks) - 1}" if len(self.blocks) > 1 else ""
        return f"{first.page}:{first.line}{more}"


def blocks(docs: Path = DOCS) -> list[Block]:
    """Every Python block of every page, in page order, with its directives applied."""
    found: list[Block] = []
    for path in sorted(docs.rglob("*.md")):
        found += _page_blocks(path.relative_to(docs).as_posix(), path.read_text().splitlines())
    return found


def _page_blocks(page: str, lines: list[str]) -> list[Block]:
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, lang = match.group(1), match.group(2).lower()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        if lang not in PYTHON:
            continue
        block = Block(page, start + 1, "\n".join(body) + "\n")
        previous = start - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0 and (directive := DIRECTIVE.match(lines[previous])):
            _apply(block, directive.group(1))
        out.append(block)
    return out


def _apply(block: Block, text: str) -> None:
    for part in (p.strip() for p in text.split(";")):
        word, _, rest = part.partition(" ")
        if word == "skip":
            if not rest.strip():
                raise ValueError(f"{block.where}: `skip` needs a reason")
            block.skip = rest.strip()
        elif word == "continue":
            block.continues = True
        elif word == "pytest":
            block.pytest = True
        elif word == "given":
            names = tuple(n.strip() for n in rest.split(",") if n.strip())
            unknown = [n for n in names if n not in GIVEN]
            if unknown:
                raise ValueError(f"{block.where}: nothing provides {unknown}; see GIVEN")
            block.given = names
        else:
            raise ValueError(f"{block.where}: unknown docs-test directive {part!r}")


def sessions(all_blocks: list[Block]) -> list[Session]:
    out: list[Session] = []
    for block in all_blocks:
        if block.skip:
            continue
        if block.continues:
            if not out or out[-1].blocks[0].page != block.page:
                raise ValueError(f"{block.where}: `continue` with no block before it on the page")
            out[-1].blocks.append(block)
        else:
            out.append(Session([block]))
    return out


# ------------------------------------------------------------------------------ running


class Runner:
    """One session's event loop, gateway, namespace and everything to close at the end."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.namespace: dict[str, Any] = {"__name__": "__docs__"}
        self.gateway: EmbeddedGateway | None = None
        self._gateway_cm: contextlib.AbstractContextManager[EmbeddedGateway] | None = None
        self._cleanups: list[Callable[[], None]] = []

    def target(self) -> str:
        if self.gateway is None:
            self._gateway_cm = run_gateway(GatewayConfig(dev_mode=True))
            self.gateway = self._gateway_cm.__enter__()
        return self.gateway.target

    def run(self, block: Block) -> None:
        if block.pytest:
            run_pytest(block)
            return
        code = block.code
        if PLACEHOLDER_TARGET in code:
            code = code.replace(PLACEHOLDER_TARGET, self.target())
        for name in block.given:
            if name not in self.namespace:
                self.namespace[name] = GIVEN[name](self)
        before = set(self.namespace)
        compiled: CodeType = compile(
            code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
        if compiled.co_flags & inspect.CO_COROUTINE:
            self.loop.run_until_complete(eval(compiled, self.namespace))
        else:
            exec(compiled, self.namespace)
        for name in sorted(set(self.namespace) - before):
            value = self.namespace[name]
            if name.startswith("test_") and callable(value) and _no_parameters(value):
                result = value()
                if inspect.isawaitable(result):
                    self.loop.run_until_complete(result)

    def close(self) -> None:
        clients = [v for v in self.namespace.values() if isinstance(v, BaseAetherClient)]
        async_clients = [v for v in self.namespace.values() if isinstance(v, BaseAsyncAetherClient)]
        try:
            for cleanup in reversed(self._cleanups):
                cleanup()
            for client in clients:
                client.close()
            for async_client in async_clients:
                self.loop.run_until_complete(async_client.close())
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()
            if self._gateway_cm is not None:
                self._gateway_cm.__exit__(None, None, None)
            self.namespace.clear()


def _no_parameters(function: Callable[..., object]) -> bool:
    try:
        return not inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def run_pytest(block: Block) -> None:
    """Run the block as a test module with pytest (asyncio_mode=auto); every test must pass."""
    with tempfile.TemporaryDirectory() as tmp:
        module = Path(tmp) / "test_docs_example.py"
        module.write_text(block.code)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tmp]
        cmd += ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
        cmd += ["-W", "error", str(module)]
        proc = subprocess.run(
            cmd, cwd=tmp, capture_output=True, text=True, timeout=PYTEST_TIMEOUT_S, check=False
        )
    summary = proc.stdout.strip().splitlines()[-1:] or [""]
    assert proc.returncode == 0 and " passed" in summary[0] and "skipped" not in summary[0], (
        f"{block.where}: pytest exit {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    )


def run_session(session: Session) -> None:
    runner = Runner()
    try:
        for block in session.blocks:
            runner.run(block)
    finally:
        runner.close()


# ------------------------------------------------------------------------------ given names
# What a block may name without making it. Each factory gets the session's runner.


def _admin_key(runner: Runner) -> str:
    runner.target()
    assert runner.gateway is not None
    _, plaintext = runner.gateway.services.tokens.create(
        "docs-admin", "Agent", scopes=("connect", "admin"), workspace_patterns=("*",)
    )
    return plaintext


def _gateway(runner: Runner) -> EmbeddedGateway:
    runner.target()
    assert runner.gateway is not None
    return runner.gateway


def _agent(runner: Runner) -> AgentClient:
    agent = AgentClient("ws-1", "docs-console", "given")
    agent.connect(runner.target())
    runner._cleanups.append(agent.close)
    return agent


def _async_agent(runner: Runner) -> AsyncAgentClient:
    agent = AsyncAgentClient("ws-1", "docs-console", "given-async")
    runner.loop.run_until_complete(agent.connect(runner.target()))
    runner._cleanups.append(lambda: runner.loop.run_until_complete(agent.close()))
    return agent


def _admin(runner: Runner) -> AdminClient:
    agent = AgentClient("ws-1", "docs-admin", "given")
    agent.connect(runner.target())
    runner._cleanups.append(agent.close)
    return AdminClient(agent)


async def _hello_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal ASGI app standing in for a FastAPI or Starlette application."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello from " + scope["path"].encode()})


def _asgi_app(runner: Runner) -> object:
    return _hello_asgi


def _memorylayer(runner: Runner) -> ServiceClient:
    """A `memorylayer` service (instance `default`) answering 200 on every path."""
    service = ServiceClient("memorylayer", "default")
    service.connect(runner.target())

    def answer(request: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        return 200, {"content-type": "text/plain"}, b"ok " + request.path.encode()

    server = serve(service, answer)
    runner._cleanups.append(service.close)
    runner._cleanups.append(server.stop)
    return service


GIVEN: dict[str, Callable[[Runner], object]] = {
    "ADMIN_KEY": _admin_key,  # an admin-scoped API key of the session's gateway
    "gateway": _gateway,  # the session's EmbeddedGateway
    "agent": _agent,  # a connected AgentClient
    "async_agent": _async_agent,  # a connected AsyncAgentClient (on the session's loop)
    "admin": _admin,  # an AdminClient over a connected AgentClient
    "fastapi_app": _asgi_app,  # an ASGI app
    "starlette_app": _asgi_app,
    "memorylayer_service": _memorylayer,  # a live sv::memorylayer::default serving HTTP
}
