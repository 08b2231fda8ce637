"""Callbacks of contacts, conversations, capability queries and inbound messages.

Order is only guaranteed within one notification (CONVERSATION_START before its
MESSAGE_INBOUND), so tests of several operations look callbacks up by type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest

from conversation_async.callbacks import (
    CallbackEvent,
    CapabilityEvent,
    ContactCreateEvent,
    ContactDeleteEvent,
    ContactMergeEvent,
    ContactUpdateEvent,
    ConversationDeleteEvent,
    ConversationStartEvent,
    ConversationStopEvent,
    MessageInboundEvent,
    OptInEvent,
    OptOutEvent,
)
from conversation_async.testing import Emulator

from .callback_receiver import Receiver
from .conftest import Api, create_app, create_contact, fast_callbacks

SECRET = "notify-secret"
CONTACT_TRIGGERS = ["CONTACT_CREATE", "CONTACT_UPDATE", "CONTACT_DELETE", "CONTACT_MERGE"]
CONVERSATION_TRIGGERS = ["CONVERSATION_START", "CONVERSATION_STOP", "CONVERSATION_DELETE"]
INBOUND_TRIGGERS = ["CONVERSATION_START", "MESSAGE_INBOUND"]

E = TypeVar("E", bound=CallbackEvent)


def one(receiver: Receiver, kind: type[E], path: str = "hook") -> E:
    """The one callback of class ``kind`` that arrived at ``path``."""
    (event,) = [e for e in (item.event() for item in receiver.at(path)) if isinstance(e, kind)]
    return event


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A started emulator with millisecond callback delays and back-off."""
    async with Emulator() as emulator:
        yield fast_callbacks(emulator)


