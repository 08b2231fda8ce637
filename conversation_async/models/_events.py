"""Events: typing indicators, agent changes, reactions, comments (catalog §2.5, §3.7).

An event is one of three families, each carried as a single-key object
(``{"composing_event": {}}``):

- :data:`AppEvent`: what an app sends (``events:send``, inject-event).
- :data:`ContactEvent`: what a contact did (EVENT_INBOUND, listed events).
- :data:`ContactMessageEvent`: something about a contact's message (reactions, shortlinks,
  payments).

``ComposingEvent``, ``ComposingEndEvent`` and ``GenericEvent`` belong to both ``AppEvent``
and ``ContactEvent``; the field they sit in says which. A key this SDK does not know is kept
in an :class:`~conversation_async.models.UnknownVariant` and written back unchanged.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from .._serde import UnknownVariant, register_keyed_union
from ._common import (
    Agent,
    ChannelIdentity,
    ConversationChannel,
    ConversationDirection,
    MessageQueue,
    ProcessingMode,
    Recipient,
)

__all__ = [
    "AgentJoinedEvent",
    "AgentLeftEvent",
    "AppEvent",
    "CommentEvent",
    "CommentReplyEvent",
    "CommentType",
    "ComposingEndEvent",
    "ComposingEvent",
    "ContactEvent",
    "ContactMessageEvent",
    "ConversationDeletedEvent",
    "ConversationEvent",
    "GenericEvent",
    "ListEventsResponse",
    "PaymentStatus",
    "PaymentStatusUpdateEvent",
    "PaymentTransactionStatus",
    "ReactionAction",
    "ReactionEvent",
    "SendEventRequest",
    "SendEventResponse",
    "ShortLinkActivatedEvent",
]


class CommentType(enum.StrEnum):
    """Where an Instagram comment was made."""

    FEED = "FEED"
    LIVE = "LIVE"


class ReactionAction(enum.StrEnum):
    """Whether a contact added or removed a reaction."""

    REACTION_ACTION_UNKNOWN = "REACTION_ACTION_UNKNOWN"
    REACTION_ACTION_REACT = "REACTION_ACTION_REACT"
    REACTION_ACTION_UNREACT = "REACTION_ACTION_UNREACT"


class PaymentStatus(enum.StrEnum):
    """State of a WhatsApp payment."""

    PAYMENT_STATUS_UNKNOWN = "PAYMENT_STATUS_UNKNOWN"
    PAYMENT_STATUS_NEW = "PAYMENT_STATUS_NEW"
    PAYMENT_STATUS_PENDING = "PAYMENT_STATUS_PENDING"
    PAYMENT_STATUS_CAPTURED = "PAYMENT_STATUS_CAPTURED"
    PAYMENT_STATUS_CANCELED = "PAYMENT_STATUS_CANCELED"
    PAYMENT_STATUS_FAILED = "PAYMENT_STATUS_FAILED"


class PaymentTransactionStatus(enum.StrEnum):
    """State of the transaction behind a WhatsApp payment."""

    PAYMENT_STATUS_TRANSACTION_UNKNOWN = "PAYMENT_STATUS_TRANSACTION_UNKNOWN"
    PAYMENT_STATUS_TRANSACTION_PENDING = "PAYMENT_STATUS_TRANSACTION_PENDING"
    PAYMENT_STATUS_TRANSACTION_FAILED = "PAYMENT_STATUS_TRANSACTION_FAILED"
    PAYMENT_STATUS_TRANSACTION_SUCCESS = "PAYMENT_STATUS_TRANSACTION_SUCCESS"
    PAYMENT_STATUS_TRANSACTION_CANCELED = "PAYMENT_STATUS_TRANSACTION_CANCELED"


# --- event bodies -----------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class ComposingEvent:
    """The sender started typing (``{"composing_event": {}}``)."""


@attrs.define(frozen=True, kw_only=True)
class ComposingEndEvent:
    """The sender stopped typing (``{"composing_end_event": {}}``)."""


@attrs.define(frozen=True, kw_only=True)
class GenericEvent:
    """A free-form event; ``payload`` is any JSON object."""

    payload: dict[str, Any]


@attrs.define(frozen=True, kw_only=True)
class CommentReplyEvent:
    """The app replies to an Instagram comment."""

    text: str


@attrs.define(frozen=True, kw_only=True)
class AgentJoinedEvent:
    """An agent joined the conversation."""

    agent: Agent


@attrs.define(frozen=True, kw_only=True)
class AgentLeftEvent:
    """An agent left the conversation."""

    agent: Agent


@attrs.define(frozen=True, kw_only=True)
class CommentEvent:
    """A contact commented on an Instagram post or live (``commented_on`` is its link)."""

    id: str | None = None
    text: str | None = None
    comment_type: CommentType | str | None = None
    commented_on: str | None = None
    user: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationDeletedEvent:
    """The contact deleted the conversation on the channel."""


@attrs.define(frozen=True, kw_only=True)
class ReactionEvent:
    """A contact reacted to (or un-reacted from) the message ``message_id``."""

    emoji: str | None = None
    action: ReactionAction | str | None = None
    message_id: str | None = None
    reaction_category: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ShortLinkActivatedEvent:
    """A contact opened a shortlink (``source`` is ``SHORTLINK``, ``type`` ``OPEN_THREAD``)."""

    payload: str | None = None
    title: str | None = None
    ref: str | None = None
    source: str | None = None
    type: str | None = None
    existing_thread: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class PaymentStatusUpdateEvent:
    """The status of a WhatsApp payment changed."""

    reference_id: str | None = None
    payment_status: PaymentStatus | str | None = None
    payment_transaction_status: PaymentTransactionStatus | str | None = None
    payment_transaction_id: str | None = None


# --- families ---------------------------------------------------------------------------


AppEvent = (
    ComposingEvent
    | ComposingEndEvent
    | CommentReplyEvent
    | AgentJoinedEvent
    | AgentLeftEvent
    | GenericEvent
    | UnknownVariant
)
"""An event an app sends: exactly one of the ``AppEvent`` keys."""

register_keyed_union(
    AppEvent,
    {
        "composing_event": ComposingEvent,
        "composing_end_event": ComposingEndEvent,
        "comment_reply_event": CommentReplyEvent,
        "agent_joined_event": AgentJoinedEvent,
        "agent_left_event": AgentLeftEvent,
        "generic_event": GenericEvent,
    },
)


ContactEvent = (
    ComposingEvent
    | ComposingEndEvent
    | CommentEvent
    | ConversationDeletedEvent
    | GenericEvent
    | UnknownVariant
)
"""An event from a contact: exactly one of the ``ContactEvent`` keys."""

register_keyed_union(
    ContactEvent,
    {
        "composing_event": ComposingEvent,
        "composing_end_event": ComposingEndEvent,
        "comment_event": CommentEvent,
        "conversation_deleted_event": ConversationDeletedEvent,
        "generic_event": GenericEvent,
    },
)


ContactMessageEvent = (
    ReactionEvent | ShortLinkActivatedEvent | PaymentStatusUpdateEvent | UnknownVariant
)
"""An event about a contact's message: exactly one of the ``ContactMessageEvent`` keys."""

