"""Conversations (catalog §2.3, §2.14) over ``store.conversations``, shared with sends.

At most one conversation per (app, contact) is active: creating or activating a second one
is a 400 naming ``active`` (stop the first one instead). A conversation's contact must exist
(a body reference to a missing resource is a 400 naming the field; IDs in the path are 404s).
Injected messages and events keep their own ``accept_time`` and are listed at that time.
An injected message's ``sender_id`` (what the contact wrote to, catalog §3.6) is the
request's, else for a TO_APP message the one inbound messages get; a TO_CONTACT message
has none unless the request gives one.
Recent conversations are ordered per request by their newest message (conversations without
one come last, without ``last_message``); their page cursor is a position in that order.

CreateConversation, StopActiveConversation (of an active conversation) and
DeleteConversation notify the conversation's app with CONVERSATION_START / _STOP / _DELETE;
conversations that sends create, and ``active`` changed by UpdateConversation, do not.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import invalid_argument, json_response, not_found
from ._inbound import sender_id
from ._masks import apply_update, merge_patch, parse_update_mask
from ._pagination import paginate
from ._params import (
    APP_MESSAGE_KEYS,
    MANDATORY,
    Params,
    Violations,
    empty_response,
    non_empty_str,
    optional_str,
    parse_time,
    read_json_object,
    require_str,
    validate_one_of,
)
from ._routing import ID, PROJECT, RouteProvider, RouteSpec
from ._store import EPOCH_TIME, StoredMessage

CONVERSATION_FIELDS: Final[dict[str, Any]] = {
    "active": False,
    "active_channel": "CHANNEL_UNSPECIFIED",
    "metadata": "",
    "metadata_json": {},
    "correlation_id": "",
}
"""Writable conversation fields -> their default (and cleared) value."""

CONTACT_MESSAGE_KEYS: Final = (
    "text_message",
    "media_message",
    "media_card_message",
    "location_message",
    "choice_response_message",
    "product_response_message",
    "fallback_message",
    "channel_specific_message",
)
"""The content keys of a ContactMessage (catalog §3.4): exactly one must be set."""

APP_EVENT_KEYS: Final = (
    "composing_event",
    "composing_end_event",
    "comment_reply_event",
    "agent_joined_event",
    "agent_left_event",
    "generic_event",
)
"""The keys of an AppEvent (catalog §3.7): exactly one must be set."""

CONTACT_EVENT_KEYS: Final = (
    "composing_event",
    "composing_end_event",
    "comment_event",
    "conversation_deleted_event",
    "generic_event",
)
CONTACT_MESSAGE_EVENT_KEYS: Final = (
    "reaction_event",
    "shortlink_activated_event",
    "payment_status_update_event",
)
INJECTED_EVENT_FAMILIES: Final = {
    "app_event": (APP_EVENT_KEYS, "TO_CONTACT"),
    "contact_event": (CONTACT_EVENT_KEYS, "TO_APP"),
    "contact_message_event": (CONTACT_MESSAGE_EVENT_KEYS, "TO_APP"),
}
"""InjectEvent takes exactly one event family (as the Node and .NET SDKs send it), and the
family decides the stored event's direction."""

DIRECTIONS: Final = frozenset({"TO_APP", "TO_CONTACT"})
METADATA_STRATEGIES: Final = frozenset({"REPLACE", "MERGE_PATCH"})
ORDERS: Final = frozenset({"ASC", "DESC"})
MAX_PAGE: Final = 20
MAX_RECENT_PAGE: Final = 50
_CORRELATION_LIMIT: Final = 128

_CONVERSATIONS: Final = PROJECT + "/conversations"
_CONVERSATION: Final = _CONVERSATIONS + "/{conversation_id:" + ID + "}"


def validate_conversation(conversation: dict[str, Any]) -> Violations:
    """Type problems of a complete conversation (after defaults or an update were applied)."""
    problems: Violations = []
    if not isinstance(conversation.get("active"), bool):
        problems.append(("active", "must be true or false"))
    if not _jsoncodec.is_object(conversation.get("metadata_json")):
        problems.append(("metadata_json", "must be a JSON object"))
    for name in ("active_channel", "metadata"):
        optional_str(conversation, name, problems)
    optional_str(conversation, "correlation_id", problems, max_length=_CORRELATION_LIMIT)
    return problems


