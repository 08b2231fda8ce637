"""The call state as tables: each attempt's outcome in, the next action out; no sockets.

Every row says what the driver must do next and whether the API may have processed the
call, for the outcomes an attempt can have (an answer, a failure before or after the request
went out, a timeout) and the method (POST is not idempotent, GET is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conversation_async import (
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    ConversationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    TokenError,
    TransportError,
)
from conversation_async._core.call import Action, CallState, RetryRecord, answer_maybe_processed
from conversation_async._core.retry import Failure, RetryBudget, RetryPolicy

NOW = 1000.0
WALL = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}


def state(method: str = "POST", **overrides: Any) -> CallState:
    """A call with a fixed wait (the back-off ceiling, no jitter) and room for retries."""
    options: dict[str, Any] = {
        "policy": RetryPolicy(max_retries=3, backoff_base=0.5),
        "now": NOW,
        "timeout": 30.0,
        "deadline": 120.0,
        "renewable": True,
        "jitter": lambda ceiling: ceiling,
    }
    options.update(overrides)
    return CallState(method, "/v1/projects/p/messages:send", **options)


def answer(call: CallState, status: int, headers: dict[str, str] | None = None) -> Action:
    return call.answered(status, headers or {}, b"", NOW, WALL)


# --- one outcome ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "action", "error_type", "maybe_processed"),
    [
        ("POST", 200, Action.RETURN, None, False),
        ("POST", 204, Action.RETURN, None, False),
        ("POST", 307, Action.RAISE, RedirectError, False),
        ("GET", 302, Action.RAISE, RedirectError, False),
        ("POST", 400, Action.RAISE, BadRequestError, False),
        ("POST", 401, Action.RAISE, AuthenticationError, False),
        ("POST", 404, Action.RAISE, NotFoundError, False),
        ("POST", 429, Action.RETRY, None, False),
        ("GET", 429, Action.RETRY, None, False),
        ("POST", 503, Action.RETRY, None, False),
        ("POST", 500, Action.RAISE, ServerError, True),
        ("POST", 502, Action.RAISE, ServerError, True),
        ("POST", 504, Action.RAISE, ServerError, True),
        ("GET", 500, Action.RETRY, None, True),
        ("DELETE", 502, Action.RETRY, None, True),
    ],
)
def test_an_answer_decides_the_next_action_and_whether_it_may_have_been_processed(
    method: str,
    status: int,
    action: Action,
    error_type: type[ConversationError] | None,
    maybe_processed: bool,
) -> None:
    """2xx returns; a redirect or another 4xx raises, unprocessed; 429/503 were not processed
    and are retried for every method; 500/502/504 may have been processed, so a POST raises
    (its error says so) while an idempotent method retries."""
    call = state(method)
    assert answer(call, status) is action
    assert call.maybe_processed is maybe_processed
    if error_type is not None:
        assert type(call.error) is error_type
        assert call.error.status == status
        assert call.error.maybe_processed is maybe_processed


@pytest.mark.parametrize(
    ("method", "failure", "action", "maybe_processed"),
    [
        ("POST", Failure.NOT_SENT, Action.RETRY, False),
        ("GET", Failure.NOT_SENT, Action.RETRY, False),
        ("POST", Failure.BROKEN, Action.RAISE, True),
        ("GET", Failure.BROKEN, Action.RETRY, True),
    ],
)
def test_a_failure_without_an_answer_is_processed_only_if_the_request_went_out(
    method: str, failure: Failure, action: Action, maybe_processed: bool
) -> None:
    """Nothing went out: retried for every method, certainly not processed. The connection
    broke after sending: maybe processed, so only an idempotent method is retried."""
    call = state(method)
    assert call.failed(failure, TransportError("x"), NOW) is action
    assert call.maybe_processed is maybe_processed
    if action is Action.RAISE:
        assert call.error is not None
        assert call.error.maybe_processed is maybe_processed


@pytest.mark.parametrize(
    ("method", "action"),
    [("POST", Action.RAISE), ("GET", Action.RETRY)],
)
def test_an_attempt_timeout_after_sending_may_have_been_processed(
    method: str, action: Action
) -> None:
    """A request that got no answer in time may have been processed."""
    call = state(method)
    assert call.timed_out(sent=True, expired_at=NOW + 30, now=NOW + 30) is action
    assert call.maybe_processed
    assert call.attempts == 1


@pytest.mark.parametrize("sent", [False, True])
def test_the_deadline_ends_the_call_and_says_whether_the_request_went_out(sent: bool) -> None:
    """The call's deadline is final; it was processed only if the attempt had gone out
    (not while waiting for a connection slot or a token)."""
    call = state("GET")
    assert call.timed_out(sent=sent, expired_at=call.deadline, now=call.deadline) is Action.RAISE
    assert isinstance(call.error, RequestTimeoutError)
    assert "deadline of 120s passed" in str(call.error)
    assert call.error.maybe_processed is sent
    assert call.attempts == int(sent)


@pytest.mark.parametrize(("status", "maybe_processed"), [(200, True), (400, False), (500, True)])
def test_an_answer_over_the_size_limit_fails_the_call(status: int, maybe_processed: bool) -> None:
    """Reading stopped: the call fails, processed or not as its status says."""
    call = state()
    assert call.too_large(status, 8 * 1024 * 1024) is Action.RAISE
    assert isinstance(call.error, ResponseTooLargeError)
    assert (call.error.status, call.error.limit) == (status, 8 * 1024 * 1024)
    assert call.error.maybe_processed is maybe_processed
    assert "8,388,608 bytes" in str(call.error)


def test_an_unreadable_2xx_answer_was_processed() -> None:
    """A 2xx whose body does not fit the model: accepted by the API, unreadable here."""
    call = state()
    assert answer(call, 200) is Action.RETURN
    error = call.unreadable(InvalidResponseError("not JSON", status=200, body=b"<html>"))
    assert error.maybe_processed
    assert call.error is error


def test_a_failure_nothing_can_mend_raises_at_once() -> None:
    """No credential (the token endpoint refused) or a closed client: no retry."""
    call = state()
    assert call.stopped(TokenError("refused", status=401)) is Action.RAISE
    assert isinstance(call.error, TokenError)
    assert not call.maybe_processed
    assert call.attempts == 0


@pytest.mark.parametrize("status", range(200, 600, 7))
def test_only_2xx_and_5xx_other_than_503_leave_processing_open(status: int) -> None:
    """The status rule behind every answer, stated once."""
    expected = 200 <= status < 300 or (status >= 500 and status != 503)
    assert answer_maybe_processed(status) is expected


# --- sequences ----------------------------------------------------------------------------


def test_an_expired_token_is_replayed_once_then_raised() -> None:
    """A 401 "expired" replays at once with a fresh token (no wait, no retry counted);
    a second one raises."""
    call = state()
    assert answer(call, 401, EXPIRED) is Action.REPLAY
    assert answer(call, 401, EXPIRED) is Action.RAISE
    assert isinstance(call.error, AuthenticationError)
    report = call.report()
    assert (report.attempts, report.retries, report.replayed) == (2, (), True)


def test_a_basic_credential_is_not_replayed() -> None:
    """With a credential that cannot be renewed a 401 "expired" is final."""
    call = state(renewable=False)
    assert answer(call, 401, EXPIRED) is Action.RAISE


def test_a_success_after_an_unsafe_retry_reports_that_it_may_exist_twice() -> None:
    """retry_non_idempotent: a POST retried after a 500 that then succeeds reports
    maybe_processed, the message may have been sent twice."""
    call = state(policy=RetryPolicy(backoff_base=0.5, retry_non_idempotent=True))
    assert answer(call, 500) is Action.RETRY
    assert call.wait == 0.5
    assert answer(call, 200) is Action.RETURN
    report = call.report()
    assert report.maybe_processed
    assert report.attempts == 2
    assert report.retries == (RetryRecord("HTTP 500", 0.5),)


def test_a_failure_after_an_unsafe_retry_is_maybe_processed_whatever_its_own_cause() -> None:
    """A POST retried after a broken connection that ends with a 429 (never processed by
    itself) still may have been processed: the earlier attempt's fact carries."""
    call = state(policy=RetryPolicy(max_retries=1, retry_non_idempotent=True))
    assert call.failed(Failure.BROKEN, TransportError("reset"), NOW) is Action.RETRY
    assert answer(call, 429) is Action.RAISE
    assert isinstance(call.error, RateLimitError)
    assert call.error.maybe_processed


