"""Reading and validating request input: JSON bodies, query/body parameters, shared shapes.

Every route validates like the API's first (synchronous) stage: it collects one
``(field, description)`` violation per problem and answers a single 400 INVALID_ARGUMENT
listing them, so a client sees every mistake of a request at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import ApiError, dumps, invalid_argument
from ._pagination import parse_page_size

Violations = list[tuple[str, str]]

MANDATORY: Final = "Field is mandatory"
APP_MESSAGE_KEYS: Final = (
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
"""The content keys of an AppMessage (catalog §3.3): exactly one must be set."""

_EMPTY: Final = dumps({})


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming ``body``."""
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not _jsoncodec.is_object(body):
        raise invalid_argument([("body", "request body must be a JSON object")])
    return body


def empty_response() -> web.Response:
    """The API's ``{}`` answer to deletes and other bodiless operations."""
    return web.Response(body=_EMPTY, content_type="application/json")


def non_empty_str(value: object) -> bool:
    """Whether ``value`` is a string with at least one character."""
    return isinstance(value, str) and value != ""


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp with a timezone, or ``None`` if it is not one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def require_str(body: Mapping[str, Any], name: str, problems: Violations, prefix: str = "") -> str:
    """``body[name]`` if it is a non-empty string; otherwise record a violation, answer ``""``."""
    value = body.get(name)
    if non_empty_str(value):
        return str(value)
    problems.append((prefix + name, f"{MANDATORY} and must be a non-empty string"))
    return ""


def optional_str(
    body: Mapping[str, Any], name: str, problems: Violations, *, max_length: int | None = None
) -> None:
    """Record a violation if ``body[name]`` is set but not a string (or longer than allowed)."""
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        problems.append((name, "must be a string"))
    elif max_length is not None and len(value) > max_length:
        problems.append((name, f"must be at most {max_length} characters"))


def validate_one_of(value: object, keys: Collection[str], field: str) -> Violations:
    """``value`` must be an object with exactly one of ``keys`` set, itself an object."""
    if not _jsoncodec.is_object(value):
        return [(field, f"{MANDATORY} and must be an object")]
    present = [key for key in keys if value.get(key) is not None]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        return [(field, f"exactly one of {', '.join(keys)} must be set (got {found})")]
    if not _jsoncodec.is_object(value[present[0]]):
        return [(f"{field}.{present[0]}", "must be an object")]
    return []


def validate_channel_identities(value: object, field: str, *, required: bool) -> Violations:
    """A list of ``{channel, identity, app_id?}`` objects (non-empty when ``required``)."""
    if value is None and not required:
        return []
    if not _jsoncodec.is_array(value) or (required and not value):
        return [(field, "at least one channel identity is required")]
    problems: Violations = []
    for index, item in enumerate(value):
        if not _jsoncodec.is_object(item):
            problems.append((f"{field}[{index}]", "must be an object"))
            continue
        for key in ("channel", "identity"):
            if not non_empty_str(item.get(key)):
                problems.append((f"{field}[{index}].{key}", MANDATORY))
    return problems


def validate_recipient(recipient: object, field: str = "recipient") -> Violations:
    """A Recipient (catalog §3.2): exactly one of ``contact_id`` or ``identified_by``."""
    if not _jsoncodec.is_object(recipient):
        return [(field, f"{MANDATORY} and must be an object")]
    has_contact = recipient.get("contact_id") is not None
    has_identities = recipient.get("identified_by") is not None
    if has_contact == has_identities:
        return [(field, "exactly one of contact_id or identified_by must be set")]
    if has_contact:
        if not non_empty_str(recipient["contact_id"]):
            return [(f"{field}.contact_id", "must be a non-empty string")]
        return []
    identified_by = recipient["identified_by"]
    identities = (
        identified_by.get("channel_identities") if _jsoncodec.is_object(identified_by) else None
    )
    return validate_channel_identities(
        identities, f"{field}.identified_by.channel_identities", required=True
    )


class Params:
    """Reads and validates parameters from a query string or a JSON body.

    Problems accumulate in ``problems``; :meth:`raise_if_invalid` turns them into one 400.
    """

    __slots__ = ("_get", "problems")

    def __init__(self, get: Callable[[str], object]) -> None:
        self._get = get
        self.problems: Violations = []

    def string(self, name: str) -> str | None:
        """An optional string; empty means absent."""
        value = self._get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problems.append((name, "must be a string"))
            return None
        return value

    def required(self, name: str) -> str:
        """A mandatory non-empty string."""
        value = self.string(name)
        if value is None:
            self.problems.append((name, MANDATORY))
            return ""
        return value

    def choice(self, name: str, allowed: frozenset[str], default: str | None) -> str | None:
        """An optional value out of ``allowed``."""
        value = self.string(name)
        if value is None:
            return default
        if value not in allowed:
            self.problems.append((name, f"must be one of {', '.join(sorted(allowed))}"))
            return default
        return value

    def time(self, name: str) -> datetime | None:
        """An optional RFC 3339 timestamp with a time zone."""
        value = self._get(name)
        if value is None or value == "":
            return None
        moment = parse_time(value)
        if moment is None:
            self.problems.append((name, "must be an RFC 3339 timestamp with a time zone"))
        return moment

    def boolean(self, name: str) -> bool:
        """An optional ``true``/``false`` (absent is false)."""
        value = self._get(name)
        if value is None or value == "" or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problems.append((name, "must be true or false"))
        return False

    def page_size(self, maximum: int = 1000) -> int:
        """``page_size``: default 10, between 1 and ``maximum``."""
        try:
            return parse_page_size(self._get("page_size"), maximum=maximum)
        except ApiError as error:
            self.problems.extend(error.violations)
            return 0

    def raise_if_invalid(self) -> None:
        """One 400 listing every problem found so far, if any."""
        if self.problems:
            raise invalid_argument(self.problems)
