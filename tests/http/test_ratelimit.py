"""Rate-limit arithmetic without sockets or real time."""

from __future__ import annotations

import asyncio

import pytest

from conversation_async._core.rate import AdaptiveRate, RateMeter, TokenBucket
from conversation_async._http.ratelimit import RateLimiter


def test_bucket_spaces_reservations_at_the_rate() -> None:
    """At 10/s with no burst, back-to-back reservations wait 0, 0.1, 0.2 ... seconds."""
    bucket = TokenBucket(rate=10)
    waits = [bucket.reserve(now=100.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_bucket_burst_lets_that_many_through_at_once() -> None:
    """A burst of 5 tokens is available immediately, the 6th waits one interval."""
    bucket = TokenBucket(rate=10, burst=5)
    waits = [bucket.reserve(now=0.0) for _ in range(6)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.1)


def test_bucket_refills_over_time() -> None:
    """After a pause, tokens are free again."""
    bucket = TokenBucket(rate=10)
    for _ in range(10):
        bucket.reserve(now=0.0)
    assert bucket.reserve(now=5.0) == 0.0


def test_bucket_long_run_rate_is_the_configured_rate() -> None:
    """Over many reservations the granted rate equals the configured one."""
    bucket = TokenBucket(rate=800, burst=40)
    waits = [bucket.reserve(now=0.0) for _ in range(8000)]
    assert waits[-1] == pytest.approx((7999 - 39) / 800, rel=1e-6)


def test_meter_reports_requests_per_second() -> None:
    """100 requests spread over one second read as about 100/s."""
    meter = RateMeter()
    for i in range(100):
        meter.record(10.0 + i / 100)
    assert meter.rate(11.0) == pytest.approx(100, rel=0.05)


def test_meter_does_not_mistake_a_young_client_for_a_slow_one() -> None:
    """50 requests in the first 0.1 s read as about 500/s, not 50/s."""
    meter = RateMeter()
    for i in range(50):
        meter.record(10.0 + i / 500)
    assert meter.rate(10.1) == pytest.approx(500, rel=0.05)


def test_meter_forgets_old_traffic() -> None:
    """After two idle windows the rate is zero."""
    meter = RateMeter()
    for _ in range(50):
        meter.record(1.0)
    assert meter.rate(3.5) == 0.0


def test_first_429_sets_a_limit_below_the_observed_rate() -> None:
    """Without a ceiling the first 429 turns the open limiter into a limit under the rate
    seen, lowered by twice the share of refused requests."""
    rate = AdaptiveRate()
    assert rate.current(0.0) is None
    assert rate.on_throttled(1.0, observed=1000.0, share=0.1) == pytest.approx(800)


def test_a_far_overload_goes_straight_below_the_accepted_rate() -> None:
    """When 95% of 3000/s are refused, the limit drops to what got through (less the
    headroom) at once instead of halving round after round."""
    rate = AdaptiveRate(headroom=0.05)
    assert rate.on_throttled(1.0, observed=3000.0, share=0.95) == pytest.approx(142.5)


def test_throttling_lowers_the_limit_once_per_cooldown() -> None:
    """N simultaneous 429s cause one decrease, not N."""
    rate = AdaptiveRate(ceiling=800)
    assert rate.on_throttled(10.0, observed=800, share=0.25) == 400
    for _ in range(50):
        rate.on_throttled(10.2, observed=800, share=0.25)
    assert rate.current(10.2) == pytest.approx(400 + 80 * 0.2)
    before = rate.current(11.5)
    assert before is not None
    assert rate.on_throttled(11.5, observed=800, share=0.25) == pytest.approx(before / 2)


def test_limit_returns_fast_to_the_accepted_rate_then_creeps() -> None:
    """After a decrease the limit grows by `increase` of the former rate per second up to
    the rate the API accepted (less the headroom), then by `probe` of that, capped at the
    ceiling."""
    rate = AdaptiveRate(ceiling=800, increase=0.1, probe=0.1, headroom=0.05)
    assert rate.on_throttled(0.0, observed=800, share=0.25) == 400  # accepted: 570/s
    assert rate.current(1.0) == pytest.approx(480)
    assert rate.current(2.125) == pytest.approx(570)
    assert rate.current(4.125) == pytest.approx(586)
    assert rate.current(100.0) == 800


def test_accepted_rate_is_forgotten_after_a_quiet_spell() -> None:
    """`memory` seconds after the last 429, the limit climbs at the full step again."""
    rate = AdaptiveRate(ceiling=800, memory=10.0, headroom=0.05)
    assert rate.on_throttled(0.0, observed=800, share=0.5) == pytest.approx(380)
    assert rate.current(10.0) == pytest.approx(380 + 8 * 10)
    assert rate.current(11.0) == pytest.approx(460 + 80)


def test_limit_never_goes_below_the_floor() -> None:
    """A storm of 429s cannot stop the client entirely."""
    rate = AdaptiveRate(ceiling=8, floor=1, cooldown=0, min_increase=0)
    for i in range(20):
        rate.on_throttled(float(i), observed=8, share=1.0)
    assert rate.current(20.0) is not None
    assert rate.current(20.0) >= 1


async def test_limiter_is_open_without_ceiling() -> None:
    """An unconfigured limiter never sleeps before the first 429."""
    limiter = RateLimiter(clock=lambda: 0.0)
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.limit is None


async def test_limiter_with_ceiling_paces_requests() -> None:
    """At 50/s, 11 requests beyond the burst take about 0.2 s of real time."""
    limiter = RateLimiter(50)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(13):  # burst is 1 + 50/20 = 3.5 tokens
        await limiter.acquire()
    assert loop.time() - start >= 0.18


def test_limiter_refuses_a_non_positive_ceiling() -> None:
    """A rate of 0 would block forever: refused."""
    with pytest.raises(ValueError, match="rate limit"):
        RateLimiter(0)


def test_recovery_from_a_low_rate_is_not_glacial() -> None:
    """Throttled to 1/s, the limit climbs by at least min_increase per second once the
    throttling is behind it."""
    rate = AdaptiveRate(min_increase=10, probe=0.1, memory=10.0)
    rate.on_throttled(0.0, observed=2.0, share=1.0)
    assert rate.current(0.0) == 1.0
    assert rate.current(1.0) == pytest.approx(2.0)
    assert rate.current(12.0) == pytest.approx(1.0 + 10 + 2 * 10)


def test_a_stray_429_barely_lowers_the_rate() -> None:
    """When 2% of requests get a 429, the limit drops by 4%, not by half, and climbs back
    at the full step (no cap at the accepted rate)."""
    rate = AdaptiveRate(ceiling=800, increase=0.1, sporadic=0.05)
    assert rate.on_throttled(10.0, observed=800, share=0.02) == pytest.approx(768)
    assert rate.current(10.2) == pytest.approx(768 + 80 * 0.2)


def test_a_steady_trickle_of_429s_does_not_wear_the_rate_down() -> None:
    """A 429 share of 2% every second for ten minutes, whatever the rate (a flaky gateway),
    keeps the limit within a few percent of where it was."""
    rate = AdaptiveRate(ceiling=800)
    for second in range(600):
        current = rate.current(float(second))
        assert current is not None
        rate.on_throttled(float(second), observed=current, share=0.02)
    assert rate.current(600.0) == pytest.approx(800, rel=0.05)


def test_from_the_sporadic_share_on_the_limit_is_capped_at_the_accepted_rate() -> None:
    """Sending 400/s under a limit of 800/s, a 5% share of 429s brings the limit under what
    got through (less the headroom); a 4% share only trims the limit."""
    capped = AdaptiveRate(ceiling=800, headroom=0.05, sporadic=0.05)
    assert capped.on_throttled(10.0, observed=400, share=0.05) == pytest.approx(400 * 0.95 * 0.95)
    trimmed = AdaptiveRate(ceiling=800, headroom=0.05, sporadic=0.05)
    assert trimmed.on_throttled(10.0, observed=400, share=0.04) == pytest.approx(800 * 0.92)


def test_an_overload_halves_the_rate() -> None:
    """When most requests get a 429, the limit halves (never more than that at once)."""
    rate = AdaptiveRate(ceiling=800)
    assert rate.on_throttled(10.0, observed=1600, share=0.6) == 400


async def test_limiter_measures_the_share_of_throttled_requests() -> None:
    """100 requests and one 429 in a second: the limit is set just under the observed rate."""
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for i in range(100):
        now[0] = 100.0 + i / 100
        await limiter.acquire()
    limit = limiter.throttled()
    assert limit == pytest.approx(101 * 0.99 * 0.95, rel=0.05)
