"""Two workers behind one webhook URL, sharing Redis: one serves ``receiver.handle`` on
aiohttp.web, the other ``receiver.asgi()`` under uvicorn, each with its own Redis client."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest

from conversation_async.callbacks import CallbackReceiver, MessageInboundEvent
from conversation_async.redis import RedisDedupeStore
from tests.callbacks.support import SECRET, delivery, inbound, serve_receiver, signed
from tests.redis_support import RedisTest


@attrs.define
class Worker:
    receiver: CallbackReceiver
    url: str
    handled: Counter[str] = attrs.field(factory=Counter)
    release: asyncio.Event = attrs.field(factory=asyncio.Event)
    started: asyncio.Event = attrs.field(factory=asyncio.Event)
    fail_next: bool = False


@attrs.define
class Cluster:
    session: aiohttp.ClientSession
    a: Worker
    b: Worker

    async def post(self, worker: Worker, body: bytes, headers: dict[str, str] | None = None) -> int:
        headers = signed(body) if headers is None else headers
        async with self.session.post(worker.url, data=body, headers=headers) as response:
            return response.status


@contextlib.asynccontextmanager
async def worker(adapter: str, redis: Any, prefix: str) -> AsyncIterator[Worker]:
    store = RedisDedupeStore(redis, prefix=prefix, ttl=60)
    receiver = CallbackReceiver(
        SECRET, ack="after_handler", dedupe_store=store, replay_store=store, shutdown_timeout=1
    )
    served = Worker(receiver, "")

    @receiver.on(MessageInboundEvent)
    async def handle(event: MessageInboundEvent) -> None:
        served.started.set()
        await served.release.wait()
        if served.fail_next:
            served.fail_next = False
            raise RuntimeError("handler failed")
        served.handled[event.message.id or ""] += 1

    served.release.set()
    async with serve_receiver(adapter, receiver) as url:
        served.url = url
        yield served


@pytest.fixture
async def cluster(redis_test: RedisTest) -> AsyncIterator[Cluster]:
    import redis.asyncio as aioredis

    other = aioredis.Redis.from_url(redis_test.url)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            worker("aiohttp", redis_test.redis, redis_test.prefix) as a,
            worker("asgi", other, redis_test.prefix) as b,
        ):
            yield Cluster(session, a, b)
    finally:
        await other.aclose()


async def test_a_redelivery_handled_by_one_worker_is_skipped_by_the_other(
    cluster: Cluster,
) -> None:
    """Sinch's retry landing on the second worker is acknowledged there without a second run."""
    assert await cluster.post(cluster.a, inbound("m")) == 200
    assert await cluster.post(cluster.b, inbound("m")) == 200
    assert (cluster.a.handled, cluster.b.handled) == ({"m": 1}, {})
    assert cluster.b.receiver.stats.duplicates == 1


async def test_a_signature_replayed_to_another_worker_is_refused(cluster: Cluster) -> None:
    """The same signed request sent to the second worker is a replay there: 401."""
    body = delivery()
    headers = signed(body)
    assert await cluster.post(cluster.a, body, headers) == 200
    assert await cluster.post(cluster.b, body, headers) == 401
    assert cluster.b.receiver.stats.refused == {"signature": 1}


async def test_a_redelivery_while_another_worker_handles_it_is_503_then_a_duplicate(
    cluster: Cluster,
) -> None:
    """Mid-handling elsewhere: 503; once the other worker finished: a skipped duplicate."""
    cluster.a.release.clear()
    first = asyncio.create_task(cluster.post(cluster.a, inbound("m")))
    await asyncio.wait_for(cluster.a.started.wait(), timeout=5)
    assert await cluster.post(cluster.b, inbound("m")) == 503
    cluster.a.release.set()
    assert await asyncio.wait_for(first, timeout=5) == 200
    assert await cluster.post(cluster.b, inbound("m")) == 200
    assert (cluster.a.handled, cluster.b.handled) == ({"m": 1}, {})


async def test_a_callback_failed_on_one_worker_is_handled_by_the_other(cluster: Cluster) -> None:
    """A 500 releases the event: the retry is handled wherever it lands."""
    cluster.a.fail_next = True
    assert await cluster.post(cluster.a, inbound("m")) == 500
    assert await cluster.post(cluster.b, inbound("m")) == 200
    assert (cluster.a.handled, cluster.b.handled) == ({}, {"m": 1})