async def test_contact_create_reaches_every_subscribed_app(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """CONTACT_CREATE goes to the subscribed webhooks of every app, with the empty app_id
    of Sinch's own sample (contacts belong to the project) and identities carrying
    ``"app_id": ""``."""
    emu.add_webhook("app-a", receiver.url("a"), triggers=CONTACT_TRIGGERS, secret=SECRET)
    emu.add_webhook("app-b", receiver.url("b"), triggers=["CONTACT_CREATE"])
    emu.add_webhook("app-c", receiver.url("c"), triggers=["MESSAGE_INBOUND"])
    contact_id = await create_contact(api)
    await emu.callbacks_settled(timeout=2)
    (a,), (b,) = receiver.at("a"), receiver.at("b")
    assert receiver.at("c") == []
    assert a.verifies(SECRET)
    for item in (a, b):
        event = item.event()
        assert isinstance(event, ContactCreateEvent)
        assert event.app_id == ""
        assert event.contact_create_notification.contact is not None
        assert event.contact_create_notification.contact.id == contact_id
        body = item.json()
        assert body["app_id"] == ""
        assert body["project_id"] == emu.project_id
        identities = body["contact_create_notification"]["contact"]["channel_identities"]
        assert identities == [{"channel": "SMS", "identity": "+46700000001", "app_id": ""}]


async def test_contact_update_then_delete_carry_the_contact(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """Updating then deleting a contact sends CONTACT_UPDATE (new state), CONTACT_DELETE."""
    contact_id = await create_contact(api)
    emu.add_webhook("app", receiver.url(), triggers=CONTACT_TRIGGERS)
    await api.ok("PATCH", f"contacts/{contact_id}", json_body={"display_name": "Ada"})
    await api.ok("DELETE", f"contacts/{contact_id}")
    await emu.callbacks_settled(timeout=2)
    assert len(receiver.received) == 2
    update, delete = one(receiver, ContactUpdateEvent), one(receiver, ContactDeleteEvent)
    assert update.contact_update_notification.contact is not None
    assert update.contact_update_notification.contact.display_name == "Ada"
    assert delete.contact_delete_notification.contact is not None
    assert delete.contact_delete_notification.contact.id == contact_id


async def test_contact_merge_carries_preserved_and_deleted_contacts(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """CONTACT_MERGE names the kept contact (with the merged identities) and the source."""
    kept = await create_contact(api, "+46700000001")
    merged = await create_contact(api, "+46700000002")
    emu.add_webhook("app", receiver.url(), triggers=["CONTACT_MERGE"])
    await api.ok("POST", f"contacts/{kept}:merge", json_body={"source_id": merged})
    await emu.callbacks_settled(timeout=2)
    (item,) = receiver.received
    event = item.event()
    assert isinstance(event, ContactMergeEvent)
    preserved = event.contact_merge_notification.preserved_contact
    deleted = event.contact_merge_notification.deleted_contact
    assert preserved is not None
    assert deleted is not None
    assert (preserved.id, deleted.id) == (kept, merged)
    assert preserved.channel_identities is not None
    assert len(preserved.channel_identities) == 2


async def test_conversation_create_stop_delete_go_to_its_app(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """Create, stop and delete send CONVERSATION_START, _STOP, _DELETE to the conversation's
    app only."""
    app_id = await create_app(api)
    emu.add_webhook(app_id, receiver.url(), triggers=CONVERSATION_TRIGGERS, secret=SECRET)
    emu.add_webhook("other-app", receiver.url("other"), triggers=CONVERSATION_TRIGGERS)
    contact_id = await create_contact(api)
    body = {"app_id": app_id, "contact_id": contact_id, "active": True}
    conversation_id = (await api.ok("POST", "conversations", json_body=body))["id"]
    await api.ok("POST", f"conversations/{conversation_id}:stop")
    await api.ok("DELETE", f"conversations/{conversation_id}")
    await emu.callbacks_settled(timeout=2)
    assert receiver.at("other") == []
    assert all(item.verifies(SECRET) for item in receiver.received)
    assert len(receiver.received) == 3
    start = one(receiver, ConversationStartEvent)
    stop = one(receiver, ConversationStopEvent)
    delete = one(receiver, ConversationDeleteEvent)
    notifications = [
        start.conversation_start_notification,
        stop.conversation_stop_notification,
        delete.conversation_delete_notification,
    ]
    conversations = [n.conversation for n in notifications]
    assert [c.id if c else None for c in conversations] == [conversation_id] * 3
    assert [c.active if c else None for c in conversations] == [True, False, False]


async def test_stopping_an_inactive_conversation_sends_nothing(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """StopActiveConversation on a conversation that is not active is not an event."""
    app_id = await create_app(api)
    contact_id = await create_contact(api)
    body = {"app_id": app_id, "contact_id": contact_id, "active": False}
    conversation_id = (await api.ok("POST", "conversations", json_body=body))["id"]
    emu.add_webhook(app_id, receiver.url(), triggers=["CONVERSATION_STOP"])
    await api.ok("POST", f"conversations/{conversation_id}:stop")
    await emu.callbacks_settled(timeout=2)
    assert receiver.received == []


async def test_capability_query_answers_later_with_capability_full(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """capability:query is followed by a CAPABILITY callback for its request_id."""
    contact_id = await create_contact(api, "+46700000009")
    emu.add_webhook("app", receiver.url(), triggers=["CAPABILITY"])
    body = {"app_id": "app", "recipient": {"contact_id": contact_id}, "request_id": "req-1"}
    await api.ok("POST", "capability:query", json_body=body)
    await emu.callbacks_settled(timeout=2)
    (item,) = receiver.received
    event = item.event()
    assert isinstance(event, CapabilityEvent)
    notification = event.capability_notification
    assert (
        notification.request_id,
        notification.contact_id,
        notification.channel,
        notification.identity,
        notification.capability_status,
    ) == ("req-1", contact_id, "SMS", "+46700000009", "CAPABILITY_FULL")


async def test_opt_out_then_opt_in_registrations_are_confirmed_by_callbacks(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """optouts:register and optins:register are each followed by an OPT_OUT / OPT_IN
    callback per registered identity, with the request_id, SUCCEEDED and the app's mode."""
    contact_id = await create_contact(api, "+46700000001")
    emu.add_webhook("app", receiver.url(), triggers=["OPT_IN", "OPT_OUT"], secret=SECRET)
    emu.add_webhook("other", receiver.url("other"), triggers=["OPT_IN", "OPT_OUT"])
    identities = [{"channel": "SMS", "identity": i} for i in ("+46700000001", "+46700000002")]
    body = {
        "app_id": "app",
        "channels": ["SMS"],
        "recipient": {"identified_by": {"channel_identities": identities}},
    }
    await api.ok("POST", "optouts:register", json_body=body, params={"request_id": "out-1"})
    await emu.callbacks_settled(timeout=2)
    opt_outs = [item.event() for item in receiver.received]
    assert all(isinstance(event, OptOutEvent) and event.app_id == "app" for event in opt_outs)
    assert [
        (n.request_id, n.contact_id, n.channel, n.identity, n.status, n.processing_mode)
        for n in (e.opt_out_notification for e in opt_outs if isinstance(e, OptOutEvent))
    ] == [
        ("out-1", contact_id, "SMS", "+46700000001", "OPT_OUT_SUCCEEDED", "CONVERSATION"),
        ("out-1", "", "SMS", "+46700000002", "OPT_OUT_SUCCEEDED", "CONVERSATION"),
    ]
    assert all(item.verifies(SECRET) for item in receiver.received)
    assert receiver.at("other") == []
    receiver.received.clear()
    body["processing_strategy"] = "DISPATCH_ONLY"
    await api.ok("POST", "optins:register", json_body=body, params={"request_id": "in-1"})
    await emu.callbacks_settled(timeout=2)
    opt_ins = [item.event() for item in receiver.received]
    assert [
        (n.request_id, n.identity, n.status, n.processing_mode)
        for n in (e.opt_in_notification for e in opt_ins if isinstance(e, OptInEvent))
    ] == [
        ("in-1", "+46700000001", "OPT_IN_SUCCEEDED", "DISPATCH"),
        ("in-1", "+46700000002", "OPT_IN_SUCCEEDED", "DISPATCH"),
    ]


async def test_inbound_message_opens_conversation_with_start_then_inbound(
    emu: Emulator, receiver: Receiver
) -> None:
    """A first message to an unknown app (CONVERSATION mode) sends CONVERSATION_START, then
    MESSAGE_INBOUND carrying the stored message."""
    emu.add_webhook("bot", receiver.url(), triggers=INBOUND_TRIGGERS, secret=SECRET)
    stored = emu.inbound_message("bot", ("SMS", "+46700000001"), text="hi bot")
    await emu.callbacks_settled(timeout=2)
    assert all(item.verifies(SECRET) for item in receiver.received)
    start, inbound = (item.event() for item in receiver.received)
    assert isinstance(start, ConversationStartEvent)
    assert isinstance(inbound, MessageInboundEvent)
    assert start.conversation_start_notification.conversation is not None
    assert start.conversation_start_notification.conversation.id == stored["conversation_id"]
    assert receiver.received[1].json()["message"] == stored
    assert inbound.app_id == "bot"


async def test_inbound_message_in_open_conversation_sends_only_message_inbound(
    emu: Emulator, receiver: Receiver
) -> None:
    """A second message in the same conversation sends no CONVERSATION_START."""
    emu.add_webhook("bot", receiver.url(), triggers=INBOUND_TRIGGERS)
    first = emu.inbound_message("bot", {"channel": "SMS", "identity": "+46700000001"}, text="a")
    second = emu.inbound_message("bot", ("SMS", "+46700000001"), text="b")
    await emu.callbacks_settled(timeout=2)
    assert second["conversation_id"] == first["conversation_id"]
    assert second["contact_id"] == first["contact_id"]
    triggers = Counter(item.event().trigger for item in receiver.received)
    assert triggers == {"CONVERSATION_START": 1, "MESSAGE_INBOUND": 2}


async def test_inbound_message_to_dispatch_app_sends_no_conversation_start(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """An app created with the default DISPATCH mode gets MESSAGE_INBOUND only."""
    app_id = await create_app(api)
    emu.add_webhook(app_id, receiver.url(), triggers=INBOUND_TRIGGERS)
    stored = emu.inbound_message(app_id, ("SMS", "+46700000001"), text="hi")
    await emu.callbacks_settled(timeout=2)
    assert [item.event().trigger for item in receiver.received] == ["MESSAGE_INBOUND"]
    assert stored["processing_mode"] == "DISPATCH"


async def test_inbound_message_is_stored_as_a_to_app_message(api: Api, emu: Emulator) -> None:
    """The inbound message is a stored TO_APP message with a sender_id, readable via GET
    (from DISPATCH_SOURCE: a new app's default processing mode is DISPATCH)."""
    app_id = await create_app(api)
    stored = emu.inbound_message(app_id, ("SMS", "+46700000001"), text="hello")
    dispatch = {"messages_source": "DISPATCH_SOURCE"}
    assert await api.ok("GET", f"messages/{stored['id']}", params=dispatch) == stored
    assert stored["direction"] == "TO_APP"
    assert stored["contact_message"] == {"text_message": {"text": "hello"}}
    assert stored["sender_id"] == "plan"  # the app's SMS claimed identity
    assert stored["injected"] is False
    conversation = await api.ok("GET", f"conversations/{stored['conversation_id']}")
    assert conversation["last_received"] == stored["accept_time"]


async def test_inbound_contact_message_is_passed_through(emu: Emulator, receiver: Receiver) -> None:
    """A contact_message object is stored and sent as given."""
    emu.add_webhook("bot", receiver.url(), triggers=["MESSAGE_INBOUND"])
    content = {"media_message": {"url": "https://example.com/cat.png"}}
    stored = emu.inbound_message("bot", ("WHATSAPP", "46700000001"), contact_message=content)
    await emu.callbacks_settled(timeout=2)
    event = receiver.received[0].event()
    assert isinstance(event, MessageInboundEvent)
    assert stored["contact_message"] == content
    assert receiver.received[0].json()["message"]["contact_message"] == content


async def test_inbound_envelope_carries_conversation_metadata_and_correlation_id(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """MESSAGE_INBOUND's envelope carries the conversation's metadata_json and correlation_id."""
    emu.add_webhook("bot", receiver.url(), triggers=["MESSAGE_INBOUND"])
    first = emu.inbound_message("bot", ("SMS", "+46700000001"), text="a")
    await emu.callbacks_settled(timeout=2)
    await api.ok(
        "PATCH",
        f"conversations/{first['conversation_id']}",
        json_body={"metadata_json": {"k": "v"}, "correlation_id": "corr"},
    )
    emu.inbound_message("bot", ("SMS", "+46700000001"), text="b")
    await emu.callbacks_settled(timeout=2)
    before, after = (item.json() for item in receiver.received)
    assert (before["message_metadata"], "correlation_id" in before) == ("", False)
    assert (after["message_metadata"], after["correlation_id"]) == ('{"k":"v"}', "corr")


@pytest.mark.parametrize(
    ("text", "content"),
    [(None, None), ("hi", {"text_message": {"text": "hi"}}), (None, {"nope": {}})],
)
def test_inbound_message_needs_exactly_one_valid_content(
    text: str | None, content: dict[str, object] | None
) -> None:
    """Neither, both, or an unknown contact_message kind is a ValueError."""
    with pytest.raises(ValueError, match="contact_message"):
        Emulator().inbound_message(
            "bot", ("SMS", "+46700000001"), text=text, contact_message=content
        )


def test_inbound_message_without_webhooks_needs_no_event_loop() -> None:
    """Without webhooks, inbound_message only stores (no task, so no running loop needed)."""
    emulator = Emulator()
    stored = emulator.inbound_message("bot", ("SMS", "+46700000001"), text="hi")
    assert emulator.store.messages[stored["id"]].message == stored
