"""client.apps against the emulator: lifecycle, argument checks and what goes on the wire."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import (
    ConversationChannelCredential,
    ProcessingMode,
    RetentionPolicy,
    StaticBearerCredential,
    TelegramCredentials,
)
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire

SMS = ConversationChannelCredential(
    channel="SMS",
    credential=StaticBearerCredential(claimed_identity="plan-1", token="sms-token-secret"),
)
TELEGRAM = ConversationChannelCredential(
    channel="TELEGRAM", credential=TelegramCredentials(token="telegram-token-secret")
)


async def test_app_lifecycle_create_get_list_update_delete(
    wire: Wire,
) -> None:
    """An app can be created, read, listed, partly updated and deleted."""
    client, sent = wire
    app = await client.apps.create(
        display_name="Shop", channel_credentials=[SMS], processing_mode=ProcessingMode.CONVERSATION
    )
    other = await client.apps.create(display_name="Other", channel_credentials=[TELEGRAM])
    assert app.id
    assert (app.display_name, app.processing_mode) == ("Shop", ProcessingMode.CONVERSATION)
    assert await client.apps.get(app_id=app.id) == app
    assert sorted(a.id for a in await client.apps.list()) == sorted([app.id, other.id])

    updated = await client.apps.update(app_id=app.id, display_name="Shop 2")
    patch = sent[-1]
    assert (patch.method, patch.url.query.getall("update_mask")) == ("PATCH", ["display_name"])
    assert patch.json() == {"display_name": "Shop 2"}
    assert updated.display_name == "Shop 2"
    assert attrs.evolve(updated, display_name="Shop") == app
    assert await client.apps.get(app_id=app.id) == updated

    await client.apps.delete(app_id=app.id)
    with pytest.raises(NotFoundError):
        await client.apps.get(app_id=app.id)
    assert [a.id for a in await client.apps.list()] == [other.id]


async def test_each_method_calls_its_catalog_route_once(
    emulator: Emulator, client: ConversationClient
) -> None:
    """list/create/get/update/delete reach ListApps/CreateApp/GetApp/UpdateApp/DeleteApp."""
    app = await client.apps.create(display_name="Routes", channel_credentials=[SMS])
    await client.apps.get(app_id=app.id)
    await client.apps.list()
    await client.apps.update(app_id=app.id, display_name="Routes 2")
    await client.apps.delete(app_id=app.id)
    routes = ("ListApps", "CreateApp", "GetApp", "UpdateApp", "DeleteApp")
    assert {name: emulator.requests_seen[name] for name in routes} == dict.fromkeys(routes, 1)


async def test_create_sends_only_the_given_fields(
    wire: Wire,
) -> None:
    """Unset settings are left out; the credential sits under its own key."""
    client, sent = wire
    await client.apps.create(
        display_name="Wire",
        channel_credentials=[SMS],
        retention_policy=RetentionPolicy(ttl_days=30),
    )
    assert sent[-1].json() == {
        "display_name": "Wire",
        "channel_credentials": [
            {
                "channel": "SMS",
                "static_bearer": {"claimed_identity": "plan-1", "token": "sms-token-secret"},
            }
        ],
        "retention_policy": {"ttl_days": 30},
    }


async def test_update_mask_names_every_changed_field(
    wire: Wire,
) -> None:
    """Two changed fields are masked comma-joined, in model order."""
    client, sent = wire
    app = await client.apps.create(display_name="Mask", channel_credentials=[SMS])
    updated = await client.apps.update(
        app_id=app.id, channel_credentials=[TELEGRAM], display_name="Masked"
    )
    assert sent[-1].url.query["update_mask"] == "display_name,channel_credentials"
    assert updated.channel_credentials is not None
    assert [c.channel for c in updated.channel_credentials] == ["TELEGRAM"]


async def test_create_requires_name_and_credentials_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A missing display name and an empty credential list are both named."""
    with pytest.raises(ValueError, match="display_name, channel_credentials"):
        await client.apps.create(display_name="", channel_credentials=[])
    assert emulator.requests_seen["CreateApp"] == 0


async def test_update_without_changes_is_refused_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update that changes nothing is a ValueError, not an empty PATCH."""
    with pytest.raises(ValueError, match="nothing to update"):
        await client.apps.update(app_id="some-app")
    assert emulator.requests_seen["UpdateApp"] == 0


@pytest.mark.parametrize(
    ("method", "route", "extra"),
    [
        ("get", "GetApp", {}),
        ("delete", "DeleteApp", {}),
        ("update", "UpdateApp", {"display_name": "x"}),
    ],
)
async def test_app_id_is_required_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, route: str, extra: dict[str, Any]
) -> None:
    """get, update and delete refuse an empty app_id locally."""
    with pytest.raises(ValueError, match="app_id"):
        await getattr(client.apps, method)(app_id="", **extra)
    assert emulator.requests_seen[route] == 0


async def test_app_ids_are_escaped_in_the_path(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An app id with a slash cannot reach another route."""
    with pytest.raises(NotFoundError):
        await client.apps.get(app_id="x/webhooks")
    assert emulator.requests_seen["ListWebhooks"] == 0
