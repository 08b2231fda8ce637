"""The six message routes of catalog §2.4, working on plain decoded JSON.

Route names are the API's operationIds; they key ``Emulator.requests_seen`` and
``Emulator.script``. Validation mirrors the API's first (synchronous) stage and answers 400
INVALID_ARGUMENT with one field violation per problem found. A send that a webhook or its
``callback_url`` can hear of gets its MESSAGE_SUBMIT / MESSAGE_DELIVERY callbacks; every
accepted send is also appended to the ledger.

A message is stored in one of two sources: DISPATCH (sent with ``processing_strategy``
DISPATCH_ONLY, or by an app whose ``processing_mode`` is DISPATCH) or CONVERSATION (every
other, including sends from an app ID the emulator does not know). Listings, fetch-last and
GET/PATCH/DELETE of one message see only the ``messages_source`` asked for
(CONVERSATION_SOURCE by default); a message of the other source is not found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from ._envelope import invalid_argument, json_response, not_found
from ._inbound import processing_mode
from ._ledger import LedgerEntry
from ._params import (
    APP_MESSAGE_KEYS,
    Params,
    Violations,
    empty_response,
    non_empty_str,
    read_json_object,
    validate_one_of,
    validate_recipient,
)
from ._routing import PROJECT, RouteProvider, RouteSpec
from ._store import StoredMessage, format_time

CONTENT_KEYS: Final = APP_MESSAGE_KEYS
MESSAGES_SOURCES: Final = frozenset({"CONVERSATION_SOURCE", "DISPATCH_SOURCE"})
VIEWS: Final = frozenset({"WITH_METADATA", "WITHOUT_METADATA"})
DIRECTIONS: Final = frozenset({"TO_APP", "TO_CONTACT"})
_TTL: Final = re.compile(r"[0-9]+s")


def source_of(stored: StoredMessage) -> str:
    """The ``messages_source`` that holds ``stored``."""
    dispatch = stored.message["processing_mode"] == "DISPATCH"
    return "DISPATCH_SOURCE" if dispatch else "CONVERSATION_SOURCE"


def validate_send(body: dict[str, Any]) -> Violations:
    """Every first-stage problem of a SendMessageRequest, as ``(field, description)``."""
    problems: Violations = []
    if not non_empty_str(body.get("app_id")):
        problems.append(("app_id", "Field is mandatory and must be a non-empty string"))
    problems.extend(validate_recipient(body.get("recipient")))
    problems.extend(validate_one_of(body.get("message"), CONTENT_KEYS, "message"))
    ttl = body.get("ttl")
    if ttl is not None and not (isinstance(ttl, str) and _TTL.fullmatch(ttl)):
        problems.append(("ttl", 'must be a duration in whole seconds such as "10s"'))
    for name in ("message_metadata", "correlation_id", "processing_strategy", "callback_url"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            problems.append((name, "must be a string"))
    return problems


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
        # source_of(stored) != self.messages_source, inlined: this runs per stored message
        if (message["processing_mode"] == "DISPATCH") != (
            self.messages_source == "DISPATCH_SOURCE"
        ):
            return False
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


class _Params(Params):
    """Params plus the message listings' filter set."""

    __slots__ = ()

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


def _render(stored: StoredMessage, without_metadata: bool) -> dict[str, Any]:
    if without_metadata:
        return {**stored.message, "metadata": ""}
    return stored.message


_BASE: Final = PROJECT + "/messages"
_ITEM: Final = _BASE + "/{message_id}"


class MessageRoutes(RouteProvider):
    """Handlers for the message routes, over one :class:`Store`.

    Registered first: every ``/v1/projects/...`` route shares one aiohttp lookup list, so
    the benchmarked routes are matched before any other area's.
    """

    ROUTES = (
        RouteSpec("POST", _BASE + ":send", "SendMessage", "send"),
        RouteSpec(
            "POST", _BASE + ":fetch-last-message", "ListMessagesByChannelIdentity", "fetch_last"
        ),
        RouteSpec("GET", _BASE, "ListMessages", "list_messages"),
        RouteSpec("GET", _ITEM, "GetMessage", "get"),
        RouteSpec("PATCH", _ITEM, "UpdateMessageMetadata", "update"),
        RouteSpec("DELETE", _ITEM, "DeleteMessage", "delete"),
    )

    __slots__ = ()

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
        if body.get("processing_strategy") == "DISPATCH_ONLY":
            mode = "DISPATCH"
        else:
            mode = processing_mode(store, app_id)
        message = {
            "id": message_id,
            "direction": "TO_CONTACT",
            "app_message": body["message"],
            "channel_identity": {"channel": channel, "identity": identity, "app_id": ""},
            "conversation_id": conversation_id,
            "contact_id": contact_id,
            "metadata": body.get("message_metadata") or "",
            "accept_time": accept_time,
            "processing_mode": mode,
            "injected": False,
        }
        correlation_id = body.get("correlation_id")
        stored = store.add_message(
            message,
            app_id=app_id,
            correlation_id=correlation_id,
            request=body,
            accepted=accepted,
        )
        self._ledger.append(LedgerEntry(message_id, correlation_id, body, accepted))
        if store.webhooks or body.get("callback_url"):  # else: no receiver, no extra work
            self._callbacks.message_sent(stored, body)
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
        if not isinstance(value, list) or not all(non_empty_str(item) for item in value):
            params.problems.append((name, "must be a list of non-empty strings"))
            return None
        return value

    def _lookup(self, request: web.Request) -> StoredMessage:
        """The message of the path, if the ``messages_source`` asked for holds it."""
        source = request.query.get("messages_source") or "CONVERSATION_SOURCE"
        if source not in MESSAGES_SOURCES:
            raise invalid_argument(
                [("messages_source", "must be CONVERSATION_SOURCE or DISPATCH_SOURCE")]
            )
        message_id = request.match_info["message_id"]
        stored = self._store.messages.get(message_id)
        if stored is None or source_of(stored) != source:
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
        return empty_response()
