"""The durable inbox on the real Redis: the receiver appends, workers handle and acknowledge,
idle entries are claimed, failures retried then dead-lettered, duplicates handled once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from conversation_async.callbacks import CallbackReceiver, MessageInboundEvent
from conversation_async.redis import InboxWorker, RedisDedupeStore, RedisStreamInbox
from tests.callbacks.support import SECRET, inbound, serve_aiohttp, signed
from tests.conftest import unused_port
from tests.redis_support import RedisTest

FAST = {"min_idle": 0.4, "handler_timeout": 0.2}
"""Claim idle entries after 0.4 s, so retries and take-overs happen within a test."""


def make_inbox(redis_test: RedisTest, redis: Any = None, **options: Any) -> RedisStreamInbox:
    return RedisStreamInbox(
        redis_test.redis if redis is None else redis,  # type: ignore[arg-type]
        stream=redis_test.key("inbox"),
        group="workers",
        **options,
    )


def counting(receiver: CallbackReceiver, fail: Callable[[str], bool] | None = None) -> Counter[str]:
    """Count completed inbound message ids; ``fail(id)`` True makes that run raise."""
    handled: Counter[str] = Counter()

    @receiver.on(MessageInboundEvent)
    async def handler(event: MessageInboundEvent) -> None:
        message_id = event.message.id or ""
        if fail is not None and fail(message_id):
            raise RuntimeError("handler failed")
        handled[message_id] += 1

    return handled


async def append(receiver: CallbackReceiver, *ids: str) -> None:
    for message_id in ids:
        assert await receiver.receive(signed(inbound(message_id)), inbound(message_id)) == 200


def closed_port_client() -> Any:
    """A client for a port nothing listens on, failing at once (no retries)."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis(port=unused_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


