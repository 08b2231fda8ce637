"""Webhooks: CRUD, per-app listing, limits, target uniqueness and trigger validation."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, bad_fields, create_app, is_not_found


def webhook_body(
    app_id: str, target: str = "https://example.com/hook", **extra: Any
) -> dict[str, Any]:
    """A valid Webhook create body."""
    return {"app_id": app_id, "target": target, "triggers": ["MESSAGE_INBOUND"], **extra}


async def test_webhook_lifecycle(api: Api) -> None:
    """Create, get, list per app, update via update_mask, delete, then get is 404."""
    app_id = await create_app(api)
    created = await api.ok("POST", "webhooks", json_body=webhook_body(app_id, secret="s"))
    webhook_id = created["id"]
    assert await api.ok("GET", f"webhooks/{webhook_id}") == created
    assert (await api.ok("GET", f"apps/{app_id}/webhooks"))["webhooks"] == [created]
    updated = await api.ok(
        "PATCH",
        f"webhooks/{webhook_id}",
        json_body={"triggers": ["MESSAGE_DELIVERY"], "secret": "ignored"},
        params={"update_mask": "triggers"},
    )
    assert (updated["triggers"], updated["secret"]) == (["MESSAGE_DELIVERY"], "s")
    assert await api.ok("DELETE", f"webhooks/{webhook_id}") == {}
    assert is_not_found(await api.v1("GET", f"webhooks/{webhook_id}"))


async def test_create_answers_the_webhook_with_defaults(api: Api) -> None:
    """A created webhook has an ID, HTTP target type and empty secret by default."""
    app_id = await create_app(api)
    webhook = await api.ok(
        "POST", "webhooks", json_body={"app_id": app_id, "target": "https://example.com"}
    )
    assert webhook == {
        "id": webhook["id"],
        "app_id": app_id,
        "target": "https://example.com",
        "target_type": "HTTP",
        "secret": "",
        "triggers": [],
    }


async def test_list_is_per_app(api: Api) -> None:
    """ListWebhooks returns only that app's webhooks."""
    mine, other = await create_app(api), await create_app(api)
    await api.ok("POST", "webhooks", json_body=webhook_body(other))
    wanted = await api.ok("POST", "webhooks", json_body=webhook_body(mine))
    assert (await api.ok("GET", f"apps/{mine}/webhooks"))["webhooks"] == [wanted]


async def test_list_of_unknown_app_is_not_found(api: Api) -> None:
    """Listing the webhooks of an unknown app answers 404."""
    assert is_not_found(await api.v1("GET", "apps/01NOSUCHAPP/webhooks"))


async def test_webhook_of_unknown_app_is_rejected(api: Api) -> None:
    """Creating a webhook for an app that does not exist is a 400 naming app_id."""
    reply = await api.v1("POST", "webhooks", json_body=webhook_body("01NOSUCHAPP"))
    assert bad_fields(reply) == ["app_id"]


async def test_an_app_has_at_most_five_webhooks(api: Api) -> None:
    """The sixth webhook of an app is a 400."""
    app_id = await create_app(api)
    for i in range(5):
        await api.ok("POST", "webhooks", json_body=webhook_body(app_id, f"https://e.com/{i}"))
    reply = await api.v1("POST", "webhooks", json_body=webhook_body(app_id, "https://e.com/5"))
    assert bad_fields(reply) == ["app_id"]


async def test_duplicate_target_for_one_app_is_rejected(api: Api) -> None:
    """Two webhooks of one app cannot share a target."""
    app_id = await create_app(api)
    await api.ok("POST", "webhooks", json_body=webhook_body(app_id))
    reply = await api.v1("POST", "webhooks", json_body=webhook_body(app_id))
    assert bad_fields(reply) == ["target"]


async def test_same_target_for_two_apps_is_allowed(api: Api) -> None:
    """Target uniqueness is per app."""
    for app_id in (await create_app(api), await create_app(api)):
        await api.ok("POST", "webhooks", json_body=webhook_body(app_id))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": None}, "target"),
        ({"target": "https://e.com/" + "x" * 730}, "target"),
        ({"target": "https://conversation-api.eu.sinch.com/x"}, "target"),
        ({"triggers": ["MESSAGE_INBOUND", "NOT_A_TRIGGER"]}, "triggers"),
        ({"triggers": ["UNSPECIFIED_TRIGGER"]}, "triggers"),
        ({"target_type": "SMOKE"}, "target_type"),
        ({"client_credentials": {"client_id": "i"}}, "client_credentials.client_secret"),
    ],
)
async def test_create_validates_its_body(api: Api, change: dict[str, Any], field: str) -> None:
    """target (at most 742 chars), triggers, target_type and client credentials are checked."""
    app_id = await create_app(api)
    body = {k: v for k, v in {**webhook_body(app_id), **change}.items() if v is not None}
    assert field in bad_fields(await api.v1("POST", "webhooks", json_body=body))


async def test_target_of_742_characters_is_accepted(api: Api) -> None:
    """742 characters is the longest allowed target."""
    app_id = await create_app(api)
    target = "https://e.com/" + "x" * (742 - len("https://e.com/"))
    await api.ok("POST", "webhooks", json_body=webhook_body(app_id, target))


@pytest.mark.parametrize("trigger", ["SMART_CONVERSATION", "SMART_CONVERSATIONS"])
async def test_both_smart_conversation_spellings_are_accepted(api: Api, trigger: str) -> None:
    """The catalog's and NODE's smart-conversation trigger names are both valid."""
    app_id = await create_app(api)
    await api.ok("POST", "webhooks", json_body=webhook_body(app_id, triggers=[trigger]))


async def test_update_to_a_sibling_target_is_rejected(api: Api) -> None:
    """An update cannot give a webhook the target of another webhook of its app."""
    app_id = await create_app(api)
    await api.ok("POST", "webhooks", json_body=webhook_body(app_id, "https://e.com/a"))
    other = await api.ok("POST", "webhooks", json_body=webhook_body(app_id, "https://e.com/b"))
    reply = await api.v1(
        "PATCH", f"webhooks/{other['id']}", json_body={"target": "https://e.com/a"}
    )
    assert bad_fields(reply) == ["target"]


async def test_update_may_keep_its_own_target(api: Api) -> None:
    """Re-sending a webhook's own target is not a duplicate."""
    app_id = await create_app(api)
    webhook = await api.ok("POST", "webhooks", json_body=webhook_body(app_id))
    await api.ok("PATCH", f"webhooks/{webhook['id']}", json_body=webhook_body(app_id))


async def test_masked_client_credentials_absent_from_the_body_are_removed(api: Api) -> None:
    """Clearing client_credentials through the mask drops them."""
    app_id = await create_app(api)
    credentials = {"client_id": "i", "client_secret": "s", "endpoint": "https://e.com/t"}
    webhook = await api.ok(
        "POST", "webhooks", json_body=webhook_body(app_id, client_credentials=credentials)
    )
    assert webhook["client_credentials"] == credentials
    updated = await api.ok(
        "PATCH",
        f"webhooks/{webhook['id']}",
        json_body={},
        params={"update_mask": "client_credentials"},
    )
    assert "client_credentials" not in updated


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_webhook_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown webhook ID answer 404."""
    assert is_not_found(await api.v1(method, "webhooks/01NOSUCHHOOK", json_body={}))
