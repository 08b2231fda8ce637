"""Rate arithmetic without sockets or real time, and a simulated API on a fake clock."""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import random
from collections import deque

import attrs
import pytest

from conversation_async._core.rate import AdaptiveRate, Pacer, RateMeter, TokenBucket

# -- token bucket ----------------------------------------------------------------------------


def _turn_times(bucket: TokenBucket, turns: int, now: float = 0.0) -> list[float]:
    """When ``turns`` callers, one after the other, get a turn (each asks again when told)."""
    times = []
    for _ in range(turns):
        while not bucket.try_take(now):
            now += bucket.wait(now)
        times.append(now)
    return times


def test_bucket_spaces_turns_at_the_rate() -> None:
    """At 10/s with no burst, back-to-back turns come at 0, 0.1, 0.2 ... seconds."""
    bucket = TokenBucket(rate=10)
    assert _turn_times(bucket, 4, now=100.0) == pytest.approx([100.0, 100.1, 100.2, 100.3])


def test_bucket_burst_lets_that_many_through_at_once() -> None:
    """A burst of 5 turns is available immediately, the 6th waits one interval."""
    bucket = TokenBucket(rate=10, burst=5)
    assert [bucket.try_take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.wait(0.0) == pytest.approx(0.1)


def test_bucket_refills_over_time() -> None:
    """After a pause, turns are free again."""
    bucket = TokenBucket(rate=10)
    _turn_times(bucket, 10)
    assert bucket.try_take(5.0)


def test_bucket_long_run_rate_is_the_configured_rate() -> None:
    """Over many turns the rate granted is the configured one."""
    bucket = TokenBucket(rate=800, burst=40)
    assert _turn_times(bucket, 8000)[-1] == pytest.approx((7999 - 39) / 800, rel=1e-6)


def test_a_turn_not_yet_taken_comes_at_the_current_rate() -> None:
    """Issue 11: 98 callers wait at a storm's 1/s when the rate goes back to 1,847/s; all of
    them go within 98/1,847 s. (Reservations made at 1/s kept the last one waiting 97 s.)"""
    bucket = TokenBucket(rate=1.0)
    assert bucket.try_take(0.0)
    assert bucket.wait(0.0) == pytest.approx(1.0)
    bucket.set_rate(0.5, 1847.0, burst=1.0)
    assert _turn_times(bucket, 98, now=0.5)[-1] <= 0.5 + 98 / 1847 + 1e-9


def test_a_turn_given_back_is_free_again() -> None:
    """A turn taken and not used (its caller was cancelled) is the next caller's."""
    bucket = TokenBucket(rate=1.0)
    assert bucket.try_take(0.0)
    bucket.give_back()
    assert bucket.try_take(0.0)


# -- meter -----------------------------------------------------------------------------------


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


def test_meter_counts_the_marked_requests_apart() -> None:
    """100 requests in a second of which 70 are marked (accepted): 70 marks/s."""
    meter = RateMeter()
    for i in range(100):
        meter.record(10.0 + i / 100)
        if i % 10 < 7:
            meter.mark()
    assert meter.marked_rate(11.0) == pytest.approx(70, rel=0.05)


# -- adaptive rate ---------------------------------------------------------------------------


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


def test_recovery_from_a_low_rate_is_not_glacial() -> None:
    """Throttled to 1/s with nothing better remembered, the limit climbs by at least
    min_increase per second once the throttling is behind it."""
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


def _stormed() -> AdaptiveRate:
    """800/s accepted until a 429 at 10 s (best rate: 760/s less headroom), then a storm:
    nothing accepted, every answer a 429; the decrease at 11 s takes the limit to the floor."""
    rate = AdaptiveRate()
    rate.on_throttled(10.0, observed=800, share=0.01, accepted=800)
    assert rate.on_throttled(11.0, observed=800, share=1.0, accepted=0) == 1.0
    return rate


def test_a_storm_takes_the_limit_to_the_floor_and_starts_a_regain() -> None:
    """Nothing accepted: the limit goes to the floor, and the best rate is remembered."""
    rate = _stormed()
    assert rate.current(11.0) == 1.0
    assert rate.regaining


def test_an_ordinary_decrease_does_not_start_a_regain() -> None:
    """An overload that leaves the limit at half or more of the best accepted rate is the
    usual decrease: the limit climbs back linearly."""
    rate = AdaptiveRate()
    rate.on_throttled(10.0, observed=800, share=0.25, accepted=600)
    assert not rate.regaining


def test_each_accepted_answer_after_a_storm_raises_the_limit() -> None:
    """Regaining, each accepted answer adds `regain` (2/s): 100 answers, +200/s."""
    rate = _stormed()
    for _ in range(100):
        rate.on_accepted()
    assert rate.current(11.0) == pytest.approx(201)


def test_the_regain_stops_at_the_best_rate_then_probes() -> None:
    """The limit climbs back to the best rate accepted before the storm (760/s), no
    further, then creeps past it at `probe` of a tenth of that rate per second."""
    rate = _stormed()
    for _ in range(1000):
        rate.on_accepted()
    assert rate.current(11.0) == pytest.approx(760)
    assert rate.current(12.0) == pytest.approx(760 + 0.1 * 76)


def test_a_429_while_regaining_does_not_undo_the_climb() -> None:
    """After a storm, the first decrease once answers come back ignores the 429s (the
    storm's stragglers), and a later one with few 429s only trims: the regain goes on."""
    rate = _stormed()
    for _ in range(100):
        rate.on_accepted()
    after_trial = rate.on_throttled(12.0, observed=300, share=0.6, accepted=100)
    assert after_trial == pytest.approx(rate.current(12.0))
    for _ in range(100):
        rate.on_accepted()
    rate.on_throttled(13.0, observed=400, share=0.3, accepted=300)  # 1 in 101: sporadic
    assert rate.regaining


def test_a_regain_refused_a_tenth_of_the_time_ends_and_forgets_the_best_rate() -> None:
    """When the API refuses a tenth or more of the answers as the limit climbs back, it
    takes less than before the storm: the usual decrease, capped at what got through."""
    rate = _stormed()
    for _ in range(100):
        rate.on_accepted()
    rate.on_throttled(12.0, observed=300, share=0.6, accepted=100)
    for _ in range(100):
        rate.on_accepted()
    for _ in range(20):
        rate.on_throttled(12.5, observed=400, share=0.3, accepted=280)
    assert rate.on_throttled(13.0, observed=400, share=0.3, accepted=280) <= 400 * 0.7 * 0.95
    assert not rate.regaining


def test_a_best_rate_older_than_recall_is_not_regained() -> None:
    """A storm 35 s after the API last accepted 800/s (recall: 30 s) has nothing to regain
    to: the limit climbs back linearly."""
    rate = AdaptiveRate(recall=30.0)
    rate.on_throttled(10.0, observed=800, share=0.01, accepted=800)
    rate.on_throttled(45.0, observed=800, share=1.0, accepted=0)
    assert not rate.regaining


# -- pacer -----------------------------------------------------------------------------------


def test_pacer_is_open_without_ceiling() -> None:
    """Until a 429, every turn is free."""
    pacer = Pacer()
    assert all(pacer.try_take(0.0) for _ in range(1000))
    assert pacer.limit(0.0) is None


def test_a_free_turn_is_not_taken_past_a_waiting_caller() -> None:
    """A caller queued for a turn is served before a newcomer, even when one is free."""
    pacer = Pacer(AdaptiveRate(ceiling=1.0))
    assert pacer.try_take(0.0)
    pacer.join()
    assert not pacer.try_take(1.0)
    assert pacer.serve(1.0)
    assert pacer.waiting == 0


def test_a_waiting_caller_looks_again_within_the_recheck() -> None:
    """At 1/s the next turn is a second away, but the caller is told to look again within
    `recheck` (the limit may rise meanwhile)."""
    pacer = Pacer(AdaptiveRate(ceiling=1.0), recheck=0.05)
    assert pacer.try_take(0.0)
    assert pacer.wait(0.0) == pytest.approx(0.05)


def test_a_rise_in_the_limit_brings_the_waiting_turns_earlier() -> None:
    """Issue 11, on a fake clock: 98 callers wait behind a storm's few turns a second;
    answers come back accepted and the limit is back at about 1,850/s: all 98 go within a
    tenth of a second. (Before, each had reserved a turn at the storm's rate: the limit back
    at 1,847/s, the next send 97 s off.)"""
    pacer = Pacer()
    now = 0.0
    for i in range(3900):  # 1,950/s accepted for two seconds
        now = i / 1950
        assert pacer.try_take(now)
        pacer.accepted()
    while now < 4.0:  # then a storm: every answer a 429
        now += 0.001
        if pacer.try_take(now):
            pacer.throttled(now)
    storm_limit = pacer.limit(now)
    assert storm_limit is not None
    assert storm_limit < 25
    for _ in range(98):
        pacer.join()
    for _ in range(925):  # the answers of requests still in flight are accepted again
        pacer.accepted()
    assert pacer.limit(now) == pytest.approx(1850, rel=0.01)
    start = now
    while pacer.waiting:
        now += pacer.wait(now)
        pacer.serve(now)
    assert now - start < 0.1


# -- a simulated API -------------------------------------------------------------------------

API_LIMIT = 800.0
"""Requests per second the simulated API accepts."""
SENDERS = 64
BIN = 0.1  # seconds per bin of the counts


@attrs.define
class Traffic:
    """Answers of a simulation, counted per tenth of a second."""

    accepted: list[int]
    refused: list[int]

    def accepted_rate(self, start: float, end: float) -> float:
        """Accepted answers per second in ``[start, end)``."""
        return sum(self.accepted[round(start / BIN) : round(end / BIN)]) / (end - start)

    def refused_share(self, start: float, end: float) -> float:
        """The part of the answers in ``[start, end)`` that were 429s."""
        span = slice(round(start / BIN), round(end / BIN))
        refused = sum(self.refused[span])
        return refused / (refused + sum(self.accepted[span]))


@functools.cache
def simulate(
    seconds: float,
    storm: tuple[float, float] = (math.inf, math.inf),
    limit_after_storm: float = API_LIMIT,
) -> Traffic:
    """``SENDERS`` eager senders share one :class:`Pacer`, against an API that accepts
    ``API_LIMIT`` requests/s (a token bucket with a tenth of a second of burst) and answers
    429 beyond, and to everything during ``storm`` (after which its limit is
    ``limit_after_storm``). A request takes 10 to 30 ms; a sender sends again (its next
    message, or the same one after a 429) as soon as its answer is back. Discrete events on
    a fake clock: a sender that finds no free turn queues, and the queue is served as
    :class:`~conversation_async._http.ratelimit.LocalRateLimiter` serves it."""
    pacer = Pacer()
    latency = random.Random(11)  # noqa: S311 - reproducible runs, not crypto
    bins = math.ceil(seconds / BIN)
    traffic = Traffic([0] * bins, [0] * bins)
    rate, burst = API_LIMIT, API_LIMIT / 10
    tokens, filled = burst, 0.0
    events: list[tuple[float, int, str, int]] = []
    order = itertools.count()
    queue: deque[int] = deque()
    serving = False

    def at(time: float, kind: str, sender: int = -1) -> None:
        heapq.heappush(events, (time, next(order), kind, sender))

    def send(now: float, sender: int) -> None:
        nonlocal rate, tokens, filled
        took = 0.01 + 0.02 * latency.random()
        arrives = now + took / 2
        if arrives >= storm[1]:
            rate = limit_after_storm
        if arrives > filled:
            tokens = min(burst, tokens + (arrives - filled) * rate)
            filled = arrives
        accepted = not storm[0] <= arrives < storm[1] and tokens >= 1.0
        if accepted:
            tokens -= 1.0
        at(now + took, "accepted" if accepted else "refused", sender)

    for sender in range(SENDERS):
        at(0.0, "wants", sender)
    while events:
        now, _, kind, sender = heapq.heappop(events)
        if now >= seconds:
            break
        if kind == "wants":
            if pacer.try_take(now):
                send(now, sender)
            else:
                queue.append(sender)
                pacer.join()
                if not serving:
                    serving = True
                    at(now + pacer.wait(now), "serve")
        elif kind == "serve":
            while queue and pacer.serve(now):
                send(now, queue.popleft())
            serving = bool(queue)
            if serving:
                at(now + pacer.wait(now), "serve")
        else:
            if kind == "accepted":
                pacer.accepted()
                traffic.accepted[int(now / BIN)] += 1
            else:
                pacer.throttled(now)
                traffic.refused[int(now / BIN)] += 1
            at(now, "wants", sender)
    return traffic


STORMS = [pytest.param(20.3, length, id=f"{length:g}s-storm") for length in (1.0, 4.0, 5.0)]


@pytest.mark.parametrize(("start", "length"), STORMS)
def test_after_a_storm_half_the_accepted_rate_is_back_within_5s(
    start: float, length: float
) -> None:
    """After every request was answered 429 for up to 5 s, the client is back to at least
    half the rate the API accepted before the storm within 5 s."""
    end = start + length
    traffic = simulate(end + 20, storm=(start, end))
    before = traffic.accepted_rate(start - 5, start)
    assert traffic.accepted_rate(end + 4, end + 5) >= 0.5 * before


@pytest.mark.parametrize(("start", "length"), STORMS)
def test_after_a_storm_nine_tenths_of_the_accepted_rate_are_back_within_15s(
    start: float, length: float
) -> None:
    """... and to at least nine tenths of it within 15 s."""
    end = start + length
    traffic = simulate(end + 20, storm=(start, end))
    before = traffic.accepted_rate(start - 5, start)
    assert traffic.accepted_rate(end + 14, end + 15) >= 0.9 * before


def test_a_sustained_overload_settles_just_under_the_api_limit() -> None:
    """64 eager senders against an 800/s limit: after half a minute the rate the API
    accepts is within a tenth of its limit."""
    traffic = simulate(60)
    assert 0.9 * API_LIMIT <= traffic.accepted_rate(30, 60) <= 1.01 * API_LIMIT


def test_a_sustained_overload_gets_under_3_percent_429s() -> None:
    """... and fewer than 3% of the attempts are answered 429."""
    assert simulate(60).refused_share(30, 60) < 0.03


def test_an_api_back_from_a_storm_at_half_its_limit_is_not_overrun() -> None:
    """When the API comes back from a storm taking only 400/s, the regain finds out: from
    5 s after the storm on, fewer than 3% of the attempts are answered 429."""
    traffic = simulate(45, storm=(20.3, 25.3), limit_after_storm=400)
    assert traffic.refused_share(30.3, 45) < 0.03
    assert traffic.accepted_rate(30.3, 45) >= 0.9 * 400


def test_a_429_among_a_fresh_clients_first_requests_leaves_the_limit_open() -> None:
    """A few requests, one refused: no evidence about this client's rate, no limit."""
    pacer = Pacer()
    for i in range(3):
        assert pacer.try_take(i * 0.001)
    assert pacer.throttled(0.003) is None
    assert pacer.limit(0.01) is None


def test_429s_to_a_busy_client_engage_the_limit() -> None:
    """From min_evidence requests in the window on, a 429 lowers the limit."""
    pacer = Pacer()
    for i in range(pacer.min_evidence):
        assert pacer.try_take(i * 0.001)
    assert pacer.throttled(0.02) is not None
