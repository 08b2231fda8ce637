"""Injected messages and events, and ListRecentConversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import Api, bad_fields, create_app, is_not_found


def ago(**delta: float) -> str:
    """An RFC 3339 UTC time that long ago."""
    return (datetime.now(UTC) - timedelta(**delta)).isoformat().replace("+00:00", "Z")


def inject_body(**extra: Any) -> dict[str, Any]:
    """A valid InjectMessageRequest of a contact's text message, one hour ago."""
    body: dict[str, Any] = {
        "contact_message": {"text_message": {"text": "hi"}},
        "accept_time": ago(hours=1),
        "channel_identity": {"channel": "SMS", "identity": "+46700000001"},
        "contact_id": "c-1",
        "direction": "TO_APP",
    }
    body.update(extra)
    return body


async def conversation_of_a_send(api: Api, identity: str = "+46700000001") -> str:
    """Send a message; returns its conversation ID."""
    message_id = await api.send(identity)
    return str(api.emu.store.messages[message_id].message["conversation_id"])


async def test_inject_message_stores_an_injected_message(api: Api) -> None:
    """The injected message is stored as sent, with injected true, and answers {}."""
    conversation_id = await conversation_of_a_send(api)
    body = inject_body(metadata="m", sender_id="s")
    reply = await api.ok("POST", f"conversations/{conversation_id}:inject-message", json_body=body)
    assert reply == {}
    [stored] = [s for s in api.emu.store.messages.values() if s.message["injected"]]
    assert stored.message == {
        "id": stored.id,
        "direction": "TO_APP",
        "contact_message": {"text_message": {"text": "hi"}},
        "channel_identity": {"app_id": "", "channel": "SMS", "identity": "+46700000001"},
        "conversation_id": conversation_id,
        "contact_id": "c-1",
        "metadata": "m",
        "accept_time": body["accept_time"],
        "sender_id": "s",
        "processing_mode": "CONVERSATION",
        "injected": True,
    }


async def injected(api: Api, conversation_id: str, **extra: Any) -> dict[str, Any]:
    """Inject ``inject_body(**extra)`` into the conversation; returns the stored message."""
    await api.ok(
        "POST", f"conversations/{conversation_id}:inject-message", json_body=inject_body(**extra)
    )
    [stored] = [s for s in api.emu.store.messages.values() if s.message["injected"]]
    return stored.message


async def test_injected_message_from_a_contact_gets_the_number_it_wrote_to(api: Api) -> None:
    """Without a sender_id, a TO_APP injection carries what the contact wrote to (the app's
    claimed identity on the channel), as inbound messages do (catalog §3.6)."""
    app_id = await create_app(api)  # SMS credential claiming "plan"
    message_id = await api.send(app_id=app_id)
    conversation_id = api.emu.store.messages[message_id].message["conversation_id"]
    message = await injected(api, conversation_id)
    assert message["sender_id"] == "plan"


async def test_injected_message_to_a_contact_has_no_sender_id(api: Api) -> None:
    """sender_id is MO only: a TO_CONTACT injection without one leaves it out, like a send."""
    conversation_id = await conversation_of_a_send(api)
    message = await injected(
        api,
        conversation_id,
        direction="TO_CONTACT",
        contact_message=None,
        app_message={"text_message": {"text": "hello"}},
    )
    assert "sender_id" not in message
    listed = (await api.list(conversation_id=conversation_id)).body["messages"]
    assert all("sender_id" not in m for m in listed)


async def test_injected_messages_are_listed_at_their_accept_time(api: Api) -> None:
    """An injected message from the past is listed after (older than) later sends."""
    conversation_id = await conversation_of_a_send(api)
    await api.ok("POST", f"conversations/{conversation_id}:inject-message", json_body=inject_body())
    messages = (await api.list(conversation_id=conversation_id)).body["messages"]
    assert [m["injected"] for m in messages] == [False, True]


async def test_injected_inbound_message_updates_last_received(api: Api) -> None:
    """A TO_APP injection sets the conversation's last_received."""
    conversation_id = await conversation_of_a_send(api)
    body = inject_body()
    await api.ok("POST", f"conversations/{conversation_id}:inject-message", json_body=body)
    conversation = await api.ok("GET", f"conversations/{conversation_id}")
    assert conversation["last_received"] == body["accept_time"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact_message": None}, "app_message"),
        ({"app_message": {"text_message": {"text": "x"}}}, "app_message"),
        ({"contact_message": {"reply_to": {"message_id": "m"}}}, "contact_message"),
        ({"accept_time": None}, "accept_time"),
        ({"accept_time": "yesterday"}, "accept_time"),
        ({"channel_identity": None}, "channel_identity"),
        ({"channel_identity": {"channel": "SMS"}}, "channel_identity.identity"),
        ({"contact_id": None}, "contact_id"),
        ({"direction": "SIDEWAYS"}, "direction"),
    ],
)
async def test_inject_message_validates_its_body(
    api: Api, change: dict[str, Any], field: str
) -> None:
    """Exactly one message, and accept_time, channel_identity, contact_id, direction."""
    conversation_id = await conversation_of_a_send(api)
    body = {k: v for k, v in {**inject_body(), **change}.items() if v is not None}
    reply = await api.v1("POST", f"conversations/{conversation_id}:inject-message", json_body=body)
    assert field in bad_fields(reply)


