"""The DedupeStore contract, held by the in-memory store and by the Redis one alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conversation_async.callbacks import DedupeStore, Mark, MemoryDedupeStore
from conversation_async.redis import RedisDedupeStore
from tests.redis_support import RedisTest


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> Any:
    """A factory of fresh stores of one kind: ``make_store(ttl=...)``."""
    if request.param == "memory":
        return lambda ttl=3600.0: MemoryDedupeStore(ttl=ttl)
    redis_test: RedisTest = request.getfixturevalue("redis_test")
    return lambda ttl=3600.0: RedisDedupeStore(redis_test.redis, prefix=redis_test.prefix, ttl=ttl)  # type: ignore[arg-type]


async def test_first_claim_wins_and_later_ones_see_done(make_store: Any) -> None:
    """A plain claim marks the key done at once; claiming again reports it and changes nothing."""
    store: DedupeStore = make_store()
    assert await store.mark("k") is None
    assert await store.claim("k") is None
    assert await store.claim("k") is Mark.DONE
    assert await store.mark("k") is Mark.DONE


async def test_pending_claim_then_finish_or_release(make_store: Any) -> None:
    """Pending while handled; finish makes it done, release frees it for the next delivery."""
    store: DedupeStore = make_store()
    assert await store.claim("ok", pending_for=30) is None
    assert await store.mark("ok") is Mark.PENDING
    assert await store.claim("ok", pending_for=30) is Mark.PENDING
    assert await store.claim("ok") is Mark.PENDING
    await store.finish("ok")
    assert await store.claim("ok", pending_for=30) is Mark.DONE

    assert await store.claim("failed", pending_for=30) is None
    await store.release("failed")
    assert await store.mark("failed") is None
    assert await store.claim("failed", pending_for=30) is None


async def test_a_late_release_never_forgets_a_key_another_receiver_finished(
    make_store: Any,
) -> None:
    """A handler that fails after its pending claim expired, while another receiver claimed
    the redelivery and finished it, must not forget the done key: its next redelivery is
    still skipped, not handled a second time."""
    store: DedupeStore = make_store()
    assert await store.claim("slow", pending_for=0.05) is None  # receiver A, slow handler
    await asyncio.sleep(0.1)  # A's claim expires
    assert await store.claim("slow", pending_for=30) is None  # receiver B, the redelivery
    await store.finish("slow")  # B handled it
    await store.release("slow")  # A's handler fails at last
    assert await store.mark("slow") is Mark.DONE


async def test_pending_claims_and_done_keys_expire(make_store: Any) -> None:
    """A pending claim lasts pending_for seconds, a done key the store's ttl."""
    store: DedupeStore = make_store(ttl=0.2)
    assert await store.claim("pending", pending_for=0.1) is None
    assert await store.claim("done") is None
    await asyncio.sleep(0.15)
    assert await store.mark("pending") is None
    assert await store.mark("done") is Mark.DONE
    await asyncio.sleep(0.1)
    assert await store.mark("done") is None
    assert await store.claim("done") is None


async def test_of_concurrent_claims_exactly_one_wins(make_store: Any) -> None:
    """Twenty deliveries of one event claiming together: one gets it."""
    store: DedupeStore = make_store()
    results = await asyncio.gather(*(store.claim("k", pending_for=30) for _ in range(20)))
    assert results.count(None) == 1
    assert set(results) - {None} == {Mark.PENDING}


async def test_memory_store_is_bounded_and_forgets_the_oldest_first() -> None:
    """Past max_size the oldest key goes, so memory stays bounded."""
    store = MemoryDedupeStore(max_size=3)
    for key in "abcd":
        await store.claim(key)
    assert await store.mark("a") is None
    assert [await store.mark(key) for key in "bcd"] == [Mark.DONE] * 3
    assert repr(store).endswith("keys=3)")


async def test_redis_keys_live_under_the_prefix_and_always_expire(redis_test: RedisTest) -> None:
    """Nothing is written outside the prefix, and no key is kept forever."""
    redis: Any = redis_test.redis
    store = RedisDedupeStore(redis, prefix=redis_test.prefix, ttl=60)
    await store.claim("a")
    await store.claim("b", pending_for=5)
    await store.claim("c", pending_for=5)
    await store.finish("c")
    keys = sorted([key async for key in redis.scan_iter(match=f"{redis_test.prefix}*")])
    assert keys == [redis_test.key(k).encode() for k in "abc"]
    ttls = {key: await redis.pttl(key) for key in keys}
    assert all(0 < ms <= 60_000 for ms in ttls.values()), ttls
    assert ttls[redis_test.key("b").encode()] <= 5_000


async def test_redis_store_works_with_a_decoding_client(redis_test: RedisTest) -> None:
    """A client made with decode_responses=True reads the same marks."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_test.url, decode_responses=True)
    try:
        store = RedisDedupeStore(client, prefix=redis_test.prefix)
        assert await store.claim("k", pending_for=5) is None
        assert await store.mark("k") is Mark.PENDING
        assert await store.claim("k") is Mark.PENDING
    finally:
        await client.aclose()


def test_store_reprs_show_settings_only() -> None:
    """A store can be logged: no client, no connection details."""
    assert repr(RedisDedupeStore(object(), prefix="p:", ttl=5)) == (  # type: ignore[arg-type]
        "RedisDedupeStore(prefix='p:', ttl=5)"
    )
    assert repr(MemoryDedupeStore(ttl=5)) == "MemoryDedupeStore(ttl=5, keys=0)"
