"""Behaviour of the events-area models that SDK users rely on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from conversation_async.models import (
    Agent,
    AgentJoinedEvent,
    AgentLeftEvent,
    AppEvent,
    CommentEvent,
    CommentReplyEvent,
    CommentType,
    ComposingEndEvent,
    ComposingEvent,
    ContactEvent,
    ContactMessageEvent,
    ContactRecipient,
    ConversationDeletedEvent,
    ConversationEvent,
    GenericEvent,
    ListEventsResponse,
    MessageQueue,
    PaymentStatus,
    PaymentStatusUpdateEvent,
    PaymentTransactionStatus,
    ReactionAction,
    ReactionEvent,
    SendEventRequest,
    SendEventResponse,
    ShortLinkActivatedEvent,
)


def read(data: Any, model: Any) -> Any:
    """Structure ``data`` as ``model`` (a class or one of the event union aliases)."""
    return serde.structure(data, model)


def dump(obj: Any, as_type: Any = None) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    raw = serde.converter.unstructure(obj, unstructure_as=as_type or type(obj))
    return json.loads(json.dumps(raw))


AGENT = Agent(display_name="Ada", type="BOT")

APP_EVENTS = [
    ("composing_event", ComposingEvent(), {}),
    ("composing_end_event", ComposingEndEvent(), {}),
    ("comment_reply_event", CommentReplyEvent(text="thanks"), {"text": "thanks"}),
    (
        "agent_joined_event",
        AgentJoinedEvent(agent=AGENT),
        {"agent": {"display_name": "Ada", "type": "BOT"}},
    ),
    (
        "agent_left_event",
        AgentLeftEvent(agent=AGENT),
        {"agent": {"display_name": "Ada", "type": "BOT"}},
    ),
    (
        "generic_event",
        GenericEvent(payload={"k": [1, {"n": None}]}),
        {"payload": {"k": [1, {"n": None}]}},
    ),
]

CONTACT_EVENTS = [
    ("composing_event", ComposingEvent(), {}),
    ("composing_end_event", ComposingEndEvent(), {}),
    (
        "comment_event",
        CommentEvent(text="nice", comment_type=CommentType.FEED, user="bob"),
        {"text": "nice", "comment_type": "FEED", "user": "bob"},
    ),
    ("conversation_deleted_event", ConversationDeletedEvent(), {}),
    ("generic_event", GenericEvent(payload={"a": 1}), {"payload": {"a": 1}}),
]

CONTACT_MESSAGE_EVENTS = [
    (
        "reaction_event",
        ReactionEvent(emoji="👍", action=ReactionAction.REACTION_ACTION_REACT, message_id="m1"),
        {"emoji": "👍", "action": "REACTION_ACTION_REACT", "message_id": "m1"},
    ),
    (
        "shortlink_activated_event",
        ShortLinkActivatedEvent(ref="r", source="SHORTLINK", existing_thread=False),
        {"ref": "r", "source": "SHORTLINK", "existing_thread": False},
    ),
    (
        "payment_status_update_event",
        PaymentStatusUpdateEvent(
            reference_id="ref",
            payment_status=PaymentStatus.PAYMENT_STATUS_CAPTURED,
            payment_transaction_status=PaymentTransactionStatus.PAYMENT_STATUS_TRANSACTION_SUCCESS,
        ),
        {
            "reference_id": "ref",
            "payment_status": "PAYMENT_STATUS_CAPTURED",
            "payment_transaction_status": "PAYMENT_STATUS_TRANSACTION_SUCCESS",
        },
    ),
]


@pytest.mark.parametrize(("key", "event", "body"), APP_EVENTS, ids=[c[0] for c in APP_EVENTS])
def test_app_event_variants_unstructure_under_their_key(key: str, event: Any, body: Any) -> None:
    """Each AppEvent variant is written as ``{key: body}`` and read back as the same object."""
    assert dump(event, AppEvent) == {key: body}
    assert read({key: body}, AppEvent) == event


@pytest.mark.parametrize(
    ("key", "event", "body"), CONTACT_EVENTS, ids=[c[0] for c in CONTACT_EVENTS]
)
def test_contact_event_variants_unstructure_under_their_key(
    key: str, event: Any, body: Any
) -> None:
    """Each ContactEvent variant is written as ``{key: body}`` and read back as the same object."""
    assert dump(event, ContactEvent) == {key: body}
    assert read({key: body}, ContactEvent) == event


@pytest.mark.parametrize(
    ("key", "event", "body"), CONTACT_MESSAGE_EVENTS, ids=[c[0] for c in CONTACT_MESSAGE_EVENTS]
)
def test_contact_message_event_variants_unstructure_under_their_key(
    key: str, event: Any, body: Any
) -> None:
    """Each ContactMessageEvent variant is written as ``{key: body}`` and read back."""
    assert dump(event, ContactMessageEvent) == {key: body}
    assert read({key: body}, ContactMessageEvent) == event


@pytest.mark.parametrize("family", [AppEvent, ContactEvent, ContactMessageEvent])
def test_unknown_event_key_is_kept_and_written_back(family: Any) -> None:
    """An event key this SDK does not know becomes UnknownVariant and is written back as is."""
    raw = {"hologram_event": {"depth": 3, "colours": ["red"]}}
    event = read(raw, family)
    assert event == UnknownVariant(raw)
    assert dump(event, family) == raw


def test_event_of_another_family_is_not_recognised() -> None:
    """A ContactMessageEvent key under ``app_event`` is unknown there, not silently accepted."""
    raw = {"reaction_event": {"emoji": "x", "action": "REACTION_ACTION_REACT", "message_id": "m"}}
    assert isinstance(read(raw, AppEvent), UnknownVariant)
    assert isinstance(read(raw, ContactMessageEvent), ReactionEvent)


def test_event_class_outside_its_family_is_refused_when_written() -> None:
    """Sending a ReactionEvent (not an AppEvent) fails loudly instead of sending a wrong key."""
    request = SendEventRequest(
        app_id="app",
        recipient=ContactRecipient(contact_id="c1"),
        event=ReactionEvent(emoji="x", action="REACTION_ACTION_REACT", message_id="m"),  # type: ignore[arg-type]
    )
    with pytest.raises(TypeError, match="not a valid variant"):
        serde.unstructure(request)


def test_shared_variant_is_written_under_the_field_it_sits_in() -> None:
    """ComposingEvent as ``contact_event`` is written under ``contact_event``, not ``app_event``."""
    event = ConversationEvent(id="e1", contact_event=ComposingEvent())
    assert dump(event) == {"id": "e1", "contact_event": {"composing_event": {}}}
    assert read(dump(event), ConversationEvent) == event


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("app_event", AgentJoinedEvent(agent=AGENT)),
        ("contact_event", CommentEvent(text="hi")),
        ("contact_message_event", ReactionEvent(emoji="x", action="y", message_id="m")),
    ],
)
def test_conversation_event_property_returns_whichever_event_is_set(field: str, value: Any) -> None:
    """``ConversationEvent.event`` is the one of the three event fields that is set."""
    event = read({"id": "e1", field: dump(value, _family(field))}, ConversationEvent)
    assert getattr(event, field) == value
    assert event.event == value


def _family(field: str) -> Any:
    return {
        "app_event": AppEvent,
        "contact_event": ContactEvent,
        "contact_message_event": ContactMessageEvent,
    }[field]


def test_conversation_event_without_event_has_none() -> None:
    """A stored event carrying none of the three event keys reads, with ``event`` None."""
    assert read({"id": "e1"}, ConversationEvent).event is None


def test_conversation_event_with_unknown_family_key_still_reads() -> None:
    """A new event family key is ignored rather than breaking a listing."""
    event = read({"id": "e1", "robot_event": {"beep": True}}, ConversationEvent)
    assert event.id == "e1"
    assert event.event is None


def test_conversation_event_reads_with_every_field_missing() -> None:
    """The API omitting fields of a stored event never breaks reading it."""
    assert read({}, ConversationEvent) == ConversationEvent()


def test_unknown_reaction_action_is_kept_as_str() -> None:
    """A reaction action this SDK does not know stays a plain string and is written back."""
    raw = {"reaction_event": {"emoji": "x", "action": "REACTION_ACTION_BOOST", "message_id": "m"}}
    event = read(raw, ContactMessageEvent)
    assert isinstance(event, ReactionEvent)
    assert event.action == "REACTION_ACTION_BOOST"
    assert not isinstance(event.action, ReactionAction)
    assert dump(event, ContactMessageEvent) == raw


def test_known_payment_status_becomes_member() -> None:
    """A known payment status is read as its enum member."""
    raw = {"payment_status_update_event": {"payment_status": "PAYMENT_STATUS_FAILED"}}
    event = read(raw, ContactMessageEvent)
    assert isinstance(event, PaymentStatusUpdateEvent)
    assert event.payment_status is PaymentStatus.PAYMENT_STATUS_FAILED


def test_generic_event_payload_passes_through_unchanged() -> None:
    """A generic event's payload is any JSON object, kept exactly (nested values included)."""
    payload = {"a": {"b": [1, 2.5, "x", True, None]}, "empty": {}}
    event = read({"generic_event": {"payload": payload}}, AppEvent)
    assert isinstance(event, GenericEvent)
    assert event.payload == payload
    assert dump(event, AppEvent) == {"generic_event": {"payload": payload}}


