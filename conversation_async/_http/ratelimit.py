"""Client-wide request rate: turns handed out at a rate that adapts to 429s (AIMD).

The API allows about 800 requests/s per project (catalog §5.3) and answers 429 beyond. Every
call of a client takes a turn from one shared limiter before each attempt, so N concurrent
tasks share one budget instead of each backing off alone. A 429 lowers the rate in proportion
to the share of recent requests that got one (a sustained overload halves it; a stray 429
barely moves it), at most once per ``cooldown`` however many requests saw it. Unless the
429s are sporadic (under 5% of requests), it also never leaves the rate above what the API
accepted, and the rate grows back linearly to that accepted rate and only creeps past it
(additive increase, multiplicative decrease); sporadic 429s, which the client's own rate
may not cause, are made up for at the full step, so they cannot wear the rate down. With no
configured ceiling the limiter is open until the first 429, which starts it below the
observed rate.

A storm (the API answering 429 to nearly everything for a while, whatever the rate) drives
the rate to its floor, and what the API accepts then (~0) says nothing of its capacity. So
when a decrease leaves the rate under half the best rate the API accepted in the last 30 s,
the limiter regains it: once answers are accepted again, each one raises the rate (it
doubles about every third of a second while the API keeps accepting) back to that best
rate, and from there it creeps past it as after any decrease. If the API refuses a tenth of
the answers on the way, it takes less than it did: that rate is forgotten. Turns are not
reserved ahead: a waiting caller's turn is timed at the current rate and looked at again at
least every 50 ms, so when the rate rises the callers already waiting go sooner.

The arithmetic (:class:`~conversation_async._core.rate.Pacer`, ``AdaptiveRate``,
``TokenBucket``, ``RateMeter``) is pure and lives in :mod:`conversation_async._core.rate`;
:class:`LocalRateLimiter` is the thin async layer that waits, and the default
:class:`RateLimiter`: any object of that protocol can pace a client instead (one limiter
may pace several clients), such as ``conversation_async.redis.RedisRateLimiter``, which
shares one budget between processes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from .._core.rate import AdaptiveRate, Pacer, text

__all__ = ["LocalRateLimiter", "RateLimiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """What paces a client's requests: before each attempt the client takes a turn
    (:meth:`try_acquire`, and when it refuses, :meth:`acquire`), and it reports each answer
    (:meth:`throttled` for a 429, :meth:`accepted` for any other).

    Every method is called in the client's event loop. :meth:`try_acquire` is the fast path
    and must not block; a limiter whose turns come from elsewhere may always refuse there
    and do its work in :meth:`acquire`. :meth:`acquire` may be cancelled (a call's deadline)
    and must then lose no turn for the other callers.
    """

    @property
    def limit(self) -> float | None:
        """The current limit in requests per second (None: no limit)."""
        ...

    def try_acquire(self) -> bool:
        """Take a turn now, without waiting, if one is free."""
        ...

    async def acquire(self) -> None:
        """Wait for a turn."""
        ...

    def throttled(self) -> float | None:
        """A 429 came back; returns the limit now in force (None: no limit)."""
        ...

    def accepted(self) -> None:
        """An answer other than a 429 came back."""
        ...


class LocalRateLimiter:
    """The default :class:`RateLimiter`: turns for the tasks of one process, at a rate that
    adapts to the 429s of their answers (see the module). One per client unless shared."""

    def __init__(
        self,
        ceiling: float | None = None,
        *,
        start: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``ceiling``: requests per second at most (None: open until a 429). ``start``: a
        lower limit to begin at (say, one learned elsewhere), which grows back to the
        ceiling as after a decrease."""
        if ceiling is not None and ceiling <= 0:
            raise ValueError(f"rate limit must be > 0 requests/s, got {ceiling}")
        self._pacer = Pacer(AdaptiveRate(ceiling=ceiling))
        if start is not None:
            if ceiling is None or not start > 0:
                raise ValueError("start needs a ceiling and must be > 0 requests/s")
            limit = min(start, ceiling)
            self._pacer.adaptive.restore({"limit": text(limit), "updated": text(clock())})
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._clock = clock

    @property
    def limit(self) -> float | None:
        """The current limit in requests per second (None while open)."""
        return self._pacer.limit(self._clock())

    def try_acquire(self) -> bool:
        """Take a turn now if one is free and nobody is waiting for one."""
        return self._pacer.try_take(self._clock())

    async def acquire(self) -> None:
        """Wait for a turn, first come first served."""
        if self._pacer.try_take(self._clock()):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._pacer.join()
        if self._timer is None:
            self._dispatch()
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.done() or waiter.cancelled():
                self._pacer.leave()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            else:  # served as we were cancelled: the turn goes to the next in line
                self._pacer.give_back()
                self._dispatch()
            raise

    def throttled(self) -> float | None:
        """A 429 came back; returns the new limit (None: still open)."""
        return self._pacer.throttled(self._clock())

    def accepted(self) -> None:
        """An answer other than a 429 came back."""
        self._pacer.accepted()

    def _dispatch(self) -> None:
        """Serve the waiters whose turn has come; look again when the next one's should."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pacer = self._pacer
        waiters = self._waiters
        now = self._clock()
        while waiters:
            if waiters[0].done():  # cancelled: its task leaves the line itself
                waiters.popleft()
            elif pacer.serve(now):
                waiters.popleft().set_result(None)
            else:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(pacer.wait(now), self._dispatch)
                return

    def __repr__(self) -> str:
        limit = self.limit
        shown = "open" if limit is None else f"{limit:.0f}/s"
        return f"LocalRateLimiter({shown})"
