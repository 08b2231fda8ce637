"""Token requests caused by N concurrent first sends on a brand-new client."""

from __future__ import annotations

import asyncio

from ._server import ServerInfo
from .throughput import MESSAGE, RECIPIENT, client_for


async def first_sends(server: ServerInfo, sends: int) -> int:
    """How many token requests the emulator saw for ``sends`` simultaneous first calls."""
    before = server.stats()["token_requests"]
    async with client_for(server) as client:
        await asyncio.gather(
            *(
                client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)
                for _ in range(sends)
            )
        )
    after: int = server.stats()["token_requests"]
    return after - before
