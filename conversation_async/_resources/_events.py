"""``client.events``: Events such as typing indicators (catalog §2.5).

Listings are :class:`~conversation_async._pagination.AsyncPager` objects (at most 20 a page).
"""

from __future__ import annotations

import builtins
import typing

from .._pagination import AsyncPager
from ..models import (
    AppEvent,
    ConversationChannel,
    ConversationEvent,
    ListEventsResponse,
    MessageQueue,
    Recipient,
    SendEventRequest,
    SendEventResponse,
)
from ._base import Resource, check_page_size, endpoint, query, require, require_any, segment

__all__ = ["EventsResource"]

MAX_PAGE_SIZE = 20
_APP_EVENT_TYPES = typing.get_args(AppEvent)


def _events(page: ListEventsResponse) -> builtins.list[ConversationEvent] | None:
    return page.events


class EventsResource(Resource):
    """Events such as typing indicators (catalog §2.5)."""

    @endpoint("POST", "/v1/projects/{project_id}/events:send")
    async def send(
        self,
        *,
        app_id: str,
        recipient: Recipient,
        event: AppEvent,
        callback_url: str | None = None,
        channel_priority_order: builtins.list[ConversationChannel | str] | None = None,
        event_metadata: str | None = None,
        queue: MessageQueue | str | None = None,
    ) -> SendEventResponse:
        """Send ``event`` (e.g. ``ComposingEvent()``) to ``recipient`` from ``app_id``.

        Only the first channel of ``channel_priority_order`` is used.
        """
        require(app_id=app_id, recipient=recipient, event=event)
        if not isinstance(event, _APP_EVENT_TYPES):
            raise TypeError(f"event must be an app event, got {type(event).__name__}")
        request = SendEventRequest(
            app_id=app_id,
            recipient=recipient,
            event=event,
            callback_url=callback_url,
            channel_priority_order=channel_priority_order,
            event_metadata=event_metadata,
            queue=queue,
        )
        return await self._call(
            "POST", self._url("events:send"), body=request, into=SendEventResponse
        )

    @endpoint("GET", "/v1/projects/{project_id}/events")
    def list(
        self,
        *,
        conversation_id: str | None = None,
        contact_id: str | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[ConversationEvent]:
        """Stored events of a conversation or a contact (one is needed), across all pages."""
        require_any(conversation_id=conversation_id, contact_id=contact_id)
        check_page_size(page_size, MAX_PAGE_SIZE)
        filters = query(conversation_id=conversation_id, contact_id=contact_id, page_size=page_size)
        return self._paginate(
            "GET", self._url("events"), into=ListEventsResponse, items=_events, params=filters
        )

    @endpoint("GET", "/v1/projects/{project_id}/events/{event_id}")
    async def get(self, *, event_id: str) -> ConversationEvent:
        """One stored event."""
        require(event_id=event_id)
        return await self._call(
            "GET", self._url(f"events/{segment(event_id)}"), into=ConversationEvent
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/events/{event_id}")
    async def delete(self, *, event_id: str) -> None:
        """Remove a stored event."""
        require(event_id=event_id)
        await self._call("DELETE", self._url(f"events/{segment(event_id)}"))