def test_send_event_request_writes_the_wire_body() -> None:
    """A typing indicator is written under its key; fields left unset are left out."""
    request = SendEventRequest(
        app_id="app",
        recipient=ContactRecipient(contact_id="c1"),
        event=ComposingEvent(),
        queue=MessageQueue.HIGH_PRIORITY,
    )
    assert dump(request) == {
        "app_id": "app",
        "recipient": {"contact_id": "c1"},
        "event": {"composing_event": {}},
        "queue": "HIGH_PRIORITY",
    }


def test_send_event_response_reads_an_aware_timestamp() -> None:
    """``accepted_time`` becomes a timezone-aware datetime."""
    response = read(
        {"event_id": "e1", "accepted_time": "2024-06-06T14:42:42.379863404Z"}, SendEventResponse
    )
    assert response.accepted_time is not None
    assert response.accepted_time.utcoffset() is not None
    assert response.accepted_time.microsecond == 379863


def test_events_list_reads_events_of_every_family() -> None:
    """A page of events may mix app, contact and contact-message events."""
    page = read(
        {
            "events": [
                {"app_event": {"composing_event": {}}},
                {"contact_event": {"conversation_deleted_event": {}}},
                {"contact_message_event": {"shortlink_activated_event": {"ref": "r"}}},
            ],
            "next_page_token": "",
        },
        ListEventsResponse,
    )
    assert page.events is not None
    assert [e.event for e in page.events] == [
        ComposingEvent(),
        ConversationDeletedEvent(),
        ShortLinkActivatedEvent(ref="r"),
    ]
