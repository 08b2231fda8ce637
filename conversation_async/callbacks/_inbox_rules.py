"""What a durable inbox's worker does with each stream entry, decided without I/O.

The Redis inbox (``conversation_async.redis.RedisStreamInbox``) appends each verified raw body as
one stream entry and its workers consume the stream through a consumer group. These
functions hold its decisions, so they are tested without Redis: what to write, how to
read redis-py's replies (whatever the protocol or ``decode_responses``), whether an entry
is handled or dead-lettered, the key that marks it handled, and when to claim idle ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeGuard

import attrs

from .._checked import is_any_mapping
from .._errors import CallbackParseError
from ._parse import parse_callback
from ._receiver_core import VerifiedCallback
from ._rules import dedupe_key

__all__ = [
    "BODY",
    "ClaimSchedule",
    "DeadLetter",
    "Entry",
    "Handle",
    "check_settings",
    "claimed_entries",
    "dead_letter_fields",
    "delivery_counts",
    "entry_fields",
    "handled_key",
    "milliseconds",
    "plan",
    "read_entries",
]

BODY: Final = "body"
"""The field of a stream entry holding the callback's raw body, exactly as received."""

SCAN_DONE: Final = "0-0"
"""The XAUTOCLAIM cursor that starts a scan of the pending entries, and ends one."""


@attrs.frozen
class Entry:
    """One stream entry as a worker got it: its id, its fields (None when the entry was
    trimmed from the stream while still pending) and how many times it was delivered to a
    consumer, this delivery included."""

    id: str
    fields: Mapping[str, bytes] | None
    deliveries: int = 1


@attrs.frozen
class Handle:
    """Run the handlers for this callback."""

    callback: VerifiedCallback


@attrs.frozen
class DeadLetter:
    """Do not run anything: move the entry to the dead-letter stream, for this reason."""

    reason: str


def entry_fields(callback: VerifiedCallback) -> dict[str, bytes]:
    """The fields appended for an accepted callback: its raw body, nothing derived (the
    worker parses it again, with the same parser)."""
    return {BODY: callback.body}


def plan(entry: Entry, max_deliveries: int) -> Handle | DeadLetter:
    """Handle an entry whose body parses, unless it was already delivered more than
    ``max_deliveries`` times (its handlers failed that often, or its workers died);
    dead-letter what cannot be handled (retrying it would only fail again), and record
    an entry trimmed away while pending as lost."""
    if entry.fields is None:
        return DeadLetter("trimmed from the stream before it was handled")
    body = entry.fields.get(BODY)
    if body is None:
        return DeadLetter("malformed: no body field")
    try:
        event = parse_callback(body)
    except CallbackParseError as exc:
        return DeadLetter(f"malformed: {exc}")
    if entry.deliveries > max_deliveries:
        return DeadLetter(f"not handled after {max_deliveries} deliveries")
    return Handle(VerifiedCallback(event=event, body=body, key=dedupe_key(event, body)))


def dead_letter_fields(entry: Entry, reason: str) -> dict[str, bytes]:
    """What the dead-letter stream keeps of an entry: the raw body (to replay it), where
    it came from, how often it was delivered and why it was given up."""
    body = b"" if entry.fields is None else entry.fields.get(BODY, b"")
    return {
        BODY: body,
        "entry": entry.id.encode(),
        "deliveries": str(entry.deliveries).encode(),
        "reason": reason.encode(),
    }


def handled_key(group: str, key: str) -> str:
    """The dedupe-store key marking a callback handled by ``group``'s workers: apart from
    the receiver's own keys (:func:`dedupe_key`), so one store can serve both."""
    return f"inbox:{group}:{key}"


def milliseconds(seconds: float) -> int:
    """Seconds as the whole milliseconds Redis takes (at least 1)."""
    return max(1, round(seconds * 1000))


