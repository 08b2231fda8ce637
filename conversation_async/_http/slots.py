"""A FIFO counting semaphore with a non-blocking ``try_acquire``, for connection slots.

``asyncio.Semaphore`` has no way to take a free slot without a coroutine, and its
``locked()`` scans every waiter. Here a free slot is taken synchronously (the transport's
hot path), a released slot is handed straight to the oldest waiter, and a cancelled waiter
that was already handed a slot passes it on, so none is ever lost.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Slots"]


class Slots:
    """``size`` slots, handed out first come, first served."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"slots must be >= 1, got {size}")
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        return self._free

    def try_acquire(self) -> bool:
        """Take a slot if one is free and nobody is queued before us."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one when none is free."""
        if self.try_acquire():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # we were handed a slot as we were cancelled: pass it on
            elif waiter in self._waiters:  # release() may have dropped it already
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the oldest waiter, or back to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def __repr__(self) -> str:
        return f"Slots(free={self._free}, waiting={len(self._waiters)})"