def test_retries_unprocessed_only_leave_the_call_unprocessed() -> None:
    """Two 503s then a 503 again: retried, raised, never processed."""
    call = state(policy=RetryPolicy(max_retries=2, backoff_base=0.5))
    assert answer(call, 503) is Action.RETRY
    assert answer(call, 503) is Action.RETRY
    assert answer(call, 503) is Action.RAISE
    assert not call.error.maybe_processed  # type: ignore[union-attr]
    assert [r.wait for r in call.report().retries] == [0.5, 1.0]


def test_retry_after_sets_the_wait_capped_by_the_policy() -> None:
    """A 429's Retry-After replaces the back-off, capped at retry_after_max."""
    call = state(policy=RetryPolicy(retry_after_max=10))
    assert answer(call, 429, {"Retry-After": "4"}) is Action.RETRY
    assert call.wait == 4
    assert answer(call, 429, {"Retry-After": "400"}) is Action.RETRY
    assert call.wait == 10


def test_a_retry_after_date_is_read_against_the_wall_clock() -> None:
    """An HTTP date in Retry-After is seconds from the wall time passed in."""
    call = state()
    assert answer(call, 503, {"Retry-After": "Sun, 06 Dec 2026 12:00:07 GMT"}) is Action.RETRY
    assert call.wait == 7


