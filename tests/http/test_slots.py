"""Connection slots: FIFO hand-off, no slot lost to cancellation."""

from __future__ import annotations

import asyncio

import pytest

from conversation_async._http.slots import Slots


def test_free_slots_are_taken_synchronously() -> None:
    """try_acquire takes free slots until none is left."""
    slots = Slots(2)
    assert slots.try_acquire()
    assert slots.try_acquire()
    assert not slots.try_acquire()
    slots.release()
    assert slots.free == 1


async def test_waiters_are_served_in_arrival_order() -> None:
    """Released slots go to the oldest waiter first."""
    slots = Slots(1)
    await slots.acquire()
    order: list[int] = []

    async def waiter(n: int) -> None:
        await slots.acquire()
        order.append(n)
        slots.release()

    tasks = [asyncio.create_task(waiter(n)) for n in range(5)]
    await asyncio.sleep(0)
    slots.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert slots.free == 1


async def test_queued_waiter_blocks_new_try_acquire() -> None:
    """A newcomer cannot jump the queue with try_acquire."""
    slots = Slots(1)
    await slots.acquire()
    queued = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to the queued waiter
    assert not slots.try_acquire()
    await queued
    slots.release()
    assert slots.try_acquire()


async def test_cancelled_waiter_does_not_lose_a_slot() -> None:
    """Cancelled while waiting, or right after being handed a slot: the count stays right."""
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs: it must pass the slot on
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    slots.release()
    assert slots.free == 1


async def test_cancelled_waiter_leaves_the_queue() -> None:
    """A waiter cancelled before its turn is forgotten."""
    slots = Slots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release()
    assert slots.free == 1
    assert slots.try_acquire()


def test_size_must_be_positive() -> None:
    """Zero slots would block every call."""
    with pytest.raises(ValueError, match="slots"):
        Slots(0)


async def test_a_waiter_cancelled_and_dropped_by_a_release_before_it_runs_stays_cancelled() -> None:
    """release() skips (and drops) a waiter cancelled an instant earlier; when that waiter
    then runs it raises CancelledError, not ValueError, and the slot is free."""
    slots = Slots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)  # the task now waits for a slot
    waiter.cancel()
    slots.release()  # before the cancelled task gets to run
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.free == 1
