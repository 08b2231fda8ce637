"""SendMessage: first-stage validation and what a successful send stores."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_FIXTURES, load_shared_json

from .conftest import Api, send_body

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
ACCEPT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SMS = {"channel": "SMS", "identity": "+46700000001"}


def mutate(**changes: Any) -> dict[str, Any]:
    """A valid send body with top-level keys replaced (``None`` removes a key)."""
    body = send_body()
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


INVALID_SENDS = {
    "missing app_id": (mutate(app_id=None), "app_id"),
    "empty app_id": (mutate(app_id=""), "app_id"),
    "missing recipient": (mutate(recipient=None), "recipient"),
    "both recipient forms": (
        mutate(recipient={"contact_id": "c", "identified_by": {"channel_identities": [SMS]}}),
        "recipient",
    ),
    "neither recipient form": (mutate(recipient={}), "recipient"),
    "empty channel_identities": (
        mutate(recipient={"identified_by": {"channel_identities": []}}),
        "recipient.identified_by.channel_identities",
    ),
    "identity without channel": (
        mutate(recipient={"identified_by": {"channel_identities": [{"identity": "+1"}]}}),
        "recipient.identified_by.channel_identities[0].channel",
    ),
    "identity without identity": (
        mutate(recipient={"identified_by": {"channel_identities": [SMS, {"channel": "SMS"}]}}),
        "recipient.identified_by.channel_identities[1].identity",
    ),
    "missing message": (mutate(message=None), "message"),
    "message without content": (mutate(message={"agent": {"display_name": "a"}}), "message"),
    "message with two contents": (
        mutate(message={"text_message": {"text": "a"}, "media_message": {"url": "u"}}),
        "message",
    ),
    "ttl without unit": (mutate(ttl="10"), "ttl"),
    "ttl as a number": (mutate(ttl=10), "ttl"),
    "fractional ttl": (mutate(ttl="1.5s"), "ttl"),
}


@pytest.mark.parametrize(("body", "field"), INVALID_SENDS.values(), ids=INVALID_SENDS.keys())
async def test_invalid_send_is_rejected_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """Each first-stage validation rule answers 400 INVALID_ARGUMENT naming its field."""
    reply = await api.call("POST", ":send", json_body=body)
    assert reply.status == 400
    assert reply.body["error"]["status"] == "INVALID_ARGUMENT"
    assert reply.body["error"]["details"][0]["type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert field in reply.violations()
    assert not api.emu.store.messages


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b""], ids=["garbage", "array", "empty"])
async def test_body_that_is_not_a_json_object_is_rejected(api: Api, raw: bytes) -> None:
    """A body that is not a JSON object answers 400 naming ``body``."""
    reply = await api.call("POST", ":send", data=raw, headers={"Content-Type": "application/json"})
    assert reply.status == 400
    assert reply.violations() == ["body"]


async def test_all_problems_are_reported_at_once(api: Api) -> None:
    """Several problems in one request give one violation each."""
    reply = await api.call("POST", ":send", json_body={"ttl": "x"})
    assert set(reply.violations()) == {"app_id", "recipient", "message", "ttl"}


async def test_send_answers_message_id_and_accepted_time(api: Api) -> None:
    """A valid send answers 200 with a ULID-like ID and an RFC 3339 accepted time."""
    reply = await api.call("POST", ":send", json_body=send_body(ttl="10s"))
    assert reply.status == 200
    assert set(reply.body) == {"message_id", "accepted_time"}
    assert ULID.fullmatch(reply.body["message_id"])
    assert ACCEPT_TIME.fullmatch(reply.body["accepted_time"])


async def test_send_stores_a_conversation_message(api: Api) -> None:
    """The stored message has the ConversationMessage shape, with the message as sent."""
    message_id = await api.send(message_metadata="meta")
    stored = api.emu.store.messages[message_id].message
    assert stored == {
        "id": message_id,
        "direction": "TO_CONTACT",
        "app_message": {"text_message": {"text": "hello"}},
        "channel_identity": {"channel": "SMS", "identity": "+46700000001", "app_id": ""},
        "conversation_id": stored["conversation_id"],
        "contact_id": stored["contact_id"],
        "metadata": "meta",
        "accept_time": stored["accept_time"],
        "processing_mode": "CONVERSATION",
        "injected": False,
    }
    assert stored["contact_id"] in api.emu.store.contacts
    assert stored["conversation_id"] in api.emu.store.conversations


async def test_send_remembers_request_app_id_and_correlation_id(api: Api) -> None:
    """The raw request body, app ID and correlation ID are kept for assertions."""
    body = send_body(correlation_id="corr-1")
    reply = await api.call("POST", ":send", json_body=body)
    stored = api.emu.store.messages[reply.body["message_id"]]
    assert stored.request == body
    assert stored.app_id == "app-1"
    assert stored.correlation_id == "corr-1"


async def test_same_identity_reuses_contact_and_conversation(api: Api) -> None:
    """Two sends to one identity from one app share a contact and a conversation."""
    first = api.emu.store.messages[await api.send()].message
    second = api.emu.store.messages[await api.send()].message
    assert first["contact_id"] == second["contact_id"]
    assert first["conversation_id"] == second["conversation_id"]


async def test_distinct_identities_get_distinct_contacts(api: Api) -> None:
    """A new (channel, identity) creates a new contact."""
    first = api.emu.store.messages[await api.send("+46700000001")].message
    second = api.emu.store.messages[await api.send("+46700000002")].message
    assert first["contact_id"] != second["contact_id"]


async def test_contact_recipient_gets_a_deterministic_sms_identity(api: Api) -> None:
    """An unknown contact_id is created with a stable SMS identity derived from its ID."""
    identities = []
    for _ in range(2):
        message_id = await api.send(recipient={"contact_id": "contact-7"})
        stored = api.emu.store.messages[message_id].message
        assert stored["contact_id"] == "contact-7"
        identities.append(stored["channel_identity"])
    assert identities[0] == identities[1]
    assert identities[0]["channel"] == "SMS"


async def test_contact_recipient_uses_the_contacts_identity(api: Api) -> None:
    """A contact_id created by an earlier identity send is reached on that identity."""
    first = api.emu.store.messages[await api.send("+46700000009")].message
    message_id = await api.send(recipient={"contact_id": first["contact_id"]})
    assert (
        api.emu.store.messages[message_id].message["channel_identity"] == first["channel_identity"]
    )


async def test_dispatch_only_is_stored_in_dispatch_mode(api: Api) -> None:
    """``processing_strategy: DISPATCH_ONLY`` gives ``processing_mode: DISPATCH``."""
    message_id = await api.send(processing_strategy="DISPATCH_ONLY")
    assert api.emu.store.messages[message_id].message["processing_mode"] == "DISPATCH"


SEND_FIXTURES = sorted(
    path.name for path in (SHARED_FIXTURES / "conversation/v1/messages/request").glob("Send*.json")
)


@pytest.mark.parametrize("name", SEND_FIXTURES or ["missing"])
async def test_shared_send_fixture_is_accepted(api: Api, name: str) -> None:
    """Every SendMessageRequest fixture is accepted and its message stored verbatim."""
    body = load_shared_json(str(Path("conversation/v1/messages/request") / name))
    reply = await api.call("POST", ":send", json_body=body)
    assert reply.status == 200, reply.body
    assert (
        api.emu.store.messages[reply.body["message_id"]].message["app_message"] == body["message"]
    )