async def until(condition: Callable[[], Awaitable[bool] | bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while True:
            done = condition()
            if done if isinstance(done, bool) else await done:
                return
            await asyncio.sleep(0.02)


async def pending(redis_test: RedisTest) -> int:
    summary = await redis_test.redis.xpending(redis_test.key("inbox"), "workers")  # type: ignore[attr-defined]
    return int(summary["pending"])


@contextlib.asynccontextmanager
async def running(*workers: InboxWorker) -> AsyncIterator[None]:
    """Run the workers for the block, then stop them and wait (bounded)."""
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        yield
    finally:
        for worker in workers:
            worker.stop()
        async with asyncio.timeout(5):
            await asyncio.gather(*tasks)


async def test_the_receiver_appends_the_raw_body_over_http_and_answers_200(
    redis_test: RedisTest,
) -> None:
    """Through the real endpoint: 200, and the stream holds the body exactly as sent."""
    receiver = CallbackReceiver(SECRET, inbox=make_inbox(redis_test))
    body = inbound("m1")
    async with (
        serve_aiohttp(receiver) as url,
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=signed(body)) as response,
    ):
        assert response.status == 200
    entries = await redis_test.redis.xrange(redis_test.key("inbox"))  # type: ignore[attr-defined]
    assert [fields for _id, fields in entries] == [{b"body": body}]


async def test_the_receiver_answers_503_when_redis_is_down(redis_test: RedisTest) -> None:
    """A client pointed at a closed port: nothing appended, so Sinch must deliver it again."""
    down = closed_port_client()
    try:
        receiver = CallbackReceiver(SECRET, inbox=make_inbox(redis_test, down))
        async with serve_aiohttp(receiver) as url, aiohttp.ClientSession() as session:
            body = inbound("m1")
            async with session.post(url, data=body, headers=signed(body)) as response:
                assert response.status == 503
        assert receiver.stats.refused == {"store unavailable": 1}
    finally:
        await down.aclose()


@contextlib.asynccontextmanager
async def silent_redis() -> AsyncIterator[Any]:
    """A client for a loopback server that takes connections and never answers (a Redis
    that hangs): without a bound of its own, a command waits forever."""
    import redis.asyncio as aioredis

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = aioredis.Redis(port=port, socket_connect_timeout=1)
    try:
        yield client
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_the_receiver_answers_503_promptly_when_redis_hangs() -> None:
    """Redis takes the connection but never answers: the append gives up after
    ``append_timeout`` and the receiver answers 503 (Sinch delivers again), rather than
    holding Sinch's request until it times out."""
    async with silent_redis() as hanging:
        inbox = RedisStreamInbox(hanging, stream="never-answered", append_timeout=0.3)
        receiver = CallbackReceiver(SECRET, inbox=inbox)
        body = inbound("m1")
        async with asyncio.timeout(10):  # a hang fails the test instead of stalling it
            assert await receiver.receive(signed(body), body) == 503
        assert receiver.stats.refused == {"store unavailable": 1}


def test_append_timeout_must_be_positive() -> None:
    """A zero or negative bound is refused when the inbox is made."""
    with pytest.raises(ValueError, match="append_timeout"):
        RedisStreamInbox(closed_port_client(), append_timeout=0)


async def test_a_worker_handles_appended_events_and_acknowledges_them(
    redis_test: RedisTest,
) -> None:
    """Each event runs its handler once; nothing is left pending in the group."""
    receiver = CallbackReceiver(SECRET, inbox=make_inbox(redis_test))
    handled = counting(receiver)
    await append(receiver, "a", "b", "c")  # before any worker: the group starts at 0
    worker = make_inbox(redis_test).worker(receiver, consumer="w1")
    async with running(worker):
        await append(receiver, "d")
        await until(lambda: sum(handled.values()) == 4)
        await until(lambda: worker.stats.handled == 4)
    assert handled == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert await pending(redis_test) == 0


async def test_a_dead_consumers_pending_entries_are_claimed_by_another(
    redis_test: RedisTest,
) -> None:
    """Entries read by a consumer that never acknowledged are handled after min_idle."""
    inbox = make_inbox(redis_test, **FAST)
    receiver = CallbackReceiver(SECRET, inbox=inbox)
    handled = counting(receiver)
    await append(receiver, "a", "b")
    await inbox.create_group()
    taken = await redis_test.redis.xreadgroup(  # type: ignore[attr-defined]
        "workers", "dead", {redis_test.key("inbox"): ">"}, count=10
    )
    assert taken  # "dead" holds both, and will never acknowledge them
    worker = inbox.worker(receiver, consumer="alive")
    async with running(worker):
        await until(lambda: sum(handled.values()) == 2)
        await until(lambda: worker.stats.handled == 2)
    assert handled == {"a": 1, "b": 1}
    assert worker.stats.claimed == 2
    assert await pending(redis_test) == 0


async def test_the_same_callback_appended_twice_is_handled_once_across_workers(
    redis_test: RedisTest,
) -> None:
    """Two receivers without shared memory append it twice; the dedupe store runs it once
    (a worker finding it mid-handling elsewhere leaves it to be claimed, then skipped)."""
    store = RedisDedupeStore(redis_test.redis, prefix=redis_test.key("dedupe:"))  # type: ignore[arg-type]
    inbox = make_inbox(redis_test, dedupe_store=store, **FAST)
    receivers = [CallbackReceiver(SECRET, inbox=inbox) for _ in range(2)]
    counts = [counting(receiver) for receiver in receivers]
    for index, receiver in enumerate(receivers):
        await append(receiver, "same", f"only-{index}")
    pool = [inbox.worker(r, consumer=f"w{i}") for i, r in enumerate(receivers)]
    async with running(*pool):
        await until(lambda: sum(w.stats.handled for w in pool) == 3)
        await until(lambda: sum(w.stats.duplicates for w in pool) == 1)
    handled = counts[0] + counts[1]
    assert handled == {"same": 1, "only-0": 1, "only-1": 1}
    assert await pending(redis_test) == 0


async def test_the_receiver_and_the_workers_can_share_one_dedupe_store(
    redis_test: RedisTest,
) -> None:
    """The receiver's "seen" mark does not make the workers skip the event."""
    store = RedisDedupeStore(redis_test.redis, prefix=redis_test.key("dedupe:"))  # type: ignore[arg-type]
    inbox = make_inbox(redis_test, dedupe_store=store)
    receiver = CallbackReceiver(SECRET, inbox=inbox, dedupe_store=store)
    handled = counting(receiver)
    await append(receiver, "a")
    assert await receiver.receive(signed(inbound("a")), inbound("a")) == 200  # a redelivery
    worker = inbox.worker(receiver, consumer="w1")
    async with running(worker):
        await until(lambda: worker.stats.handled == 1)
    assert handled == {"a": 1}
    assert await redis_test.redis.xlen(redis_test.key("inbox")) == 1  # type: ignore[attr-defined]


async def test_a_failing_handler_is_retried_then_dead_lettered(
    redis_test: RedisTest, caplog: pytest.LogCaptureFixture
) -> None:
    """Not acknowledged on failure, claimed again after min_idle, given up after
    max_deliveries: the dead-letter stream keeps the body and the reason."""
    store = RedisDedupeStore(redis_test.redis, prefix=redis_test.key("dedupe:"))  # type: ignore[arg-type]
    inbox = make_inbox(redis_test, dedupe_store=store, max_deliveries=3, **FAST)
    receiver = CallbackReceiver(SECRET, inbox=inbox)
    attempts: Counter[str] = Counter()

    def fail(message_id: str) -> bool:
        attempts[message_id] += 1
        return message_id == "bad" or (message_id == "flaky" and attempts["flaky"] == 1)

    handled = counting(receiver, fail)
    await append(receiver, "bad", "flaky", "good")
    worker = inbox.worker(receiver, consumer="w1")
    with caplog.at_level(logging.ERROR, logger="conversation_async.callbacks"):
        async with running(worker):
            await until(lambda: worker.stats.dead_lettered == 1, within=15)
    assert attempts == {"bad": 3, "flaky": 2, "good": 1}
    assert handled == {"flaky": 1, "good": 1}
    dead = await redis_test.redis.xrange(redis_test.key("inbox:dead"))  # type: ignore[attr-defined]
    assert [(f[b"body"], f[b"deliveries"], f[b"reason"]) for _id, f in dead] == [
        (inbound("bad"), b"4", b"not handled after 3 deliveries")
    ]
    assert await pending(redis_test) == 0
    assert "moved to" in caplog.text


async def test_a_poison_entry_is_acknowledged_and_dead_lettered_without_running(
    redis_test: RedisTest, caplog: pytest.LogCaptureFixture
) -> None:
    """A body that does not parse is given up at once, logged, and never retried."""
    inbox = make_inbox(redis_test)
    receiver = CallbackReceiver(SECRET, inbox=inbox)
    handled = counting(receiver)
    await redis_test.redis.xadd(redis_test.key("inbox"), {"body": b"{not json"})  # type: ignore[attr-defined]
    await append(receiver, "after")
    worker = inbox.worker(receiver, consumer="w1")
    with caplog.at_level(logging.ERROR, logger="conversation_async.callbacks"):
        async with running(worker):
            await until(lambda: worker.stats.handled == 1 and worker.stats.dead_lettered == 1)
    assert handled == {"after": 1}
    dead = await redis_test.redis.xrange(redis_test.key("inbox:dead"))  # type: ignore[attr-defined]
    assert [f[b"reason"].split(b":")[0] for _id, f in dead] == [b"malformed"]
    assert await pending(redis_test) == 0
    assert "malformed" in caplog.text


async def test_the_stream_is_trimmed_to_about_maxlen(redis_test: RedisTest) -> None:
    """Memory stays bounded: far fewer entries kept than appended (trimming is by node)."""
    receiver = CallbackReceiver(SECRET, inbox=make_inbox(redis_test, maxlen=50))
    await append(receiver, *(f"m{i}" for i in range(600)))
    kept = await redis_test.redis.xlen(redis_test.key("inbox"))  # type: ignore[attr-defined]
    assert 50 <= kept <= 250


async def test_a_worker_outlives_a_redis_outage_and_stops_promptly(redis_test: RedisTest) -> None:
    """Failed reads are counted and retried; stop() still ends run() within a second."""
    down = closed_port_client()
    try:
        receiver = CallbackReceiver(SECRET, inbox=make_inbox(redis_test, down))
        worker = make_inbox(redis_test, down).worker(receiver, consumer="w1")
        task = asyncio.create_task(worker.run())
        await until(lambda: worker.stats.redis_errors >= 2, within=5)
        assert not task.done()
        worker.stop()
        await asyncio.wait_for(task, timeout=2)
    finally:
        await down.aclose()
