"""The six message routes of catalog §2.4, working on plain decoded JSON.

Route names are the API's operationIds; they key ``Emulator.requests_seen`` and
``Emulator.script``. Validation mirrors the API's first (synchronous) stage and answers 400
INVALID_ARGUMENT with one field violation per problem found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from ._envelope import ApiError, invalid_argument, json_response, not_found
from ._pagination import PageTokens, parse_page_size
from ._store import Store, StoredMessage, format_time

CONTENT_KEYS: Final = (
    "text_message",
    "media_message",
    "choice_message",
    "card_message",
    "carousel_message",
    "location_message",
    "template_message",
    "list_message",
    "contact_info_message",
)
MESSAGES_SOURCES: Final = frozenset({"CONVERSATION_SOURCE", "DISPATCH_SOURCE"})
VIEWS: Final = frozenset({"WITH_METADATA", "WITHOUT_METADATA"})
DIRECTIONS: Final = frozenset({"TO_APP", "TO_CONTACT"})
_TTL: Final = re.compile(r"[0-9]+s")
_EMPTY: Final = json.dumps({}).encode()

Violations = list[tuple[str, str]]


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming ``body``."""
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise invalid_argument([("body", "request body must be a JSON object")])
    return body


def _present(mapping: dict[str, Any], key: str) -> bool:
    return mapping.get(key) is not None


def _non_empty_str(value: object) -> bool:
    return isinstance(value, str) and value != ""


