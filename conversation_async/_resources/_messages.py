"""``client.messages``: send, get, list, update metadata, delete, last message per identity.

Catalog §2.4. Listings are :class:`~conversation_async._pagination.AsyncPager` objects; the
fetch-last-message listing carries its page token inside the POST body.
"""

from __future__ import annotations

import builtins
import typing
from collections.abc import Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from .._checked import as_object
from .._config import ClientConfig
from .._core.call import Reported
from .._http.transport import Transport
from .._pagination import AsyncPager
from ..models import (
    AppMessage,
    ConversationChannel,
    ConversationDirection,
    ConversationMessage,
    ConversationMessagesView,
    ListLastMessagesByChannelIdentityRequest,
    ListMessagesResponse,
    MessageContentType,
    MessageQueue,
    MessageSource,
    MessageUpdateRequest,
    MetadataUpdateStrategy,
    ProcessingStrategy,
    Recipient,
    SendMessageRequest,
    SendMessageResponse,
)
from ..models._messages import AppMessageContent, ContactMessage, ContactMessageContent
from ._base import (
    Resource,
    check_page_size,
    endpoint,
    exactly_one,
    query,
    reader,
    require,
    segment,
)

__all__ = ["MessagesResource", "as_app_message", "as_contact_message", "format_ttl"]

MAX_PAGE_SIZE = 1000
_CONTENT_TYPES = typing.get_args(AppMessageContent)
_CONTACT_CONTENT_TYPES = typing.get_args(ContactMessageContent)
MIN_TTL_SECONDS = 3
MAX_TTL_SECONDS = 315_576_000_000


def format_ttl(ttl: int | timedelta) -> str:
    """The wire form of a send timeout: whole seconds as ``"<n>s"`` (catalog §3.1)."""
    if isinstance(ttl, timedelta):
        total = ttl.total_seconds()
        if total != int(total):
            raise ValueError(f"ttl must be whole seconds, got {total}")
        seconds = int(total)
    elif isinstance(as_object(ttl), int) and not isinstance(ttl, bool):
        seconds = ttl
    else:
        raise TypeError(f"ttl must be seconds (int) or a timedelta, got {type(ttl).__name__}")
    if not MIN_TTL_SECONDS <= seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl must be {MIN_TTL_SECONDS}..{MAX_TTL_SECONDS} seconds, got {seconds}")
    return f"{seconds}s"


def as_app_message(message: AppMessage | AppMessageContent) -> AppMessage:
    """Accept an ``AppMessage`` or bare content such as ``TextMessage(text=...)``."""
    if isinstance(message, AppMessage):
        return message
    if isinstance(message, _CONTENT_TYPES):
        return AppMessage(content=message)
    raise TypeError(
        f"message must be an AppMessage or message content, got {type(message).__name__}"
    )


def as_contact_message(message: ContactMessage | ContactMessageContent) -> ContactMessage:
    """Accept a ``ContactMessage`` or bare content such as ``TextMessage(text=...)``."""
    if isinstance(message, ContactMessage):
        return message
    if isinstance(message, _CONTACT_CONTENT_TYPES):
        return ContactMessage(content=message)
    raise TypeError(
        "contact_message must be a ContactMessage or contact message content, "
        f"got {type(message).__name__}"
    )


def _check_sources(
    messages_source: MessageSource | str | None,
    *,
    conversation_scoped: bool,
    only_recipient_originated: bool | None = None,
) -> None:
    dispatch = messages_source == MessageSource.DISPATCH_SOURCE
    if dispatch and conversation_scoped:
        raise ValueError("conversation_id and contact_id filters need CONVERSATION_SOURCE")
    if only_recipient_originated is not None and not dispatch:
        raise ValueError("only_recipient_originated needs messages_source=DISPATCH_SOURCE")


def _messages(page: ListMessagesResponse) -> builtins.list[ConversationMessage] | None:
    return page.messages


