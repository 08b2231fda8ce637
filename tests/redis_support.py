"""Tests against the real Redis: a client per test under its own key prefix, cleaned up.

Without a Redis on ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) the tests that
need one skip with the reason, except when ``CONVERSATION_ASYNC_REQUIRE_REDIS=1`` (CI sets
it in ``.ci/run``): then they fail, so CI can never pass them silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import attrs
import pytest

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("CONVERSATION_ASYNC_REQUIRE_REDIS") == "1"


def no_redis(reason: str) -> None:
    """Skip the calling test, or fail it where Redis is required."""
    if REQUIRE_REDIS:
        pytest.fail(f"CONVERSATION_ASYNC_REQUIRE_REDIS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@attrs.frozen
class RedisTest:
    """A connected ``redis.asyncio.Redis`` and the key prefix the test owns."""

    redis: object  # redis.asyncio.Redis; typed loosely so this module imports without it
    prefix: str
    url: str = REDIS_URL

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


async def delete_prefix(redis: object, prefix: str) -> None:
    """Remove every key under ``prefix``."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]  # type: ignore[attr-defined]
    if keys:
        await redis.delete(*keys)  # type: ignore[attr-defined]


@pytest.fixture
async def redis_test() -> AsyncIterator[RedisTest]:
    """A Redis client and a fresh key prefix; the prefix is deleted after the test."""
    try:
        import redis.asyncio as aioredis
    except ImportError:
        no_redis("redis-py is not installed (pip install 'conversation-async[redis]')")
        raise  # unreachable: no_redis raises
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        await client.ping()
    except Exception as exc:  # any failure means no usable Redis
        await client.aclose()
        no_redis(f"no Redis answers at {REDIS_URL}: {type(exc).__name__}: {exc}")
    prefix = f"ca-test:{uuid.uuid4().hex[:12]}:"
    try:
        yield RedisTest(client, prefix)
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()
