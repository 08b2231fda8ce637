"""Sends per second and client CPU: ``client.messages.send`` next to raw aiohttp.

Both sides post the same JSON to the same emulator process with the same concurrency and a
bearer token fetched beforehand; the raw side builds its body with ``json.dumps`` per
request, as hand-written aiohttp code would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable

import aiohttp
import attrs

from conversation_async import ConversationClient
from conversation_async.models import IdentifiedRecipient, TextMessage

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


async def sdk_send(server: ServerInfo, requests: int, concurrency: int) -> Run:
    """``await client.messages.send(...)`` with default client settings."""
    async with ConversationClient(
        server.project_id,
        server.client_id,
        server.client_secret,
        base_url=server.base_url,
        auth_url=server.auth_url,
    ) as client:

        async def send() -> None:
            await client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)

        await send()  # token fetched, connection warm
        return await _drive(send, requests, concurrency)