register_keyed_union(
    ContactMessageEvent,
    {
        "reaction_event": ReactionEvent,
        "shortlink_activated_event": ShortLinkActivatedEvent,
        "payment_status_update_event": PaymentStatusUpdateEvent,
    },
)


# --- requests and responses -------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class SendEventRequest:
    """Body of ``POST /events:send``; only the first of ``channel_priority_order`` is used."""

    app_id: str
    recipient: Recipient
    event: AppEvent
    callback_url: str | None = None
    channel_priority_order: list[ConversationChannel | str] | None = None
    event_metadata: str | None = None
    queue: MessageQueue | str | None = None


@attrs.define(frozen=True, kw_only=True)
class SendEventResponse:
    """The API accepted the event."""

    event_id: str
    accepted_time: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationEvent:
    """A stored event: one of ``app_event``, ``contact_event`` or ``contact_message_event``."""

    id: str | None = None
    direction: ConversationDirection | str | None = None
    app_event: AppEvent | None = None
    contact_event: ContactEvent | None = None
    contact_message_event: ContactMessageEvent | None = None
    conversation_id: str | None = None
    contact_id: str | None = None
    channel_identity: ChannelIdentity | None = None
    accept_time: datetime | None = None
    processing_mode: ProcessingMode | str | None = None

    @property
    def event(self) -> AppEvent | ContactEvent | ContactMessageEvent | None:
        """Whichever of ``app_event``, ``contact_event`` and ``contact_message_event`` is set."""
        if self.app_event is not None:
            return self.app_event
        if self.contact_event is not None:
            return self.contact_event
        return self.contact_message_event


@attrs.define(frozen=True, kw_only=True)
class ListEventsResponse:
    """One page of events; an empty ``next_page_token`` means the last page."""

    events: list[ConversationEvent] | None = None
    next_page_token: str | None = None
