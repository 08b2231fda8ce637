"""A client whose API requests are recorded as they left it, for wire-level assertions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from yarl import URL

from conversation_async import ConversationClient
from conversation_async.testing import Emulator
from tests.conftest import FAST_RETRY


@attrs.define
class Sent:
    """One API request as it left the client: method, full URL (with query) and body."""

    method: str
    url: URL
    body: bytearray = attrs.field(factory=bytearray)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Wire = tuple[ConversationClient, list[Sent]]


@pytest.fixture
async def wire(emulator: Emulator) -> AsyncIterator[Wire]:
    """A client for the emulator plus the API requests it sent (token requests left out)."""
    sent: list[Sent] = []

    async def on_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        context.sent = Sent(params.method, params.url)
        if not params.url.path.endswith("/oauth2/token"):
            sent.append(context.sent)

    async def on_chunk(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestChunkSentParams
    ) -> None:
        context.sent.body.extend(params.chunk)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_chunk_sent.append(on_chunk)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        emulator.client(session=session, retry=FAST_RETRY) as client,
    ):
        yield client, sent
