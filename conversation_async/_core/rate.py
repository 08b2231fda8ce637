"""Rate arithmetic, pure: a token bucket, a request-rate meter, the adaptive (AIMD) limit and
the :class:`Pacer` that hands out turns at that limit. Time is passed in;
:mod:`conversation_async._http.ratelimit` does the waiting.

See that module for the policy: a 429 lowers the rate in proportion to the share of requests
that got one, and the rate grows back linearly; after a storm of 429s it regains, with each
accepted answer, the best rate the API accepted before. No turn is reserved ahead: a waiting
caller is told when the next turn comes *at the current rate* and asks again, so when the
limit rises, the turns of the callers already waiting move earlier.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

import attrs

__all__ = ["AdaptiveRate", "Pacer", "RateMeter", "TokenBucket", "burst", "text", "throttled"]

_EPSILON = 1e-9
"""Token fractions this small are rounding, not a wait."""


@attrs.define
class TokenBucket:
    """Turns at ``rate`` per second with ``burst`` turns of slack.

    Nothing is reserved ahead: a turn is taken when one is free (:meth:`try_take`), and
    :meth:`wait` says when the next one will be at the rate in force *now*. A caller that
    waits asks again when that time comes, so a rate raised meanwhile (:meth:`set_rate`)
    brings its turn earlier; a reservation would keep the wait computed at the old rate.
    """

    rate: float
    burst: float = 1.0
    _tokens: float = attrs.field(default=math.inf, init=False)  # full: clipped to burst
    _last: float = attrs.field(default=-math.inf, init=False)

    def set_rate(self, now: float, rate: float, burst: float) -> None:
        """From ``now`` on, ``rate`` turns per second with ``burst`` of slack (the tokens
        earned until ``now`` were earned at the former rate)."""
        self._fill(now)
        self.rate = rate
        self.burst = burst
        self._tokens = min(self._tokens, burst)

    def try_take(self, now: float) -> bool:
        """Take a turn if one is free at ``now``."""
        self._fill(now)
        if self._tokens >= 1.0 - _EPSILON:
            self._tokens -= 1.0
            return True
        return False

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until a turn is free at the current rate (0: free now)."""
        self._fill(now)
        return max(0.0, (1.0 - self._tokens) / self.rate)

    def give_back(self) -> None:
        """Return a turn taken but not used."""
        self._tokens = min(self.burst, self._tokens + 1.0)

    def _fill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now


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
    _current_marked: int = attrs.field(default=0, init=False)
    _previous_marked: int = attrs.field(default=0, init=False)

    def record(self, now: float) -> None:
        if self._first is None:
            self._first = self._start = now
        elif now - self._start >= self.window:  # (the check of _roll, without its call)
            self._roll(now)
        self._current += 1

    def mark(self) -> None:
        """Count one of the recorded requests as marked (say, accepted), in the bucket of the
        latest :meth:`record`: no time needed, so it costs one addition."""
        self._current_marked += 1

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

    def seasoned(self, now: float) -> bool:
        """Whether a whole window has passed since the first request."""
        return self._first is not None and now - self._first >= self.window

    def marked_rate(self, now: float) -> float:
        """Marks per second over the last window, weighted as :meth:`rate` weighs requests."""
        if self._first is None:
            return 0.0
        self._roll(now)
        elapsed = (now - self._start) / self.window
        marked = self._previous_marked * (1.0 - elapsed) + self._current_marked
        return marked / min(self.window, max(now - self._first, 0.05 * self.window))

    def saved(self) -> dict[str, str]:
        """The counts as text, for a store shared by processes (see :meth:`restore`)."""
        state = {
            "start": text(self._start),
            "current": str(self._current),
            "previous": str(self._previous),
            "current_marked": str(self._current_marked),
            "previous_marked": str(self._previous_marked),
        }
        if self._first is not None:
            state["first"] = text(self._first)
        return state

    def restore(self, saved: Mapping[str, str]) -> None:
        """Take back the counts of :meth:`saved` (a missing one keeps its starting value)."""
        if "first" in saved:
            self._first = float(saved["first"])
        self._start = float(saved.get("start", self._start))
        self._current = int(float(saved.get("current", 0)))
        self._previous = int(float(saved.get("previous", 0)))
        self._current_marked = int(float(saved.get("current_marked", 0)))
        self._previous_marked = int(float(saved.get("previous_marked", 0)))

    def _roll(self, now: float) -> None:
        if now - self._start < self.window:
            return
        periods = int((now - self._start) // self.window)
        self._previous = self._current if periods == 1 else 0
        self._previous_marked = self._current_marked if periods == 1 else 0
        self._current = self._current_marked = 0
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

    A decrease that leaves the limit under ``regain_below`` of the *best* rate the API
    accepted (less headroom) at a decrease of the last ``recall`` seconds is a storm's doing
    (the API refusing nearly everything, whatever the rate: what it accepts then, ~0, says
    nothing of its capacity) or a collapse of that capacity. The limit then *regains*: each
    accepted answer (:meth:`on_accepted`) adds ``regain`` requests/s to it, so it grows
    multiplicatively, only as fast as answers come back, up to that best rate, and probes
    from there as after any decrease. While it regains, a decrease counts only the answers
    since the previous one, and ignores the 429s at the first decrease after answers came
    back (the storm's stragglers may be among them); what got through lags the climb, so the
    limit is not capped at it. Under an ``overshoot`` share of 429s the limit is trimmed and
    the climb goes on; from that share on the API takes less than it did: the best rate is
    forgotten, the regain ends and the decrease is the usual one.
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
    recall: float = 30.0
    regain_below: float = 0.5
    regain: float = 2.0
    overshoot: float = 0.1
    _limit: float | None = attrs.field(default=None, init=False)
    _step: float = attrs.field(default=0.0, init=False)
    _accepted: float = attrs.field(default=math.inf, init=False)
    _updated: float = attrs.field(default=0.0, init=False)
    _throttled_at: float = attrs.field(default=-math.inf, init=False)
    _bests: deque[tuple[float, float]] = attrs.field(factory=deque[tuple[float, float]], init=False)
    _regain_to: float = attrs.field(default=0.0, init=False)  # 0: not regaining
    _answered: bool = attrs.field(default=False, init=False)  # answers came back, regaining
    _regained: int = attrs.field(default=0, init=False)  # answers since the last decrease
    _regain_refused: int = attrs.field(default=0, init=False)  # 429s since the last decrease

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

    @property
    def regaining(self) -> bool:
        """Whether a regain is under way: from a storm's decrease until a later decrease
        finds the regained rate accepted, or finds the API taking less."""
        return self._regain_to > 0.0

    def _grow(self, limit: float, seconds: float) -> float:
        """``limit`` after ``seconds``: at the full step up to the accepted rate, then slower."""
        if seconds <= 0 or self._step <= 0:
            return limit
        fast_for = min(seconds, max(0.0, self._accepted - limit) / self._step)
        return limit + self._step * (fast_for + self.probe * (seconds - fast_for))

    def on_accepted(self) -> None:
        """An answer that was not a 429 came back (called for every one: one test unless
        regaining)."""
        target = self._regain_to
        if target:
            self._regained += 1
            limit = self._limit
            if limit is not None and limit < target:
                limit += self.regain
                if limit >= target:  # regained: probe from here, as after any decrease
                    limit = target
                    self._accepted = max(self._accepted, target)
                    self._step = max(target * self.increase, self.min_increase)
                self._limit = limit

    def on_throttled(
        self, now: float, observed: float, share: float, accepted: float | None = None
    ) -> float:
        """A 429 came back: lower the limit (``observed``: the recent request rate;
        ``share``: the part of those requests answered 429; ``accepted``: the recent rate of
        accepted answers, if measured, else taken to be ``observed * (1 - share)``)."""
        if self._regain_to:
            self._regain_refused += 1
        current = self.current(now)
        if now - self._throttled_at < self.cooldown and current is not None:
            return current
        share = min(1.0, max(0.0, share))
        base = current if current is not None else max(observed, self.floor)
        got = observed * (1.0 - share) * (1.0 - self.headroom)
        seen = got if accepted is None else accepted * (1.0 - self.headroom)
        best = self._remember(now, seen)
        # Twice the rejected share: going just to what got through would sit on the limit.
        # Never above what got through, though (unless the 429s are sporadic): from far above
        # the limit, halving once per cooldown would take several rounds of 429s to get there.
        limit = base * max(self.decrease, 1.0 - 2.0 * share)
        if self._regain_to and self._regained:
            # Answers came back. Only they count, not the storm's 429s, and not even those
            # of the first decrease after they came back (the storm's stragglers may be among
            # them). What got through lags the climb: no cap at it.
            refused = self._regain_refused
            trial = not self._answered
            regain_share = 0.0 if trial else refused / (refused + self._regained)
            self._answered = True
            if regain_share < self.overshoot:  # few: trim, climb on
                limit = base * max(self.decrease, 1.0 - 2.0 * regain_share)
                share = 0.0
                if base >= self._regain_to and not trial:  # regained, and the API agrees
                    self._end_regain()
            else:  # refused as it regains: the API takes less than it did
                self._bests.clear()
                best = self._remember(now, seen)
                self._end_regain()
        if share >= self.sporadic:
            limit = min(limit, got)
            self._accepted = max(self.floor, limit, got)
            if limit < self.regain_below * best:
                self._start_regain(best)
            else:
                self._end_regain()
        self._limit = max(self.floor, limit)
        self._step = max(base * self.increase, self.min_increase)
        self._updated = now
        self._throttled_at = now
        self._regained = self._regain_refused = 0
        return self._limit

    def _start_regain(self, best: float) -> None:
        if not self._regain_to:
            self._answered = False
        self._regain_to = best

    def _end_regain(self) -> None:
        self._regain_to = 0.0
        self._answered = False

    def saved(self) -> dict[str, str]:
        """The state (not the settings) as text, infinities and ``None`` left out: what a
        store shared by processes keeps between turns (see :meth:`restore`)."""
        state = {
            "step": text(self._step),
            "updated": text(self._updated),
            "bests": " ".join(text(number) for pair in self._bests for number in pair),
            "regain_to": text(self._regain_to),
            "answered": "1" if self._answered else "0",
            "regained": str(self._regained),
            "regain_refused": str(self._regain_refused),
        }
        if self._limit is not None:
            state["limit"] = text(self._limit)
        if self._accepted < math.inf:
            state["accepted"] = text(self._accepted)
        if self._throttled_at > -math.inf:
            state["throttled_at"] = text(self._throttled_at)
        return state

    def restore(self, saved: Mapping[str, str]) -> None:
        """Take back the state of :meth:`saved` (a missing part keeps its starting value)."""
        if "limit" in saved:
            self._limit = float(saved["limit"])
        self._step = float(saved.get("step", self._step))
        self._accepted = float(saved.get("accepted", math.inf))
        self._updated = float(saved.get("updated", self._updated))
        self._throttled_at = float(saved.get("throttled_at", -math.inf))
        numbers = [float(number) for number in saved.get("bests", "").split()]
        self._bests = deque(zip(numbers[::2], numbers[1::2], strict=True))
        self._regain_to = float(saved.get("regain_to", 0.0))
        self._answered = saved.get("answered") == "1"
        self._regained = int(float(saved.get("regained", 0)))
        self._regain_refused = int(float(saved.get("regain_refused", 0)))

    def _remember(self, now: float, accepted: float) -> float:
        """Note the rate accepted at ``now``; returns the best of the last ``recall`` seconds."""
        bests = self._bests  # by time and by falling rate: the first one is the best
        while bests and bests[-1][1] <= accepted:
            bests.pop()
        bests.append((now, accepted))
        while bests[0][0] < now - self.recall:
            bests.popleft()
        return bests[0][1]


@attrs.define
class Pacer:
    """The client's turns, first come first served, at the ``adaptive`` limit.

    A caller takes a free turn with :meth:`try_take`, which refuses while anyone is queued;
    otherwise it joins the queue (:meth:`join`) and whoever does the waiting serves the
    queue head with :meth:`serve`, asking :meth:`wait` how long until the next try. That
    wait is computed at the current rate and never exceeds ``recheck`` seconds, so a limit
    that rises meanwhile is used within ``recheck``. Answers are reported with
    :meth:`accepted` and :meth:`throttled`.
    """

    adaptive: AdaptiveRate = attrs.field(factory=AdaptiveRate)
    recheck: float = 0.05
    min_evidence: int = 10
    _bucket: TokenBucket = attrs.field(init=False)
    _meter: RateMeter = attrs.field(factory=RateMeter, init=False)
    _throttles: RateMeter = attrs.field(factory=RateMeter, init=False)
    _waiting: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        rate = self.adaptive.ceiling or 1.0
        self._bucket = TokenBucket(rate=rate, burst=burst(rate))

    @property
    def waiting(self) -> int:
        """Callers queued for a turn."""
        return self._waiting

    def limit(self, now: float) -> float | None:
        """The limit in requests per second (None while open)."""
        return self.adaptive.current(now)

    def try_take(self, now: float) -> bool:
        """Take a turn if one is free and nobody is queued before us."""
        return not self._waiting and self._take(now)

    def join(self) -> None:
        """A caller queues for a turn."""
        self._waiting += 1

    def leave(self) -> None:
        """A queued caller gave up before being served."""
        self._waiting -= 1

    def serve(self, now: float) -> bool:
        """Give the first queued caller its turn if one is free (it leaves the queue)."""
        if self._take(now):
            self._waiting -= 1
            return True
        return False

    def wait(self, now: float) -> float:
        """Seconds until the queue head should try again (0: a turn is free)."""
        rate = self.adaptive.current(now)
        if rate is None:
            return 0.0
        return min(self._retimed(now, rate).wait(now), self.recheck)

    def give_back(self) -> None:
        """A turn was taken, then not used (its caller was cancelled)."""
        self._bucket.give_back()

    def accepted(self) -> None:
        """An answer that was not a 429 (once per request: only a regain does more than
        count it)."""
        self._meter.mark()
        if self.adaptive.regaining:
            self.adaptive.on_accepted()

    def throttled(self, now: float) -> float | None:
        """A 429; returns the new limit (None: still open).

        Under ``min_evidence`` requests in the last window, a 429 says nothing about this
        client's rate (a fresh client's first request refused because another process spent
        the project's budget): the retry's own wait paces it, and the limit is left alone,
        where one such 429 used to pin a new client to a request a second.
        """
        return throttled(self.adaptive, self._meter, self._throttles, now, self.min_evidence)

    def _take(self, now: float) -> bool:
        # While the limit is open (the usual case) a turn is only counted.
        rate = self.adaptive.current(now)
        if rate is not None and not self._retimed(now, rate).try_take(now):
            return False
        self._meter.record(now)
        return True

    def _retimed(self, now: float, rate: float) -> TokenBucket:
        bucket = self._bucket
        if rate != bucket.rate:
            bucket.set_rate(now, rate, burst(rate))
        return bucket


def throttled(
    adaptive: AdaptiveRate,
    meter: RateMeter,
    throttles: RateMeter,
    now: float,
    min_evidence: int,
) -> float | None:
    """A 429 at ``now``, weighed against the requests (``meter``, accepted answers marked)
    and 429s (``throttles``) of the last window; returns the new limit. See
    :meth:`Pacer.throttled`."""
    throttles.record(now)
    sent = meter.count(now)
    if sent < min_evidence:
        return adaptive.current(now)
    share = throttles.count(now) / max(sent, 1.0)
    # Over less than a window, the API's burst would pass for its rate.
    accepted = meter.marked_rate(now) if meter.seasoned(now) else 0.0
    return adaptive.on_throttled(now, meter.rate(now), share, accepted)


def text(number: float) -> str:
    """``number`` as text that reads back as the same float (17 significant digits)."""
    return format(number, ".17g")


def burst(rate: float) -> float:
    """Turns that may go at once at ``rate``: 50 ms worth of requests, and one more."""
    return 1.0 + rate / 20.0
