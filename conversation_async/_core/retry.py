"""Retry policy: which failures are retried, and how long to wait. Pure: no I/O, no clock.

The matrix (DESIGN.md "Retry policy"):

=========================================  ==========================  =========================
outcome                                    GET, DELETE, PUT, PATCH     POST (sends, creates)
=========================================  ==========================  =========================
connection failed before the request went  retry                       retry
429, 503                                   retry, honour Retry-After   retry, honour Retry-After
500, 502, 504, timeout or broken           retry                       raise, unless
connection after the request went out                                  ``retry_non_idempotent``
any other status                           raise                       raise
=========================================  ==========================  =========================

Waits are exponential with full jitter (the ``backoff`` library's ``expo`` and
``full_jitter``); a ``Retry-After`` header replaces the computed wait, capped at
``retry_after_max``. A client-wide :class:`RetryBudget` also caps retries to a share of
recent requests, so an outage cannot turn every call into several (no retry storm).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
import backoff

__all__ = [
    "Failure",
    "RetryBudget",
    "RetryDecision",
    "RetryPolicy",
    "backoff_ceiling",
    "decide_retry",
    "is_idempotent",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
ALWAYS_RETRIED_STATUSES = frozenset({429, 503})
"""The API did not process these requests, so they are safe to repeat whatever the method."""
UNSAFE_RETRIED_STATUSES = frozenset({500, 502, 504})
"""These may have been processed: retried for idempotent methods only, unless opted in."""


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


def _non_negative_or_none(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _non_negative(instance, attribute, value)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How many times, and how patiently, a failed call is repeated.

    ``max_retries`` counts repeats after the first attempt (0 disables retries).
    ``retry_non_idempotent`` also repeats POSTs after a 5xx, a timeout or a broken
    connection; that can send a message twice, since the API has no idempotency key.
    Across the whole client, retries within ``budget_window`` seconds are capped at
    ``budget_ratio`` of the calls made in it, but ``budget_minimum`` are always allowed
    (``budget_ratio=None`` turns the budget off).
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=30.0, validator=_non_negative)
    retry_after_max: float = attrs.field(default=60.0, validator=_non_negative)
    retry_non_idempotent: bool = False
    budget_ratio: float | None = attrs.field(default=0.2, validator=_non_negative_or_none)
    budget_minimum: int = attrs.field(default=10, validator=_non_negative)
    budget_window: float = attrs.field(default=10.0, validator=_non_negative)


class Failure(enum.Enum):
    """A failed attempt that produced no HTTP status."""

    NOT_SENT = "connection failed before the request went out"
    TIMEOUT = "timed out after the request went out"
    BROKEN = "connection broke after the request went out"


@attrs.frozen
class RetryDecision:
    """Wait ``delay`` seconds, then try again; ``reason`` is for logs and the call report."""

    delay: float
    reason: str


def is_idempotent(method: str) -> bool:
    """Whether repeating ``method`` cannot cause a second side effect."""
    return method.upper() in IDEMPOTENT_METHODS


def backoff_ceiling(policy: RetryPolicy, retry_number: int) -> float:
    """Upper bound of the wait before retry ``retry_number`` (0 for the first retry)."""
    waits = backoff.expo(base=2, factor=policy.backoff_base, max_value=policy.backoff_max)
    next(waits)  # backoff's generators are primed by one send(None)
    return float(next(itertools.islice(waits, retry_number, None)))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def decide_retry(
    policy: RetryPolicy,
    *,
    method: str,
    retries_done: int,
    status: int | None = None,
    failure: Failure | None = None,
    retry_after: float | None = None,
    jitter: Callable[[float], float] = backoff.full_jitter,
) -> RetryDecision | None:
    """Whether to repeat an attempt that ended with ``status`` or ``failure``, and after how long.

    Returns None when the outcome must be raised: not retryable, or retries exhausted. Whether
    the failed attempt may have been processed is the call state's business
    (:mod:`conversation_async._core.call`), not this policy's.
    """
    if retries_done >= policy.max_retries:
        return None
    repeatable = is_idempotent(method) or policy.retry_non_idempotent
    if failure is not None:
        if failure is not Failure.NOT_SENT and not repeatable:
            return None
        reason = failure.value
    elif status in ALWAYS_RETRIED_STATUSES:
        reason = f"HTTP {status}"
        if retry_after is not None:
            delay = min(retry_after, policy.retry_after_max)
            return RetryDecision(delay, f"{reason}, Retry-After {retry_after:g}s")
    elif status in UNSAFE_RETRIED_STATUSES and repeatable:
        reason = f"HTTP {status}"
    else:
        return None
    return RetryDecision(jitter(backoff_ceiling(policy, retries_done)), reason)


@attrs.define
class RetryBudget:
    """Retries allowed for a whole client: a share of recent calls, with a floor. Pure.

    Calls and retries are counted in one-second buckets over the last ``window`` seconds; a
    retry is allowed while retries in the window stay below ``max(minimum, ratio * calls)``.
    """

    ratio: float
    minimum: int = 10
    window: float = 10.0
    _calls: dict[int, int] = attrs.field(factory=dict[int, int], init=False)
    _retries: dict[int, int] = attrs.field(factory=dict[int, int], init=False)
    _second: int = attrs.field(default=0, init=False)

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> RetryBudget | None:
        if policy.budget_ratio is None:
            return None
        return cls(policy.budget_ratio, policy.budget_minimum, policy.budget_window)

    def record_call(self, now: float) -> None:
        """A new call (its first attempt) was made."""
        second = int(now)
        if second != self._second:  # old buckets go as time moves on: memory stays bounded
            self._forget(second)
            self._second = second
        self._calls[second] = self._calls.get(second, 0) + 1

    def try_spend(self, now: float) -> bool:
        """Take one retry from the budget; False when it is exhausted."""
        second = int(now)
        self._forget(second)
        allowed = max(self.minimum, self.ratio * sum(self._calls.values()))
        if sum(self._retries.values()) >= allowed:
            return False
        self._retries[second] = self._retries.get(second, 0) + 1
        return True

    def _forget(self, second: int) -> None:
        oldest = second - int(self.window) + 1
        for counts in (self._calls, self._retries):
            for stale in [s for s in counts if s < oldest]:
                del counts[stale]
