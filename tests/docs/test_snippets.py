"""Every ```python block of docs/*.md runs against a real embedded gateway (tests/docs/snippets.py
says how), and the blocks that opt out say why."""

from __future__ import annotations

import pytest

from .snippets import Block, Session, blocks, run_session, sessions

ALL = blocks()
SESSIONS = sessions(ALL)
# Pages that must keep runnable examples: a parser that stopped finding blocks would otherwise
# pass with nothing run.
PAGES_WITH_EXAMPLES = {"admin.md", "proxy.md", "security.md", "quickstart.md", "deploying.md"}


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s.id)
def test_docs_block_runs(session: Session) -> None:
    run_session(session)


def test_blocks_are_found_and_opt_outs_give_reasons() -> None:
    ran = [b for b in ALL if not b.skip]
    assert len(ran) >= 20, f"only {len(ran)} Python blocks found in docs/"
    assert {b.page for b in ran} >= PAGES_WITH_EXAMPLES
    assert all(b.skip.strip() for b in ALL if b.skip)
    assert sum(len(s.blocks) for s in SESSIONS) == len(ran)


def test_directives_are_parsed(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n<!-- docs-test: continue; given gateway -->\n"
        "```python\ny = x\n```\n<!-- docs-test: skip needs a cluster -->\n```py\nz\n```\n"
        "```bash\nnot python\n```\n"
    )
    found = blocks(tmp_path)
    assert [(b.line, b.continues, b.given, b.skip) for b in found] == [
        (1, False, (), ""),
        (6, True, ("gateway",), ""),
        (10, False, (), "needs a cluster"),
    ]
    assert [len(s.blocks) for s in sessions(found)] == [2]


def test_a_failing_block_fails_its_test() -> None:
    broken = Session([Block("x.md", 1, "assert 1 + 1 == 3\n")])
    with pytest.raises(AssertionError):
        run_session(broken)


def test_a_block_that_names_the_placeholder_reaches_a_real_gateway() -> None:
    code = (
        "from scitrera_aether_client import AgentClient\n"
        "c = AgentClient('ws', 'docs', 'probe')\n"
        "c.connect('localhost:50051')\n"
        "assert c.is_connected\n"
    )
    run_session(Session([Block("x.md", 1, code)]))


def test_top_level_await_and_test_functions_run() -> None:
    code = (
        "import asyncio\n"
        "await asyncio.sleep(0)\n"
        "CALLED = []\n"
        "async def test_example():\n"
        "    CALLED.append(1)\n"
        "    raise RuntimeError('test_example was called')\n"
    )
    with pytest.raises(RuntimeError, match="was called"):
        run_session(Session([Block("x.md", 1, code)]))


def test_a_pytest_block_runs_its_tests_and_fails_with_them() -> None:
    passing = Block("x.md", 1, "def test_ok():\n    assert True\n", pytest=True)
    run_session(Session([passing]))
    failing = Block("x.md", 1, "def test_broken():\n    assert 1 + 1 == 3\n", pytest=True)
    with pytest.raises(AssertionError, match="pytest exit 1"):
        run_session(Session([failing]))
