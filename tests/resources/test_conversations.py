"""client.conversations against the emulator: every endpoint, its arguments and its checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import (
    AppMessage,
    ChannelIdentity,
    ComposingEvent,
    ContactMessage,
    Conversation,
    ConversationRecentMessage,
    GenericEvent,
    TextMessage,
)
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire


def sms(identity: str) -> ChannelIdentity:
    return ChannelIdentity(channel="SMS", identity=identity)


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


async def new_conversation(
    client: ConversationClient, identity: str, *, app_id: str = "app", **kwargs: Any
) -> Conversation:
    """A new contact on SMS ``identity`` and a conversation of ``app_id`` with it."""
    contact = await client.contacts.create(channel_identities=[sms(identity)], language="EN")
    assert contact.id is not None
    return await client.conversations.create(app_id=app_id, contact_id=contact.id, **kwargs)


async def inject_text(
    client: ConversationClient, conversation: Conversation, text: str, *, at: datetime
) -> None:
    """Inject a contact's text message into ``conversation`` at time ``at``."""
    assert conversation.id is not None
    assert conversation.contact_id is not None
    await client.conversations.inject_message(
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        channel_identity=sms("+46700000001"),
        direction="TO_APP",
        accept_time=at,
        contact_message=TextMessage(text=text),
    )


def last_text(recent: ConversationRecentMessage) -> str | None:
    """The text of a recent conversation's last (contact) message."""
    last = recent.last_message
    if last is None or last.contact_message is None:
        return None
    content = last.contact_message.content
    return content.text if isinstance(content, TextMessage) else None


async def test_conversation_lifecycle(emulator: Emulator, wire: Wire) -> None:
    """create -> get -> list over pages -> update one field -> delete -> get is 404."""
    client, sent = wire
    created = await new_conversation(
        client, "+46700000001", active=True, metadata_json={"order": 1}, correlation_id="c1"
    )
    assert created.id is not None
    assert (created.active, created.metadata_json, created.correlation_id) == (
        True,
        {"order": 1},
        "c1",
    )
    assert await client.conversations.get(conversation_id=created.id) == created

    others = [(await new_conversation(client, f"+4670000000{i}")).id for i in (2, 3)]
    listed = await client.conversations.list(app_id="app", page_size=2).to_list()
    assert [c.id for c in listed] == [created.id, *others]
    assert emulator.requests_seen["ListConversations"] == 2

    updated = await client.conversations.update(conversation_id=created.id, correlation_id="c2")
    patch = next(s for s in sent if s.method == "PATCH")
    assert dict(patch.url.query) == {"update_mask": "correlation_id"}
    assert patch.json() == {"correlation_id": "c2"}
    assert (updated.correlation_id, updated.metadata_json, updated.active) == (
        "c2",
        {"order": 1},
        True,
    )

    await client.conversations.delete(conversation_id=created.id)
    with pytest.raises(NotFoundError):
        await client.conversations.get(conversation_id=created.id)


async def test_list_filters_by_contact_and_activity(
    emulator: Emulator, client: ConversationClient
) -> None:
    """contact_id and only_active narrow the listing."""
    stopped = await new_conversation(client, "+46700000001", app_id="a1", active=True)
    assert stopped.id is not None
    assert stopped.contact_id is not None
    await client.conversations.stop(conversation_id=stopped.id)
    active = await client.conversations.create(
        app_id="a2", contact_id=stopped.contact_id, active=True
    )
    by_contact = await client.conversations.list(contact_id=stopped.contact_id).to_list()
    assert [c.id for c in by_contact] == [stopped.id, active.id]
    only_active = client.conversations.list(contact_id=stopped.contact_id, only_active=True)
    assert [c.id for c in await only_active.to_list()] == [active.id]


async def test_update_merge_patch_sends_the_strategy_and_merges_metadata(
    emulator: Emulator, wire: Wire
) -> None:
    """metadata_update_strategy=MERGE_PATCH travels beside update_mask and merges."""
    client, sent = wire
    created = await new_conversation(client, "+46700000001", metadata_json={"a": 1})
    assert created.id is not None
    updated = await client.conversations.update(
        conversation_id=created.id,
        metadata_json={"b": 2},
        metadata_update_strategy="MERGE_PATCH",
    )
    patch = next(s for s in sent if s.method == "PATCH")
    assert dict(patch.url.query) == {
        "update_mask": "metadata_json",
        "metadata_update_strategy": "MERGE_PATCH",
    }
    assert updated.metadata_json == {"a": 1, "b": 2}


