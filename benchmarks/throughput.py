"""Sends per second and client CPU: ``messages.send`` and ``send_many`` next to raw aiohttp.

All three post the same JSON to the same emulator process with the same concurrency and a
bearer token fetched beforehand; the raw side builds its body with ``json.dumps`` per
request and reads the answer with ``json.loads``, as hand-written aiohttp code would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import attrs

from conversation_async import ConversationClient
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TextMessage,
)

from ._server import ServerInfo

BODY = {
    "app_id": "bench-app",
    "recipient": {
        "identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+46700000001"}]}
    },
    "message": {"text_message": {"text": "benchmark message"}},
}
RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
MESSAGE = TextMessage(text="benchmark message")


@attrs.frozen
class Run:
    """One measured run: requests done, wall seconds, client CPU seconds."""

    requests: int
    wall: float
    cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.wall

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.requests * 1000


async def _drive(send: Callable[[], Awaitable[None]], requests: int, concurrency: int) -> Run:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await send()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(requests, time.perf_counter() - wall, time.process_time() - cpu)


async def raw_aiohttp(server: ServerInfo, requests: int, concurrency: int) -> Run:
    """Hand-written aiohttp: token once, then POST json.dumps(body) and json.loads the answer."""
    url = f"{server.base_url}/v1/projects/{server.project_id}/messages:send"
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(
            server.auth_url,
            data="grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ) as resp:
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        async def send() -> None:
            async with session.post(url, data=json.dumps(BODY), headers=headers) as resp:
                json.loads(await resp.read())
                if resp.status != 200:
                    raise RuntimeError(f"raw send failed: {resp.status}")

        await send()  # warm the connection, like the SDK's first call below
        return await _drive(send, requests, concurrency)


def client_for(server: ServerInfo) -> ConversationClient:
    """A default-configured client for the emulator process."""
    return ConversationClient(
        server.project_id,
        server.client_id,
        server.client_secret,
        conversation_url=server.base_url,
        auth_url=server.auth_url,
    )


async def sdk_send(server: ServerInfo, requests: int, concurrency: int) -> Run:
    """``await client.messages.send(...)`` with default client settings."""
    async with client_for(server) as client:

        async def send() -> None:
            await client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)

        await send()  # token fetched, connection warm
        return await _drive(send, requests, concurrency)


def bulk_requests(count: int) -> Iterator[SendMessageRequest]:
    """The same message ``count`` times, generated lazily (a streamed campaign)."""
    message = AppMessage(content=MESSAGE)
    for _ in range(count):
        yield SendMessageRequest(app_id="bench-app", recipient=RECIPIENT, message=message)


async def sdk_send_many(server: ServerInfo, requests: int, concurrency: int) -> Run:
    """``client.messages.send_many`` over a generator, consuming every result."""
    async with client_for(server) as client:
        await client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)
        wall, cpu = time.perf_counter(), time.process_time()
        summary = await client.messages.send_many(
            bulk_requests(requests), concurrency=concurrency
        ).run()
        run = Run(requests, time.perf_counter() - wall, time.process_time() - cpu)
    if summary.by_outcome.get("sent") != requests:
        raise RuntimeError(f"send_many lost messages: {summary.format()}")
    return run
