"""The clock batch scheduling runs on: the system's, or a manual one tests move by hand.

``send_after`` times are minutes to days ahead (and rounded up to 5-minute marks by
default); a test cannot wait for them. With ``Emulator(clock=ManualClock())`` the emulator
reads "now" from that clock and scheduled batches fall due when the test calls
``clock.advance(...)``. Message ``accept_time`` s still come from the system clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What batch scheduling needs: the time now, and a sleep until a moment."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once ``now() >= moment`` (at once if it already is)."""
        ...


class SystemClock:
    """The real time (the default)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        while (left := (moment - self.now()).total_seconds()) > 0:  # noqa: ASYNC110 - a deadline, no event to wait for
            await asyncio.sleep(left)


class ManualClock:
    """A clock that moves only when told to: ``advance(seconds or timedelta)`` or
    ``set(moment)``; sleepers whose moment has come wake up (in the running loop)."""

    def __init__(self, start: datetime | None = None) -> None:
        moment = start if start is not None else datetime(2030, 1, 1, tzinfo=UTC)
        if moment.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        self._now = moment.astimezone(UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: float | timedelta) -> datetime:
        """Move forward by ``delta`` (seconds or a timedelta); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward")
        return self.set(self._now + step)

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (not earlier than now); returns it."""
        if moment.utcoffset() is None:
            raise ValueError("moment must be timezone-aware")
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("a clock only moves forward")
        self._now = moment
        waiting: list[tuple[datetime, asyncio.Future[None]]] = []
        for due, future in self._sleepers:
            if future.done():
                continue
            if due <= moment:
                future.set_result(None)
            else:
                waiting.append((due, future))
        self._sleepers = waiting
        return moment

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((moment, future))
        await future
