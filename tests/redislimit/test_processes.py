"""Four real worker processes, each with its own client and RedisRateLimiter on one key,
against one emulator process whose project allows 800 requests/s: together they keep to
the budget and almost never see a 429."""

from __future__ import annotations

from benchmarks._server import emulator_process
from benchmarks.shared_budget import run_workers
from tests.redis_support import RedisTest

SECONDS = 3.0
LIMIT = 800.0


async def test_four_processes_share_one_800_per_second_budget(redis_test: RedisTest) -> None:
    """Sending as fast as they can for 3 s, the four processes together attempt no more
    than the project's 800/s (burst aside), under 2% of their attempts get a 429, no send
    fails, and every process gets its part of the budget."""
    with emulator_process(0.0, "--rate-limit", str(LIMIT)) as server:
        outcome = await run_workers(
            server,
            limiter="redis",
            key=redis_test.key("budget"),
            redis_url=redis_test.url,
            processes=4,
            limit=LIMIT,
            seconds=SECONDS,
            concurrency=16,
            redis_timeout=1.0,  # sharing is under test here, not the fallback: no CPU hiccup
            time_limit=90.0,  # of this busy machine may send a worker off on its own
        )
    # the GCRA burst (41) and the turns reserved ahead (40) come on top of the rate
    assert outcome.attempts <= LIMIT * outcome.seconds + 41 + 40 + 20
    assert outcome.refused_share < 0.02, outcome
    assert outcome.failed == [0, 0, 0, 0]
    assert outcome.shared == [True, True, True, True]
    assert sum(outcome.sent) >= 0.25 * LIMIT * SECONDS  # the budget was used, not starved
    assert min(outcome.sent) >= 0.1 * sum(outcome.sent)
