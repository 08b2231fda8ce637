"""A callback receiver for the emulator's callback tests: a real aiohttp.web app on loopback.

It records every POST (path, headers, raw body) and answers 200, or the statuses scripted
with :meth:`Receiver.answer`, or ``always`` when set; ``delay`` holds every answer back.
``arrived`` is set once the first callback has arrived.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from conversation_async.callbacks import CallbackEvent, parse_callback, verify_signature


@dataclass(frozen=True)
class Received:
    """One POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def event(self) -> CallbackEvent:
        """The body parsed by the SDK's parser."""
        return parse_callback(self.body)

    def verifies(self, secret: str) -> bool:
        """Whether the signature headers verify with ``secret``."""
        return verify_signature(secret, self.headers, self.body)


class Receiver:
    """Collects callbacks on ``http://127.0.0.1:PORT/<path>``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.always: int | None = None
        self.delay = 0.0
        self._scripted: deque[int] = deque()
        self._runner: web.AppRunner | None = None
        self._base = ""
        self.arrived = asyncio.Event()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._base = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "hook") -> str:
        """The URL of ``path`` on this receiver."""
        return f"{self._base}/{path}"

    def answer(self, *statuses: int) -> None:
        """Answer the next ``len(statuses)`` callbacks with these statuses, in order."""
        self._scripted.extend(statuses)

    def at(self, path: str = "hook") -> list[Received]:
        """What arrived at ``path``, in arrival order."""
        return [item for item in self.received if item.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(request.match_info["path"], dict(request.headers), await request.read())
        )
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self._scripted.popleft() if self._scripted else self.always or 200
        return web.Response(status=status)
