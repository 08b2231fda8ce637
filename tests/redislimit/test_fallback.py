"""When Redis goes away or stops answering, sends go on under a local limit, with one
warning, and the shared budget resumes when Redis is back: a TCP proxy on loopback stands
between the limiter and the real Redis, and the test cuts it, stalls it and restores it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from conversation_async import ConversationClient
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.redis import RedisRateLimiter
from conversation_async.testing import Emulator
from tests.redis_support import RedisTest

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


class Proxy:
    """Forwards loopback connections to Redis; :meth:`cut` closes the port and every
    connection, :meth:`stall` keeps them open but forwards nothing, :meth:`restore` undoes
    either (on the same port)."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.port = 0
        self.stalled = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        await self._drop_connections()

    def stall(self) -> None:
        self.stalled = True

    async def restore(self) -> None:
        if self.stalled:
            self.stalled = False
            await self._drop_connections()  # what they swallowed is lost: start afresh
        if self._server is None:
            await self.start()

    async def aclose(self) -> None:
        if self._server is not None:
            await self.cut()
        await self._drop_connections()

    async def _drop_connections(self) -> None:
        for writer in self._writers:
            writer.close()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self._writers.clear()
        self._pumps.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if not self.stalled:
                    sink.write(data)
                    await sink.drain()
        sink.close()


@pytest.fixture
async def proxy(redis_test: RedisTest) -> AsyncIterator[Proxy]:
    """A proxy to the test's Redis on a free loopback port."""
    target = urlsplit(redis_test.url)
    proxied = Proxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxied.start()
    try:
        yield proxied
    finally:
        await proxied.aclose()


async def hammer(client: ConversationClient, seconds: float, workers: int = 8) -> list[float]:
    """Send from ``workers`` tasks for ``seconds``; how long each send took."""
    took: list[float] = []
    stop_at = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            await client.messages.send(
                app_id="app", recipient=RECIPIENT, message=TextMessage(text="x")
            )
            took.append(time.monotonic() - started)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return took


async def until_shared(client: ConversationClient, limiter: RedisRateLimiter) -> None:
    """Send until the limiter takes its turns from Redis again (a probe every 0.3 s), for
    3 s at most, then a second more."""
    for _ in range(30):
        if limiter.shared:
            break
        await hammer(client, 0.1)
    await hammer(client, 1.0)


async def counted(redis_test: RedisTest) -> int:
    """Turns the shared budget handed out in its current and previous second."""
    redis: Any = redis_test.redis
    values = await redis.hmget(redis_test.key("budget"), "m_current", "m_previous")
    return sum(int(float(value or 0)) for value in values)


def redis_logs(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "conversation_async.redis" and record.levelno == level
    ]


@contextlib.asynccontextmanager
async def limited_client(
    emulator: Emulator, redis_test: RedisTest, proxy: Proxy
) -> AsyncIterator[tuple[ConversationClient, RedisRateLimiter]]:
    import redis.asyncio as aioredis

    redis = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1.0)
    limiter = RedisRateLimiter(
        redis, key=redis_test.key("budget"), limit=400, timeout=0.1, probe_every=0.3
    )
    try:
        async with emulator.client(rate_limiter=limiter) as client:
            yield client, limiter
    finally:
        await redis.aclose()


async def test_redis_gone_sends_go_on_locally_with_one_warning_then_share_again(
    redis_test: RedisTest, emulator: Emulator, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis cut off mid-run: sends go on under the local limiter and one WARNING says so
    (not one per request, nor per failed probe); once Redis is reachable again, turns come
    from the shared budget again."""
    caplog.set_level(logging.INFO, logger="conversation_async.redis")
    async with limited_client(emulator, redis_test, proxy) as (client, limiter):
        await hammer(client, 0.3)
        shared_before = await counted(redis_test)
        assert limiter.shared
        assert shared_before > 0

        await proxy.cut()
        took = await hammer(client, 1.0)
        assert not limiter.shared
        assert len(took) > 100
        assert await counted(redis_test) == shared_before  # nothing went through Redis
        assert len(redis_logs(caplog, logging.WARNING)) == 1

        await proxy.restore()
        await until_shared(client, limiter)
        assert limiter.shared
        assert await counted(redis_test) > 0
    [warning] = redis_logs(caplog, logging.WARNING)
    assert redis_test.key("budget") in warning
    assert "local" in warning
    assert len(redis_logs(caplog, logging.INFO)) == 1  # "shared again", once


async def test_a_redis_that_stops_answering_holds_no_send_past_the_timeout(
    redis_test: RedisTest, emulator: Emulator, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stalls (connections open, no answers): no send waits much more than the 0.1 s
    timeout, sends go on locally, and the budget is shared again once Redis answers."""
    caplog.set_level(logging.INFO, logger="conversation_async.redis")
    async with limited_client(emulator, redis_test, proxy) as (client, limiter):
        await hammer(client, 0.2)
        proxy.stall()
        took = await hammer(client, 1.5)
        assert not limiter.shared
        assert len(took) > 100
        assert max(took) < 0.75  # a send held until Redis answered would take 1.5 s
        await proxy.restore()
        await until_shared(client, limiter)
        assert limiter.shared
    [warning] = redis_logs(caplog, logging.WARNING)
    assert "no answer within 0.1 s" in warning


async def test_limiters_that_lose_redis_fall_back_to_their_share_of_the_budget(
    redis_test: RedisTest, proxy: Proxy
) -> None:
    """Two processes share a 400/s budget; Redis goes away: each paces itself at 200/s, its
    share as Redis last counted the limiters, not at the whole budget (which together would
    send twice what the project may, and draw 429s)."""
    import redis.asyncio as aioredis

    clients = [
        aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1.0)
        for _ in range(2)
    ]
    limiters = [
        RedisRateLimiter(client, key=redis_test.key("budget"), limit=400, timeout=0.1)
        for client in clients
    ]
    try:
        for _ in range(2):  # the second round sees both limiters in the budget
            for limiter in limiters:
                await limiter.acquire()
        await proxy.cut()
        for limiter in limiters:
            await limiter.acquire()
            assert not limiter.shared
            assert limiter.limit == pytest.approx(200)
    finally:
        for client in clients:
            await client.aclose()


async def test_a_limiter_alone_on_its_budget_falls_back_to_all_of_it(
    redis_test: RedisTest, proxy: Proxy
) -> None:
    """One process on the budget keeps the whole limit when Redis goes away."""
    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1.0)
    limiter = RedisRateLimiter(client, key=redis_test.key("budget"), limit=400, timeout=0.1)
    try:
        await limiter.acquire()
        await proxy.cut()
        await limiter.acquire()
        assert not limiter.shared
        assert limiter.limit == pytest.approx(400)
    finally:
        await client.aclose()
