"""client.webhooks against the emulator: lifecycle, the per-app limits and argument checks."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from conversation_async import BadRequestError, ConversationClient, NotFoundError
from conversation_async.models import (
    ConversationChannelCredential,
    StaticBearerCredential,
    WebhookTargetType,
    WebhookTrigger,
)
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire

SMS = ConversationChannelCredential(
    channel="SMS", credential=StaticBearerCredential(claimed_identity="plan", token="t")
)


async def new_app(client: ConversationClient) -> str:
    return (await client.apps.create(display_name="Hooks", channel_credentials=[SMS])).id


async def test_webhook_lifecycle_create_get_list_update_delete(
    wire: Wire,
) -> None:
    """A webhook can be created, read, listed with its app, partly updated and deleted."""
    client, sent = wire
    app_id = await new_app(client)
    hook = await client.webhooks.create(
        app_id=app_id,
        target="https://example.com/a",
        triggers=[WebhookTrigger.MESSAGE_INBOUND, WebhookTrigger.MESSAGE_DELIVERY],
        secret="hook-secret",
    )
    other = await client.webhooks.create(app_id=app_id, target="https://example.com/b")
    assert hook.id
    assert (hook.app_id, hook.target, hook.secret) == (
        app_id,
        "https://example.com/a",
        "hook-secret",
    )
    assert hook.triggers == [WebhookTrigger.MESSAGE_INBOUND, WebhookTrigger.MESSAGE_DELIVERY]
    assert await client.webhooks.get(webhook_id=hook.id) == hook
    listed = await client.webhooks.list(app_id=app_id)
    assert sorted(w.id for w in listed) == sorted([hook.id, other.id])

    updated = await client.webhooks.update(webhook_id=hook.id, target="https://example.com/c")
    patch = sent[-1]
    assert (patch.method, patch.url.query.getall("update_mask")) == ("PATCH", ["target"])
    assert patch.json() == {"target": "https://example.com/c"}
    assert attrs.evolve(updated, target=hook.target) == hook

    await client.webhooks.delete(webhook_id=hook.id)
    with pytest.raises(NotFoundError):
        await client.webhooks.get(webhook_id=hook.id)
    assert [w.id for w in await client.webhooks.list(app_id=app_id)] == [other.id]


async def test_each_method_calls_its_catalog_route_once(
    emulator: Emulator, client: ConversationClient
) -> None:
    """list/create/get/update/delete reach their ListWebhooks..DeleteWebhook routes."""
    app_id = await new_app(client)
    hook = await client.webhooks.create(app_id=app_id, target="https://example.com/r")
    await client.webhooks.get(webhook_id=hook.id)
    await client.webhooks.list(app_id=app_id)
    await client.webhooks.update(webhook_id=hook.id, target_type=WebhookTargetType.DISMISS)
    await client.webhooks.delete(webhook_id=hook.id)
    routes = ("ListWebhooks", "CreateWebhook", "GetWebhook", "UpdateWebhook", "DeleteWebhook")
    assert {name: emulator.requests_seen[name] for name in routes} == dict.fromkeys(routes, 1)


async def test_sixth_webhook_of_an_app_is_a_bad_request(client: ConversationClient) -> None:
    """An app holds at most five webhooks."""
    app_id = await new_app(client)
    for i in range(5):
        await client.webhooks.create(app_id=app_id, target=f"https://example.com/{i}")
    with pytest.raises(BadRequestError):
        await client.webhooks.create(app_id=app_id, target="https://example.com/6")
    assert len(await client.webhooks.list(app_id=app_id)) == 5


async def test_duplicate_target_for_an_app_is_a_bad_request(client: ConversationClient) -> None:
    """Two webhooks of one app cannot share a target."""
    app_id = await new_app(client)
    await client.webhooks.create(app_id=app_id, target="https://example.com/same")
    with pytest.raises(BadRequestError):
        await client.webhooks.create(app_id=app_id, target="https://example.com/same")


async def test_update_sends_the_new_trigger_list_whole(
    wire: Wire,
) -> None:
    """Changing triggers masks and sends only the triggers, replacing the list."""
    client, sent = wire
    app_id = await new_app(client)
    hook = await client.webhooks.create(
        app_id=app_id, target="https://example.com/t", triggers=["MESSAGE_INBOUND"]
    )
    updated = await client.webhooks.update(webhook_id=hook.id, triggers=["EVENT_INBOUND"])
    assert sent[-1].url.query["update_mask"] == "triggers"
    assert sent[-1].json() == {"triggers": ["EVENT_INBOUND"]}
    assert updated.triggers == [WebhookTrigger.EVENT_INBOUND]


async def test_create_requires_app_and_target_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Both required fields are named; the secret given is not echoed in the error."""
    with pytest.raises(ValueError, match="app_id, target") as raised:
        await client.webhooks.create(app_id="", target="", secret="do-not-leak")
    assert "do-not-leak" not in str(raised.value)
    assert emulator.requests_seen["CreateWebhook"] == 0


async def test_list_requires_app_id_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Webhooks are listed per app; no app, no request."""
    with pytest.raises(ValueError, match="app_id"):
        await client.webhooks.list(app_id="")
    assert emulator.requests_seen["ListWebhooks"] == 0


async def test_update_without_changes_is_refused_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update that changes nothing is a ValueError, not an empty PATCH."""
    with pytest.raises(ValueError, match="nothing to update"):
        await client.webhooks.update(webhook_id="hook")
    assert emulator.requests_seen["UpdateWebhook"] == 0


@pytest.mark.parametrize(
    ("method", "route", "extra"),
    [
        ("get", "GetWebhook", {}),
        ("delete", "DeleteWebhook", {}),
        ("update", "UpdateWebhook", {"target": "https://example.com"}),
    ],
)
async def test_webhook_id_is_required_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, route: str, extra: dict[str, Any]
) -> None:
    """get, update and delete refuse an empty webhook_id locally."""
    with pytest.raises(ValueError, match="webhook_id"):
        await getattr(client.webhooks, method)(webhook_id="", **extra)
    assert emulator.requests_seen[route] == 0
