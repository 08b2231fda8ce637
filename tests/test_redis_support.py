"""The Redis test fixture: a prefix per test, cleaned up after it."""

from __future__ import annotations

from tests.redis_support import RedisTest, delete_prefix


async def test_each_test_gets_its_own_prefix_and_it_is_cleaned_up(redis_test: RedisTest) -> None:
    """Keys written under the test's prefix are gone after delete_prefix."""
    redis = redis_test.redis
    await redis.set(redis_test.key("a"), "1")  # type: ignore[attr-defined]
    await redis.set(redis_test.key("b"), "2")  # type: ignore[attr-defined]
    assert await redis.exists(redis_test.key("a"), redis_test.key("b")) == 2  # type: ignore[attr-defined]
    await delete_prefix(redis, redis_test.prefix)
    assert await redis.exists(redis_test.key("a"), redis_test.key("b")) == 0  # type: ignore[attr-defined]
