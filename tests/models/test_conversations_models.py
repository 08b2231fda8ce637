"""Behaviour of the conversations-area models that SDK users rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async.models import (
    AppMessage,
    ChannelIdentity,
    ComposingEvent,
    ContactMessage,
    Conversation,
    ConversationChannel,
    ConversationDirection,
    ConversationMessage,
    ConversationRecentMessage,
    ConversationsOrder,
    ConversationUpdateRequest,
    CreateConversationRequest,
    InjectEventRequest,
    InjectMessageRequest,
    ListConversationsResponse,
    ListRecentConversationsResponse,
    ReactionEvent,
    TextMessage,
)

ACCEPT = datetime(2024, 8, 14, 14, 3, 20, tzinfo=UTC)
IDENTITY = ChannelIdentity(channel=ConversationChannel.MESSENGER, identity="p1")


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


def test_metadata_json_object_passes_through() -> None:
    """A conversation's ``metadata_json`` is any JSON object, kept exactly and written back."""
    metadata = {"order": {"id": 7, "items": [1.5, "x", None, True]}, "empty": {}}
    conversation = serde.structure({"id": "cv1", "metadata_json": metadata}, Conversation)
    assert conversation.metadata_json == metadata
    assert dump(conversation) == {"id": "cv1", "metadata_json": metadata}


def test_metadata_json_that_is_not_an_object_is_refused() -> None:
    """A ``metadata_json`` that is not a JSON object is a SerializationError, not a bad model."""
    with pytest.raises(SerializationError):
        serde.structure({"metadata_json": "not an object"}, Conversation)


def test_conversation_reads_with_every_field_missing() -> None:
    """The API leaving fields out of a conversation never breaks reading it."""
    assert serde.structure({}, Conversation) == Conversation()


def test_last_received_is_an_aware_datetime() -> None:
    """``last_received`` becomes a timezone-aware datetime and is written back with ``Z``."""
    conversation = serde.structure({"last_received": "2020-11-17T15:00:00Z"}, Conversation)
    assert conversation.last_received == datetime(2020, 11, 17, 15, tzinfo=UTC)
    assert dump(conversation) == {"last_received": "2020-11-17T15:00:00Z"}


def test_create_conversation_request_leaves_unset_fields_out() -> None:
    """Only ``app_id``, ``contact_id`` and the fields given are sent."""
    request = CreateConversationRequest(app_id="a1", contact_id="c1", active=False)
    assert dump(request) == {"app_id": "a1", "contact_id": "c1", "active": False}


def test_conversation_update_request_with_nothing_set_has_every_field_none() -> None:
    """An empty update request sets no field and writes an empty body."""
    request = ConversationUpdateRequest()
    assert all(getattr(request, f.name) is None for f in attrs.fields(ConversationUpdateRequest))
    assert dump(request) == {}


def test_conversation_update_request_writes_only_the_fields_set() -> None:
    """A partial update sends just the fields given, so the update mask can be derived."""
    request = ConversationUpdateRequest(metadata_json={"k": "v"}, active=False)
    assert dump(request) == {"active": False, "metadata_json": {"k": "v"}}


def _inject(**message: Any) -> InjectMessageRequest:
    return InjectMessageRequest(
        accept_time=ACCEPT,
        channel_identity=IDENTITY,
        contact_id="c1",
        direction=message.pop("direction"),
        **message,
    )


def test_inject_message_request_with_app_message() -> None:
    """An injected app message is written under ``app_message`` and is the request's message."""
    app_message = AppMessage(content=TextMessage(text="hi"))
    request = _inject(app_message=app_message, direction=ConversationDirection.TO_CONTACT)
    assert request.message is app_message
    written = dump(request)
    assert written["app_message"] == {"text_message": {"text": "hi"}}
    assert "contact_message" not in written
    assert written["accept_time"] == "2024-08-14T14:03:20Z"
    assert serde.structure(written, InjectMessageRequest) == request


