"""Fixtures of the conversations area (``v1/conversations/**``)."""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    Conversation,
    ConversationRecentMessage,
    CreateConversationRequest,
    InjectEventRequest,
    InjectMessageRequest,
    ListConversationsResponse,
    ListRecentConversationsResponse,
)

_C = "v1/conversations"

FIXTURE_MODELS: dict[str, Any] = {
    # SOURCES: request body "ConversationRequest", a whole conversation including its `id`.
    # The PATCH body is a partial `Conversation`; ConversationUpdateRequest leaves out `id`
    # (it is in the path), so the file is read as the Conversation it is.
    f"{_C}/ConversationRequestDto.json": Conversation,
    f"{_C}/ConversationResponseDto.json": Conversation,
    f"{_C}/request/CreateConversationRequestDto.json": CreateConversationRequest,
    # one model for both: exactly one of app_message / contact_message
    f"{_C}/request/InjectAppMessageRequestDto.json": InjectMessageRequest,
    f"{_C}/request/InjectContactMessageRequestDto.json": InjectMessageRequest,
    f"{_C}/request/InjectEventRequestDto.json": InjectEventRequest,
    f"{_C}/response/ConversationRecentMessageDto.json": ConversationRecentMessage,
    f"{_C}/response/ConversationsListRecentResponse-page-0.json": ListRecentConversationsResponse,
    f"{_C}/response/ConversationsListRecentResponse-page-1.json": ListRecentConversationsResponse,
    f"{_C}/response/ConversationsListResponse-page-0.json": ListConversationsResponse,
    f"{_C}/response/ConversationsListResponse-page-1.json": ListConversationsResponse,
    f"{_C}/response/ConversationsListResponse-page-2.json": ListConversationsResponse,
}
