"""The arithmetic of a budget shared by processes, without Redis: GCRA turns, the Pacer's
rules over a state kept as text, and when to fall back on a local limiter."""

from __future__ import annotations

import pytest

from conversation_async._core.rate import AdaptiveRate, RateMeter, throttled
from conversation_async._core.shared_rate import Fallback, Grant, SharedRate, gcra

# -- GCRA ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "burst", "horizon", "turns", "offset"),
    [
        (1, 1.0, 0.0, 1, 0.0),  # one turn, free now
        (3, 1.0, 0.0, 1, 0.0),  # no burst, no look-ahead: one turn
        (3, 1.0, 0.25, 3, 0.0),  # 0, 0.1 and 0.2 s ahead are within 0.25 s
        (10, 1.0, 0.25, 3, 0.0),  # ... and 0.3 s is not
        (10, 5.0, 0.0, 5, -0.4),  # a burst of 5 goes at once
        (10, 5.0, 0.1, 6, -0.4),  # ... and one more 0.1 s later
    ],
)
def test_gcra_reserves_the_burst_and_what_comes_within_the_horizon(
    wanted: int, burst: float, horizon: float, turns: int, offset: float
) -> None:
    """From an idle bucket at 10/s: ``burst`` turns go at once, then one each 0.1 s, and
    turns are reserved up to ``horizon`` seconds ahead, no more."""
    tat, granted, first = gcra(0.0, 100.0, 0.1, burst, wanted, horizon)
    assert granted == turns
    assert first == pytest.approx(offset)
    assert tat == pytest.approx(100.0 + turns * 0.1)


def test_gcra_with_no_turn_free_says_when_one_will_be() -> None:
    """A bucket busy 0.5 s ahead at 10/s with a 0.1 s horizon: nothing reserved, and asking
    again in 0.4 s finds a turn."""
    tat, turns, offset = gcra(100.5, 100.0, 0.1, 1.0, 3, 0.1)
    assert (tat, turns) == (100.5, 0)
    assert offset == pytest.approx(0.4)
    assert gcra(tat, 100.0 + offset, 0.1, 1.0, 3, 0.1)[1] == 1


def test_gcra_turns_taken_as_fast_as_possible_keep_to_the_rate() -> None:
    """Asked for turns again and again for 10 s at 50/s with a burst of 3.5, the bucket
    gives at most 3.5 + 50 * 10 (plus the horizon's worth) and at least 50 * 10."""
    tat, now, taken = 0.0, 0.0, 0
    while now < 10.0:
        tat, turns, offset = gcra(tat, now, 0.02, 3.5, 8, 0.05)
        taken += turns
        now += max(offset, 0.001) if not turns else 0.007
    assert 500 <= taken <= 3.5 + 500 + 0.05 * 50


def test_grant_waits_start_at_the_offset_and_follow_the_interval() -> None:
    """Turns of a grant come ``interval`` apart, the first at ``offset``, never before 0."""
    grant = Grant(turns=4, offset=-0.15, interval=0.1, limit=10.0)
    assert [grant.wait(turn) for turn in range(4)] == pytest.approx([0.0, 0.0, 0.05, 0.15])


# -- the shared rules ------------------------------------------------------------------------


def test_a_fresh_budget_starts_at_its_ceiling() -> None:
    """The first step of an empty state reserves turns at the ceiling."""
    state: dict[str, str] = {}
    grant = SharedRate(AdaptiveRate(ceiling=800.0)).take(state, 1000.0, 10)
    assert (grant.turns, grant.limit, grant.interval) == (10, 800.0, 1 / 800)
    assert state["m_current"] == "10"


def test_a_shared_rate_needs_a_ceiling() -> None:
    """Without one, turns could not be spaced: refused."""
    with pytest.raises(ValueError, match="ceiling"):
        SharedRate(AdaptiveRate())


def _drive_both(
    phases: list[tuple[float, int, int]], start: float = 100.0
) -> list[tuple[float, float]]:
    """Requests at ``per_second`` for ``seconds``, every ``refused_every``-th answered 429
    (0: none), for each ``(seconds, per_second, refused_every)`` phase: each request that
    the SharedRate grants goes to the in-process rules too (the AdaptiveRate and meters a
    Pacer keeps), with its answer. The two limits after each answer."""
    adaptive, meter, refusals = AdaptiveRate(ceiling=1000.0), RateMeter(), RateMeter()
    rules = SharedRate(AdaptiveRate(ceiling=1000.0))
    state: dict[str, str] = {}
    limits = []
    now, index = start, 0
    for seconds, per_second, refused_every in phases:
        until = now + seconds
        while now < until:
            if rules.take(state, now, 1).turns:
                adaptive.current(now)  # as Pacer.try_take does
                meter.record(now)
                index += 1
                answered = now + 0.0001
                if refused_every and index % refused_every == 0:
                    local = throttled(adaptive, meter, refusals, answered, 10)
                    shared = rules.take(state, answered, 0, refused=1).limit
                else:
                    meter.mark()
                    adaptive.on_accepted()
                    local = adaptive.current(answered)
                    shared = rules.take(state, answered, 0, accepted=1).limit
                assert local is not None
                limits.append((local, shared))
            now += 1 / per_second
    return limits


