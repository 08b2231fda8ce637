"""Events: events:send, listing, get and delete."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, bad_fields, is_not_found


def event_body(identity: str = "+46700000001", **extra: Any) -> dict[str, Any]:
    """A valid SendEventRequest of a composing event to an SMS identity."""
    body: dict[str, Any] = {
        "app_id": "app-1",
        "recipient": {
            "identified_by": {"channel_identities": [{"channel": "SMS", "identity": identity}]}
        },
        "event": {"composing_event": {}},
    }
    body.update(extra)
    return body


async def send_event(api: Api, identity: str = "+46700000001") -> str:
    """Send a composing event; returns its ID."""
    return str((await api.ok("POST", "events:send", json_body=event_body(identity)))["event_id"])


async def test_event_lifecycle(api: Api) -> None:
    """Send, get, list over pages, delete, then get is 404."""
    ids = [await send_event(api) for _ in range(3)]
    event = await api.ok("GET", f"events/{ids[0]}")
    assert event["app_event"] == {"composing_event": {}}
    pages = await api.pages("events", "events", contact_id=event["contact_id"], page_size="2")
    assert [[e["id"] for e in page] for page in pages] == [[ids[2], ids[1]], [ids[0]]]
    assert await api.ok("DELETE", f"events/{ids[0]}") == {}
    assert is_not_found(await api.v1("GET", f"events/{ids[0]}"))


async def test_send_answers_id_and_time_and_stores_a_conversation_event(api: Api) -> None:
    """The stored event has the ConversationEvent shape, in the recipient's conversation."""
    reply = await api.ok("POST", "events:send", json_body=event_body())
    assert set(reply) == {"event_id", "accepted_time"}
    event = api.emu.store.events[reply["event_id"]].event
    assert event == {
        "id": reply["event_id"],
        "direction": "TO_CONTACT",
        "app_event": {"composing_event": {}},
        "conversation_id": event["conversation_id"],
        "contact_id": event["contact_id"],
        "channel_identity": {"channel": "SMS", "identity": "+46700000001", "app_id": ""},
        "accept_time": reply["accepted_time"],
        "processing_mode": "CONVERSATION",
    }


async def test_events_and_messages_share_contact_and_conversation(api: Api) -> None:
    """An event to an identity lands in the same contact and conversation as a message."""
    message = api.emu.store.messages[await api.send()].message
    event = api.emu.store.events[await send_event(api)].event
    assert (event["contact_id"], event["conversation_id"]) == (
        message["contact_id"],
        message["conversation_id"],
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"app_id": None}, "app_id"),
        ({"recipient": None}, "recipient"),
        ({"event": None}, "event"),
        ({"event": {"composing_event": {}, "composing_end_event": {}}}, "event"),
        ({"event": {"text_message": {"text": "x"}}}, "event"),
        ({"queue": "URGENT"}, "queue"),
    ],
)
async def test_send_validates_its_body(api: Api, change: dict[str, Any], field: str) -> None:
    """app_id, recipient and exactly one AppEvent are required; queue is an enum."""
    body = {k: v for k, v in {**event_body(), **change}.items() if v is not None}
    assert bad_fields(await api.v1("POST", "events:send", json_body=body)) == [field]


async def test_list_filters_by_conversation(api: Api) -> None:
    """conversation_id keeps that conversation's events."""
    wanted = await send_event(api, "+1")
    await send_event(api, "+2")
    conversation_id = api.emu.store.events[wanted].event["conversation_id"]
    body = await api.ok("GET", "events", params={"conversation_id": conversation_id})
    assert [e["id"] for e in body["events"]] == [wanted]


async def test_list_needs_conversation_or_contact(api: Api) -> None:
    """ListEvents without conversation_id and contact_id is a 400 naming both."""
    assert bad_fields(await api.v1("GET", "events")) == ["conversation_id", "contact_id"]


@pytest.mark.parametrize("page_size", ["0", "21"])
async def test_list_page_size_is_at_most_20(api: Api, page_size: str) -> None:
    """Page sizes outside 1..20 answer 400 naming page_size."""
    reply = await api.v1("GET", "events", params={"contact_id": "c", "page_size": page_size})
    assert bad_fields(reply) == ["page_size"]


async def test_delete_of_unknown_event_is_not_found(api: Api) -> None:
    """Deleting an unknown event answers 404."""
    assert is_not_found(await api.v1("DELETE", "events/01NOSUCHEVENT"))
