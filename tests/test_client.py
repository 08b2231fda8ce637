"""Client lifecycle: one shared session, borrowed sessions, closing, event loops, reprs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
import pytest

from conversation_async import (
    ClientStateError,
    ConfigurationError,
    ConversationClient,
    Region,
    RetryPolicy,
)
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi"))


def test_client_can_be_built_outside_an_event_loop() -> None:
    """Construction opens nothing: no loop needed, nothing left unclosed."""
    client = ConversationClient("p", "id", "secret", region=Region.EU)
    assert client.config.conversation_url == "https://eu.conversation.api.sinch.com"
    assert not client.closed


def test_repr_never_shows_the_secret() -> None:
    """The client's repr is safe to log."""
    client = ConversationClient("p", "id", "super-secret-value")
    assert "super-secret-value" not in repr(client)
    assert "super-secret-value" not in repr(client.config)


def test_retry_and_retry_shortcuts_are_exclusive() -> None:
    """retry= and max_retries= together is refused rather than guessed."""
    with pytest.raises(ConfigurationError, match="retry"):
        ConversationClient("p", "id", "s", retry=RetryPolicy(), max_retries=1)


def test_retry_shortcuts_tune_the_default_policy() -> None:
    """max_retries and retry_non_idempotent adjust the default RetryPolicy."""
    client = ConversationClient("p", "id", "s", max_retries=7, retry_non_idempotent=True)
    assert client.config.retry == RetryPolicy(max_retries=7, retry_non_idempotent=True)


def counting_trace() -> tuple[aiohttp.TraceConfig, list[str]]:
    urls: list[str] = []

    async def on_start(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        urls.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return trace, urls


async def test_borrowed_session_carries_token_and_api_calls_and_stays_open(
    emulator: Emulator,
) -> None:
    """A lent session is used for every request, token included, and never closed."""
    trace, paths = counting_trace()
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with emulator.client(session=session) as client:
            await send(client)
            await send(client)
        assert not session.closed
        assert paths[0] == "/oauth2/token"
        assert paths.count("/oauth2/token") == 1
        assert sum(p.endswith("messages:send") for p in paths) == 2


async def test_aclose_is_idempotent(emulator: Emulator) -> None:
    """Closing twice is harmless."""
    client = emulator.client()
    await send(client)
    await client.aclose()
    await client.aclose()
    assert client.closed


async def test_closed_client_raises_a_clear_error(emulator: Emulator) -> None:
    """Using a closed client says so instead of failing obscurely."""
    client = emulator.client()
    await client.aclose()
    with pytest.raises(ClientStateError, match="closed"):
        await send(client)
    with pytest.raises(ClientStateError, match="closed"):
        async with client:
            pass


async def test_aclose_without_any_call_is_fine() -> None:
    """A client that never sent anything closes cleanly."""
    async with ConversationClient("p", "id", "secret"):
        pass


@pytest.fixture
def loop_in_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in another thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def test_use_from_a_second_event_loop_raises_instead_of_hanging(
    loop_in_thread: asyncio.AbstractEventLoop,
) -> None:
    """A client bound to one loop refuses calls from another loop, immediately."""

    async def start() -> tuple[Emulator, ConversationClient]:
        emulator = Emulator()
        await emulator.start()
        client = emulator.client()
        await send(client)
        return emulator, client

    async def stop(emulator: Emulator, client: ConversationClient) -> None:
        await client.aclose()
        await emulator.stop()

    other = asyncio.run_coroutine_threadsafe(start(), loop_in_thread)
    emulator, client = await asyncio.wrap_future(other)
    try:
        with pytest.raises(ClientStateError, match="another event loop"):
            await asyncio.wait_for(send(client), timeout=2)
    finally:
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(stop(emulator, client), loop_in_thread)
        )
