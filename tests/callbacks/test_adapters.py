"""Both adapters answer alike: the same requests to ``receiver.handle`` on aiohttp.web and to
``receiver.asgi()`` under a real uvicorn get the same statuses and run the same handlers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fastapi import FastAPI
from starlette.routing import Route

from conversation_async.callbacks import (
    CallbackReceiver,
    MessageInboundEvent,
    signature_headers,
)
from tests.asgi_server import serve_asgi
from tests.callbacks.support import (
    ADAPTERS,
    SECRET,
    delivery,
    inbound,
    serve_receiver,
    signed,
)


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str] | None = None
) -> int:
    headers = signed(body) if headers is None else headers
    async with session.post(url, data=body, headers=headers) as response:
        assert await response.read() == b""  # no reason is ever sent back
        return response.status


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_each_refusal_gets_the_same_status(
    adapter: str, session: aiohttp.ClientSession
) -> None:
    """200, 401 (forged, unsigned, stale, replayed), 415, 413 and 400 alike, with no handler run."""
    receiver = CallbackReceiver(SECRET, max_body_size=400)
    seen: Counter[str] = Counter()

    @receiver.on(MessageInboundEvent)
    async def count(event: MessageInboundEvent) -> None:
        seen[event.message.id or ""] += 1

    body = inbound("ok")
    replayed = signed(body)
    stale = {
        **signature_headers(SECRET, delivery(), timestamp=int(time.time()) - 3600),
        "Content-Type": "application/json",
    }
    async with serve_receiver(adapter, receiver) as url:
        statuses = [
            await post(session, url, body, replayed),
            await post(session, url, body, replayed),
            await post(session, url, inbound("x"), signed(inbound("x"), "forged")),
            await post(session, url, inbound("x"), {"Content-Type": "application/json"}),
            await post(session, url, delivery(), stale),
            await post(
                session, url, delivery(), signed(delivery(), **{"Content-Type": "text/plain"})
            ),
            await post(session, url, inbound("x", "y" * 500)),
            await post(session, url, b'{"app_id": "only envelope"}'),
            await post(
                session,
                url,
                delivery(),
                signed(delivery(), **{"Content-Type": "application/json; charset=utf-8"}),
            ),
        ]
        await asyncio.sleep(0.05)
    assert statuses == [200, 401, 401, 401, 401, 415, 413, 400, 200]
    assert seen == {"ok": 1}
    assert receiver.stats.refused == {
        "signature": 4,
        "content type": 1,
        "body too large": 1,
        "malformed": 1,
    }


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_a_streamed_body_over_the_limit_is_413(
    adapter: str, session: aiohttp.ClientSession
) -> None:
    """Without a Content-Length the cap holds while reading, behind either adapter."""
    receiver = CallbackReceiver(SECRET, max_body_size=200)
    body = inbound(text="x" * 5000)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 64):
            yield body[i : i + 64]

    async with (
        serve_receiver(adapter, receiver) as url,
        session.post(url, data=chunks(), headers=signed(body)) as response,
    ):
        assert response.status == 413


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_after_handler_failure_is_500_and_the_redelivery_handled(
    adapter: str, session: aiohttp.ClientSession
) -> None:
    """ack="after_handler": 500 for a raising handler, 200 once it succeeded, then duplicates."""
    receiver = CallbackReceiver(SECRET, ack="after_handler")
    attempts: Counter[str] = Counter()

    @receiver.on(MessageInboundEvent)
    async def flaky(event: MessageInboundEvent) -> None:
        attempts[event.message.id or ""] += 1
        if attempts[event.message.id or ""] == 1:
            raise RuntimeError("first attempt fails")

    async with serve_receiver(adapter, receiver) as url:
        statuses = [await post(session, url, inbound("a")) for _ in range(3)]
    assert statuses == [500, 200, 200]
    assert attempts == {"a": 2}
    assert receiver.stats.duplicates == 1


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_a_receiver_shutting_down_answers_503(
    adapter: str, session: aiohttp.ClientSession
) -> None:
    """After shutdown() new callbacks are refused so Sinch retries them elsewhere or later."""
    receiver = CallbackReceiver(SECRET)
    async with serve_receiver(adapter, receiver) as url:
        await receiver.shutdown()
        assert await post(session, url, delivery()) == 503


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_only_post_is_served(adapter: str, session: aiohttp.ClientSession) -> None:
    """A GET to the callback URL is 405 and runs nothing."""
    receiver = CallbackReceiver(SECRET)
    async with serve_receiver(adapter, receiver) as url, session.get(url) as response:
        assert response.status == 405
    assert receiver.stats.accepted == 0


async def test_asgi_app_served_alone_drains_handlers_at_lifespan_shutdown(
    session: aiohttp.ClientSession,
) -> None:
    """Stopping uvicorn waits for handlers already accepted (ASGI lifespan shutdown)."""
    receiver = CallbackReceiver(SECRET, shutdown_timeout=5)
    finished: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def slow(event: MessageInboundEvent) -> None:
        await asyncio.sleep(0.3)
        finished.append(event.message.id or "")

    async with serve_asgi(receiver.asgi()) as base:
        assert await post(session, base + "/anything", inbound("a")) == 200
        assert finished == []
    assert finished == ["a"]
    assert await receiver.receive(signed(inbound("b")), inbound("b")) == 503


async def test_asgi_app_routed_in_fastapi_on_an_exact_path(
    session: aiohttp.ClientSession,
) -> None:
    """Route(path, receiver.asgi(), methods=["POST"]) serves an exact path inside FastAPI."""
    receiver = CallbackReceiver(SECRET)
    seen: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def collect(event: MessageInboundEvent) -> None:
        seen.append(event.message.id or "")

    app = FastAPI(routes=[Route("/sinch/callback", receiver.asgi(), methods=["POST"])])

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    async with serve_asgi(app) as base:
        assert await post(session, base + "/sinch/callback", inbound("a")) == 200
        forged = signed(inbound("b"), "forged")
        assert await post(session, base + "/sinch/callback", inbound("b"), forged) == 401
        async with session.get(base + "/sinch/callback") as response:
            assert response.status == 405
        async with session.get(base + "/health") as response:
            assert await response.json() == {"status": "ok"}
        await receiver.shutdown()
    assert seen == ["a"]
