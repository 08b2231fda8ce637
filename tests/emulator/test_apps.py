"""Apps: CRUD, read-only fields, credentials, update_mask and validation."""

from __future__ import annotations

import pytest

from .conftest import Api, app_body, bad_fields, create_app, is_not_found


async def test_app_lifecycle(api: Api) -> None:
    """Create, get, list, update via update_mask, delete, then get is 404."""
    created = await api.ok("POST", "apps", json_body=app_body())
    app_id = created["id"]
    assert await api.ok("GET", f"apps/{app_id}") == created
    assert [a["id"] for a in (await api.ok("GET", "apps"))["apps"]] == [app_id]
    updated = await api.ok(
        "PATCH",
        f"apps/{app_id}",
        json_body={"display_name": "Renamed"},
        params={"update_mask": "display_name"},
    )
    assert updated["display_name"] == "Renamed"
    assert (await api.ok("GET", f"apps/{app_id}"))["display_name"] == "Renamed"
    assert await api.ok("DELETE", f"apps/{app_id}") == {}
    assert is_not_found(await api.v1("GET", f"apps/{app_id}"))


async def test_create_fills_read_only_fields_and_defaults(api: Api) -> None:
    """A new app has an ID, rate limits, queue stats and DISPATCH processing by default."""
    app = await api.ok("POST", "apps", json_body=app_body())
    assert app["id"]
    assert app["rate_limits"] == {"outbound": 20, "inbound": 100, "webhooks": 200}
    assert app["queue_stats"] == {"outbound_size": 0, "outbound_limit": 500000}
    assert app["processing_mode"] == "DISPATCH"
    assert app["conversation_metadata_report_view"] == "NONE"


async def test_credentials_are_stored_as_sent_plus_state(api: Api) -> None:
    """Credential secrets come back exactly as sent, with ACTIVE state and a known ID."""
    body = app_body()
    [credential] = (await api.ok("POST", "apps", json_body=body))["channel_credentials"]
    assert credential["static_bearer"] == body["channel_credentials"][0]["static_bearer"]
    assert credential["state"] == {"status": "ACTIVE", "description": ""}
    assert credential["channel_known_id"]


async def test_apps_are_listed_oldest_first_without_pagination(api: Api) -> None:
    """ListApps returns every app in one answer, in creation order."""
    ids = [await create_app(api) for _ in range(12)]
    body = await api.ok("GET", "apps")
    assert [a["id"] for a in body["apps"]] == ids
    assert "next_page_token" not in body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"display_name": None}, "display_name"),
        ({"channel_credentials": []}, "channel_credentials"),
        ({"channel_credentials": [{"channel": "SMS"}]}, "channel_credentials[0]"),
        ({"processing_mode": "SOMETIMES"}, "processing_mode"),
        ({"retention_policy": {"ttl_days": 0}}, "retention_policy.ttl_days"),
    ],
)
async def test_create_rejects_invalid_apps(api: Api, change: dict[str, object], field: str) -> None:
    """A missing name, no or malformed credentials and bad settings are 400s naming them."""
    body = {k: v for k, v in {**app_body(), **change}.items() if v is not None}
    assert field in bad_fields(await api.v1("POST", "apps", json_body=body))


async def test_update_without_mask_changes_fields_in_the_body(api: Api) -> None:
    """Without update_mask, only the writable fields present in the body change."""
    app_id = await create_app(api, smart_conversation={"enabled": True})
    updated = await api.ok("PATCH", f"apps/{app_id}", json_body={"processing_mode": "CONVERSATION"})
    assert updated["processing_mode"] == "CONVERSATION"
    assert updated["smart_conversation"] == {"enabled": True}


async def test_update_mask_resets_a_masked_field_missing_from_the_body(api: Api) -> None:
    """A masked field absent from the body goes back to its default."""
    app_id = await create_app(api, processing_mode="CONVERSATION")
    updated = await api.ok(
        "PATCH", f"apps/{app_id}", json_body={}, params={"update_mask": "processing_mode"}
    )
    assert updated["processing_mode"] == "DISPATCH"


async def test_update_mask_leaves_unmasked_fields_alone(api: Api) -> None:
    """Fields in the body but not in the mask do not change."""
    app_id = await create_app(api)
    updated = await api.ok(
        "PATCH",
        f"apps/{app_id}",
        json_body={"display_name": "New", "processing_mode": "CONVERSATION"},
        params={"update_mask": "display_name"},
    )
    assert (updated["display_name"], updated["processing_mode"]) == ("New", "DISPATCH")


async def test_update_cannot_leave_an_app_without_credentials(api: Api) -> None:
    """Clearing channel_credentials through the mask is a 400."""
    app_id = await create_app(api)
    reply = await api.v1(
        "PATCH", f"apps/{app_id}", json_body={}, params={"update_mask": "channel_credentials"}
    )
    assert bad_fields(reply) == ["channel_credentials"]


async def test_update_keeps_read_only_fields(api: Api) -> None:
    """IDs and rate limits in an update body are ignored."""
    app_id = await create_app(api)
    updated = await api.ok(
        "PATCH", f"apps/{app_id}", json_body={"id": "other", "rate_limits": {"outbound": 1}}
    )
    assert updated["id"] == app_id
    assert updated["rate_limits"]["outbound"] == 20


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_app_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown app ID answer 404."""
    assert is_not_found(await api.v1(method, "apps/01NOSUCHAPP", json_body={}))


async def test_deleting_an_app_deletes_its_webhooks(api: Api) -> None:
    """DeleteApp also removes the app's webhooks."""
    app_id = await create_app(api)
    webhook = await api.ok(
        "POST", "webhooks", json_body={"app_id": app_id, "target": "https://example.com/a"}
    )
    await api.ok("DELETE", f"apps/{app_id}")
    assert is_not_found(await api.v1("GET", f"webhooks/{webhook['id']}"))
    assert api.emu.store.webhooks == {}
