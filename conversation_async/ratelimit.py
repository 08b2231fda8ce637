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
    """Requests per second over the last ``window`` seconds (two fixed buckets, blended).

    Until a whole window has passed since the first request, the rate is taken over the
    time elapsed so far, so a client that just started is not mistaken for a slow one.
    """

    window: float = 1.0
    _first: float | None = attrs.field(default=None, init=False)
    _start: float = attrs.field(default=0.0, init=False)
    _current: int = attrs.field(default=0, init=False)
    _previous: int = attrs.field(default=0, init=False)

    def record(self, now: float) -> None:
        if self._first is None:
            self._first = self._start = now
        self._roll(now)
        self._current += 1

    def count(self, now: float) -> float:
        """Requests in the last window (the previous bucket weighted by its overlap)."""
        if self._first is None:
            return 0.0
        self._roll(now)
        elapsed = (now - self._start) / self.window
        return self._previous * (1.0 - elapsed) + self._current

    def rate(self, now: float) -> float:
        if self._first is None:
            return 0.0
        span = min(self.window, max(now - self._first, 0.05 * self.window))
        return self.count(now) / span

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

    ``on_throttled`` multiplies the rate by ``1 - 2 * share`` (``share`` being the part of
    recent requests that got a 429), never by less than ``decrease``, once per ``cooldown``.
    From a ``sporadic`` share on, it also caps the rate at what the API accepted
    (``observed * (1 - share)``, less ``headroom``) and remembers that accepted rate.
    :meth:`current` adds ``increase`` of the rate *before* the decrease, and at least
    ``min_increase`` requests/s, per second up to that accepted rate, then ``probe`` of that
    step above it, up to ``ceiling``: the client returns quickly to what the API took and
    only creeps past it, so a sustained overload settles just below the API's limit instead
    of oscillating around it. After ``memory`` seconds without a 429 the accepted rate is
    forgotten. Below the sporadic share nothing is capped: a steady trickle of 429s that the
    rate does not cause (a flaky gateway, another client's bursts) costs a few percent that
    is made up at the full step, where capping each time would wear the rate down to the
    floor.
    """

    ceiling: float | None = None
    floor: float = 1.0
    decrease: float = 0.5
    increase: float = 0.1
    min_increase: float = 10.0
    probe: float = 0.1
    headroom: float = 0.05
    sporadic: float = 0.05
    cooldown: float = 1.0
    memory: float = 10.0
    _limit: float | None = attrs.field(default=None, init=False)
    _step: float = attrs.field(default=0.0, init=False)
    _accepted: float = attrs.field(default=math.inf, init=False)
    _updated: float = attrs.field(default=0.0, init=False)
    _throttled_at: float = attrs.field(default=-math.inf, init=False)

    def __attrs_post_init__(self) -> None:
        self._limit = self.ceiling
        if self.ceiling is not None:
            self._step = max(self.ceiling * self.increase, self.min_increase)

    def current(self, now: float) -> float | None:
        """The limit in requests per second at ``now`` (None: no limit)."""
        limit = self._limit
        if limit is None:
            return None
        forget_at = self._throttled_at + self.memory
        if self._accepted < math.inf and now > forget_at:
            limit = self._grow(limit, forget_at - self._updated)
            self._updated = max(self._updated, forget_at)
            self._accepted = math.inf
        limit = self._grow(limit, now - self._updated)
        self._limit = limit if self.ceiling is None else min(self.ceiling, limit)
        self._updated = now
        return self._limit

    def _grow(self, limit: float, seconds: float) -> float:
        """``limit`` after ``seconds``: at the full step up to the accepted rate, then slower."""
        if seconds <= 0 or self._step <= 0:
            return limit
        fast_for = min(seconds, max(0.0, self._accepted - limit) / self._step)
        return limit + self._step * (fast_for + self.probe * (seconds - fast_for))

    def on_throttled(self, now: float, observed: float, share: float) -> float:
        """A 429 came back: lower the limit (``observed``: the recent request rate;
        ``share``: the part of those requests answered 429)."""
        current = self.current(now)
        if now - self._throttled_at < self.cooldown and current is not None:
            return current
        share = min(1.0, max(0.0, share))
        base = current if current is not None else max(observed, self.floor)
        # Twice the rejected share: going just to what got through would sit on the limit.
        # Never above what got through, though (unless the 429s are sporadic): from far above
        # the limit, halving once per cooldown would take several rounds of 429s to get there.
        limit = base * max(self.decrease, 1.0 - 2.0 * share)
        if share >= self.sporadic:
            accepted = observed * (1.0 - share) * (1.0 - self.headroom)
            limit = min(limit, accepted)
            self._accepted = max(self.floor, limit, accepted)
        self._limit = max(self.floor, limit)
        self._step = max(base * self.increase, self.min_increase)
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