async def test_update_without_changes_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update that sets nothing is refused locally, strategy or not."""
    with pytest.raises(ValueError, match="nothing to update"):
        await client.conversations.update(
            conversation_id="c1", metadata_update_strategy="MERGE_PATCH"
        )
    assert emulator.requests_seen["UpdateConversation"] == 0


async def test_stop_makes_the_conversation_inactive(
    emulator: Emulator, client: ConversationClient
) -> None:
    """After stop() the conversation reads as inactive."""
    conversation = await new_conversation(client, "+46700000001", active=True)
    assert conversation.id is not None
    await client.conversations.stop(conversation_id=conversation.id)
    assert emulator.requests_seen["StopActiveConversation"] == 1
    assert (await client.conversations.get(conversation_id=conversation.id)).active is False


async def test_inject_message_is_listed_with_the_conversation_messages(
    emulator: Emulator, wire: Wire
) -> None:
    """A bare app content is wrapped in an AppMessage, stored as injected and listed."""
    client, sent = wire
    conversation = await new_conversation(client, "+46700000001")
    assert conversation.id is not None
    assert conversation.contact_id is not None
    at = minutes_ago(5).replace(microsecond=123456)
    await client.conversations.inject_message(
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        channel_identity=sms("+46700000001"),
        direction="TO_CONTACT",
        accept_time=at,
        app_message=TextMessage(text="from the agent"),
        metadata="m",
    )
    assert emulator.requests_seen["InjectMessage"] == 1
    body = next(s for s in sent if s.url.path.endswith(":inject-message")).json()
    assert body["app_message"] == {"text_message": {"text": "from the agent"}}
    assert body["conversation_id"] == conversation.id
    listed = await client.messages.list(conversation_id=conversation.id).to_list()
    assert len(listed) == 1
    message = listed[0]
    assert message.app_message == AppMessage(content=TextMessage(text="from the agent"))
    assert (message.injected, message.accept_time, message.metadata) == (True, at, "m")


async def test_inject_message_accepts_a_contact_message(
    emulator: Emulator, client: ConversationClient
) -> None:
    """contact_message content is stored as a ContactMessage sent to the app."""
    conversation = await new_conversation(client, "+46700000001")
    assert conversation.id is not None
    await inject_text(client, conversation, "from the contact", at=minutes_ago(1))
    (message,) = await client.messages.list(conversation_id=conversation.id).to_list()
    assert message.contact_message == ContactMessage(content=TextMessage(text="from the contact"))
    assert message.direction == "TO_APP"


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        (
            {
                "app_message": TextMessage(text="a"),
                "contact_message": TextMessage(text="c"),
            },
            "only one of",
        ),
        ({}, "app_message or contact_message"),
    ],
)
async def test_inject_message_needs_exactly_one_message_before_any_request(
    emulator: Emulator, client: ConversationClient, messages: dict[str, Any], match: str
) -> None:
    """Both messages, or neither, is refused locally."""
    with pytest.raises(ValueError, match=match):
        await client.conversations.inject_message(
            conversation_id="c1",
            contact_id="k1",
            channel_identity=sms("+46700000001"),
            direction="TO_APP",
            accept_time=minutes_ago(1),
            **messages,
        )
    assert emulator.requests_seen["InjectMessage"] == 0


async def test_inject_message_requires_its_fields_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Every missing required field is named at once."""
    with pytest.raises(ValueError, match="contact_id, channel_identity, direction, accept_time"):
        await client.conversations.inject_message(
            conversation_id="c1",
            contact_id="",
            channel_identity=None,  # type: ignore[arg-type]
            direction="",
            accept_time=None,  # type: ignore[arg-type]
            app_message=TextMessage(text="a"),
        )
    assert emulator.requests_seen["InjectMessage"] == 0


async def test_inject_message_refuses_a_naive_accept_time_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A datetime without a time zone is ambiguous and never sent."""
    with pytest.raises(ValueError, match="naive"):
        await client.conversations.inject_message(
            conversation_id="c1",
            contact_id="k1",
            channel_identity=sms("+46700000001"),
            direction="TO_APP",
            accept_time=datetime.now(),
            contact_message=TextMessage(text="a"),
        )
    assert emulator.requests_seen["InjectMessage"] == 0


async def test_delete_removes_the_conversation_messages(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Deleting a conversation deletes every message in it."""
    conversation = await new_conversation(client, "+46700000001")
    assert conversation.id is not None
    await inject_text(client, conversation, "gone soon", at=minutes_ago(1))
    (message,) = await client.messages.list(conversation_id=conversation.id).to_list()
    assert message.id is not None
    await client.conversations.delete(conversation_id=conversation.id)
    with pytest.raises(NotFoundError):
        await client.messages.get(message_id=message.id)


async def test_inject_event_stores_an_event_readable_through_events(
    emulator: Emulator, client: ConversationClient
) -> None:
    """inject_event answers the event id; client.events.get reads it back."""
    conversation = await new_conversation(client, "+46700000001")
    assert conversation.id is not None
    at = minutes_ago(2)
    injected = await client.conversations.inject_event(
        conversation_id=conversation.id,
        accept_time=at,
        app_event=GenericEvent(payload={"k": "v"}),
    )
    assert injected.event_id is not None
    assert injected.accepted_time == at
    event = await client.events.get(event_id=injected.event_id)
    assert event.app_event == GenericEvent(payload={"k": "v"})
    assert event.conversation_id == conversation.id