@pytest.mark.parametrize(
    "refused_every",
    [pytest.param(0, id="no-429"), pytest.param(50, id="sporadic"), pytest.param(3, id="overload")],
)
def test_a_shared_budget_follows_the_in_process_rules(refused_every: int) -> None:
    """The same requests and 429s move a SharedRate's limit as they move the in-process
    limiter's (to rounding: the shared one grows in more, smaller steps), through decreases
    and recovery alike."""
    limits = _drive_both([(3.0, 600, refused_every), (3.0, 600, 0)])
    locals_ = [local for local, _ in limits]
    assert [shared for _, shared in limits] == pytest.approx(locals_, rel=1e-9)
    if refused_every:
        assert min(shared for _, shared in limits) < 1000.0


def test_after_a_storm_the_shared_limit_regains_with_accepted_answers() -> None:
    """Every request refused for a while drives both limits to the floor; accepted answers
    then bring both back together (the regain of the in-process limiter)."""
    limits = _drive_both([(2.0, 300, 0), (2.0, 300, 1), (1.5, 300, 0)])
    assert min(shared for _, shared in limits) < 10
    assert limits[-1][1] > 150
    locals_ = [local for local, _ in limits]
    assert [shared for _, shared in limits] == pytest.approx(locals_, rel=1e-9)


def test_429s_from_several_reporters_lower_the_limit_once_per_cooldown() -> None:
    """Three processes report 429s within the same second: one decrease."""
    rules = SharedRate(AdaptiveRate(ceiling=800.0))
    state: dict[str, str] = {}
    for index in range(400):  # 800/s for half a second
        rules.take(state, 100.0 + index / 800, 1)
    first = rules.take(state, 100.5, 1, refused=40).limit
    assert first < 800.0
    later = [rules.take(state, 100.5 + step, 1, refused=40).limit for step in (0.1, 0.2, 0.3)]
    assert all(limit >= first for limit in later)
    assert rules.take(state, 101.6, 1, refused=40).limit < later[-1]


def test_a_429_without_evidence_leaves_the_shared_limit_alone() -> None:
    """Under ten requests in the last second a 429 says nothing of the budget's rate."""
    rules = SharedRate(AdaptiveRate(ceiling=800.0))
    state: dict[str, str] = {}
    rules.take(state, 100.0, 3)
    assert rules.take(state, 100.1, 1, refused=1).limit == 800.0


def test_the_shared_limit_grows_back_to_its_ceiling() -> None:
    """After a decrease the limit climbs back by itself over time (additive increase)."""
    rules = SharedRate(AdaptiveRate(ceiling=800.0))
    state: dict[str, str] = {}
    for index in range(800):
        rules.take(state, 100.0 + index / 800, 1, refused=index % 2)
    lowered = rules.take(state, 101.0, 1).limit
    assert lowered < 500
    assert lowered < rules.take(state, 103.0, 1).limit < 800.0
    assert rules.take(state, 200.0, 1).limit == 800.0


def test_saved_state_restores_to_the_same_behaviour() -> None:
    """An AdaptiveRate and a RateMeter rebuilt from their saved text answer as the
    originals do, through a decrease, a regain and a forgetting."""
    adaptive, meter = AdaptiveRate(ceiling=500.0), RateMeter()
    for index in range(300):
        meter.record(10.0 + index / 300)
        meter.mark()
    adaptive.on_throttled(11.0, meter.rate(11.0), 0.99, meter.marked_rate(11.0))
    copy, meter_copy = AdaptiveRate(ceiling=500.0), RateMeter()
    copy.restore(adaptive.saved())
    meter_copy.restore(meter.saved())
    for now in (11.5, 12.0, 25.0):
        for _ in range(5):
            adaptive.on_accepted()
            copy.on_accepted()
        assert copy.current(now) == adaptive.current(now)
        assert meter_copy.rate(now) == meter.rate(now)
        assert copy.saved() == adaptive.saved()
    assert "accepted" not in adaptive.saved()  # forgotten: infinite, left out
    assert "throttled_at" not in AdaptiveRate().saved()  # never: left out too


# -- falling back --------------------------------------------------------------------------


def test_an_outage_is_told_once_and_probed_at_most_every_interval() -> None:
    """The first failure starts an outage (told), later ones do not; the store is asked
    again only once ``probe_every`` has passed, and the answer ends the outage (told)."""
    fallback = Fallback(probe_every=5.0)
    assert fallback.use_store(0.0)
    assert fallback.failed(1.0)
    assert fallback.down
    assert not fallback.use_store(5.9)
    assert fallback.use_store(6.0)
    fallback.probing(6.0)
    assert not fallback.use_store(6.1)
    assert not fallback.failed(6.1)
    assert not fallback.use_store(11.0)
    assert fallback.use_store(11.1)
    assert fallback.answered()
    assert not fallback.answered()
    assert fallback.use_store(11.2)
