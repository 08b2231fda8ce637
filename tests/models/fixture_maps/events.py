"""Fixtures of the events area (``v1/events/**``).

The files under ``types/`` hold one event under its key (``{"composing_event": {}}``), so
they are read as the event family that key belongs to; a key shared by two families
(composing, composing end, generic) is read as an ``AppEvent``.
"""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    AppEvent,
    ContactEvent,
    ContactMessageEvent,
    ConversationEvent,
    ListEventsResponse,
    SendEventRequest,
    SendEventResponse,
)

_E = "v1/events"

FIXTURE_MODELS: dict[str, Any] = {
    # SOURCES: "Model ConversationEventGenericEvent", a stored event holding an app generic_event
    f"{_E}/ConversationEventGenericEventDto.json": ConversationEvent,
    f"{_E}/request/SendEventRequestDto.json": SendEventRequest,
    f"{_E}/response/EventsListResponse-page-0.json": ListEventsResponse,
    f"{_E}/response/EventsListResponse-page-1.json": ListEventsResponse,
    f"{_E}/response/SendEventResponseDto.json": SendEventResponse,
    f"{_E}/types/AgentJoinedEventDto.json": AppEvent,
    f"{_E}/types/AgentLeftEventDto.json": AppEvent,
    f"{_E}/types/CommentEventDto.json": ContactEvent,
    f"{_E}/types/CommentReplyEventDto.json": AppEvent,
    f"{_E}/types/ComposingEndEventDto.json": AppEvent,
    f"{_E}/types/ComposingEventDto.json": AppEvent,
    f"{_E}/types/ConversationDeletedEventDto.json": ContactEvent,
    f"{_E}/types/GenericEventDto.json": AppEvent,
    f"{_E}/types/PaymentStatusUpdateEventDto.json": ContactMessageEvent,
    f"{_E}/types/ReactionEventDto.json": ContactMessageEvent,
    f"{_E}/types/ShortLinkActivatedEventDto.json": ContactMessageEvent,
}
