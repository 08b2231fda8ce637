"""Rate arithmetic, pure: a GCRA token bucket, a request-rate meter and the adaptive
(AIMD) limit. Time is passed in; :mod:`conversation_async._http.ratelimit` sleeps.

See that module for the policy: a 429 lowers the rate in proportion to the share of requests
that got one, and the rate grows back linearly.
"""

from __future__ import annotations

import math

import attrs

__all__ = ["AdaptiveRate", "RateMeter", "TokenBucket"]


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
