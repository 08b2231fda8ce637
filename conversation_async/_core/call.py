"""The state of one API call, pure: each attempt's outcome in, the next action out.

The driver (:mod:`conversation_async._http.transport`) tells the state how each attempt
ended — an answer (status, headers, body), a failure before the request went out, a failure
or a timeout after it went out — and does what the state answers (:class:`Action`): return
the answer, replay at once with a fresh credential, retry after a wait, or raise the error
the state built. Time is passed in; nothing here waits or sends.

The state owns the SDK's most important rule, in one place: *may the API have processed
this call?* An attempt that went out and got no answer ruling it out (a timeout, a broken
connection, a 5xx other than 503, a 2xx whose body cannot be read) may have been processed.
Such an attempt is repeated only for idempotent methods or when the caller opted in
(``retry_non_idempotent``), and the fact stays with the call to its end: on the error it
raises (``maybe_processed``, the ``ambiguous`` outcome of bulk sends) and in the report of
a success (an earlier attempt may have been processed too: the message may exist twice).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

import attrs
import backoff

from .._errors import (
    ConversationError,
    InvalidResponseError,
    RequestTimeoutError,
    ResponseTooLargeError,
    api_error_from_response,
)
from .retry import (
    Failure,
    RetryBudget,
    RetryDecision,
    RetryPolicy,
    decide_retry,
    parse_retry_after,
)

__all__ = [
    "Action",
    "CallReport",
    "CallState",
    "Reported",
    "RetryRecord",
    "answer_maybe_processed",
]

T = TypeVar("T")

NOT_PROCESSED_STATUSES = frozenset({429, 503})
"""Error answers the API gives before processing anything (catalog §5.2)."""


def answer_maybe_processed(status: int) -> bool:
    """Whether an answer with ``status`` leaves open that the API processed the call: a 2xx
    (it did) or a 5xx other than 503; a 3xx, a 4xx (429 included) or a 503 rules it out."""
    return 200 <= status < 300 or (status >= 500 and status not in NOT_PROCESSED_STATUSES)


class Action(enum.Enum):
    """What the driver does next."""

    RETURN = "return the answer"
    REPLAY = "drop the credential, get a fresh one and send again at once"
    RETRY = "wait CallState.wait seconds, then send again"
    RAISE = "raise CallState.error"


@attrs.frozen
class RetryRecord:
    """One retry of a call: why, and how long it waited first."""

    reason: str
    wait: float


@attrs.frozen
class CallReport:
    """How one call went: HTTP ``attempts`` (a replay after an expired token included),
    its ``retries``, whether it ``replayed`` with a fresh token, and ``maybe_processed``:
    an attempt that got no confirmation may have been processed. On a failed call that makes
    the outcome ambiguous; on a successful one the effect (a message) may exist twice."""

    attempts: int
    retries: tuple[RetryRecord, ...] = ()
    replayed: bool = False
    maybe_processed: bool = False


class CallState:
    """One call from its first attempt to its result: feed it each attempt's outcome, do
    what it answers. ``now`` is the driver's monotonic clock (``loop.time()``)."""

    __slots__ = (
        "_budget",
        "_jitter",
        "_policy",
        "_renewable",
        "_retries",
        "_retry_method",
        "_span",
        "attempts",
        "deadline",
        "error",
        "maybe_processed",
        "method",
        "path",
        "reason",
        "replayed",
        "timeout",
        "wait",
    )

    def __init__(
        self,
        method: str,
        path: str,
        *,
        policy: RetryPolicy,
        now: float,
        timeout: float,
        deadline: float,
        budget: RetryBudget | None = None,
        repeatable: bool = False,
        renewable: bool = False,
        jitter: Callable[[float], float] = backoff.full_jitter,
    ) -> None:
        """``timeout`` bounds one attempt and ``deadline`` the whole call, in seconds from
        ``now``; ``budget`` is the client-wide retry budget; ``repeatable`` treats the call
        as idempotent whatever its method (a token request); ``renewable``: a 401 saying
        ``expired`` may be replayed once with a fresh credential; ``jitter`` draws a wait
        below the back-off ceiling (full jitter)."""
        self.method = method
        self.path = path
        self._policy = policy
        self._retry_method = "GET" if repeatable else method
        self._budget = budget
        self._renewable = renewable
        self._jitter = jitter
        self._span = deadline
        self._retries: list[RetryRecord] | None = None
        self.maybe_processed = False
        """Whether an attempt so far may have been processed without being confirmed."""
        self.deadline = now + deadline
        """Monotonic time at which the call ends, whatever it is doing."""
        self.timeout = timeout
        self.attempts = 0
        self.replayed = False
        self.wait = 0.0
        """Seconds to wait before the next attempt, after :attr:`Action.RETRY`."""
        self.reason = ""
        """Why the call retries (after :attr:`Action.RETRY`); after :attr:`Action.RAISE`, why
        a retryable failure was not retried (else empty)."""
        self.error: ConversationError | None = None
        """The error to raise, after :attr:`Action.RAISE`."""
        if budget is not None:
            budget.record_call(now)

    @property
    def retry_count(self) -> int:
        """How many retries the call has decided so far."""
        return len(self._retries or ())

    def attempt_deadline(self, now: float) -> float:
        """When an attempt starting at ``now`` times out: its timeout, or the call's deadline."""
        ends = now + self.timeout
        return ends if ends < self.deadline else self.deadline

    # --- outcomes ----------------------------------------------------------------------

    def answered(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        now: float,
        wall: datetime | None = None,
    ) -> Action:
        """The attempt got an answer. ``wall`` (the UTC time, needed for a ``Retry-After``
        given as a date) is only read for an error status."""
        self.attempts += 1
        if status < 300:
            return Action.RETURN
        if (
            status == 401
            and self._renewable
            and not self.replayed
            and "expired" in headers.get("WWW-Authenticate", "").lower()
        ):
            self.replayed = True
            return Action.REPLAY
        retry_after = None
        if wall is not None:
            retry_after = parse_retry_after(headers.get("Retry-After"), wall)
        error = api_error_from_response(status, headers, body, retry_after=retry_after)
        decision: RetryDecision | None = None
        if status >= 400:  # a redirect is never followed, nor retried
            decision = decide_retry(
                self._policy,
                method=self._retry_method,
                retries_done=len(self._retries or ()),
                status=status,
                retry_after=retry_after,
                jitter=self._jitter,
            )
        # A 429's retry is paced by the shared rate limiter, so it spends no retry budget.
        return self._after(
            error, answer_maybe_processed(status), decision, now, budgeted=status != 429
        )

    def failed(self, failure: Failure, error: ConversationError, now: float) -> Action:
        """The attempt raised before any answer: ``NOT_SENT`` (nothing went out) or
        ``BROKEN`` (the connection failed after the request went out)."""
        self.attempts += 1
        decision = decide_retry(
            self._policy,
            method=self._retry_method,
            retries_done=len(self._retries or ()),
            failure=failure,
            jitter=self._jitter,
        )
        return self._after(error, failure is not Failure.NOT_SENT, decision, now)

    def timed_out(self, *, sent: bool, expired_at: float, now: float) -> Action:
        """The attempt's timeout or the call's deadline (whichever was ``expired_at``)
        passed; ``sent``: the request may have gone out."""
        if sent:
            self.attempts += 1
        label = f"{self.method} {self.path}"
        if expired_at >= self.deadline:
            late = RequestTimeoutError(f"{label}: deadline of {self._span:g}s passed")
            return self._stop(late, processed=sent)
        error = RequestTimeoutError(f"{label}: no answer within {self.timeout:g}s")
        decision = decide_retry(
            self._policy,
            method=self._retry_method,
            retries_done=len(self._retries or ()),
            failure=Failure.TIMEOUT,
            jitter=self._jitter,
        )
        return self._after(error, True, decision, now)

    def too_large(self, status: int, limit: int) -> Action:
        """The answer's body passed ``limit`` bytes: reading stopped, the call fails."""
        self.attempts += 1
        error = ResponseTooLargeError(
            f"{self.method} {self.path}: HTTP {status} answer larger than {limit:,} bytes",
            status=status,
            limit=limit,
        )
        return self._stop(error, processed=answer_maybe_processed(status))

    def stopped(self, error: ConversationError) -> Action:
        """A failure before anything went out that no retry can mend (no credential, a
        closed client, an unusable URL): the call fails with ``error``."""
        return self._stop(error, processed=False)

    def unreadable(self, error: InvalidResponseError) -> ConversationError:
        """The 2xx answer the call returned cannot be read: the call fails with ``error``,
        and the API did process it."""
        return self._raise(error, processed=True)

    # --- the report ----------------------------------------------------------------------

    def report(self) -> CallReport:
        """How the call went so far."""
        return CallReport(
            attempts=self.attempts,
            retries=tuple(self._retries or ()),
            replayed=self.replayed,
            maybe_processed=self.maybe_processed,
        )

    # --- internals -------------------------------------------------------------------------

    def _after(
        self,
        error: ConversationError,
        processed: bool,
        decision: RetryDecision | None,
        now: float,
        *,
        budgeted: bool = True,
    ) -> Action:
        if decision is None:
            return self._stop(error, processed=processed)
        delay = decision.delay
        if now + delay >= self.deadline:
            note = f"not retried ({decision.reason}): the deadline comes first"
            return self._stop(error, processed=processed, note=note)
        if budgeted and self._budget is not None and not self._budget.try_spend(now):
            note = f"not retried ({decision.reason}): the client retry budget is spent"
            return self._stop(error, processed=processed, note=note)
        self.maybe_processed = self.maybe_processed or processed
        if self._retries is None:
            self._retries = []
        self._retries.append(RetryRecord(decision.reason, delay))
        self.wait = delay
        self.reason = decision.reason
        return Action.RETRY

    def _stop(self, error: ConversationError, *, processed: bool, note: str = "") -> Action:
        self._raise(error, processed=processed)
        self.reason = note
        return Action.RAISE

    def _raise(self, error: ConversationError, *, processed: bool) -> ConversationError:
        self.reason = ""
        self.maybe_processed = self.maybe_processed or processed
        error.maybe_processed = self.maybe_processed
        self.error = error
        return error


class Reported(NamedTuple, Generic[T]):
    """A call's result as a value: the ``value``, or the ``error`` it would raise, and the
    state it ended in (:meth:`report` says how it went). A tuple: one is made per call."""

    value: T | None
    error: ConversationError | None
    state: CallState

    def report(self) -> CallReport:
        return self.state.report()

    def unwrap(self) -> T:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value] # no error: the value is a T
