"""Token manager behaviour under load, against the emulator's token endpoint over loopback."""

from __future__ import annotations

import asyncio
import time

import pytest

from conversation_async import ConversationClient
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi"))


async def test_thousand_concurrent_first_calls_make_one_token_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A cold client hit by 1,000 calls at once asks for exactly one token."""
    await asyncio.gather(*(send(client) for _ in range(1000)))
    assert emulator.token_requests == 1
    assert len(emulator.store.messages) == 1000


async def test_token_expiring_mid_run_is_refreshed_without_failures(emulator: Emulator) -> None:
    """With 1-second tokens, 2.5 s of traffic sees refreshes and no failed call."""
    emulator.token_expires_in = 1
    async with emulator.client() as client:
        stop_at = time.monotonic() + 2.5
        while time.monotonic() < stop_at:
            await asyncio.gather(*(send(client) for _ in range(8)))
    assert emulator.token_requests >= 3
    assert emulator.expired_token_rejections == 0


async def test_early_refresh_window_refreshes_once_while_callers_keep_going(
    emulator: Emulator,
) -> None:
    """Inside the refresh window one refresh runs; calls meanwhile use the old token."""
    emulator.token_expires_in = 4  # refreshed after 2 s, expires at 4 s
    async with emulator.client() as client:
        await send(client)
        await asyncio.sleep(2.2)
        emulator.script("Token", ScriptedResponse(delay=0.5, passthrough=True))
        started = time.monotonic()
        await asyncio.gather(*(send(client) for _ in range(50)))
        assert time.monotonic() - started < 0.5  # nobody waited for the slow refresh
        await asyncio.sleep(0.7)
        await asyncio.gather(*(send(client) for _ in range(50)))
    assert emulator.token_requests == 2
    assert emulator.expired_token_rejections == 0


async def test_cancelling_the_first_waiter_does_not_break_the_others(emulator: Emulator) -> None:
    """The first caller is cancelled during the token fetch; the rest still succeed."""
    emulator.script("Token", ScriptedResponse(delay=0.3, passthrough=True))
    async with emulator.client() as client:
        first = asyncio.create_task(send(client))
        await asyncio.sleep(0.05)
        others = [asyncio.create_task(send(client)) for _ in range(20)]
        await asyncio.sleep(0.05)
        first.cancel()
        await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await first
    assert emulator.token_requests == 1
    assert len(emulator.store.messages) == 20


@pytest.mark.slow
async def test_short_lived_tokens_under_sustained_load_lose_no_send(emulator: Emulator) -> None:
    """2-second tokens, 64 concurrent senders for 6 s: no failure, (almost) no expired token."""
    emulator.token_expires_in = 2
    failures: list[BaseException] = []
    sent = 0

    async def sender(client: ConversationClient, stop_at: float) -> None:
        nonlocal sent
        while time.monotonic() < stop_at:
            try:
                await send(client)
                sent += 1
            except Exception as exc:  # any failure is what this test counts
                failures.append(exc)

    async with emulator.client() as client:
        stop_at = time.monotonic() + 6
        await asyncio.gather(*(sender(client, stop_at) for _ in range(64)))
    assert failures == []
    assert sent > 1000
    assert emulator.expired_token_rejections <= 1
    assert emulator.token_requests <= 8  # about one per second of the 2 s lifetime
