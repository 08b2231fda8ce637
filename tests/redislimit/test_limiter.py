"""RedisRateLimiter against the real Redis: limiters on one key share one budget, its
limit and its recovery, and a client sends through it."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from typing import Any

import pytest

from conversation_async import ConversationClient
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.redis import RedisRateLimiter
from conversation_async.testing import Emulator
from tests.conftest import unused_port
from tests.redis_support import RedisTest

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="x"))


async def second_connection(redis_test: RedisTest) -> Any:
    """Another Redis client, as another process would have."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(redis_test.url)


async def take_turns(limiter: RedisRateLimiter, seconds: float, callers: int) -> int:
    """Turns ``callers`` tasks get from ``limiter`` in ``seconds``, each asking again at once."""
    taken = 0
    stop_at = time.monotonic() + seconds

    async def caller() -> None:
        nonlocal taken
        while time.monotonic() < stop_at:
            await limiter.acquire()
            taken += 1

    await asyncio.gather(*(caller() for _ in range(callers)))
    return taken


async def test_a_client_sends_through_the_shared_budget(
    redis_test: RedisTest, emulator: Emulator
) -> None:
    """With rate_limiter=RedisRateLimiter every send takes its turn from the budget in Redis."""
    limiter = RedisRateLimiter(redis_test.redis, key=redis_test.key("budget"), limit=500)  # type: ignore[arg-type]
    async with emulator.client(rate_limiter=limiter) as client:
        await asyncio.gather(*(send(client) for _ in range(30)))
        assert client.rate_limit == 500
    redis: Any = redis_test.redis
    counted = await redis.hmget(redis_test.key("budget"), "m_current", "m_previous")
    assert sum(int(value or 0) for value in counted) == 30
    assert limiter.shared
    assert len(emulator.store.messages) == 30


async def test_two_limiters_on_one_key_share_one_budget(redis_test: RedisTest) -> None:
    """Two limiters (two connections, as two processes) asking as fast as they can at
    100/s for a second get about 100 turns between them, not 100 each, and both get some."""
    other = await second_connection(redis_test)
    try:
        key = redis_test.key("budget")
        first = RedisRateLimiter(redis_test.redis, key=key, limit=100)  # type: ignore[arg-type]
        second = RedisRateLimiter(other, key=key, limit=100)
        started = time.monotonic()
        counts = await asyncio.gather(take_turns(first, 1.0, 8), take_turns(second, 1.0, 8))
        elapsed = time.monotonic() - started
    finally:
        await other.aclose()
    # the burst (6) and what the horizon reserves ahead (5) come on top of the rate
    assert sum(counts) <= 100 * elapsed + 6 + 5 + 2
    assert sum(counts) >= 60
    assert min(counts) >= 15


STEP = 100.0
"""How fast a limit of 1,000/s grows back after a small decrease: 10% of it a second."""


async def test_a_429_seen_by_one_limiter_lowers_the_rate_of_the_other(
    redis_test: RedisTest,
) -> None:
    """A process that gets 429s reports them with its next turn; another process on the
    same key then runs at the lowered limit, and both see it grow back together."""
    other = await second_connection(redis_test)
    try:
        key = redis_test.key("budget")
        first = RedisRateLimiter(redis_test.redis, key=key, limit=1000)  # type: ignore[arg-type]
        second = RedisRateLimiter(other, key=key, limit=1000)
        for _ in range(40):
            await first.acquire()
            first.accepted()
        for _ in range(20):
            first.throttled()
        await first.acquire()  # the 429s go with this turn
        lowered_at = time.monotonic()
        lowered = first.limit
        assert lowered is not None
        assert lowered < 1000
        await second.acquire()
        grown = STEP * (time.monotonic() - lowered_at)
        assert second.limit is not None
        assert lowered <= second.limit <= lowered + grown + 1  # the same limit, grown since
        await asyncio.sleep(0.3)
        await second.acquire()
        assert second.limit > lowered + STEP * 0.25  # recovery: stored in Redis, shared
        assert second.limit < 1000
        seen = second.limit
        await first.acquire()
        grown = STEP * (time.monotonic() - lowered_at)
        assert seen <= first.limit <= lowered + grown + 1
    finally:
        await other.aclose()


async def test_a_cancelled_waiter_costs_the_others_no_turn(redis_test: RedisTest) -> None:
    """At 2/s with the burst spent, of two callers waiting the first is cancelled (a
    call's deadline): the second goes at the next turn, half a second on, as if the first
    had not asked (behind it, it would wait a second)."""
    limiter = RedisRateLimiter(redis_test.redis, key=redis_test.key("budget"), limit=2)  # type: ignore[arg-type]
    await limiter.acquire()  # the burst of 1.1
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    first.cancel()
    started = time.monotonic()
    await asyncio.wait_for(second, 2.0)
    assert time.monotonic() - started < 0.8
    assert first.cancelled()


def test_the_limiter_checks_its_arguments_and_hides_the_connection() -> None:
    """Bad limits and timeouts are refused at once; the repr shows the key and the state,
    never the Redis URL or its password."""
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url("redis://:hunter2-secret@127.0.0.1:1/0")
    for bad in ({"limit": 0}, {"limit": float("inf")}, {"limit": 5, "timeout": 0}):
        with pytest.raises(ValueError, match="must be a positive number"):
            RedisRateLimiter(redis, key="k", **bad)
    with pytest.raises(ValueError, match="key"):
        RedisRateLimiter(redis, key="", limit=5)
    limiter = RedisRateLimiter(redis, key="sinch:budget", limit=800)
    assert repr(limiter) == "RedisRateLimiter(key='sinch:budget', 800/s, shared)"
    assert "hunter2" not in repr(limiter)


def test_without_redis_py_the_import_error_names_the_extra() -> None:
    """Importing conversation_async.redis without redis-py says which extra to install."""
    code = "import sys; sys.modules['redis'] = None; import conversation_async.redis"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "pip install 'conversation-async[redis]'" in done.stderr


async def test_an_unreachable_redis_costs_one_timeout_and_logs_no_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens where Redis should be: the first turn comes from the local limiter
    within about the timeout, later turns at once, and the one warning shows the key but
    not the password of the Redis URL."""
    import redis.asyncio as aioredis

    caplog.set_level(logging.WARNING, logger="conversation_async.redis")
    redis = aioredis.Redis.from_url(f"redis://:hunter2-secret@127.0.0.1:{unused_port()}/0")
    try:
        limiter = RedisRateLimiter(redis, key="sinch:budget", limit=1000, timeout=0.1)
        started = time.monotonic()
        await limiter.acquire()
        assert time.monotonic() - started < 0.5
        assert not limiter.shared
        assert limiter.try_acquire()  # the local limiter's fast path, until the next probe
        for _ in range(100):
            await limiter.acquire()
        assert time.monotonic() - started < 0.6
    finally:
        await redis.aclose()
    [record] = [r for r in caplog.records if r.name == "conversation_async.redis"]
    assert "sinch:budget" in record.getMessage()
    assert "hunter2" not in record.getMessage()