def validate_send(body: dict[str, Any]) -> Violations:
    """Every first-stage problem of a SendMessageRequest, as ``(field, description)``."""
    problems: Violations = []
    if not _non_empty_str(body.get("app_id")):
        problems.append(("app_id", "Field is mandatory and must be a non-empty string"))
    problems.extend(_validate_recipient(body.get("recipient")))
    problems.extend(_validate_app_message(body.get("message")))
    ttl = body.get("ttl")
    if ttl is not None and not (isinstance(ttl, str) and _TTL.fullmatch(ttl)):
        problems.append(("ttl", 'must be a duration in whole seconds such as "10s"'))
    for name in ("message_metadata", "correlation_id", "processing_strategy"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            problems.append((name, "must be a string"))
    return problems


def _validate_recipient(recipient: object) -> Violations:
    if not isinstance(recipient, dict):
        return [("recipient", "Field is mandatory and must be an object")]
    has_contact = _present(recipient, "contact_id")
    has_identities = _present(recipient, "identified_by")
    if has_contact == has_identities:
        return [("recipient", "exactly one of contact_id or identified_by must be set")]
    if has_contact:
        if not _non_empty_str(recipient["contact_id"]):
            return [("recipient.contact_id", "must be a non-empty string")]
        return []
    identified_by = recipient["identified_by"]
    field = "recipient.identified_by.channel_identities"
    identities = (
        identified_by.get("channel_identities") if isinstance(identified_by, dict) else None
    )
    if not isinstance(identities, list) or not identities:
        return [(field, "at least one channel identity is required")]
    problems: Violations = []
    for index, item in enumerate(identities):
        if not isinstance(item, dict):
            problems.append((f"{field}[{index}]", "must be an object"))
            continue
        for key in ("channel", "identity"):
            if not _non_empty_str(item.get(key)):
                problems.append((f"{field}[{index}].{key}", "Field is mandatory"))
    return problems


def _validate_app_message(message: object) -> Violations:
    if not isinstance(message, dict):
        return [("message", "Field is mandatory and must be an object")]
    present = [key for key in CONTENT_KEYS if message.get(key) is not None]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        return [("message", f"exactly one of {', '.join(CONTENT_KEYS)} must be set (got {found})")]
    if not isinstance(message[present[0]], dict):
        return [(f"message.{present[0]}", "must be an object")]
    return []


def _parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp with a timezone, or ``None`` if it is not one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """The filters of ListMessages / ListMessagesByChannelIdentity, already validated."""

    conversation_id: str | None = None
    contact_id: str | None = None
    app_id: str | None = None
    channel_identity: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    channel: str | None = None
    direction: str | None = None
    only_recipient_originated: bool = False
    messages_source: str = "CONVERSATION_SOURCE"

    def matches(self, stored: StoredMessage) -> bool:
        """Whether ``stored`` passes every filter (start inclusive, end exclusive)."""
        message = stored.message
        if self.app_id is not None and stored.app_id != self.app_id:
            return False
        if self.conversation_id is not None and message["conversation_id"] != self.conversation_id:
            return False
        if self.contact_id is not None and message["contact_id"] != self.contact_id:
            return False
        identity = message["channel_identity"]
        if self.channel_identity is not None and identity["identity"] != self.channel_identity:
            return False
        if self.channel is not None and identity["channel"] != self.channel:
            return False
        direction = message["direction"]
        if self.direction is not None and direction != self.direction:
            return False
        if self.only_recipient_originated and direction != "TO_APP":
            return False
        if self.start is not None and stored.accepted < self.start:
            return False
        return not (self.end is not None and stored.accepted >= self.end)

    def scope(self, route: str, extra: str = "") -> str:
        """What a page token is bound to: the route, these filters and ``extra``."""
        return f"{route}|{self!r}|{extra}"


class _Params:
    """Reads and validates filter parameters from a query string or JSON body."""

    __slots__ = ("_get", "problems")

    def __init__(self, get: Callable[[str], object]) -> None:
        self._get = get
        self.problems: Violations = []

    def string(self, name: str) -> str | None:
        value = self._get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problems.append((name, "must be a string"))
            return None
        return value

    def choice(self, name: str, allowed: frozenset[str], default: str | None) -> str | None:
        value = self.string(name)
        if value is None:
            return default
        if value not in allowed:
            self.problems.append((name, f"must be one of {', '.join(sorted(allowed))}"))
            return default
        return value

    def time(self, name: str) -> datetime | None:
        value = self._get(name)
        if value is None or value == "":
            return None
        moment = _parse_time(value)
        if moment is None:
            self.problems.append((name, "must be an RFC 3339 timestamp with a time zone"))
        return moment

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if value is None or value == "" or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problems.append((name, "must be true or false"))
        return False

    def page_size(self) -> int:
        try:
            return parse_page_size(self._get("page_size"))
        except ApiError as error:
            self.problems.extend(error.violations)
            return 0

    def filter(self, *, with_conversation: bool) -> MessageFilter:
        return MessageFilter(
            conversation_id=self.string("conversation_id") if with_conversation else None,
            contact_id=self.string("contact_id") if with_conversation else None,
            app_id=self.string("app_id"),
            channel_identity=self.string("channel_identity") if with_conversation else None,
            start=self.time("start_time"),
            end=self.time("end_time"),
            channel=self.string("channel"),
            direction=self.choice("direction", DIRECTIONS, None),
            only_recipient_originated=(
                self.boolean("only_recipient_originated") if with_conversation else False
            ),
            messages_source=self.choice("messages_source", MESSAGES_SOURCES, "CONVERSATION_SOURCE")
            or "CONVERSATION_SOURCE",
        )

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise invalid_argument(self.problems)


def _render(stored: StoredMessage, without_metadata: bool) -> dict[str, Any]:
    if without_metadata:
        return {**stored.message, "metadata": ""}
    return stored.message


class MessageRoutes:
    """Handlers for the message routes, over one :class:`Store`."""

    __slots__ = ("_store", "_tokens")

    def __init__(self, store: Store, tokens: PageTokens) -> None:
        self._store = store
        self._tokens = tokens

    def routes(self) -> list[tuple[str, str, str, Callable[[web.Request], Any]]]:
        """``(method, path, route name, handler)`` for each message operation."""
        base = "/v1/projects/{project_id}/messages"
        item = base + "/{message_id}"
        return [
            ("POST", base + ":send", "SendMessage", self.send),
            (
                "POST",
                base + ":fetch-last-message",
                "ListMessagesByChannelIdentity",
                self.fetch_last,
            ),
            ("GET", base, "ListMessages", self.list_messages),
            ("GET", item, "GetMessage", self.get),
            ("PATCH", item, "UpdateMessageMetadata", self.update),
            ("DELETE", item, "DeleteMessage", self.delete),
        ]

    async def send(self, request: web.Request) -> web.Response:
        """SendMessage: validate, resolve contact + conversation, store, answer the ID."""
        body = await read_json_object(request)
        problems = validate_send(body)
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
        conversation_id = store.conversation_for(app_id, contact_id, channel)
        accepted = store.accept_now()
        accept_time = format_time(accepted)
        message_id = store.new_id()
        dispatch = body.get("processing_strategy") == "DISPATCH_ONLY"
        message = {
            "id": message_id,
            "direction": "TO_CONTACT",
            "app_message": body["message"],
            "channel_identity": {"channel": channel, "identity": identity, "app_id": ""},
            "conversation_id": conversation_id,
            "contact_id": contact_id,
            "metadata": body.get("message_metadata") or "",
            "accept_time": accept_time,
            "processing_mode": "DISPATCH" if dispatch else "CONVERSATION",
            "injected": False,
        }
        store.add_message(
            message,
            app_id=app_id,
            correlation_id=body.get("correlation_id"),
            request=body,
            accepted=accepted,
        )
        return json_response({"message_id": message_id, "accepted_time": accept_time})

    def _page(
        self,
        matches: Iterator[StoredMessage],
        *,
        scope: str,
        cursor: int | None,
        page_size: int,
        without_metadata: bool,
    ) -> web.Response:
        """One page of ``matches`` (newest first) after ``cursor``, plus the next token."""
        page: list[dict[str, Any]] = []
        last_sequence = 0
        next_token = ""
        for stored in matches:
            if cursor is not None and stored.sequence >= cursor:
                continue
            if len(page) == page_size:
                next_token = self._tokens.encode(scope, last_sequence)
                break
            page.append(_render(stored, without_metadata))
            last_sequence = stored.sequence
        return json_response({"messages": page, "next_page_token": next_token})

    async def list_messages(self, request: web.Request) -> web.Response:
        """ListMessages: filtered, newest first, ``page_token`` in the query."""
        query = request.query
        params = _Params(query.get)
        message_filter = params.filter(with_conversation=True)
        view = params.choice("view", VIEWS, "WITH_METADATA")
        page_size = params.page_size()
        if message_filter.messages_source == "DISPATCH_SOURCE":
            for name in ("conversation_id", "contact_id"):
                if query.get(name):
                    params.problems.append((name, "only allowed with CONVERSATION_SOURCE"))
        params.raise_if_invalid()
        scope = message_filter.scope("ListMessages")
        cursor = self._tokens.decode(scope, query.get("page_token"))
        matches = (s for s in reversed(self._store.messages.values()) if message_filter.matches(s))
        return self._page(
            matches,
            scope=scope,
            cursor=cursor,
            page_size=page_size,
            without_metadata=view == "WITHOUT_METADATA",
        )

    async def fetch_last(self, request: web.Request) -> web.Response:
        """ListMessagesByChannelIdentity: the newest message per identity or contact."""
        body = await read_json_object(request)
        params = _Params(body.get)
        identities = self._string_list(body, "channel_identities", params)
        contact_ids = self._string_list(body, "contact_ids", params)
        message_filter = params.filter(with_conversation=False)
        view = params.choice("view", VIEWS, "WITH_METADATA")
        page_size = params.page_size()
        if (identities is None) == (contact_ids is None):
            description = "exactly one of channel_identities or contact_ids must be set"
            params.problems.append(("channel_identities", description))
            params.problems.append(("contact_ids", description))
        elif contact_ids is not None and message_filter.messages_source == "DISPATCH_SOURCE":
            params.problems.append(("contact_ids", "not supported with DISPATCH_SOURCE"))
        params.raise_if_invalid()
        by_contact = contact_ids is not None
        wanted = set(contact_ids if contact_ids is not None else identities or ())
        kind = "contact_ids" if by_contact else "channel_identities"
        scope = message_filter.scope("ListMessagesByChannelIdentity", f"{kind}={sorted(wanted)}")
        cursor = self._tokens.decode(scope, body.get("page_token"))

        def latest() -> Iterator[StoredMessage]:
            remaining = set(wanted)
            for stored in reversed(self._store.messages.values()):
                message = stored.message
                key = (
                    message["contact_id"] if by_contact else message["channel_identity"]["identity"]
                )
                if key in remaining and message_filter.matches(stored):
                    remaining.discard(key)
                    yield stored
                    if not remaining:
                        return

        return self._page(
            latest(),
            scope=scope,
            cursor=cursor,
            page_size=page_size,
            without_metadata=view == "WITHOUT_METADATA",
        )

    @staticmethod
    def _string_list(body: dict[str, Any], name: str, params: _Params) -> list[str] | None:
        value = body.get(name)
        if value is None or value == []:
            return None
        if not isinstance(value, list) or not all(_non_empty_str(item) for item in value):
            params.problems.append((name, "must be a list of non-empty strings"))
            return None
        return value

    def _lookup(self, request: web.Request) -> StoredMessage:
        source = request.query.get("messages_source")
        if source is not None and source not in MESSAGES_SOURCES:
            raise invalid_argument(
                [("messages_source", "must be CONVERSATION_SOURCE or DISPATCH_SOURCE")]
            )
        message_id = request.match_info["message_id"]
        stored = self._store.messages.get(message_id)
        if stored is None:
            raise not_found(f"Message {message_id} not found")
        return stored

    async def get(self, request: web.Request) -> web.Response:
        """GetMessage."""
        return json_response(self._lookup(request).message)

    async def update(self, request: web.Request) -> web.Response:
        """UpdateMessageMetadata: body ``{"metadata": <string>}``; returns the message."""
        body = await read_json_object(request)
        metadata = body.get("metadata")
        if not isinstance(metadata, str):
            raise invalid_argument([("metadata", "Field is mandatory and must be a string")])
        stored = self._lookup(request)
        stored.message["metadata"] = metadata
        return json_response(stored.message)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteMessage: answers ``{}``; later lookups get 404."""
        stored = self._lookup(request)
        del self._store.messages[stored.id]
        return web.Response(body=_EMPTY, content_type="application/json")