def past_time(body: dict[str, Any], name: str, problems: Violations) -> datetime | None:
    """``body[name]``: a mandatory RFC 3339 timestamp that is not in the future."""
    moment = parse_time(body.get(name))
    if moment is None:
        problems.append((name, f"{MANDATORY}: an RFC 3339 timestamp with a time zone"))
    elif moment > datetime.now(UTC):
        problems.append((name, "must not be in the future"))
    return moment


class ConversationRoutes(RouteProvider):
    """The nine conversation operations."""

    ROUTES = (
        RouteSpec("GET", _CONVERSATIONS, "ListConversations", "list_conversations"),
        RouteSpec("POST", _CONVERSATIONS, "CreateConversation", "create"),
        RouteSpec("GET", _CONVERSATION, "GetConversation", "get"),
        RouteSpec("PATCH", _CONVERSATION, "UpdateConversation", "update"),
        RouteSpec("DELETE", _CONVERSATION, "DeleteConversation", "delete"),
        RouteSpec("POST", _CONVERSATION + ":stop", "StopActiveConversation", "stop"),
        RouteSpec("POST", _CONVERSATION + ":inject-message", "InjectMessage", "inject_message"),
        RouteSpec("POST", _CONVERSATION + ":inject-event", "InjectEvent", "inject_event"),
        RouteSpec("GET", _CONVERSATIONS + ":recent", "ListRecentConversations", "recent"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        conversation_id = request.match_info["conversation_id"]
        conversation = self._store.conversations.get(conversation_id)
        if conversation is None:
            raise not_found(f"Conversation {conversation_id} not found")
        return conversation

    def _check_single_active(self, conversation: dict[str, Any], problems: Violations) -> None:
        if not conversation["active"]:
            return
        active = self._store.active_conversation(conversation["app_id"], conversation["contact_id"])
        if active is not None and active != conversation["id"]:
            problems.append(
                ("active", f"conversation {active} is already active for this app and contact")
            )

    def _notify(self, trigger: str, key: str, conversation: dict[str, Any]) -> None:
        """One conversation callback to the conversation's app's subscribed webhooks."""
        if self._store.webhooks:
            self._callbacks.notify(
                conversation["app_id"], [(trigger, key, {"conversation": conversation})]
            )

    async def list_conversations(self, request: web.Request) -> web.Response:
        """ListConversations: by ``app_id`` and/or ``contact_id``, oldest first."""
        params = Params(request.query.get)
        app_id = params.string("app_id")
        contact_id = params.string("contact_id")
        only_active = params.boolean("only_active")
        channel = params.string("active_channel")
        page_size = params.page_size(MAX_PAGE)
        if app_id is None and contact_id is None:
            for name in ("app_id", "contact_id"):
                params.problems.append((name, "at least one of app_id or contact_id is required"))
        params.raise_if_invalid()
        matches = [
            (number, row)
            for number, row in self._store.conversations.numbered()
            if (app_id is None or row["app_id"] == app_id)
            and (contact_id is None or row["contact_id"] == contact_id)
            and (not only_active or row["active"])
            and (channel is None or row["active_channel"] == channel)
        ]
        page, next_token = paginate(
            matches,
            tokens=self._tokens,
            scope=f"ListConversations|{app_id}|{contact_id}|{only_active}|{channel}",
            token=request.query.get("page_token"),
            page_size=page_size,
        )
        return json_response(
            {"conversations": page, "next_page_token": next_token, "total_size": len(matches)}
        )

    async def create(self, request: web.Request) -> web.Response:
        """CreateConversation: ``app_id`` and an existing ``contact_id`` are required."""
        body = await read_json_object(request)
        problems: Violations = []
        app_id = require_str(body, "app_id", problems)
        contact_id = require_str(body, "contact_id", problems)
        if contact_id and contact_id not in self._store.contacts:
            problems.append(("contact_id", f"contact {contact_id} does not exist"))
        conversation: dict[str, Any] = {
            "id": self._store.new_id(),
            "app_id": app_id,
            "contact_id": contact_id,
        }
        for name, default in CONVERSATION_FIELDS.items():
            value = body.get(name)
            conversation[name] = copy.deepcopy(value if value is not None else default)
        conversation["last_received"] = EPOCH_TIME
        problems.extend(validate_conversation(conversation))
        if not problems:
            self._check_single_active(conversation, problems)
        if problems:
            raise invalid_argument(problems)
        self._store.add_conversation(conversation)
        self._notify("CONVERSATION_START", "conversation_start_notification", conversation)
        return json_response(conversation)

    async def get(self, request: web.Request) -> web.Response:
        """GetConversation."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """UpdateConversation, with ``metadata_update_strategy`` REPLACE or MERGE_PATCH."""
        conversation = self._lookup(request)
        mask = parse_update_mask(request, CONVERSATION_FIELDS)
        params = Params(request.query.get)
        strategy = params.choice("metadata_update_strategy", METADATA_STRATEGIES, "REPLACE")
        params.raise_if_invalid()
        body = await read_json_object(request)
        updated = apply_update(conversation, body, mask, CONVERSATION_FIELDS)
        touched = mask if mask is not None else body
        if strategy == "MERGE_PATCH" and "metadata_json" in touched:
            patch = body.get("metadata_json")
            if patch is not None and not _jsoncodec.is_object(patch):
                raise invalid_argument([("metadata_json", "must be a JSON object")])
            updated["metadata_json"] = merge_patch(conversation["metadata_json"], patch or {})
        problems = validate_conversation(updated)
        if not problems:
            self._check_single_active(updated, problems)
        if problems:
            raise invalid_argument(problems)
        active = updated.pop("active")
        conversation.update(updated)
        self._store.set_active(conversation, active)
        return json_response(conversation)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteConversation: removes it with all its messages and events."""
        conversation = self._lookup(request)
        self._store.delete_conversation(conversation["id"])
        self._notify("CONVERSATION_DELETE", "conversation_delete_notification", conversation)
        return empty_response()

    async def stop(self, request: web.Request) -> web.Response:
        """StopActiveConversation: ``active`` becomes false."""
        conversation = self._lookup(request)
        was_active = conversation["active"]
        self._store.set_active(conversation, False)
        if was_active:
            self._notify("CONVERSATION_STOP", "conversation_stop_notification", conversation)
        return empty_response()

    async def inject_message(self, request: web.Request) -> web.Response:
        """InjectMessage: stores the message (``injected: true``) in this conversation."""
        conversation = self._lookup(request)
        body = await read_json_object(request)
        problems: Violations = []
        has_app = body.get("app_message") is not None
        if has_app == (body.get("contact_message") is not None):
            problems.append(
                ("app_message", "exactly one of app_message or contact_message must be set")
            )
        elif has_app:
            problems.extend(validate_one_of(body["app_message"], APP_MESSAGE_KEYS, "app_message"))
        else:
            problems.extend(
                validate_one_of(body["contact_message"], CONTACT_MESSAGE_KEYS, "contact_message")
            )
        accepted = past_time(body, "accept_time", problems)
        identity = self._channel_identity(body, problems, required=True)
        require_str(body, "contact_id", problems)
        if body.get("direction") not in DIRECTIONS:
            problems.append(("direction", f"{MANDATORY}: TO_APP or TO_CONTACT"))
        for name in ("sender_id", "metadata", "processing_mode"):
            optional_str(body, name, problems)
        if problems or accepted is None:
            raise invalid_argument(problems)
        content_key = "app_message" if has_app else "contact_message"
        sender = body.get("sender_id")
        if not sender and body["direction"] == "TO_APP":
            sender = sender_id(self._store, conversation["app_id"], identity["channel"])
        message = {
            "id": self._store.new_id(),
            "direction": body["direction"],
            content_key: body[content_key],
            "channel_identity": identity,
            "conversation_id": conversation["id"],
            "contact_id": body["contact_id"],
            "metadata": body.get("metadata") or "",
            "accept_time": body["accept_time"],
            **({"sender_id": sender} if sender else {}),
            "processing_mode": body.get("processing_mode") or "CONVERSATION",
            "injected": True,
        }
        self._store.add_message(
            message,
            app_id=conversation["app_id"],
            correlation_id=None,
            request=body,
            accepted=accepted,
        )
        if body["direction"] == "TO_APP":
            conversation["last_received"] = body["accept_time"]
        return empty_response()

    def _channel_identity(
        self, body: dict[str, Any], problems: Violations, *, required: bool
    ) -> dict[str, Any]:
        identity = body.get("channel_identity")
        if identity is None and not required:
            return {}
        if not _jsoncodec.is_object(identity):
            problems.append(("channel_identity", f"{MANDATORY} and must be an object"))
            return {}
        for key in ("channel", "identity"):
            if not non_empty_str(identity.get(key)):
                problems.append((f"channel_identity.{key}", MANDATORY))
        return {"app_id": "", **identity}

    async def inject_event(self, request: web.Request) -> web.Response:
        """InjectEvent: stores an app, contact or contact-message event; answers its ID."""
        conversation = self._lookup(request)
        body = await read_json_object(request)
        families = [name for name in INJECTED_EVENT_FAMILIES if body.get(name) is not None]
        if len(families) != 1:
            problems = [("app_event", f"exactly one of {', '.join(INJECTED_EVENT_FAMILIES)}")]
            family = "app_event"
        else:
            family = families[0]
            keys, _ = INJECTED_EVENT_FAMILIES[family]
            problems = validate_one_of(body[family], keys, family)
        accepted = past_time(body, "accept_time", problems)
        identity = self._channel_identity(body, problems, required=False)
        for name in ("contact_id", "processing_mode"):
            optional_str(body, name, problems)
        if problems or accepted is None:
            raise invalid_argument(problems)
        if not identity:
            channel, value = self._store.identity_of_contact(conversation["contact_id"])
            identity = {"channel": channel, "identity": value, "app_id": ""}
        event_id = self._store.new_id()
        event = {
            "id": event_id,
            "direction": INJECTED_EVENT_FAMILIES[family][1],
            family: body[family],
            "conversation_id": conversation["id"],
            "contact_id": body.get("contact_id") or conversation["contact_id"],
            "channel_identity": identity,
            "accept_time": body["accept_time"],
            "processing_mode": body.get("processing_mode") or "CONVERSATION",
        }
        self._store.add_event(event, app_id=conversation["app_id"], accepted=accepted)
        return json_response({"event_id": event_id, "accepted_time": body["accept_time"]})

    async def recent(self, request: web.Request) -> web.Response:
        """ListRecentConversations: an app's conversations by their newest message."""
        params = Params(request.query.get)
        app_id = params.required("app_id")
        only_active = params.boolean("only_active")
        order = params.choice("order", ORDERS, "DESC")
        page_size = params.page_size(MAX_RECENT_PAGE)
        params.raise_if_invalid()
        latest = self._store.last_messages()
        rows: list[tuple[int, dict[str, Any], StoredMessage | None]] = []
        for conversation in self._store.conversations.values():
            if conversation["app_id"] != app_id or (only_active and not conversation["active"]):
                continue
            last = latest.get(conversation["id"])
            rows.append((last.sequence if last else -1, conversation, last))
        rows.sort(key=lambda row: row[0], reverse=order == "DESC")
        items: list[dict[str, Any]] = []
        for _, conversation, last in rows:
            item: dict[str, Any] = {"conversation": conversation}
            if last is not None:
                item["last_message"] = last.message
            items.append(item)
        page, next_token = paginate(
            enumerate(items, start=1),
            tokens=self._tokens,
            scope=f"ListRecentConversations|{app_id}|{only_active}|{order}",
            token=request.query.get("page_token"),
            page_size=page_size,
        )
        return json_response(
            {"conversations": page, "next_page_token": next_token, "total_size": len(items)}
        )
