"""``client.conversations``: Conversations, injection and recent conversations (catalog §2.3).

Listings are :class:`~conversation_async._pagination.AsyncPager` objects (conversations at
most 20 a page, recent conversations at most 50).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._pagination import AsyncPager
from ..models import (
    AppEvent,
    AppMessage,
    AppMessageContent,
    ChannelIdentity,
    ContactEvent,
    ContactMessage,
    ContactMessageContent,
    ContactMessageEvent,
    Conversation,
    ConversationChannel,
    ConversationDirection,
    ConversationRecentMessage,
    ConversationsOrder,
    ConversationUpdateRequest,
    CreateConversationRequest,
    InjectEventRequest,
    InjectEventResponse,
    InjectMessageRequest,
    ListConversationsResponse,
    ListRecentConversationsResponse,
    MetadataUpdateStrategy,
    ProcessingMode,
)
from ._base import (
    Resource,
    check_page_size,
    endpoint,
    exactly_one,
    query,
    require,
    require_any,
    segment,
    update_mask,
)
from ._messages import as_app_message, as_contact_message

__all__ = ["ConversationsResource"]

MAX_PAGE_SIZE = 20
MAX_RECENT_PAGE_SIZE = 50


def _metadata(metadata_json: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if metadata_json is None else dict(metadata_json)


def _conversations(page: ListConversationsResponse) -> builtins.list[Conversation] | None:
    return page.conversations


def _recent(
    page: ListRecentConversationsResponse,
) -> builtins.list[ConversationRecentMessage] | None:
    return page.conversations


class ConversationsResource(Resource):
    """Conversations, injection and recent conversations (catalog §2.3)."""

    @endpoint("GET", "/v1/projects/{project_id}/conversations")
    def list(
        self,
        *,
        app_id: str | None = None,
        contact_id: str | None = None,
        only_active: bool | None = None,
        active_channel: ConversationChannel | str | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Conversation]:
        """Conversations of an app and/or a contact (at least one of them), across all pages."""
        require_any(app_id=app_id, contact_id=contact_id)
        check_page_size(page_size, MAX_PAGE_SIZE)
        filters = query(
            app_id=app_id,
            contact_id=contact_id,
            only_active=only_active,
            active_channel=active_channel,
            page_size=page_size,
        )
        return self._paginate(
            "GET",
            self._url("conversations"),
            into=ListConversationsResponse,
            items=_conversations,
            params=filters,
        )

    @endpoint("POST", "/v1/projects/{project_id}/conversations")
    async def create(
        self,
        *,
        app_id: str,
        contact_id: str,
        active: bool | None = None,
        active_channel: ConversationChannel | str | None = None,
        metadata_json: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> Conversation:
        """Start a conversation between ``app_id`` and ``contact_id``."""
        require(app_id=app_id, contact_id=contact_id)
        request = CreateConversationRequest(
            app_id=app_id,
            contact_id=contact_id,
            active=active,
            active_channel=active_channel,
            metadata_json=_metadata(metadata_json),
            correlation_id=correlation_id,
        )
        return await self._call("POST", self._url("conversations"), body=request, into=Conversation)

    @endpoint("GET", "/v1/projects/{project_id}/conversations/{conversation_id}")
    async def get(self, *, conversation_id: str) -> Conversation:
        """One conversation."""
        require(conversation_id=conversation_id)
        return await self._call(
            "GET", self._url(f"conversations/{segment(conversation_id)}"), into=Conversation
        )

    @endpoint("PATCH", "/v1/projects/{project_id}/conversations/{conversation_id}")
    async def update(
        self,
        *,
        conversation_id: str,
        active: bool | None = None,
        active_channel: ConversationChannel | str | None = None,
        metadata_json: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
        metadata_update_strategy: MetadataUpdateStrategy | str | None = None,
    ) -> Conversation:
        """Change the given fields (None leaves one unchanged); app and contact are fixed.

        ``metadata_update_strategy``: ``REPLACE`` (the API's default) or ``MERGE_PATCH``
        (RFC 7386) for ``metadata_json``.
        """
        require(conversation_id=conversation_id)
        request = ConversationUpdateRequest(
            active=active,
            active_channel=active_channel,
            metadata_json=_metadata(metadata_json),
            correlation_id=correlation_id,
        )
        params = {
            **update_mask(request),
            **query(metadata_update_strategy=metadata_update_strategy),
        }
        return await self._call(
            "PATCH",
            self._url(f"conversations/{segment(conversation_id)}"),
            params=params,
            body=request,
            into=Conversation,
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/conversations/{conversation_id}")
    async def delete(self, *, conversation_id: str) -> None:
        """Delete a conversation with all its messages."""
        require(conversation_id=conversation_id)
        await self._call("DELETE", self._url(f"conversations/{segment(conversation_id)}"))

    @endpoint("POST", "/v1/projects/{project_id}/conversations/{conversation_id}:stop")
    async def stop(self, *, conversation_id: str) -> None:
        """Make a conversation inactive; the next message to the contact starts a new one."""
        require(conversation_id=conversation_id)
        await self._call("POST", self._url(f"conversations/{segment(conversation_id)}:stop"))

    @endpoint("POST", "/v1/projects/{project_id}/conversations/{conversation_id}:inject-message")
    async def inject_message(
        self,
        *,
        conversation_id: str,
        contact_id: str,
        channel_identity: ChannelIdentity,
        direction: ConversationDirection | str,
        accept_time: datetime,
        app_message: AppMessage | AppMessageContent | None = None,
        contact_message: ContactMessage | ContactMessageContent | None = None,
        sender_id: str | None = None,
        processing_mode: ProcessingMode | str | None = None,
        metadata: str | None = None,
    ) -> None:
        """Store a message in a conversation without sending it (exactly one of the two).

        ``app_message``/``contact_message`` may be bare content (``TextMessage(text=...)``);
        ``accept_time`` must be an aware datetime within the past 30 days.
        """
        require(
            conversation_id=conversation_id,
            contact_id=contact_id,
            channel_identity=channel_identity,
            direction=direction,
            accept_time=accept_time,
        )
        exactly_one(app_message=app_message, contact_message=contact_message)
        request = InjectMessageRequest(
            app_message=None if app_message is None else as_app_message(app_message),
            contact_message=(
                None if contact_message is None else as_contact_message(contact_message)
            ),
            accept_time=accept_time,
            channel_identity=channel_identity,
            contact_id=contact_id,
            direction=direction,
            conversation_id=conversation_id,
            sender_id=sender_id,
            processing_mode=processing_mode,
            metadata=metadata,
        )
        await self._call(
            "POST",
            self._url(f"conversations/{segment(conversation_id)}:inject-message"),
            body=request,
        )

    @endpoint("POST", "/v1/projects/{project_id}/conversations/{conversation_id}:inject-event")
    async def inject_event(
        self,
        *,
        conversation_id: str,
        accept_time: datetime,
        app_event: AppEvent | None = None,
        contact_event: ContactEvent | None = None,
        contact_message_event: ContactMessageEvent | None = None,
        contact_id: str | None = None,
        channel_identity: ChannelIdentity | None = None,
        processing_mode: ProcessingMode | str | None = None,
    ) -> InjectEventResponse:
        """Store an event in a conversation without sending it (exactly one event field).

        ``accept_time`` must be an aware datetime within the past 30 days.
        """
        require(conversation_id=conversation_id, accept_time=accept_time)
        exactly_one(
            app_event=app_event,
            contact_event=contact_event,
            contact_message_event=contact_message_event,
        )
        request = InjectEventRequest(
            app_event=app_event,
            contact_event=contact_event,
            contact_message_event=contact_message_event,
            accept_time=accept_time,
            conversation_id=conversation_id,
            contact_id=contact_id,
            channel_identity=channel_identity,
            processing_mode=processing_mode,
        )
        return await self._call(
            "POST",
            self._url(f"conversations/{segment(conversation_id)}:inject-event"),
            body=request,
            into=InjectEventResponse,
        )

    @endpoint("GET", "/v1/projects/{project_id}/conversations:recent")
    def list_recent(
        self,
        *,
        app_id: str,
        only_active: bool | None = None,
        page_size: int | None = None,
        order: ConversationsOrder | str | None = None,
    ) -> AsyncPager[ConversationRecentMessage]:
        """An app's conversations with their last message; ``order`` DESC (default) or ASC."""
        require(app_id=app_id)
        check_page_size(page_size, MAX_RECENT_PAGE_SIZE)
        filters = query(app_id=app_id, only_active=only_active, page_size=page_size, order=order)
        return self._paginate(
            "GET",
            self._url("conversations:recent"),
            into=ListRecentConversationsResponse,
            items=_recent,
            params=filters,
        )
