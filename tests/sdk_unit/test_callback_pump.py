"""The async clients' callback pump (issue 12): a callback starts at once when none runs, yet
callbacks still run one at a time in arrival order, and one cancelled by close() is not done."""

from __future__ import annotations

import asyncio

from scitrera_aether_client._core.callback_pump import EAGER, CallbackPump


async def test_a_plain_callback_runs_inside_submit_when_none_is_running() -> None:
    pump = CallbackPump()
    seen: list[str] = []
    done: list[str] = []
    # Nothing is left for the loop to run, so the reader need not yield to it.
    assert not pump.submit(seen.append, ("now",), lambda: done.append("now"))
    assert seen == ["now"] and done == ["now"]  # no loop iteration needed


async def test_callbacks_queue_behind_a_waiting_coroutine_in_arrival_order() -> None:
    pump = CallbackPump()
    seen: list[str] = []
    done: list[str] = []
    release = asyncio.Event()

    async def slow(tag: str) -> None:
        seen.append(f"{tag} start")
        await release.wait()
        seen.append(f"{tag} end")

    # A task that has yet to take its first step is reported (Python 3.11): the reader yields.
    assert pump.submit(slow, ("a",), lambda: done.append("a")) is not EAGER
    assert not pump.submit(seen.append, ("b",), lambda: done.append("b"))  # waits for a
    pump.submit(slow, ("c",), lambda: done.append("c"))
    for _ in range(3):
        await asyncio.sleep(0)
    assert seen == ["a start"] and done == []
    release.set()
    await pump.drain(5)
    assert seen == ["a start", "a end", "b", "c start", "c end"]
    assert done == ["a", "b", "c"]


async def test_a_raising_callback_is_done_and_the_next_one_runs() -> None:
    pump = CallbackPump()
    done: list[str] = []

    def boom(_: object) -> None:
        raise RuntimeError("callback failure")

    async def boom_later(_: object) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async callback failure")

    pump.submit(boom, (1,), lambda: done.append("plain"))
    pump.submit(boom_later, (2,), lambda: done.append("async"))
    pump.submit(lambda _: None, (3,), lambda: done.append("after"))
    await pump.drain(5)
    assert done == ["plain", "async", "after"]


async def test_a_callback_cancelled_by_stop_is_not_done() -> None:
    pump = CallbackPump()
    done: list[str] = []
    started = asyncio.Event()

    async def forever(_: object) -> None:
        started.set()
        await asyncio.Event().wait()

    pump.submit(forever, (1,), lambda: done.append("forever"))
    pump.submit(lambda _: None, (2,), lambda: done.append("queued"))
    await asyncio.wait_for(started.wait(), 5)
    pump.stop()
    for _ in range(3):
        await asyncio.sleep(0)
    assert done == []  # neither acknowledged: the gateway redelivers them
    pump.submit(lambda _: None, (3,), lambda: done.append("later"))
    assert done == ["later"]  # the pump works after stop (a client reconnects)


async def test_done_is_recorded_before_a_task_the_callback_woke_runs() -> None:
    """The `aether subscribe` shape: the callback sets an event, the task waiting on it closes the
    client at once. The acknowledgement must already be recorded when that task resumes."""
    pump = CallbackPump()
    done: list[str] = []
    enough = asyncio.Event()

    async def on_message(_: object) -> None:
        await asyncio.sleep(0)  # a real callback that waits once (so it runs as its own task)
        enough.set()

    pump.submit(on_message, (1,), lambda: done.append("first"))
    await enough.wait()  # resumes in the loop turn after the callback returned
    assert done == ["first"]
