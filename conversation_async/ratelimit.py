"""Client-wide request rate: a token bucket whose rate adapts to 429s (AIMD).

The API allows about 800 requests/s per project (catalog §5.3) and answers 429 beyond. Every
call of a client takes a token from one shared bucket before each attempt, so N concurrent
tasks share one budget instead of each backing off alone. A 429 halves the rate (at most
once per ``cooldown``, however many requests saw it); the rate then grows back linearly
(additive increase, multiplicative decrease). With no configured ceiling the bucket is open
until the first 429, which starts it at half the rate observed then.

:class:`TokenBucket`, :class:`RateMeter` and :class:`AdaptiveRate` are pure arithmetic (the
time is passed in); :class:`RateLimiter` is the thin async layer that sleeps.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

import attrs

__all__ = ["AdaptiveRate", "RateLimiter", "RateMeter", "TokenBucket"]


@attrs.define
class TokenBucket:
    """Reservations at ``rate`` per second with ``burst`` tokens of slack (GCRA).

    :meth:`reserve` always grants a token and says how long to wait before using it, so
    concurrent callers are served in order without retrying.
    """

    rate: float
    burst: float = 1.0
    _ready_at: float = attrs.field(default=-math.inf, init=False)

    def reserve(self, now: float) -> float:
        """Take the next token; seconds to wait before using it (0 when one is free)."""
        interval = 1.0 / self.rate
        tolerance = (self.burst - 1.0) * interval
        ready_at = max(self._ready_at, now)
        self._ready_at = ready_at + interval
        return max(0.0, ready_at - tolerance - now)


@attrs.define
class RateMeter:
    """Requests per second over the last ``window`` seconds (two fixed buckets, blended)."""

    window: float = 1.0
    _start: float = attrs.field(default=0.0, init=False)
    _current: int = attrs.field(default=0, init=False)
    _previous: int = attrs.field(default=0, init=False)

    def record(self, now: float) -> None:
        self._roll(now)
        self._current += 1

    def rate(self, now: float) -> float:
        self._roll(now)
        elapsed = (now - self._start) / self.window
        blended = self._previous * (1.0 - elapsed) + self._current
        return blended / self.window

    def _roll(self, now: float) -> None:
        if now - self._start < self.window:
            return
        periods = int((now - self._start) // self.window)
        self._previous = self._current if periods == 1 else 0
        self._current = 0
        self._start += periods * self.window


@attrs.define
class AdaptiveRate:
    """The current rate limit: ``None`` (open) until throttled when there is no ``ceiling``.

    ``on_throttled`` multiplies the rate by ``decrease`` (once per ``cooldown`` seconds);
    :meth:`current` adds ``increase`` of the rate set by the last decrease, and at least
    ``min_increase`` requests/s, per second since the last change, up to ``ceiling``.
    """

    ceiling: float | None = None
    floor: float = 1.0
    decrease: float = 0.5
    increase: float = 0.1
    min_increase: float = 10.0
    cooldown: float = 1.0
    _limit: float | None = attrs.field(default=None, init=False)
    _step: float = attrs.field(default=0.0, init=False)
    _updated: float = attrs.field(default=0.0, init=False)
    _throttled_at: float = attrs.field(default=-math.inf, init=False)

    def __attrs_post_init__(self) -> None:
        self._limit = self.ceiling
        if self.ceiling is not None:
            self._step = max(self.ceiling * self.increase, self.min_increase)

    def current(self, now: float) -> float | None:
        """The limit in requests per second at ``now`` (None: no limit)."""
        if self._limit is None:
            return None
        grown = self._limit + self._step * max(0.0, now - self._updated)
        self._limit = grown if self.ceiling is None else min(self.ceiling, grown)
        self._updated = now
        return self._limit

    def on_throttled(self, now: float, observed: float) -> float:
        """A 429 came back: lower the limit (``observed`` is the recent request rate)."""
        current = self.current(now)
        if now - self._throttled_at < self.cooldown and current is not None:
            return current
        base = current if current is not None else max(observed, self.floor)
        self._limit = max(self.floor, base * self.decrease)
        self._step = max(self._limit * self.increase, self.min_increase)
        self._updated = now
        self._throttled_at = now
        return self._limit


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

    async def acquire(self) -> None:
        """Wait for this client's turn to send one request."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def throttled(self) -> float:
        """Record a 429; returns the new limit."""
        now = self._clock()
        return self._adaptive.on_throttled(now, self._meter.rate(now))

    def __repr__(self) -> str:
        limit = self.limit
        shown = "open" if limit is None else f"{limit:.0f}/s"
        return f"RateLimiter({shown})"
