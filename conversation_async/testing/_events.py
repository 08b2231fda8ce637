"""Events (catalog §2.5, §3.7): ``events:send`` and the stored ConversationEvents.

A send resolves the recipient to a contact and conversation exactly like ``messages:send``
(one store, so both see the same contacts) and gets its EVENT_DELIVERY callbacks the same
way (to ``callback_url`` or the app's webhooks). Listings are newest first, like messages.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._conversations import APP_EVENT_KEYS
from ._envelope import invalid_argument, json_response, not_found
from ._pagination import paginate
from ._params import (
    Params,
    Violations,
    empty_response,
    optional_str,
    read_json_object,
    require_str,
    validate_one_of,
    validate_recipient,
)
from ._routing import ID, PROJECT, RouteProvider, RouteSpec
from ._store import StoredEvent, format_time

QUEUES: Final = frozenset({"NORMAL_PRIORITY", "HIGH_PRIORITY"})
MAX_PAGE: Final = 20

_EVENTS: Final = PROJECT + "/events"
_EVENT: Final = _EVENTS + "/{event_id:" + ID + "}"


def validate_send_event(body: dict[str, Any]) -> Violations:
    """Every first-stage problem of a SendEventRequest."""
    problems: Violations = []
    require_str(body, "app_id", problems)
    problems.extend(validate_recipient(body.get("recipient")))
    problems.extend(validate_one_of(body.get("event"), APP_EVENT_KEYS, "event"))
    for name in ("callback_url", "event_metadata"):
        optional_str(body, name, problems)
    queue = body.get("queue")
    if queue is not None and queue not in QUEUES:
        problems.append(("queue", f"must be one of {', '.join(sorted(QUEUES))}"))
    order = body.get("channel_priority_order")
    if order is not None and not (
        _jsoncodec.is_array(order) and all(isinstance(c, str) for c in order)
    ):
        problems.append(("channel_priority_order", "must be a list of channels"))
    return problems


class EventRoutes(RouteProvider):
    """SendEvent, ListEvents, GetEvent, DeleteEvents."""

    ROUTES = (
        RouteSpec("POST", _EVENTS + ":send", "SendEvent", "send"),
        RouteSpec("GET", _EVENTS, "ListEvents", "list_events"),
        RouteSpec("GET", _EVENT, "GetEvent", "get"),
        RouteSpec("DELETE", _EVENT, "DeleteEvents", "delete"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> StoredEvent:
        event_id = request.match_info["event_id"]
        stored = self._store.events.get(event_id)
        if stored is None:
            raise not_found(f"Event {event_id} not found")
        return stored

    async def send(self, request: web.Request) -> web.Response:
        """SendEvent: validate, resolve contact + conversation, store, answer the ID."""
        body = await read_json_object(request)
        problems = validate_send_event(body)
        if problems:
            raise invalid_argument(problems)
        store = self._store
        app_id: str = body["app_id"]
        recipient: dict[str, Any] = body["recipient"]
        contact_id = recipient.get("contact_id")
        if contact_id is not None:
            channel, identity = store.identity_of_contact(contact_id)
        else:
            first = recipient["identified_by"]["channel_identities"][0]
            channel, identity = first["channel"], first["identity"]
            contact_id = store.contact_for_identity(channel, identity)
        accepted = store.accept_now()
        accept_time = format_time(accepted)
        event_id = store.new_id()
        event = {
            "id": event_id,
            "direction": "TO_CONTACT",
            "app_event": body["event"],
            "conversation_id": store.conversation_for(app_id, contact_id, channel),
            "contact_id": contact_id,
            "channel_identity": {"channel": channel, "identity": identity, "app_id": ""},
            "accept_time": accept_time,
            "processing_mode": "CONVERSATION",
        }
        stored = store.add_event(event, app_id=app_id, accepted=accepted)
        if store.webhooks or body.get("callback_url"):
            self._callbacks.event_sent(stored, body)
        return json_response({"event_id": event_id, "accepted_time": accept_time})

    async def list_events(self, request: web.Request) -> web.Response:
        """ListEvents: by ``conversation_id`` and/or ``contact_id``, newest first."""
        params = Params(request.query.get)
        conversation_id = params.string("conversation_id")
        contact_id = params.string("contact_id")
        page_size = params.page_size(MAX_PAGE)
        if conversation_id is None and contact_id is None:
            for name in ("conversation_id", "contact_id"):
                params.problems.append(
                    (name, "at least one of conversation_id or contact_id is required")
                )
        params.raise_if_invalid()
        matches = (
            (stored.sequence, stored.event)
            for stored in reversed(self._store.events.values())
            if (conversation_id is None or stored.event["conversation_id"] == conversation_id)
            and (contact_id is None or stored.event["contact_id"] == contact_id)
        )
        page, next_token = paginate(
            matches,
            tokens=self._tokens,
            scope=f"ListEvents|{conversation_id}|{contact_id}",
            token=request.query.get("page_token"),
            page_size=page_size,
            descending=True,
        )
        return json_response({"events": page, "next_page_token": next_token})

    async def get(self, request: web.Request) -> web.Response:
        """GetEvent."""
        return json_response(self._lookup(request).event)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteEvents: answers ``{}``; later lookups get 404."""
        del self._store.events[self._lookup(request).id]
        return empty_response()