async def test_inject_event_accepts_a_contact_event(client: ConversationClient) -> None:
    """A contact-side event can be injected too and reads back under contact_event."""
    conversation = await new_conversation(client, "+46700000003")
    assert conversation.id is not None
    injected = await client.conversations.inject_event(
        conversation_id=conversation.id, accept_time=minutes_ago(1), contact_event=ComposingEvent()
    )
    assert injected.event_id is not None
    event = await client.events.get(event_id=injected.event_id)
    assert event.contact_event == ComposingEvent()
    assert event.app_event is None


@pytest.mark.parametrize(
    ("events", "match"),
    [
        ({"app_event": ComposingEvent(), "contact_event": ComposingEvent()}, "only one of"),
        ({}, "app_event, contact_event or contact_message_event"),
    ],
)
async def test_inject_event_needs_exactly_one_event_before_any_request(
    emulator: Emulator, client: ConversationClient, events: dict[str, Any], match: str
) -> None:
    """Two events, or none, is refused locally."""
    with pytest.raises(ValueError, match=match):
        await client.conversations.inject_event(
            conversation_id="c1", accept_time=minutes_ago(1), **events
        )
    assert emulator.requests_seen["InjectEvent"] == 0


@pytest.mark.parametrize(("order", "newest_first"), [(None, True), ("DESC", True), ("ASC", False)])
async def test_list_recent_orders_by_last_message(
    emulator: Emulator, client: ConversationClient, order: str | None, newest_first: bool
) -> None:
    """DESC (the default) lists the newest last message first, ASC the oldest."""
    older = await new_conversation(client, "+46700000001", app_id="recent")
    newer = await new_conversation(client, "+46700000002", app_id="recent")
    await inject_text(client, newer, "newer", at=minutes_ago(1))
    await inject_text(client, older, "older", at=minutes_ago(10))
    listed = await client.conversations.list_recent(app_id="recent", order=order).to_list()
    rows = [(older.id, "older"), (newer.id, "newer")]
    assert [(r.conversation.id, last_text(r)) for r in listed if r.conversation] == (
        rows[::-1] if newest_first else rows
    )


async def test_list_recent_walks_every_page(emulator: Emulator, client: ConversationClient) -> None:
    """Recent conversations come page by page with the same filters."""
    for i in range(3):
        await new_conversation(client, f"+4670000000{i}", app_id="recent")
    await new_conversation(client, "+46700000009", app_id="elsewhere")
    listed = await client.conversations.list_recent(app_id="recent", page_size=2).to_list()
    assert len(listed) == 3
    assert all(r.conversation and r.conversation.app_id == "recent" for r in listed)
    assert emulator.requests_seen["ListRecentConversations"] == 2


@pytest.mark.parametrize(
    ("call", "route", "match"),
    [
        (lambda c: c.conversations.list(), "ListConversations", "app_id or contact_id"),
        (
            lambda c: c.conversations.list(app_id="a", page_size=21),
            "ListConversations",
            "page_size",
        ),
        (lambda c: c.conversations.list_recent(app_id=""), "ListRecentConversations", "app_id"),
        (
            lambda c: c.conversations.list_recent(app_id="a", page_size=51),
            "ListRecentConversations",
            "page_size",
        ),
    ],
)
async def test_listings_check_arguments_before_any_request(
    emulator: Emulator, client: ConversationClient, call: Any, route: str, match: str
) -> None:
    """Missing filters and page sizes over 20 (recent: 50) are refused locally."""
    with pytest.raises(ValueError, match=match):
        call(client)
    assert emulator.requests_seen[route] == 0


async def test_list_recent_accepts_fifty_a_page(
    emulator: Emulator, client: ConversationClient
) -> None:
    """50 is a valid page size for recent conversations (but not for list)."""
    assert await client.conversations.list_recent(app_id="a", page_size=50).to_list() == []
    assert emulator.requests_seen["ListRecentConversations"] == 1


@pytest.mark.parametrize(
    ("app_id", "contact_id", "match"), [("", "k", "app_id"), ("a", "", "contact_id")]
)
async def test_create_requires_app_and_contact_before_any_request(
    emulator: Emulator, client: ConversationClient, app_id: str, contact_id: str, match: str
) -> None:
    """app_id and contact_id are both required."""
    with pytest.raises(ValueError, match=match):
        await client.conversations.create(app_id=app_id, contact_id=contact_id)
    assert emulator.requests_seen["CreateConversation"] == 0


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("get", "GetConversation"),
        ("delete", "DeleteConversation"),
        ("stop", "StopActiveConversation"),
    ],
)
async def test_conversation_id_is_required_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, route: str
) -> None:
    """An empty conversation_id is named in a ValueError and nothing is sent."""
    with pytest.raises(ValueError, match="conversation_id"):
        await getattr(client.conversations, method)(conversation_id="")
    assert emulator.requests_seen[route] == 0
