"""Client-wide request rate: a token bucket whose rate adapts to 429s (AIMD).

The API allows about 800 requests/s per project (catalog §5.3) and answers 429 beyond. Every
call of a client takes a token from one shared bucket before each attempt, so N concurrent
tasks share one budget instead of each backing off alone. A 429 lowers the rate in proportion
to the share of recent requests that got one (a sustained overload halves it; a stray 429
barely moves it), at most once per ``cooldown`` however many requests saw it. Unless the
429s are sporadic (under 5% of requests), it also never leaves the rate above what the API
accepted, and the rate grows back linearly to that accepted rate and only creeps past it
(additive increase, multiplicative decrease); sporadic 429s, which the client's own rate
may not cause, are made up for at the full step, so they cannot wear the rate down. With no
configured ceiling the bucket is open until the first 429, which starts it below the
observed rate.

The arithmetic (:class:`~conversation_async._core.rate.TokenBucket`, ``RateMeter``,
``AdaptiveRate``) is pure and lives in :mod:`conversation_async._core.rate`;
:class:`RateLimiter` is the thin async layer that sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .._core.rate import AdaptiveRate, RateMeter, TokenBucket

__all__ = ["RateLimiter"]


class RateLimiter:
    """One per client: every attempt takes a turn (:meth:`reserve` or :meth:`acquire`);
    a 429 calls :meth:`throttled`."""

    def __init__(
        self, ceiling: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ceiling is not None and ceiling <= 0:
            raise ValueError(f"rate limit must be > 0 requests/s, got {ceiling}")
        self._adaptive = AdaptiveRate(ceiling=ceiling)
        self._bucket = TokenBucket(rate=ceiling or 1.0)
        self._meter = RateMeter()
        self._throttles = RateMeter()
        self._clock = clock

    @property
    def limit(self) -> float | None:
        """The current limit in requests per second (None while open)."""
        return self._adaptive.current(self._clock())

    def reserve(self) -> float:
        """Take this client's next turn; seconds to wait before sending (0: send now)."""
        now = self._clock()
        self._meter.record(now)
        rate = self._adaptive.current(now)
        if rate is None:
            return 0.0
        self._bucket.rate = rate
        self._bucket.burst = 1.0 + rate / 20.0  # 50 ms worth of requests may go at once
        return self._bucket.reserve(now)

    def try_acquire(self) -> bool:
        """Take a turn now if the client is not rate-limited (the hot path)."""
        now = self._clock()
        if self._adaptive.current(now) is not None:
            return False
        self._meter.record(now)
        return True

    def accepted(self) -> None:
        """An answer that was not a 429 came back."""

    async def acquire(self) -> None:
        """Wait for this client's turn to send one request."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def throttled(self) -> float:
        """Record a 429; returns the new limit."""
        now = self._clock()
        self._throttles.record(now)
        share = self._throttles.count(now) / max(self._meter.count(now), 1.0)
        return self._adaptive.on_throttled(now, self._meter.rate(now), share)

    def __repr__(self) -> str:
        limit = self.limit
        shown = "open" if limit is None else f"{limit:.0f}/s"
        return f"RateLimiter({shown})"