def test_inject_message_request_with_contact_message() -> None:
    """An injected contact message is written under ``contact_message`` and read back as one."""
    contact_message = ContactMessage(content=TextMessage(text="hello"))
    request = _inject(contact_message=contact_message, direction=ConversationDirection.TO_APP)
    assert request.message is contact_message
    written = dump(request)
    assert written["contact_message"] == {"text_message": {"text": "hello"}}
    assert "app_message" not in written
    back = serde.structure(written, InjectMessageRequest)
    assert back.app_message is None
    assert back.contact_message == contact_message


@pytest.mark.parametrize(
    "messages",
    [
        {},
        {
            "app_message": AppMessage(content=TextMessage(text="a")),
            "contact_message": ContactMessage(content=TextMessage(text="b")),
        },
    ],
    ids=["neither", "both"],
)
def test_inject_message_request_needs_exactly_one_message(messages: dict[str, Any]) -> None:
    """Injecting neither or both of app_message and contact_message is refused when built."""
    with pytest.raises(ValueError, match="exactly one of app_message, contact_message"):
        _inject(direction="TO_APP", **messages)


def test_inject_message_request_refuses_naive_accept_time() -> None:
    """A naive ``accept_time`` is refused when written rather than sent in an unknown zone."""
    request = InjectMessageRequest(
        contact_message=ContactMessage(content=TextMessage(text="x")),
        accept_time=datetime(2024, 8, 14, 14, 3, 20),
        channel_identity=IDENTITY,
        contact_id="c1",
        direction="TO_APP",
    )
    with pytest.raises(ValueError, match="naive datetime"):
        serde.unstructure(request)


def test_inject_event_request_writes_event_under_its_family_and_key() -> None:
    """An injected app event is written as ``{"app_event": {"composing_event": {}}}``."""
    request = InjectEventRequest(app_event=ComposingEvent(), accept_time=ACCEPT)
    assert request.event == ComposingEvent()
    assert dump(request) == {
        "app_event": {"composing_event": {}},
        "accept_time": "2024-08-14T14:03:20Z",
    }


def test_inject_event_request_accepts_a_contact_message_event() -> None:
    """A contact's reaction can be injected as ``contact_message_event``."""
    reaction = ReactionEvent(emoji="x", action="REACTION_ACTION_REACT", message_id="m1")
    request = InjectEventRequest(contact_message_event=reaction, accept_time=ACCEPT)
    assert request.event == reaction
    written = dump(request)
    assert list(written["contact_message_event"]) == ["reaction_event"]
    assert serde.structure(written, InjectEventRequest) == request


@pytest.mark.parametrize(
    "events",
    [{}, {"app_event": ComposingEvent(), "contact_event": ComposingEvent()}],
    ids=["neither", "two"],
)
def test_inject_event_request_needs_exactly_one_event(events: dict[str, Any]) -> None:
    """Injecting no event or two events is refused when built."""
    with pytest.raises(ValueError, match="exactly one of app_event"):
        InjectEventRequest(accept_time=ACCEPT, **events)


def test_recent_conversation_holds_conversation_and_last_message() -> None:
    """A recent-conversations item pairs a Conversation with its last ConversationMessage."""
    item = serde.structure(
        {
            "conversation": {"id": "cv1", "active": True},
            "last_message": {"id": "m1", "contact_message": {"text_message": {"text": "yo"}}},
        },
        ConversationRecentMessage,
    )
    assert item.conversation == Conversation(id="cv1", active=True)
    assert isinstance(item.last_message, ConversationMessage)
    assert item.last_message.message == ContactMessage(content=TextMessage(text="yo"))


@pytest.mark.parametrize("model", [ListConversationsResponse, ListRecentConversationsResponse])
def test_conversation_pages_carry_total_size(model: Any) -> None:
    """Both conversation listings read ``total_size`` next to the token."""
    page = serde.structure({"conversations": [], "next_page_token": "", "total_size": 2}, model)
    assert page.total_size == 2
    assert page.conversations == []


def test_conversations_order_values_are_the_wire_strings() -> None:
    """The recent-conversations order is sent as ``ASC`` or ``DESC``."""
    assert [str(o) for o in ConversationsOrder] == ["ASC", "DESC"]
