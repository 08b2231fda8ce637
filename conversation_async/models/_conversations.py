"""Conversations, message and event injection, recent conversations (catalog §2.3, §3.8).

``Conversation`` is what the API returns (every field optional); ``ConversationUpdateRequest``
has every field optional because the PATCH only changes the fields that are set.
``InjectMessageRequest`` and ``InjectEventRequest`` hold exactly one message or event, checked
when they are built.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ._common import ChannelIdentity, ConversationChannel, ConversationDirection, ProcessingMode
from ._events import AppEvent, ContactEvent, ContactMessageEvent
from ._messages import AppMessage, ContactMessage, ConversationMessage

__all__ = [
    "Conversation",
    "ConversationRecentMessage",
    "ConversationUpdateRequest",
    "ConversationsOrder",
    "CreateConversationRequest",
    "InjectEventRequest",
    "InjectEventResponse",
    "InjectMessageRequest",
    "ListConversationsResponse",
    "ListRecentConversationsResponse",
]


class ConversationsOrder(enum.StrEnum):
    """Order of ``conversations:recent``: ``DESC`` (newest first, the default) or ``ASC``."""

    ASC = "ASC"
    DESC = "DESC"


@attrs.define(frozen=True, kw_only=True)
class Conversation:
    """A conversation as the API returns it; ``metadata`` is the deprecated string form."""

    id: str | None = None
    app_id: str | None = None
    contact_id: str | None = None
    active: bool | None = None
    active_channel: ConversationChannel | str | None = None
    last_received: datetime | None = None
    metadata_json: dict[str, Any] | None = None
    correlation_id: str | None = None
    metadata: str | None = None


@attrs.define(frozen=True, kw_only=True)
class CreateConversationRequest:
    """Body of ``POST /conversations``: a conversation between an app and a contact."""

    app_id: str
    contact_id: str
    active: bool | None = None
    active_channel: ConversationChannel | str | None = None
    metadata_json: dict[str, Any] | None = None
    correlation_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationUpdateRequest:
    """Body of ``PATCH /conversations/{conversation_id}``: only the fields set are changed.

    A conversation's app and contact cannot change, so they are not part of an update.
    """

    active: bool | None = None
    active_channel: ConversationChannel | str | None = None
    metadata_json: dict[str, Any] | None = None
    correlation_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ListConversationsResponse:
    """One page of conversations; ``total_size`` is informational only."""

    conversations: list[Conversation] | None = None
    next_page_token: str | None = None
    total_size: int | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationRecentMessage:
    """A conversation with its latest message."""

    conversation: Conversation | None = None
    last_message: ConversationMessage | None = None


@attrs.define(frozen=True, kw_only=True)
class ListRecentConversationsResponse:
    """One page of ``conversations:recent``; ``total_size`` is informational only."""

    conversations: list[ConversationRecentMessage] | None = None
    next_page_token: str | None = None
    total_size: int | None = None


def _exactly_one(owner: object, names: tuple[str, ...]) -> None:
    given = [name for name in names if getattr(owner, name) is not None]
    if len(given) != 1:
        choices = ", ".join(names)
        found = ", ".join(given) or "none"
        raise ValueError(f"{type(owner).__name__} needs exactly one of {choices} (got {found})")


@attrs.define(frozen=True, kw_only=True)
class InjectMessageRequest:
    """Body of ``:inject-message``: exactly one of ``app_message`` or ``contact_message``.

    ``accept_time`` must lie in the past 30 days.
    """

    app_message: AppMessage | None = None
    contact_message: ContactMessage | None = None
    accept_time: datetime
    channel_identity: ChannelIdentity
    contact_id: str
    direction: ConversationDirection | str
    conversation_id: str | None = None
    sender_id: str | None = None
    processing_mode: ProcessingMode | str | None = None
    metadata: str | None = None

    def __attrs_post_init__(self) -> None:
        _exactly_one(self, ("app_message", "contact_message"))

    @property
    def message(self) -> AppMessage | ContactMessage:
        """Whichever of ``app_message`` and ``contact_message`` is set."""
        for message in (self.app_message, self.contact_message):
            if message is not None:
                return message
        raise AssertionError("unreachable: checked by __attrs_post_init__")


@attrs.define(frozen=True, kw_only=True)
class InjectEventRequest:
    """Body of ``:inject-event``: exactly one of the three event fields.

    Set ``app_event``, ``contact_event`` or ``contact_message_event`` (the catalog names only
    ``app_event``; NODE and NET accept all three). ``accept_time`` must lie in the past 30 days.
    """

    app_event: AppEvent | None = None
    contact_event: ContactEvent | None = None
    contact_message_event: ContactMessageEvent | None = None
    accept_time: datetime
    conversation_id: str | None = None
    contact_id: str | None = None
    channel_identity: ChannelIdentity | None = None
    processing_mode: ProcessingMode | str | None = None

    def __attrs_post_init__(self) -> None:
        _exactly_one(self, ("app_event", "contact_event", "contact_message_event"))

    @property
    def event(self) -> AppEvent | ContactEvent | ContactMessageEvent:
        """Whichever of ``app_event``, ``contact_event`` and ``contact_message_event`` is set."""
        for event in (self.app_event, self.contact_event, self.contact_message_event):
            if event is not None:
                return event
        raise AssertionError("unreachable: checked by __attrs_post_init__")


@attrs.define(frozen=True, kw_only=True)
class InjectEventResponse:
    """The API stored the injected event."""

    event_id: str | None = None
    accepted_time: datetime | None = None