def test_no_retry_waits_past_the_deadline() -> None:
    """A wait that would end after the deadline raises now, saying why."""
    call = state(deadline=1.0, policy=RetryPolicy(backoff_base=5))
    assert answer(call, 503) is Action.RAISE
    assert "deadline comes first" in call.reason


def test_an_empty_retry_budget_stops_retries_but_not_429_retries() -> None:
    """The client-wide budget caps retries; a 429's retry is paced by the rate limiter and
    spends none."""
    budget = RetryBudget(ratio=0.0, minimum=0)
    call = state(budget=budget)
    assert answer(call, 429) is Action.RETRY
    assert answer(call, 503) is Action.RAISE
    assert "retry budget is spent" in call.reason


def test_retries_stop_after_max_retries() -> None:
    """The last failure is raised once max_retries repeats were made."""
    call = state("GET", policy=RetryPolicy(max_retries=1))
    assert call.failed(Failure.NOT_SENT, TransportError("refused"), NOW) is Action.RETRY
    assert call.failed(Failure.NOT_SENT, TransportError("refused"), NOW) is Action.RAISE
    assert call.report().attempts == 2


def test_a_repeatable_post_retries_like_an_idempotent_method() -> None:
    """The token request is a POST that may be repeated: a broken attempt is retried."""
    call = state("POST", repeatable=True)
    assert call.failed(Failure.BROKEN, TransportError("reset"), NOW) is Action.RETRY


def test_a_closed_client_after_a_broken_attempt_keeps_the_maybe_processed_fact() -> None:
    """The client closed between attempts: the call fails with ClientStateError, and the
    earlier attempt may still have been processed."""
    call = state("GET")
    assert call.failed(Failure.BROKEN, TransportError("reset"), NOW) is Action.RETRY
    assert call.stopped(ClientStateError("closed")) is Action.RAISE
    assert call.error is not None
    assert call.error.maybe_processed


def test_the_attempt_deadline_is_the_timeout_or_the_call_deadline() -> None:
    """An attempt times out after ``timeout``, never after the call's deadline."""
    call = state(timeout=30.0, deadline=40.0)
    assert call.attempt_deadline(NOW) == NOW + 30
    assert call.attempt_deadline(NOW + 20) == NOW + 40
