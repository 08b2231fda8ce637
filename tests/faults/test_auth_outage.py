"""A token endpoint outage: valid tokens keep working, new ones fail fast, then recovery."""

from __future__ import annotations

import asyncio
import time

import pytest

from conversation_async import ConversationClient, RetryPolicy, TokenError
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
FAST = RetryPolicy(backoff_base=0.01)


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="x"))


@pytest.mark.parametrize("mode", ["503", "reset"])
async def test_outage_spares_valid_tokens_fails_new_ones_fast_and_recovers(mode: str) -> None:
    """During the outage: sends with the cached token succeed; once a new token is needed,
    TokenError comes within a second; after it, sends work again without a new client."""
    async with Emulator() as emulator, emulator.client(retry=FAST) as client:
        await send(client)
        emulator.token_outage(1.5, mode=mode)
        outage_ends = time.monotonic() + 1.5
        await asyncio.gather(*(send(client) for _ in range(20)))
        assert len(emulator.store.messages) == 21

        emulator.expire_tokens()
        started = time.monotonic()
        with pytest.raises(TokenError):
            await send(client)
        assert time.monotonic() - started < 1.0

        await asyncio.sleep(outage_ends + 0.05 - time.monotonic())
        assert not emulator.token_outage_active
        await send(client)
        assert len(emulator.store.messages) == 22


async def test_early_refresh_failing_during_an_outage_does_not_fail_calls() -> None:
    """A token due for refresh but still valid keeps serving while the endpoint is down."""
    async with Emulator(token_expires_in=4) as emulator, emulator.client(retry=FAST) as client:
        await send(client)
        await asyncio.sleep(2.1)  # inside the refresh window (the last half of 4 s)
        emulator.token_outage(5)
        for _ in range(10):
            await send(client)
            await asyncio.sleep(0.05)
        assert len(emulator.store.messages) == 11
        assert emulator.token_requests >= 2, "a background refresh was attempted"
