"""The Lua script of the shared budget, run by the real Redis: it answers as its Python
reference (SharedRate) does, step for step, and its GCRA keeps to the limit on Redis's clock.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from conversation_async._core.rate import AdaptiveRate, burst
from conversation_async._core.shared_rate import Grant, SharedRate
from conversation_async.redis._ratelimit import SCRIPT, arguments, read_grant
from tests.redis_support import RedisTest

Step = tuple[float, int, int, int]
"""Seconds since the step before, turns wanted, accepted answers and 429s reported."""

START = 1_765_000_000.123456
"""A step time of today's size (seconds since 1970), where rounding would show."""


async def run_step(
    redis_test: RedisTest,
    rules: SharedRate,
    wanted: int,
    accepted: int = 0,
    refused: int = 0,
    now: float | None = None,
) -> Grant:
    """One step of the script on the test's budget key."""
    redis: Any = redis_test.redis
    args = arguments(rules, wanted, accepted, refused, now)
    return read_grant(await redis.eval(SCRIPT, 1, redis_test.key("budget"), *args))


async def stored(redis_test: RedisTest) -> dict[str, str]:
    redis: Any = redis_test.redis
    saved = await redis.hgetall(redis_test.key("budget"))
    return {name.decode(): value.decode() for name, value in saved.items()}


def scenario(seed: int, steps: int, per_second: float, refused_share: float) -> list[Step]:
    """``steps`` steps of random size at about ``per_second`` turns a second, with
    ``refused_share`` of the answers reported as 429s: (gap, wanted, accepted, refused)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible cases, not crypto
    cases = []
    for _ in range(steps):
        wanted = rng.randint(0, 40)
        answers = rng.randint(0, 40)
        refused = sum(rng.random() < refused_share for _ in range(answers))
        gap = rng.expovariate(per_second / max(wanted, 1))
        cases.append((gap, wanted, answers - refused, refused))
    return cases


STORM = scenario(9, 100, 150, 0.0) + scenario(5, 100, 300, 1.0) + scenario(6, 200, 300, 0.0)
"""Answers accepted for a while, then all refused, then all accepted again."""

SCENARIOS = [
    pytest.param(800.0, scenario(1, 200, 600, 0.0), id="under-the-limit"),
    pytest.param(800.0, scenario(2, 200, 2000, 0.0), id="over-the-limit"),
    pytest.param(800.0, scenario(3, 300, 900, 0.02), id="sporadic-429s"),
    pytest.param(800.0, scenario(4, 300, 900, 0.3), id="overload"),
    pytest.param(200.0, STORM, id="storm"),
    pytest.param(
        100.0,
        [*scenario(7, 60, 100, 0.5), (12.0, 1, 0, 0), (40.0, 5, 3, 2), *scenario(8, 60, 50, 0.1)],
        id="forget-and-recall",
    ),
]


@pytest.mark.parametrize(("ceiling", "steps"), SCENARIOS)
async def test_the_script_and_its_python_reference_agree(
    redis_test: RedisTest, ceiling: float, steps: list[Step]
) -> None:
    """Every step of a scenario gives the same grant and leaves the same state (to the
    last digit) in Redis as SharedRate.take does in Python."""
    rules = SharedRate(AdaptiveRate(ceiling=ceiling))
    state: dict[str, str] = {}
    now = START
    for gap, wanted, accepted, refused in steps:
        now += gap
        expected = rules.take(state, now, wanted, accepted, refused)
        grant = await run_step(redis_test, rules, wanted, accepted, refused, now)
        assert grant == expected
        assert await stored(redis_test) == state


async def test_the_scenarios_reach_every_branch(redis_test: RedisTest) -> None:
    """The storm scenario lowers the limit to the floor and regains it; the overload one
    lowers it and keeps the accepted rate in mind (the cases are not all the easy path)."""
    rules = SharedRate(AdaptiveRate(ceiling=200.0))
    state: dict[str, str] = {}
    now, regained = START, False
    lowest = 200.0
    for gap, wanted, accepted, refused in STORM:
        now += gap
        lowest = min(lowest, rules.take(state, now, wanted, accepted, refused).limit)
        regained = regained or float(state["regain_to"]) > 0
    assert lowest == 1.0
    assert regained
    assert rules.take(state, now, 1).limit > 100.0


async def test_gcra_turns_keep_to_the_limit_on_redis_time(redis_test: RedisTest) -> None:
    """Asking as fast as possible for half a second of Redis's clock at 200/s, the script
    grants no more than the burst, the rate over that time and the horizon's worth."""
    redis: Any = redis_test.redis
    rules = SharedRate(AdaptiveRate(ceiling=200.0))
    seconds, microseconds = await redis.time()
    started = seconds + microseconds / 1e6
    granted = steps = 0
    elapsed = 0.0
    while elapsed < 0.5:
        grant = await run_step(redis_test, rules, 10)
        granted += grant.turns
        steps += 1
        seconds, microseconds = await redis.time()
        elapsed = seconds + microseconds / 1e6 - started
    assert granted <= burst(200.0) + 200.0 * elapsed + rules.horizon * 200.0
    assert granted >= 200.0 * (elapsed - 0.05)
    assert steps > granted / 10  # many steps found no turn free: the limit held them back


async def test_each_reserved_turn_waits_its_interval_more(redis_test: RedisTest) -> None:
    """From an idle budget of 100/s: the burst (6 turns) at once, then the waits the
    script returns grow by 10 ms a turn, and none is more than the horizon ahead."""
    rules = SharedRate(AdaptiveRate(ceiling=100.0))
    grant = await run_step(redis_test, rules, 50, now=START)
    waits = [grant.wait(turn) for turn in range(grant.turns)]
    assert grant.turns == 11  # the burst of 6, and 5 more within 50 ms
    assert waits == pytest.approx([0.0] * 6 + [0.01, 0.02, 0.03, 0.04, 0.05], abs=1e-6)
    again = await run_step(redis_test, rules, 1, now=START + 0.001)
    assert again.turns == 0
    assert again.offset == pytest.approx(0.01 - 0.001, abs=1e-6)  # then the 12th is in reach
