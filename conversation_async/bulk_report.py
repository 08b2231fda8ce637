"""What a bulk send reports: outcomes, progress counts and the final summary. Pure.

An outcome says what the caller can conclude about one message:

- ``SENT``: the API accepted it (there is a message id).
- ``FAILED``: it was certainly not accepted (refused before sending, 4xx, 429, 503,
  token failure, invalid input): safe to send again.
- ``AMBIGUOUS``: it may have been accepted even though no confirmation came back (timeout,
  broken connection or 5xx after the request went out, or an unreadable 2xx answer).
  Sending again may duplicate it; reconcile with ``correlation_id`` and
  ``client.messages.list`` first.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Mapping

import attrs

from .errors import (
    ApiError,
    ConversationError,
    InvalidResponseError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)

__all__ = ["BulkProgress", "BulkSummary", "LatencyHistogram", "Outcome", "classify_error"]


class Outcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"


NOT_PROCESSED_STATUSES = frozenset({429, 503})


def classify_error(error: BaseException) -> Outcome:
    """Whether a failed send may nevertheless have been accepted by the API."""
    if isinstance(error, ConversationError) and error.earlier_attempt_processed:
        return Outcome.AMBIGUOUS
    if isinstance(error, TransportError | RequestTimeoutError):
        return Outcome.AMBIGUOUS if error.request_sent else Outcome.FAILED
    if isinstance(error, ServerError):
        return Outcome.FAILED if error.http_status in NOT_PROCESSED_STATUSES else Outcome.AMBIGUOUS
    if isinstance(error, InvalidResponseError):
        return Outcome.AMBIGUOUS  # a 2xx came back: accepted, but its answer is unreadable
    return Outcome.FAILED


def error_label(error: BaseException) -> str:
    """A short grouping key for summaries: the HTTP status, or the error type."""
    if isinstance(error, ApiError):
        return f"HTTP {error.http_status}"
    return type(error).__name__


@attrs.define
class LatencyHistogram:
    """Latencies in log-spaced buckets (about 2% wide): bounded memory for any count."""

    _ratio: float = attrs.field(default=1.02, init=False)
    _counts: Counter[int] = attrs.field(factory=Counter, init=False)
    _total: int = attrs.field(default=0, init=False)

    def add(self, seconds: float) -> None:
        bucket = -1 if seconds <= 1e-6 else int(math.log(seconds / 1e-6, self._ratio))
        self._counts[bucket] += 1
        self._total += 1

    def quantile(self, q: float) -> float | None:
        """The latency below which a ``q`` share of samples fall (None without samples)."""
        if not self._total:
            return None
        rank = q * self._total
        seen = 0
        for bucket in sorted(self._counts):
            seen += self._counts[bucket]
            if seen >= rank:
                return 0.0 if bucket < 0 else 1e-6 * self._ratio ** (bucket + 0.5)
        return None  # pragma: no cover - ranks never exceed the total

    def __len__(self) -> int:
        return self._total


@attrs.frozen
class BulkProgress:
    """Counts so far, for progress bars: ``rate`` is completions per second overall."""

    done: int
    sent: int
    failed: int
    ambiguous: int
    in_flight: int
    elapsed: float
    total: int | None = None

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


@attrs.frozen
class BulkSummary:
    """The outcome of a whole bulk send."""

    total: int
    by_outcome: Mapping[str, int]
    by_error: Mapping[str, int]
    p50_latency: float | None
    p95_latency: float | None
    wall_time: float
    not_attempted_from: int | None = None
    interrupted: tuple[int, ...] = ()
    possible_duplicates: int = 0

    @property
    def rate(self) -> float:
        return self.total / self.wall_time if self.wall_time > 0 else 0.0

    def format(self) -> str:
        """A few human-readable lines."""
        counts = ", ".join(f"{self.by_outcome.get(o.value, 0):,} {o.value}" for o in Outcome)
        lines = [
            f"{self.total:,} messages in {self.wall_time:.2f} s ({self.rate:,.0f}/s): {counts}",
        ]
        if self.p50_latency is not None and self.p95_latency is not None:
            p50, p95 = self.p50_latency * 1000, self.p95_latency * 1000
            lines.append(f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        if self.by_error:
            errors = ", ".join(f"{label} x{n:,}" for label, n in sorted(self.by_error.items()))
            lines.append(f"errors: {errors}")
        if self.possible_duplicates:
            lines.append(
                f"possible duplicates (retried after an attempt that may have gone through): "
                f"{self.possible_duplicates:,}"
            )
        if self.not_attempted_from is not None:
            lines.append(f"cancelled: inputs from #{self.not_attempted_from} were not attempted")
        if self.interrupted:
            lines.append(f"interrupted in flight (may have been sent): {list(self.interrupted)}")
        return "\n".join(lines)
