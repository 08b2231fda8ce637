"""client.project_settings against the emulator: lifecycle and the PATCH it sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from yarl import URL

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import ContactSettings
from conversation_async.testing import Emulator
from tests.conftest import FAST_RETRY


@attrs.define
class Sent:
    """One HTTP request as it left the client: method, full URL (with query) and body."""

    method: str
    url: URL
    body: bytearray = attrs.field(factory=bytearray)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@pytest.fixture
async def wire(emulator: Emulator) -> AsyncIterator[tuple[ConversationClient, list[Sent]]]:
    """A client for the emulator plus the list of API requests it sent, as sent."""
    sent: list[Sent] = []

    async def on_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        context.sent = Sent(params.method, params.url)
        if "/v1/projects/" in params.url.path:
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


async def test_settings_lifecycle_create_get_update_delete(
    emulator: Emulator, wire: tuple[ConversationClient, list[Sent]]
) -> None:
    """Settings can be created, read, changed without an update_mask, and deleted."""
    client, sent = wire
    created = await client.project_settings.create(
        contact_settings=ContactSettings(unified_contact_id_enabled=True)
    )
    assert created.project_id == emulator.project_id
    assert created.settings is not None
    assert created.settings.contact_settings == ContactSettings(unified_contact_id_enabled=True)
    assert await client.project_settings.get() == created

    updated = await client.project_settings.update(
        contact_settings=ContactSettings(unified_contact_id_enabled=False)
    )
    patch = sent[-1]
    assert (patch.method, dict(patch.url.query)) == ("PATCH", {})
    assert patch.json() == {"contact_settings": {"unified_contact_id_enabled": False}}
    assert updated.settings is not None
    assert updated.settings.contact_settings == ContactSettings(unified_contact_id_enabled=False)
    assert await client.project_settings.get() == updated

    await client.project_settings.delete()
    with pytest.raises(NotFoundError):
        await client.project_settings.get()


async def test_each_method_calls_its_catalog_route_once(
    emulator: Emulator, client: ConversationClient
) -> None:
    """create/get/update/delete reach CreateSettings/GetSettings/UpdateSettings/DeleteSettings."""
    await client.project_settings.create(
        contact_settings=ContactSettings(unified_contact_id_enabled=False)
    )
    await client.project_settings.get()
    await client.project_settings.update(
        contact_settings=ContactSettings(unified_contact_id_enabled=True)
    )
    await client.project_settings.delete()
    routes = ("CreateSettings", "GetSettings", "UpdateSettings", "DeleteSettings")
    assert {name: emulator.requests_seen[name] for name in routes} == dict.fromkeys(routes, 1)


async def test_update_without_changes_is_refused_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update that changes nothing is a ValueError, not an empty PATCH."""
    with pytest.raises(ValueError, match="nothing to update"):
        await client.project_settings.update()
    assert emulator.requests_seen["UpdateSettings"] == 0
