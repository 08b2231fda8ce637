"""client.project_settings against the emulator: lifecycle and the PATCH it sends."""

from __future__ import annotations

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import ContactSettings
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire


async def test_settings_lifecycle_create_get_update_delete(emulator: Emulator, wire: Wire) -> None:
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
