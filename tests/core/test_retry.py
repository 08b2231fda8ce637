"""The retry matrix, back-off and Retry-After parsing, without sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversation_async._core.retry import (
    Failure,
    RetryBudget,
    RetryPolicy,
    backoff_ceiling,
    decide_retry,
    parse_retry_after,
)

POLICY = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=4.0, retry_after_max=10.0)
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def no_jitter(ceiling: float) -> float:
    return ceiling


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH", "POST"])
@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_retried_for_every_method(method: str, status: int) -> None:
    """The API did not process a 429/503, so even a send is repeated."""
    assert decide_retry(POLICY, method=method, retries_done=0, status=status) is not None


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH"])
def test_5xx_is_retried_for_idempotent_methods(status: int, method: str) -> None:
    """500/502/504 on an idempotent call is repeated."""
    assert decide_retry(POLICY, method=method, retries_done=0, status=status) is not None


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_on_post_is_raised_by_default(status: int) -> None:
    """A POST that got 500/502/504 may have been processed: not repeated unless opted in."""
    assert decide_retry(POLICY, method="POST", retries_done=0, status=status) is None


def test_5xx_on_post_is_retried_when_opted_in() -> None:
    """retry_non_idempotent makes POSTs repeat after a 5xx."""
    policy = RetryPolicy(retry_non_idempotent=True)
    assert decide_retry(policy, method="POST", retries_done=0, status=502) is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_other_4xx_are_never_retried(status: int) -> None:
    """Client errors are raised at once, for any method."""
    assert decide_retry(POLICY, method="GET", retries_done=0, status=status) is None


def test_connection_failure_before_sending_is_retried_even_for_post() -> None:
    """Nothing reached the API, so a send can safely be attempted again."""
    decision = decide_retry(POLICY, method="POST", retries_done=0, failure=Failure.NOT_SENT)
    assert decision is not None


@pytest.mark.parametrize("failure", [Failure.TIMEOUT, Failure.BROKEN])
def test_timeout_or_broken_connection_after_sending_is_not_retried_for_post(
    failure: Failure,
) -> None:
    """A POST that may have reached the API is not repeated by default."""
    assert decide_retry(POLICY, method="POST", retries_done=0, failure=failure) is None


@pytest.mark.parametrize("failure", [Failure.TIMEOUT, Failure.BROKEN])
def test_timeout_or_broken_connection_is_retried_for_get(failure: Failure) -> None:
    """An idempotent call is repeated after a timeout or a broken connection."""
    assert decide_retry(POLICY, method="GET", retries_done=0, failure=failure) is not None


def test_retries_stop_at_max_retries() -> None:
    """After max_retries repeats the outcome is raised."""
    assert decide_retry(POLICY, method="GET", retries_done=2, status=503) is not None
    assert decide_retry(POLICY, method="GET", retries_done=3, status=503) is None


def test_zero_max_retries_disables_retries() -> None:
    """max_retries=0 means a single attempt."""
    policy = RetryPolicy(max_retries=0)
    assert decide_retry(policy, method="GET", retries_done=0, status=503) is None


def test_backoff_ceiling_doubles_up_to_the_maximum() -> None:
    """Waits grow 0.5, 1, 2, 4 then stay at backoff_max."""
    ceilings = [backoff_ceiling(POLICY, n) for n in range(6)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_wait_is_full_jitter_of_the_ceiling() -> None:
    """The computed wait is drawn by the jitter function from [0, ceiling]."""
    seen: list[float] = []

    def spy(ceiling: float) -> float:
        seen.append(ceiling)
        return ceiling / 4

    decision = decide_retry(POLICY, method="GET", retries_done=2, status=503, jitter=spy)
    assert seen == [2.0]
    assert decision is not None
    assert decision.delay == 0.5


def test_default_jitter_stays_within_the_ceiling() -> None:
    """Without a custom jitter, waits fall in [0, ceiling]."""
    for _ in range(200):
        decision = decide_retry(POLICY, method="GET", retries_done=1, status=500)
        assert decision is not None
        assert 0.0 <= decision.delay <= 1.0


def test_retry_after_replaces_the_backoff_wait() -> None:
    """A Retry-After on 429 is waited exactly (no jitter)."""
    decision = decide_retry(
        POLICY, method="POST", retries_done=0, status=429, retry_after=7.0, jitter=no_jitter
    )
    assert decision is not None
    assert decision.delay == 7.0
    assert "Retry-After" in decision.reason


def test_retry_after_is_capped() -> None:
    """A huge Retry-After is capped at retry_after_max."""
    decision = decide_retry(POLICY, method="GET", retries_done=0, status=503, retry_after=3600)
    assert decision is not None
    assert decision.delay == POLICY.retry_after_max


def test_parse_retry_after_reads_delta_seconds() -> None:
    """'120' means 120 seconds."""
    assert parse_retry_after("120", NOW) == 120.0


def test_parse_retry_after_reads_an_http_date() -> None:
    """An HTTP date is turned into the seconds from now."""
    later = NOW + timedelta(seconds=30)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(header, NOW) == 30.0


def test_parse_retry_after_in_the_past_means_no_wait() -> None:
    """A date already passed gives 0, never a negative wait."""
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "nan"])
def test_parse_retry_after_ignores_garbage(header: str | None) -> None:
    """Missing or unreadable headers give None (fall back to back-off)."""
    assert parse_retry_after(header, NOW) is None


def test_negative_settings_are_refused() -> None:
    """A negative max_retries is a configuration mistake."""
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_budget_allows_the_minimum_even_without_traffic() -> None:
    """A quiet client may still retry `minimum` times per window."""
    budget = RetryBudget(ratio=0.1, minimum=3, window=10)
    assert [budget.try_spend(0.5) for _ in range(4)] == [True, True, True, False]


def test_budget_grows_with_the_calls_made() -> None:
    """With 100 calls in the window, a 20% budget allows 20 retries."""
    budget = RetryBudget(ratio=0.2, minimum=0, window=10)
    for _ in range(100):
        budget.record_call(1.0)
    spent = sum(budget.try_spend(2.0) for _ in range(50))
    assert spent == 20


def test_budget_refills_as_the_window_moves() -> None:
    """Retries older than the window no longer count."""
    budget = RetryBudget(ratio=0.0, minimum=2, window=5)
    assert budget.try_spend(0.0)
    assert budget.try_spend(0.0)
    assert not budget.try_spend(4.9)
    assert budget.try_spend(5.1)


def test_budget_memory_stays_bounded_without_retries() -> None:
    """A long-running client keeps only the last window's buckets."""
    budget = RetryBudget(ratio=0.2, window=10)
    for second in range(100_000):
        budget.record_call(float(second))
    assert len(budget._calls) <= 10


def test_budget_can_be_turned_off() -> None:
    """budget_ratio=None means no client-wide cap."""
    assert RetryBudget.from_policy(RetryPolicy(budget_ratio=None)) is None
    assert RetryBudget.from_policy(RetryPolicy()) is not None
