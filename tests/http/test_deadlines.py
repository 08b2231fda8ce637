"""Deadline scopes: TimeoutError at the deadline, one shared timer, foreign cancels kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from conversation_async._http.deadlines import Deadlines


def deadlines() -> tuple[Deadlines, asyncio.AbstractEventLoop]:
    loop = asyncio.get_running_loop()
    return Deadlines(loop), loop


async def test_scope_raises_timeout_error_at_its_deadline() -> None:
    """Work still running at the deadline is cancelled and reported as TimeoutError."""
    shared, loop = deadlines()
    started = time.monotonic()
    with pytest.raises(TimeoutError), shared.scope(loop.time() + 0.05) as scope:
        await asyncio.sleep(5)
    assert 0.05 <= time.monotonic() - started < 1.0
    assert scope.expired
    assert shared.active == 0


async def test_scope_left_in_time_cancels_nothing_later() -> None:
    """A scope left before its deadline never cancels the task afterwards."""
    shared, loop = deadlines()
    with shared.scope(loop.time() + 0.05) as scope:
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)  # past the old deadline: would raise CancelledError if armed
    assert not scope.expired
    assert shared.active == 0


async def test_rescheduling_earlier_takes_effect() -> None:
    """Moving a far deadline close makes it fire at the new time."""
    shared, loop = deadlines()
    started = time.monotonic()
    scope = shared.scope(loop.time() + 60)

    async def work() -> None:
        with scope:
            scope.reschedule(loop.time() + 0.05)
            await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        await work()
    assert time.monotonic() - started < 1.0


async def test_rescheduling_later_extends_the_scope() -> None:
    """Moving a close deadline away lets slower work finish."""
    shared, loop = deadlines()
    with shared.scope(loop.time() + 0.05) as scope:
        scope.reschedule(loop.time() + 5)
        await asyncio.sleep(0.15)
    assert not scope.expired


async def test_a_deadline_already_passed_fires_at_the_first_await() -> None:
    """A scope entered after its deadline times out instead of running unbounded."""
    shared, loop = deadlines()
    with pytest.raises(TimeoutError), shared.scope(loop.time() - 1):
        await asyncio.sleep(5)


async def test_outside_cancellation_stays_a_cancellation() -> None:
    """Cancelling the task before the deadline raises CancelledError, not TimeoutError."""
    shared, loop = deadlines()

    async def work() -> None:
        with shared.scope(loop.time() + 60):
            await asyncio.sleep(5)

    task = asyncio.create_task(work())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert shared.active == 0


async def test_a_cancel_arriving_with_the_deadline_is_not_swallowed() -> None:
    """When the deadline and a foreign cancel hit together, the cancellation wins."""
    shared, loop = deadlines()
    when = loop.time() + 0.05

    async def work() -> None:
        with shared.scope(when):
            await asyncio.sleep(5)

    task = asyncio.create_task(work())
    await asyncio.sleep(0)  # the scope is entered and its timer armed
    loop.call_at(when, task.cancel)  # due in the same loop iteration as the deadline
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_each_task_gets_its_own_timeout() -> None:
    """Of many concurrent scopes, only those past their deadline time out."""
    shared, loop = deadlines()

    async def work(limit: float, duration: float) -> str:
        try:
            with shared.scope(loop.time() + limit):
                await asyncio.sleep(duration)
        except TimeoutError:
            return "timeout"
        return "done"

    cases = [(0.05, 0.5), (0.5, 0.05), (0.1, 0.5), (5.0, 0.2)] * 5
    outcomes = await asyncio.gather(*(work(t, d) for t, d in cases))
    assert outcomes == ["timeout", "done", "timeout", "done"] * 5
    assert shared.active == 0


class RecordingLoop:
    """Just what Deadlines asks of a loop: the time, and timers (recorded, run by hand)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.armed: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> RecordingLoop:
        self.armed.append((when, callback))
        return self

    def cancel(self) -> None:
        self.cancelled += 1


async def test_later_deadlines_arm_no_timer_of_their_own() -> None:
    """One timer serves a stream of scopes with a steady timeout; only an earlier
    deadline re-arms it, and when it fires it re-arms for the next deadline due."""
    loop = RecordingLoop()
    shared = Deadlines(loop)  # type: ignore[arg-type]
    scopes = [shared.scope(10.0 + n) for n in range(50)]
    for scope in scopes:
        scope.__enter__()
    assert [when for when, _ in loop.armed] == [10.0]
    early = shared.scope(5.0)
    early.__enter__()
    assert [when for when, _ in loop.armed] == [10.0, 5.0]
    early.__exit__(None, None, None)
    loop.now = 5.0
    loop.armed[-1][1]()  # fires with nothing due: re-arms for the earliest open scope
    assert loop.armed[-1][0] == 10.0
    assert shared.active == 50
    for scope in scopes:
        scope.__exit__(None, None, None)
    assert shared.active == 0


def test_a_scope_outside_a_task_is_refused() -> None:
    """Entering a scope needs a running task to cancel."""
    shared = Deadlines(asyncio.new_event_loop())
    try:
        with pytest.raises(RuntimeError), shared.scope(0.0):
            pass
    finally:
        shared._loop.close()
