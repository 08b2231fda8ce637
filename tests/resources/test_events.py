"""client.events against the emulator: every endpoint, its arguments and its checks."""

from __future__ import annotations

from typing import Any

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import (
    Agent,
    AgentJoinedEvent,
    ComposingEndEvent,
    ComposingEvent,
    ContactRecipient,
    IdentifiedRecipient,
    ReactionEvent,
    SendEventResponse,
)
from conversation_async.testing import Emulator

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send_composing(client: ConversationClient, **kwargs: Any) -> SendEventResponse:
    kwargs.setdefault("app_id", "app")
    kwargs.setdefault("recipient", RECIPIENT)
    return await client.events.send(event=ComposingEvent(), **kwargs)


async def test_event_lifecycle(emulator: Emulator, client: ConversationClient) -> None:
    """send -> get -> list over pages (newest first) -> delete -> get is 404."""
    sent = await send_composing(client)
    assert sent.accepted_time is not None
    assert sent.accepted_time.tzinfo is not None
    event = await client.events.get(event_id=sent.event_id)
    assert (event.id, event.app_event) == (sent.event_id, ComposingEvent())
    assert event.conversation_id is not None

    later = [(await send_composing(client)).event_id for _ in range(2)]
    listed = await client.events.list(conversation_id=event.conversation_id, page_size=2).to_list()
    assert [e.id for e in listed] == [*reversed(later), sent.event_id]
    assert emulator.requests_seen["ListEvents"] == 2

    await client.events.delete(event_id=sent.event_id)
    assert emulator.requests_seen["DeleteEvents"] == 1
    with pytest.raises(NotFoundError):
        await client.events.get(event_id=sent.event_id)


async def test_send_passes_every_option_and_the_event(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An event with a body is sent and stored under its own key."""
    joined = AgentJoinedEvent(agent=Agent(display_name="Ada", type="HUMAN"))
    sent = await client.events.send(
        app_id="app",
        recipient=RECIPIENT,
        event=joined,
        callback_url="https://example.com/cb",
        channel_priority_order=["SMS"],
        event_metadata="meta",
        queue="HIGH_PRIORITY",
    )
    assert emulator.requests_seen["SendEvent"] == 1
    assert (await client.events.get(event_id=sent.event_id)).app_event == joined


async def test_list_by_contact_covers_every_conversation_of_the_contact(
    emulator: Emulator, client: ConversationClient
) -> None:
    """contact_id lists the contact's events across its apps' conversations."""
    first = await send_composing(client, app_id="app-1")
    second = await client.events.send(
        app_id="app-2", recipient=RECIPIENT, event=ComposingEndEvent()
    )
    await send_composing(client, recipient=IdentifiedRecipient.of(("SMS", "+46700000002")))
    event = await client.events.get(event_id=first.event_id)
    assert event.contact_id is not None
    listed = await client.events.list(contact_id=event.contact_id).to_list()
    assert [e.id for e in listed] == [second.event_id, first.event_id]


async def test_send_to_a_contact_recipient(emulator: Emulator, client: ConversationClient) -> None:
    """A contact_id recipient reaches that contact."""
    first = await send_composing(client)
    contact_id = (await client.events.get(event_id=first.event_id)).contact_id
    assert contact_id is not None
    sent = await send_composing(client, recipient=ContactRecipient(contact_id=contact_id))
    assert (await client.events.get(event_id=sent.event_id)).contact_id == contact_id


async def test_send_refuses_a_contact_side_event_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A reaction is something a contact does, not an app event."""
    reaction = ReactionEvent(emoji="+1", action="REACTION_ACTION_REACT", message_id="m")
    with pytest.raises(TypeError, match="app event"):
        await client.events.send(app_id="app", recipient=RECIPIENT, event=reaction)  # type: ignore[arg-type]
    assert emulator.requests_seen["SendEvent"] == 0


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"app_id": "", "recipient": RECIPIENT, "event": ComposingEvent()}, "app_id"),
        ({"app_id": "a", "recipient": None, "event": ComposingEvent()}, "recipient"),
        ({"app_id": "a", "recipient": RECIPIENT, "event": None}, "event"),
    ],
)
async def test_send_requires_app_recipient_and_event_before_any_request(
    emulator: Emulator, client: ConversationClient, arguments: dict[str, Any], match: str
) -> None:
    """Each required argument is named when missing, and nothing is sent."""
    with pytest.raises(ValueError, match=match):
        await client.events.send(**arguments)
    assert emulator.requests_seen["SendEvent"] == 0


@pytest.mark.parametrize(
    ("filters", "match"),
    [
        ({}, "conversation_id or contact_id"),
        ({"conversation_id": "c", "page_size": 21}, "page_size"),
        ({"contact_id": "k", "page_size": 0}, "page_size"),
    ],
)
async def test_list_checks_arguments_before_any_request(
    emulator: Emulator, client: ConversationClient, filters: dict[str, Any], match: str
) -> None:
    """A listing needs a conversation or a contact and a page size of 1..20."""
    with pytest.raises(ValueError, match=match):
        client.events.list(**filters)
    assert emulator.requests_seen["ListEvents"] == 0


@pytest.mark.parametrize(("method", "route"), [("get", "GetEvent"), ("delete", "DeleteEvents")])
async def test_event_id_is_required_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, route: str
) -> None:
    """An empty event_id is named in a ValueError and nothing is sent."""
    with pytest.raises(ValueError, match="event_id"):
        await getattr(client.events, method)(event_id="")
    assert emulator.requests_seen[route] == 0


async def test_event_ids_are_escaped_in_the_path(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An id holding / stays one path segment and reaches GetEvent (as an unknown id)."""
    with pytest.raises(NotFoundError):
        await client.events.get(event_id="a/b")
    assert emulator.requests_seen["GetEvent"] == 1