class MessagesResource(Resource):
    """Messages sent to and received from contacts."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        super().__init__(transport, config)
        self._send_url = self._url("messages:send")  # built once: every send uses it

    @endpoint("POST", "/v1/projects/{project_id}/messages:send")
    async def send(
        self,
        *,
        app_id: str,
        recipient: Recipient,
        message: AppMessage | AppMessageContent,
        callback_url: str | None = None,
        channel_priority_order: builtins.list[ConversationChannel | str] | None = None,
        channel_properties: Mapping[str, str] | None = None,
        message_metadata: str | None = None,
        conversation_metadata: Mapping[str, Any] | str | None = None,
        conversation_metadata_update_strategy: MetadataUpdateStrategy | str | None = None,
        queue: MessageQueue | str | None = None,
        ttl: int | timedelta | None = None,
        processing_strategy: ProcessingStrategy | str | None = None,
        correlation_id: str | None = None,
        message_content_type: MessageContentType | str | None = None,
    ) -> SendMessageResponse:
        """Send ``message`` to ``recipient`` from ``app_id``; acceptance, not delivery.

        ``message`` may be bare content (``TextMessage(text="hi")``); ``ttl`` is seconds or
        a ``timedelta``. Delivery is reported later by MESSAGE_DELIVERY callbacks.
        """
        require(app_id=app_id, recipient=recipient, message=message)
        request = SendMessageRequest(
            app_id=app_id,
            recipient=recipient,
            message=as_app_message(message),
            callback_url=callback_url,
            channel_priority_order=channel_priority_order,
            channel_properties=dict(channel_properties) if channel_properties else None,
            message_metadata=message_metadata,
            conversation_metadata=(
                dict(conversation_metadata)
                if conversation_metadata is not None and isinstance(conversation_metadata, Mapping)
                else conversation_metadata
            ),
            conversation_metadata_update_strategy=conversation_metadata_update_strategy,
            queue=queue,
            ttl=None if ttl is None else format_ttl(ttl),
            processing_strategy=processing_strategy,
            correlation_id=correlation_id,
            message_content_type=message_content_type,
        )
        result = await self._call_reported(
            "POST", self._send_url, body=request, into=SendMessageResponse
        )
        return result.unwrap()

    @endpoint("POST", "/v1/projects/{project_id}/messages:send")
    async def send_request(self, request: SendMessageRequest) -> SendMessageResponse:
        """Send a prepared :class:`SendMessageRequest` (what ``send`` builds)."""
        return (await self._send_reported(request)).unwrap()

    def _send_reported(
        self, request: SendMessageRequest
    ) -> Coroutine[Any, Any, Reported[SendMessageResponse]]:
        """:meth:`send_request` with its result as a value, and the call's report (what
        bulk sends record); misuse (not a request, no ``app_id``) raises at once."""
        if not isinstance(as_object(request), SendMessageRequest):
            raise TypeError(f"expected a SendMessageRequest, got {type(request).__name__}")
        if not request.app_id:
            require(app_id=request.app_id)
        return self._call_reported("POST", self._send_url, body=request, into=SendMessageResponse)

    def _send_body_reported(
        self, body: bytes
    ) -> Coroutine[Any, Any, Reported[SendMessageResponse]]:
        """:meth:`_send_reported` for a request already encoded as its JSON body, with an
        ``app_id`` (a journaled campaign's row, tagged after its fingerprint was taken)."""
        return self._transport.request(
            "POST",
            self._send_url,
            payload=body,
            decode=reader(SendMessageResponse),
            config=self._config,
        )

    @endpoint("GET", "/v1/projects/{project_id}/messages/{message_id}")
    async def get(
        self, *, message_id: str, messages_source: MessageSource | str | None = None
    ) -> ConversationMessage:
        """One stored message."""
        require(message_id=message_id)
        return await self._call(
            "GET",
            self._url(f"messages/{segment(message_id)}"),
            params=query(messages_source=messages_source),
            into=ConversationMessage,
        )

    @endpoint("PATCH", "/v1/projects/{project_id}/messages/{message_id}")
    async def update(
        self,
        *,
        message_id: str,
        metadata: str,
        messages_source: MessageSource | str | None = None,
    ) -> ConversationMessage:
        """Replace a stored message's ``metadata``."""
        require(message_id=message_id, metadata=metadata)
        return await self._call(
            "PATCH",
            self._url(f"messages/{segment(message_id)}"),
            params=query(messages_source=messages_source),
            body=MessageUpdateRequest(metadata=metadata),
            into=ConversationMessage,
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/messages/{message_id}")
    async def delete(
        self, *, message_id: str, messages_source: MessageSource | str | None = None
    ) -> None:
        """Remove a message from Conversation API storage (not from the contact's device)."""
        require(message_id=message_id)
        await self._call(
            "DELETE",
            self._url(f"messages/{segment(message_id)}"),
            params=query(messages_source=messages_source),
        )

    @endpoint("GET", "/v1/projects/{project_id}/messages")
    def list(
        self,
        *,
        app_id: str | None = None,
        conversation_id: str | None = None,
        contact_id: str | None = None,
        channel_identity: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_size: int | None = None,
        view: ConversationMessagesView | str | None = None,
        messages_source: MessageSource | str | None = None,
        only_recipient_originated: bool | None = None,
        channel: ConversationChannel | str | None = None,
        direction: ConversationDirection | str | None = None,
    ) -> AsyncPager[ConversationMessage]:
        """Stored messages, newest first, across all pages (``page_size`` at most 1000)."""
        check_page_size(page_size, MAX_PAGE_SIZE)
        _check_sources(
            messages_source,
            conversation_scoped=conversation_id is not None or contact_id is not None,
            only_recipient_originated=only_recipient_originated,
        )
        filters = query(
            app_id=app_id,
            conversation_id=conversation_id,
            contact_id=contact_id,
            channel_identity=channel_identity,
            start_time=start_time,
            end_time=end_time,
            page_size=page_size,
            view=view,
            messages_source=messages_source,
            only_recipient_originated=only_recipient_originated,
            channel=channel,
            direction=direction,
        )
        return self._paginate(
            "GET",
            self._url("messages"),
            into=ListMessagesResponse,
            items=_messages,
            params=filters,
        )

    @endpoint("POST", "/v1/projects/{project_id}/messages:fetch-last-message")
    def list_last_by_channel_identity(
        self,
        *,
        channel_identities: builtins.list[str] | None = None,
        contact_ids: builtins.list[str] | None = None,
        app_id: str | None = None,
        messages_source: MessageSource | str | None = None,
        page_size: int | None = None,
        view: ConversationMessagesView | str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        channel: ConversationChannel | str | None = None,
        direction: ConversationDirection | str | None = None,
    ) -> AsyncPager[ConversationMessage]:
        """The last message of each channel identity, or of each contact (not both)."""
        exactly_one(channel_identities=channel_identities, contact_ids=contact_ids)
        if contact_ids is not None and messages_source == MessageSource.DISPATCH_SOURCE:
            raise ValueError("contact_ids cannot be used with DISPATCH_SOURCE")
        check_page_size(page_size, MAX_PAGE_SIZE)
        request = ListLastMessagesByChannelIdentityRequest(
            channel_identities=channel_identities,
            contact_ids=contact_ids,
            app_id=app_id,
            messages_source=messages_source,
            page_size=page_size,
            view=view,
            start_time=start_time,
            end_time=end_time,
            channel=channel,
            direction=direction,
        )
        return self._paginate(
            "POST",
            self._url("messages:fetch-last-message"),
            into=ListMessagesResponse,
            items=_messages,
            body=request,
        )
