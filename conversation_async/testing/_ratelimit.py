"""The project rate limit: a token bucket over all API routes, and a meter of the rate seen.

Sinch limits each project's request rate and answers 429 beyond it; a client's own limiter
and its Retry-After handling are tested against ``Emulator.rate_limit``. The meter counts
requests in tenth-of-a-second buckets (cheap to keep, precise enough for "near the limit"),
and only while a rate limit is set, so unlimited runs pay nothing.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

MIN_RETRY_AFTER: Final = 0.05
"""The smallest ``Retry-After`` answered, in seconds."""
_BUCKETS_PER_SECOND: Final = 10
_KEPT_BUCKETS: Final = 600 * _BUCKETS_PER_SECOND  # ten minutes


class TokenBucket:
    """``rate`` requests per second with a burst of one second's worth (at least one)."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.burst = max(rate, 1.0)
        self._tokens = self.burst
        self._last = now

    def take(self, now: float) -> float:
        """``0.0`` if a request may go at ``now`` (and count it), else the seconds until the
        next slot."""
        tokens = self._tokens
        elapsed = now - self._last
        self._last = now
        if elapsed > 0:
            tokens = min(self.burst, tokens + elapsed * self.rate)
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return 0.0
        self._tokens = tokens
        return (1.0 - tokens) / self.rate


def retry_after(wait: float) -> str:
    """``Retry-After`` for ``wait`` seconds: decimal, rounded up to the millisecond, at least
    :data:`MIN_RETRY_AFTER`."""
    return f"{max(math.ceil(wait * 1000) / 1000, MIN_RETRY_AFTER):.3f}"


class RateMeter:
    """Requests seen and admitted per tenth of a second, for the last ten minutes."""

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: deque[list[int]] = deque(maxlen=_KEPT_BUCKETS)

    def tick(self, now: float, admitted: bool) -> None:
        """Count one request at ``now`` (monotonic seconds)."""
        index = int(now * _BUCKETS_PER_SECOND)
        buckets = self._buckets
        if buckets and buckets[-1][0] == index:
            bucket = buckets[-1]
        else:
            bucket = [index, 0, 0]
            buckets.append(bucket)
        bucket[1] += 1
        if admitted:
            bucket[2] += 1

    def rate(self, seconds: float, now: float, *, admitted: bool) -> float:
        """Requests per second over ``(now - seconds, now]``; the oldest, partly covered
        bucket counts pro rata."""
        start = now * _BUCKETS_PER_SECOND - seconds * _BUCKETS_PER_SECOND
        column = 2 if admitted else 1
        total = 0.0
        for bucket in reversed(self._buckets):
            index = bucket[0]
            if index + 1 <= start:
                break
            share = min(1.0, index + 1 - start)
            total += bucket[column] * share
        return total / seconds

    def clear(self) -> None:
        """Forget every count."""
        self._buckets.clear()