def check_settings(
    *,
    maxlen: int,
    min_idle: float,
    handler_timeout: float,
    max_deliveries: int,
    append_timeout: float,
) -> None:
    """Refuse settings under which an entry could be lost or handled twice at once: a live
    worker must be done with an entry (handlers bounded by ``handler_timeout``) before
    another may claim it (``min_idle``)."""
    if maxlen <= 0 or max_deliveries <= 0:
        raise ValueError("maxlen and max_deliveries must be positive")
    if handler_timeout <= 0:
        raise ValueError("handler_timeout must be positive")
    if not (append_timeout > 0 and math.isfinite(append_timeout)):
        raise ValueError(f"append_timeout must be a positive number, got {append_timeout!r}")
    if min_idle <= handler_timeout:
        raise ValueError(
            f"min_idle ({min_idle} s) must exceed handler_timeout ({handler_timeout} s): "
            "an entry would be claimed from a worker still running its handlers"
        )


class ClaimSchedule:
    """When a worker looks for idle entries to claim (XAUTOCLAIM): at once on start (a
    worker that died before may have left some), then every ``interval`` seconds, and
    straight on while a scan of the pending entries is unfinished. Pure: told the time."""

    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._interval = interval
        self._next = float("-inf")
        self.cursor = SCAN_DONE

    def due(self, now: float) -> bool:
        """Whether to claim now."""
        return now >= self._next

    def scanned(self, cursor: str, now: float) -> None:
        """One XAUTOCLAIM call returned ``cursor``: go on from it, or rest once done."""
        self.cursor = cursor
        self._next = now if cursor != SCAN_DONE else now + self._interval


# --- redis-py replies -----------------------------------------------------------------
# Stream replies differ with the protocol (RESP2, RESP3) and the redis-py version; ids and
# fields are bytes, or text with decode_responses=True. These read every shape.


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _raw(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _is_array(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    """A RESP array as redis-py gives it: a list, or a tuple."""
    return isinstance(value, list | tuple)


def _fields(value: Any) -> dict[str, bytes] | None:
    if value is None:
        return None
    if is_any_mapping(value):
        return {_text(k): _raw(v) for k, v in value.items()}
    flat = list(value)  # a flat [field, value, ...] list
    return {_text(k): _raw(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}


def _is_entry(item: Any) -> bool:
    return (
        _is_array(item)
        and len(item) >= 2
        and isinstance(item[0], bytes | str)
        and (item[1] is None or isinstance(item[1], Mapping | list | tuple))
        and not (isinstance(item[1], list | tuple) and item[1] and _is_entry(item[1][0]))
    )


def _entries(items: Any, deliveries: int) -> list[Entry]:
    """Entries from a list of ``(id, fields)`` pairs, nested lists flattened."""
    found: list[Entry] = []
    for item in items or ():
        if item is None or (_is_array(item) and item and item[0] is None):
            continue  # an id without its entry: nothing to handle
        if _is_entry(item):
            found.append(Entry(_text(item[0]), _fields(item[1]), deliveries))
        else:
            found.extend(_entries(item, deliveries))
    return found


def read_entries(reply: Any) -> list[Entry]:
    """The entries of an XREADGROUP reply for one stream: ``[[stream, entries]]``,
    ``{stream: entries}`` or ``{stream: [entries]}``; None or empty when nothing came."""
    if not reply:
        return []
    streams = reply.values() if is_any_mapping(reply) else (pair[1] for pair in reply)
    return [entry for entries in streams for entry in _entries(entries, 1)]


def claimed_entries(reply: Any) -> tuple[str, list[Entry], list[str]]:
    """An XAUTOCLAIM reply: the cursor to go on from, the entries claimed (delivery counts
    still unknown) and the ids of pending entries no longer in the stream (trimmed; Redis
    7 drops them from the pending list)."""
    cursor = _text(reply[0])
    deleted = [_text(i) for i in reply[2]] if len(reply) > 2 and reply[2] else []
    return cursor, _entries(reply[1], 0), deleted


def delivery_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Entry id to times delivered, from XPENDING range rows (redis-py dicts)."""
    return {_text(row["message_id"]): int(row["times_delivered"]) for row in rows}
