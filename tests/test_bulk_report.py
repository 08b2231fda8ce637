"""Outcome classification, latency quantiles and summaries, without sockets."""

from __future__ import annotations

import pytest

from conversation_async.bulk_report import (
    BulkSummary,
    LatencyHistogram,
    Outcome,
    classify_error,
    error_label,
)
from conversation_async.errors import (
    AuthenticationError,
    BadRequestError,
    ConversationError,
    InvalidResponseError,
    RateLimitError,
    RequestTimeoutError,
    SerializationError,
    ServerError,
    TokenError,
    TransportError,
)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (TransportError("refused", request_sent=False), Outcome.FAILED),
        (TransportError("reset", request_sent=True), Outcome.AMBIGUOUS),
        (RequestTimeoutError("slow", request_sent=True), Outcome.AMBIGUOUS),
        (RequestTimeoutError("queued", request_sent=False), Outcome.FAILED),
        (ServerError(http_status=500), Outcome.AMBIGUOUS),
        (ServerError(http_status=502), Outcome.AMBIGUOUS),
        (ServerError(http_status=504), Outcome.AMBIGUOUS),
        (ServerError(http_status=503), Outcome.FAILED),
        (RateLimitError(http_status=429), Outcome.FAILED),
        (BadRequestError(http_status=400), Outcome.FAILED),
        (AuthenticationError(http_status=401), Outcome.FAILED),
        (TokenError("down"), Outcome.FAILED),
        (InvalidResponseError("garbage", status=200, body=b"<html>"), Outcome.AMBIGUOUS),
        (SerializationError("bad request model"), Outcome.FAILED),
    ],
)
def test_errors_are_classified_by_whether_the_api_may_have_accepted(
    error: Exception, outcome: Outcome
) -> None:
    """Only failures after the request may have been processed are ambiguous."""
    assert classify_error(error) is outcome


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError(http_status=429),
        ServerError(http_status=503),
        TransportError("refused", request_sent=False),
        TokenError("down"),
    ],
)
def test_any_failure_after_a_possibly_processed_attempt_is_ambiguous(
    error: ConversationError,
) -> None:
    """An error that alone means "not sent" is ambiguous when an earlier attempt of the
    same call may have been processed."""
    error.earlier_attempt_processed = True
    assert classify_error(error) is Outcome.AMBIGUOUS


def test_error_labels_group_by_status_or_type() -> None:
    """API errors group by HTTP status, others by exception type."""
    assert error_label(BadRequestError(http_status=400)) == "HTTP 400"
    assert error_label(TransportError("x", request_sent=False)) == "TransportError"


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
