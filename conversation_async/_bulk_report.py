"""What a bulk send reports: outcomes, when to stop, progress counts and the summary. Pure.

An outcome says what the caller can conclude about one message:

- ``SENT``: the API accepted it (there is a message id).
- ``FAILED``: it was certainly not accepted (refused before sending, 4xx, 429, 503,
  token failure, invalid input): safe to send again.
- ``AMBIGUOUS``: it may have been accepted even though no confirmation came back: the
  error's ``maybe_processed`` is set (a timeout, a broken connection or a 5xx after the
  request went out, an unreadable 2xx answer). Sending again may duplicate it; look for it
  first (its ``message_metadata``, or its MESSAGE_DELIVERY callback).
- ``NOT_ATTEMPTED``: never sent, because an earlier send failed in a way that every later
  one would too (:func:`stop_scope`): safe to send again once the cause is fixed.
- ``INTERRUPTED``: the send was cut short by :meth:`BulkSend.stop` while in flight: it may
  have been accepted (a journaled campaign reconciles it on resume).
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

from ._errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    TokenError,
)

__all__ = [
    "BulkProgress",
    "BulkSummary",
    "LatencyHistogram",
    "Outcome",
    "StopScope",
    "Stops",
    "classify_error",
    "error_label",
    "stop_scope",
]


class Outcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"
    NOT_ATTEMPTED = "not_attempted"
    INTERRUPTED = "interrupted"


_ALWAYS_SHOWN = (Outcome.SENT, Outcome.FAILED, Outcome.AMBIGUOUS)


def classify_error(error: BaseException) -> Outcome:
    """The outcome of a send that failed with ``error``: ambiguous when the API may have
    processed it (``maybe_processed``), else failed."""
    return Outcome.AMBIGUOUS if getattr(error, "maybe_processed", False) else Outcome.FAILED


def error_label(error: BaseException) -> str:
    """A short grouping key for summaries: the HTTP status, or the error type."""
    if isinstance(error, ApiError):
        return f"HTTP {error.status}"
    return type(error).__name__


class StopScope(enum.Enum):
    """Which later sends an error condemns."""

    ALL = "every later send"
    APP = "every later send from the same app"


def stop_scope(error: BaseException) -> StopScope | None:
    """Whether ``error`` will fail later sends too, so attempting them is pointless: the
    token endpoint refusing the credentials, a 401 (after a fresh token) or a 403 fail
    everything; a 404 (an app the project does not have) fails the sends from that app."""
    if isinstance(error, TokenError):
        refused = error.status is not None and 400 <= error.status < 500 and error.status != 429
        return StopScope.ALL if refused else None
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return StopScope.ALL
    if isinstance(error, NotFoundError):
        return StopScope.APP
    return None


@attrs.define
class Stops:
    """The errors that stopped a bulk send, for all inputs or for one app's."""

    everything: BaseException | None = None
    apps: dict[str, BaseException] = attrs.field(factory=dict[str, BaseException])
    stopped: bool = attrs.field(default=False, init=False)
    """Whether anything stopped yet (what every send checks first)."""

    def record(self, error: BaseException, app_id: str) -> bool:
        """Remember ``error`` if it stops later sends; True when it is the first to stop
        them (the sends already in flight when it came fail the same way: not news)."""
        scope = stop_scope(error)
        if scope is not None:
            self.stopped = True
        if scope is StopScope.ALL:
            if self.everything is not None:
                return False
            self.everything = error
            return True
        if scope is StopScope.APP:
            if app_id in self.apps:
                return False
            self.apps[app_id] = error
            return True
        return False

    def blocking(self, app_id: str) -> BaseException | None:
        """The error that stops a send from ``app_id``, if any."""
        if self.everything is not None:
            return self.everything
        return self.apps.get(app_id) if self.apps else None

    def describe(self) -> tuple[str, ...]:
        """One line per stop, for the summary."""
        lines: list[str] = []
        if self.everything is not None:
            lines.append(f"all inputs: {_described(self.everything)}")
        lines.extend(f"app {app!r}: {_described(error)}" for app, error in self.apps.items())
        return tuple(lines)


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


_PER_LOG_STEP = 1 / math.log(1.02)
"""Buckets per unit of natural log: each bucket is 2% wide."""


@attrs.define
class LatencyHistogram:
    """Latencies in log-spaced buckets (about 2% wide): bounded memory for any count."""

    _ratio: float = attrs.field(default=1.02, init=False)
    _counts: Counter[int] = attrs.field(factory=Counter[int], init=False)
    _total: int = attrs.field(default=0, init=False)

    def add(self, seconds: float) -> None:
        bucket = -1 if seconds <= 1e-6 else int(math.log(seconds * 1e6) * _PER_LOG_STEP)
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
    not_attempted: int = 0
    interrupted: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


@attrs.frozen
class BulkSummary:
    """The outcome of a whole bulk send.

    ``maybe_processed`` counts the inputs the API may have processed without confirming
    it: every ``ambiguous`` one, and those ``sent`` after retrying an attempt that may have
    been processed too (they may have gone out twice). ``stopped_by`` says which errors
    made the rest ``not_attempted``; ``not_attempted_from`` and ``interrupted`` say where a
    cancelled send stopped.
    """

    total: int
    by_outcome: Mapping[str, int]
    by_error: Mapping[str, int]
    p50_latency: float | None
    p95_latency: float | None
    wall_time: float
    not_attempted_from: int | None = None
    interrupted: tuple[int, ...] = ()
    maybe_processed: int = 0
    stopped_by: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.total / self.wall_time if self.wall_time > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (and ``rate``), e.g. for ``send-bulk --json``."""
        fields = attrs.asdict(self)
        fields["interrupted"] = list(self.interrupted)
        fields["stopped_by"] = list(self.stopped_by)
        fields["rate"] = self.rate
        return fields

    def format(self) -> str:
        """A few human-readable lines."""
        counts = ", ".join(
            f"{self.by_outcome.get(o.value, 0):,} {o.value.replace('_', ' ')}"
            for o in Outcome
            if o in _ALWAYS_SHOWN or self.by_outcome.get(o.value)
        )
        lines = [
            f"{self.total:,} messages in {self.wall_time:.2f} s ({self.rate:,.0f}/s): {counts}",
        ]
        if self.p50_latency is not None and self.p95_latency is not None:
            p50, p95 = self.p50_latency * 1000, self.p95_latency * 1000
            lines.append(f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        if self.by_error:
            errors = ", ".join(f"{label} x{n:,}" for label, n in sorted(self.by_error.items()))
            lines.append(f"errors: {errors}")
        twice = self.maybe_processed - self.by_outcome.get(Outcome.AMBIGUOUS.value, 0)
        if twice > 0:
            lines.append(
                f"sent, but an earlier attempt may have been processed too "
                f"(maybe sent twice): {twice:,}"
            )
        lines.extend(f"stopped sending for {line}" for line in self.stopped_by)
        if self.not_attempted_from is not None:
            lines.append(f"cancelled: inputs from #{self.not_attempted_from} were not attempted")
        if self.interrupted:
            lines.append(f"interrupted in flight (may have been sent): {list(self.interrupted)}")
        return "\n".join(lines)