async def test_inject_message_in_the_future_is_rejected(api: Api) -> None:
    """An accept_time in the future is a 400 naming accept_time."""
    conversation_id = await conversation_of_a_send(api)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    reply = await api.v1(
        "POST",
        f"conversations/{conversation_id}:inject-message",
        json_body=inject_body(accept_time=later),
    )
    assert bad_fields(reply) == ["accept_time"]


async def test_inject_into_unknown_conversation_is_not_found(api: Api) -> None:
    """Injecting into an unknown conversation answers 404."""
    reply = await api.v1(
        "POST", "conversations/01NOSUCHCONV:inject-message", json_body=inject_body()
    )
    assert is_not_found(reply)


async def test_inject_event_stores_an_event_and_answers_its_id(api: Api) -> None:
    """:inject-event answers {event_id, accepted_time}; GetEvent finds the event."""
    conversation_id = await conversation_of_a_send(api)
    accept_time = ago(minutes=5)
    body = {"app_event": {"composing_event": {}}, "accept_time": accept_time}
    reply = await api.ok("POST", f"conversations/{conversation_id}:inject-event", json_body=body)
    assert reply == {"event_id": reply["event_id"], "accepted_time": accept_time}
    event = await api.ok("GET", f"events/{reply['event_id']}")
    assert (event["conversation_id"], event["app_event"]) == (
        conversation_id,
        {"composing_event": {}},
    )


async def test_inject_event_stores_a_contact_message_event_towards_the_app(api: Api) -> None:
    """A contact_message_event is injected as a TO_APP event under its own key."""
    conversation_id = await conversation_of_a_send(api)
    reaction = {
        "reaction_event": {"emoji": "+1", "action": "REACTION_ACTION_REACT", "message_id": "m"}
    }
    body = {"contact_message_event": reaction, "accept_time": ago(minutes=1)}
    reply = await api.ok("POST", f"conversations/{conversation_id}:inject-event", json_body=body)
    event = await api.ok("GET", f"events/{reply['event_id']}")
    assert (event["direction"], event["contact_message_event"]) == ("TO_APP", reaction)
    assert "app_event" not in event


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accept_time": "2024-08-18T14:18:18Z"}, "app_event"),
        ({"app_event": {"composing_event": {}, "generic_event": {"payload": {}}}}, "app_event"),
        ({"app_event": {"composing_event": {}}}, "accept_time"),
        (
            {"app_event": {"composing_event": {}}, "contact_event": {"composing_event": {}}},
            "app_event",
        ),
        (
            {"contact_event": {"reaction_event": {}}, "accept_time": "2024-08-18T14:18:18Z"},
            "contact_event",
        ),
    ],
)
async def test_inject_event_validates_its_body(api: Api, body: dict[str, Any], field: str) -> None:
    """Exactly one event of a known family and an accept_time are required."""
    conversation_id = await conversation_of_a_send(api)
    reply = await api.v1("POST", f"conversations/{conversation_id}:inject-event", json_body=body)
    assert field in bad_fields(reply)


async def test_recent_orders_by_last_message_newest_first(api: Api) -> None:
    """By default the conversation with the newest message comes first, with that message."""
    older = await conversation_of_a_send(api, "+1")
    newer = await conversation_of_a_send(api, "+2")
    body = await api.ok("GET", "conversations:recent", params={"app_id": "app-1"})
    assert [item["conversation"]["id"] for item in body["conversations"]] == [newer, older]
    assert body["conversations"][0]["last_message"]["conversation_id"] == newer
    assert body["total_size"] == 2


async def test_recent_order_asc_is_oldest_first(api: Api) -> None:
    """order=ASC lists the conversation with the oldest last message first."""
    older = await conversation_of_a_send(api, "+1")
    newer = await conversation_of_a_send(api, "+2")
    body = await api.ok("GET", "conversations:recent", params={"app_id": "app-1", "order": "ASC"})
    assert [item["conversation"]["id"] for item in body["conversations"]] == [older, newer]


async def test_recent_follows_the_latest_message(api: Api) -> None:
    """A new message moves its conversation to the front."""
    first = await conversation_of_a_send(api, "+1")
    await conversation_of_a_send(api, "+2")
    await api.send("+1")
    body = await api.ok("GET", "conversations:recent", params={"app_id": "app-1"})
    assert body["conversations"][0]["conversation"]["id"] == first


async def test_recent_paginates(api: Api) -> None:
    """Recent conversations come in pages, each once, with next_page_token empty at the end."""
    ids = [await conversation_of_a_send(api, f"+{i}") for i in range(5)]
    pages = await api.pages("conversations:recent", "conversations", app_id="app-1", page_size="2")
    newest_first = ids[::-1]
    assert [[i["conversation"]["id"] for i in page] for page in pages] == [
        newest_first[:2],
        newest_first[2:4],
        newest_first[4:],
    ]


async def test_recent_requires_app_id(api: Api) -> None:
    """app_id is mandatory for conversations:recent."""
    assert bad_fields(await api.v1("GET", "conversations:recent")) == ["app_id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"order": "UP"}, "order"), ({"page_size": "51"}, "page_size")],
)
async def test_recent_validates_order_and_page_size(
    api: Api, params: dict[str, str], field: str
) -> None:
    """order is ASC or DESC and page_size at most 50."""
    reply = await api.v1("GET", "conversations:recent", params={"app_id": "a", **params})
    assert bad_fields(reply) == [field]


async def test_recent_page_size_of_50_is_accepted(api: Api) -> None:
    """The maximum page size for recent conversations is 50."""
    reply = await api.v1("GET", "conversations:recent", params={"app_id": "a", "page_size": "50"})
    assert reply.status == 200
