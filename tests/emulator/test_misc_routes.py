"""Project settings, message transcoding and capability queries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Api, bad_fields, is_not_found

SETTINGS = {"contact_settings": {"unified_contact_id_enabled": True}}


async def test_settings_lifecycle(api: Api) -> None:
    """Create, get, update, delete, then get is 404."""
    created = await api.ok("POST", "settings", json_body=SETTINGS)
    assert created == {"project_id": api.emu.project_id, "settings": SETTINGS}
    assert await api.ok("GET", "settings") == created
    updated = await api.ok(
        "PATCH", "settings", json_body={"contact_settings": {"unified_contact_id_enabled": False}}
    )
    assert updated["settings"]["contact_settings"]["unified_contact_id_enabled"] is False
    assert await api.ok("DELETE", "settings") == {}
    assert is_not_found(await api.v1("GET", "settings"))


async def test_creating_settings_twice_is_a_conflict(api: Api) -> None:
    """A project has one settings object: a second create is 409 ALREADY_EXISTS."""
    await api.ok("POST", "settings", json_body=SETTINGS)
    reply = await api.v1("POST", "settings", json_body=SETTINGS)
    assert (reply.status, reply.body["error"]["status"]) == (409, "ALREADY_EXISTS")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_absent_settings_are_not_found(api: Api, method: str) -> None:
    """Reading, changing or deleting settings that were never created answers 404."""
    assert is_not_found(await api.v1(method, "settings", json_body=SETTINGS))


async def test_settings_flag_must_be_boolean(api: Api) -> None:
    """unified_contact_id_enabled must be true or false."""
    body = {"contact_settings": {"unified_contact_id_enabled": "yes"}}
    reply = await api.v1("POST", "settings", json_body=body)
    assert bad_fields(reply) == ["contact_settings.unified_contact_id_enabled"]


def transcode_body(**extra: Any) -> dict[str, Any]:
    """A valid TranscodeMessageRequest of a text message."""
    body: dict[str, Any] = {
        "app_id": "app-1",
        "app_message": {"text_message": {"text": "hello"}},
        "channels": ["WHATSAPP", "SMS", "TELEGRAM"],
        "to": "+1",
    }
    body.update(extra)
    return body


async def test_transcode_renders_each_channel_as_a_json_string(api: Api) -> None:
    """Every requested channel gets a channel-native JSON string."""
    reply = await api.ok("POST", "messages:transcode", json_body=transcode_body())
    rendered = reply["transcoded_message"]
    assert set(rendered) == {"WHATSAPP", "SMS", "TELEGRAM"}
    assert json.loads(rendered["WHATSAPP"])["text"] == {"body": "hello"}
    assert json.loads(rendered["SMS"]) == {"to": "+1", "body": "hello"}


async def test_transcode_is_deterministic(api: Api) -> None:
    """The same request transcodes to the same strings."""
    first = await api.ok("POST", "messages:transcode", json_body=transcode_body())
    assert await api.ok("POST", "messages:transcode", json_body=transcode_body()) == first


async def test_transcode_uses_an_explicit_channel_message(api: Api) -> None:
    """explicit_channel_message for a channel replaces its rendering."""
    message = {"text_message": {"text": "x"}, "explicit_channel_message": {"SMS": "raw"}}
    reply = await api.ok(
        "POST",
        "messages:transcode",
        json_body=transcode_body(app_message=message, channels=["SMS"]),
    )
    assert reply == {"transcoded_message": {"SMS": "raw"}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"app_id": None}, "app_id"),
        ({"app_message": None}, "app_message"),
        (
            {"app_message": {"text_message": {"text": "a"}, "media_message": {"url": "u"}}},
            "app_message",
        ),
        ({"channels": []}, "channels"),
        ({"channels": None}, "channels"),
    ],
)
async def test_transcode_validates_its_body(api: Api, change: dict[str, Any], field: str) -> None:
    """app_id, exactly one message content and a non-empty channel list are required."""
    body = {k: v for k, v in {**transcode_body(), **change}.items() if v is not None}
    assert bad_fields(await api.v1("POST", "messages:transcode", json_body=body)) == [field]


RECIPIENT = {"identified_by": {"channel_identities": [{"channel": "RCS", "identity": "+1"}]}}


async def test_capability_echoes_the_request_id(api: Api) -> None:
    """QueryCapability answers app_id, recipient and the given request_id."""
    body = {"app_id": "app-1", "recipient": RECIPIENT, "request_id": "r-1"}
    assert await api.ok("POST", "capability:query", json_body=body) == body


async def test_capability_generates_a_request_id(api: Api) -> None:
    """Without request_id the answer carries a generated one."""
    reply = await api.ok(
        "POST", "capability:query", json_body={"app_id": "app-1", "recipient": RECIPIENT}
    )
    assert reply["request_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"recipient": RECIPIENT}, "app_id"), ({"app_id": "a"}, "recipient")],
)
async def test_capability_needs_app_and_recipient(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """app_id and recipient are mandatory."""
    assert bad_fields(await api.v1("POST", "capability:query", json_body=body)) == [field]
