"""Outcome classification, latency quantiles and summaries, without sockets."""

from __future__ import annotations

import pytest

from conversation_async import (
    AuthenticationError,
    BadRequestError,
    ConversationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TokenError,
    TransportError,
)
from conversation_async.bulk import (
    BulkSummary,
    LatencyHistogram,
    Outcome,
    Stops,
    StopScope,
    classify_error,
    error_label,
    stop_scope,
)


def _error(maybe_processed: bool) -> ConversationError:
    error = ServerError(status=503)
    error.maybe_processed = maybe_processed
    return error


def test_a_failure_the_api_may_have_processed_is_ambiguous() -> None:
    """maybe_processed on the error makes the send ambiguous (the call state sets it)."""
    assert classify_error(_error(True)) is Outcome.AMBIGUOUS


def test_a_failure_the_api_certainly_did_not_process_is_failed() -> None:
    """Without maybe_processed the send certainly failed: safe to send again."""
    assert classify_error(_error(False)) is Outcome.FAILED


def test_an_error_from_outside_the_sdk_is_failed() -> None:
    """A ValueError raised before any request (bad input) is a plain failure."""
    assert classify_error(ValueError("no app_id")) is Outcome.FAILED


@pytest.mark.parametrize(
    ("error", "scope"),
    [
        (TokenError("refused", status=401, error="invalid_client"), StopScope.ALL),
        (TokenError("refused", status=400, error="invalid_grant"), StopScope.ALL),
        (AuthenticationError(status=401), StopScope.ALL),
        (PermissionDeniedError(status=403), StopScope.ALL),
        (NotFoundError(status=404), StopScope.APP),
        (TokenError("endpoint down", status=503), None),
        (TokenError("endpoint throttled", status=429), None),
        (TokenError("no answer"), None),
        (BadRequestError(status=400), None),
        (RateLimitError(status=429), None),
        (ServerError(status=500), None),
        (TransportError("reset"), None),
    ],
)
def test_errors_that_fail_every_later_send_stop_the_batch(
    error: ConversationError, scope: StopScope | None
) -> None:
    """Refused credentials, 401 and 403 stop every send; a 404 stops its app's sends;
    anything another send could get past stops nothing."""
    assert stop_scope(error) is scope


def test_stops_block_every_app_after_a_refused_credential() -> None:
    """After a 401 every app's sends are blocked, with that error."""
    stops = Stops()
    error = AuthenticationError(status=401)
    assert stops.record(error, "app-1")
    assert stops.blocking("app-2") is error
    assert stops.describe() == (f"all inputs: AuthenticationError: {error}",)


def test_stops_say_only_the_first_error_of_a_scope_is_news() -> None:
    """record() is True for the error that starts a stop, False for those that follow it
    (the sends that were already in flight), so the stop is announced once."""
    stops = Stops()
    first = AuthenticationError(status=401)
    assert stops.record(first, "app")
    assert not stops.record(AuthenticationError(status=401), "app")
    assert stops.record(NotFoundError(status=404), "gone")
    assert not stops.record(NotFoundError(status=404), "gone")
    assert stops.blocking("app") is first


def test_stops_block_only_the_app_that_was_not_found() -> None:
    """A 404 blocks the sends of its app and no other."""
    stops = Stops()
    error = NotFoundError(status=404)
    assert stops.record(error, "gone")
    assert stops.blocking("gone") is error
    assert stops.blocking("other") is None


def test_stops_ignore_errors_that_other_sends_may_get_past() -> None:
    """A 400 for one message blocks nothing."""
    stops = Stops()
    assert not stops.record(BadRequestError(status=400), "app")
    assert stops.blocking("app") is None


def test_error_labels_group_by_status_or_type() -> None:
    """API errors group by HTTP status, others by exception type."""
    assert error_label(BadRequestError(status=400)) == "HTTP 400"
    assert error_label(TransportError("x")) == "TransportError"


def test_histogram_quantiles_are_within_two_percent() -> None:
    """p50 and p95 of 1..1000 ms come out within the bucket width."""
    histogram = LatencyHistogram()
    for ms in range(1, 1001):
        histogram.add(ms / 1000)
    assert histogram.quantile(0.50) == pytest.approx(0.500, rel=0.02)
    assert histogram.quantile(0.95) == pytest.approx(0.950, rel=0.02)
    assert len(histogram) == 1000


def test_histogram_memory_does_not_grow_with_samples() -> None:
    """A million samples in a narrow range use a handful of buckets."""
    histogram = LatencyHistogram()
    for i in range(100_000):
        histogram.add(0.010 + (i % 10) / 10_000)
    assert len(histogram._counts) < 10


def test_empty_histogram_has_no_quantiles() -> None:
    """No samples, no latency figures."""
    assert LatencyHistogram().quantile(0.5) is None


def test_summary_format_reads_well() -> None:
    """The human summary names counts, rate, latency and errors."""
    summary = BulkSummary(
        total=10_000,
        by_outcome={"sent": 9_990, "failed": 7, "ambiguous": 3},
        by_error={"HTTP 400": 7, "RequestTimeoutError": 3},
        p50_latency=0.004,
        p95_latency=0.012,
        wall_time=4.0,
    )
    text = summary.format()
    assert "10,000 messages in 4.00 s (2,500/s)" in text
    assert "9,990 sent, 7 failed, 3 ambiguous" in text
    assert "p50 4.0 ms, p95 12.0 ms" in text
    assert "HTTP 400 x7" in text


def test_summary_says_why_inputs_were_not_attempted() -> None:
    """A stopped batch names its stopping error and counts what it did not attempt."""
    summary = BulkSummary(
        total=20_000,
        by_outcome={"sent": 0, "failed": 64, "ambiguous": 0, "not_attempted": 19_936},
        by_error={"TokenError": 20_000},
        p50_latency=None,
        p95_latency=None,
        wall_time=1.0,
        stopped_by=("all inputs: TokenError: token endpoint answered HTTP 401 invalid_client",),
    )
    text = summary.format()
    assert "64 failed, 0 ambiguous, 19,936 not attempted" in text
    assert "stopped sending for all inputs: TokenError" in text


def test_summary_counts_sends_that_may_have_gone_out_twice() -> None:
    """maybe_processed beyond the ambiguous ones are sent messages that may exist twice."""
    summary = BulkSummary(
        total=10,
        by_outcome={"sent": 8, "failed": 0, "ambiguous": 2},
        by_error={},
        p50_latency=None,
        p95_latency=None,
        wall_time=1.0,
        maybe_processed=5,
    )
    assert "(maybe sent twice): 3" in summary.format()
