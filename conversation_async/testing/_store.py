"""The emulator's in-memory state: one store for every API area.

Everything is plain decoded JSON (``dict``), independent of the SDK's models: the emulator
is a second implementation of the wire format, so a client bug cannot hide behind shared code.
Messages and events are kept in ``accept_time`` order, so "newest first" is simply reverse
insertion order; their ``sequence`` is that time in microseconds (made unique), which is what
page cursors hold. Contacts and conversations live in :class:`Table` s that number rows in
creation order, the cursor of their listings.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

_RANDOM_BITS: Final = 80
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
EPOCH_TIME: Final = "1970-01-01T00:00:00Z"
"""``last_received`` of a conversation that never received anything (catalog §3.8)."""
CONSENT_LISTS: Final = frozenset({"OPT_OUT_ALL", "OPT_OUT_MARKETING", "OPT_OUT_NOTIFICATION"})

V = TypeVar("V")
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS: Final = tuple(high + low for high in _CROCKFORD for low in _CROCKFORD)
"""Every 10-bit value as its two Crockford base32 digits."""
_STEM_SHIFTS: Final = tuple(range(110, -1, -10))
"""The 12 pairs of digits above the last pair (bits 10 to 129), most significant first."""


class UlidFactory:
    """Monotonic 26-character Crockford base32 ULIDs (48-bit ms time + 80-bit random).

    Made fast (a batch makes three IDs per recipient): as in the ULID spec's monotonic
    mode, the random part is drawn once per millisecond (from a private generator seeded
    by the OS; IDs are not secrets) and incremented for the next IDs of that millisecond,
    so consecutive IDs differ in their last two digits only: the 24 digits above them are
    kept while they do not change, and an ID is one concatenation.
    """

    __slots__ = ("_last", "_millis", "_random", "_stem", "_stem_value")

    def __init__(self) -> None:
        self._last = 0
        self._millis = -1
        self._stem_value = -1
        self._stem = ""
        self._random = random.Random(os.urandom(16))  # noqa: S311 - unique, not secret

    def __call__(self) -> str:
        millis = time.time_ns() // 1_000_000
        if millis > self._millis:
            self._millis = millis
            value = millis << _RANDOM_BITS | self._random.getrandbits(_RANDOM_BITS)
            if value <= self._last:  # the previous millisecond's IDs ran into this one
                value = self._last + 1
        else:  # the same millisecond (or the system clock went back)
            value = self._last + 1
        self._last = value
        stem = value >> 10
        if stem != self._stem_value:
            self._stem_value = stem
            self._stem = "".join([_PAIRS[(stem >> shift) & 1023] for shift in _STEM_SHIFTS])
        return self._stem + _PAIRS[value & 1023]


_LAST_SECOND: list[tuple[int, str]] = [(-1, "")]
"""The last second :func:`format_time` wrote and its text up to the fraction, as one
tuple replaced whole (emulators in several threads never see half an update)."""


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and ``Z``, as the API writes ``accept_time``.

    Fast for the many times of one second (a batch stores a thousand messages at once):
    the text up to the seconds' fraction is kept for the last second written."""
    if moment.tzinfo is None:
        return moment.isoformat(timespec="microseconds") + "Z"
    second, fraction = divmod(micros(moment), 1_000_000)
    cached, text = _LAST_SECOND[0]
    if second != cached:
        whole = (_EPOCH + timedelta(seconds=second)).replace(tzinfo=None)
        text = whole.isoformat(timespec="seconds") + "."
        _LAST_SECOND[0] = (second, text)
    return f"{text}{fraction:06d}Z"


def micros(moment: datetime) -> int:
    """``moment`` (timezone-aware) as integer microseconds since the Unix epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def identity_for_contact(contact_id: str) -> str:
    """A stable fake phone number for a contact the emulator has never seen."""
    digest = int.from_bytes(hashlib.sha256(contact_id.encode()).digest()[:8], "big")
    return f"+4670{digest % 10**7:07d}"


@dataclass(slots=True)
class StoredMessage:
    """One stored message.

    ``message`` is the ConversationMessage exactly as GET returns it; ``request`` is the raw
    decoded request body (SendMessageRequest, or InjectMessageRequest for injected ones; for
    ``Emulator.inbound_message``, ``{app_id, channel_identity, contact_message}``);
    ``sequence`` orders messages (higher = newer); ``accepted`` is ``accept_time`` as a
    datetime.
    """

    message: dict[str, Any]
    app_id: str
    correlation_id: str | None
    request: dict[str, Any]
    sequence: int
    accepted: datetime

    @property
    def id(self) -> str:
        """The message ID."""
        return str(self.message["id"])


@dataclass(slots=True)
class StoredEvent:
    """One stored ConversationEvent (from ``events:send`` or ``:inject-event``).

    ``event`` is the JSON exactly as GET returns it; ``app_id`` the app it belongs to;
    ``sequence`` and ``accepted`` as for :class:`StoredMessage`.
    """

    event: dict[str, Any]
    app_id: str
    sequence: int
    accepted: datetime

    @property
    def id(self) -> str:
        """The event ID."""
        return str(self.event["id"])


@dataclass(slots=True)
class StoredBatch:
    """One Batch API batch: ``status`` (READY, SCHEDULED, PROCESSED, CANCELLED),
    ``meta_data`` (its ``batch_metadata``), the effective ``send_after`` (None: immediate)
    and ``send_after_json`` as status answers show it, the raw ``request``, ``accepted``
    (on the emulator's clock), and the IDs of the messages it generated, in recipient order.
    """

    batch_id: str
    app_id: str
    status: str
    meta_data: dict[str, Any]
    send_after: datetime | None
    send_after_json: str | None
    request: dict[str, Any]
    accepted: datetime
    message_ids: list[str]

    def json(self) -> dict[str, Any]:
        """The Batch JSON of status answers."""
        found: dict[str, Any] = {
            "batch_id": self.batch_id,
            "meta_data": self.meta_data,
            "status": self.status,
        }
        if self.send_after_json is not None:
            found["send_after"] = self.send_after_json
        return found


class _Timed(Protocol):
    sequence: int

    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_Timed)


def _insert_by_time(rows: dict[str, _T], row: _T, last: int) -> int:
    """Add ``row`` keeping ``rows`` in sequence order; returns the new highest sequence.

    Sends arrive in time order (the fast path: append). An injected row from the past gets
    a free sequence near its time and the mapping is rebuilt in order (rare, test-only).
    """
    if row.sequence > last:
        rows[row.id] = row
        return row.sequence
    taken = {other.sequence for other in rows.values()}
    while row.sequence in taken:
        row.sequence += 1
    rows[row.id] = row
    ordered = sorted(rows.values(), key=lambda item: item.sequence)
    rows.clear()
    rows.update((item.id, item) for item in ordered)
    return max(last, row.sequence)


_dict_set = dict[str, Any].__setitem__


class Table(dict[str, V]):
    """ID -> row in creation order, numbering rows so page cursors survive deletes.

    A plain ``dict`` for readers; assign with ``table[key] = row`` so the row is numbered.
    """

    __slots__ = ("_last", "_numbers")

    def __init__(self) -> None:
        super().__init__()
        self._numbers: dict[str, int] = {}
        self._last = 0

    def __setitem__(self, key: str, value: V) -> None:
        if key not in self:
            self._last += 1
            self._numbers[key] = self._last
        _dict_set(self, key, value)  # not super(): a batch stores thousands at once

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._numbers.pop(key, None)

    def clear(self) -> None:
        """Forget every row (numbers keep increasing)."""
        super().clear()
        self._numbers.clear()

    def numbered(self) -> Iterator[tuple[int, V]]:
        """``(creation number, row)`` in creation order."""
        for number, _, value in self.numbered_items():
            yield number, value

    def numbered_items(self) -> Iterator[tuple[int, str, V]]:
        """``(creation number, key, row)`` in creation order."""
        numbers = self._numbers
        for key, value in self.items():
            number = numbers.get(key)
            if number is None:  # stored without item assignment: number it now
                self._last += 1
                number = numbers[key] = self._last
            yield number, key, value


class Store:
    """In-memory state of one emulator, readable (and resettable) by tests.

    - ``messages``: message ID -> :class:`StoredMessage`, oldest first.
    - ``events``: event ID -> :class:`StoredEvent`, oldest first.
    - ``contacts``: contact ID -> Contact JSON (a :class:`Table`).
    - ``conversations``: conversation ID -> Conversation JSON (a :class:`Table`).
    - ``apps``: app ID -> AppResponse JSON; ``webhooks``: webhook ID -> Webhook JSON.
    - ``templates``: template ID -> TemplateV2 JSON; ``templates_v1``: ID -> V1Template JSON.
    - ``consents``: ``(app_id, list_type)`` -> :class:`Table` of identity -> time added.
    - ``audit_records``: ``(app_id, identity)`` -> AuditRecord JSON list, oldest first.
    - ``project_settings``: the ProjectSettingsResponse JSON, or ``None``.
    - ``batches``: batch ID -> :class:`StoredBatch` (Batch API), oldest first.
    """

    __slots__ = (
        "_contact_by_identity",
        "_conversation_by_pair",
        "_last_accept",
        "_last_event_sequence",
        "_last_message_sequence",
        "apps",
        "audit_records",
        "batches",
        "consents",
        "contacts",
        "conversations",
        "events",
        "messages",
        "new_id",
        "project_id",
        "project_settings",
        "templates",
        "templates_v1",
        "webhooks",
    )

    def __init__(self, project_id: str = "emulator-project") -> None:
        self.project_id = project_id
        self.messages: dict[str, StoredMessage] = {}
        self.events: dict[str, StoredEvent] = {}
        self.contacts: Table[dict[str, Any]] = Table()
        self.conversations: Table[dict[str, Any]] = Table()
        self.apps: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.templates_v1: dict[str, dict[str, Any]] = {}
        self.consents: dict[tuple[str, str], Table[str]] = {}
        self.audit_records: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.project_settings: dict[str, Any] | None = None
        self.batches: dict[str, StoredBatch] = {}
        self.new_id = UlidFactory()
        self._contact_by_identity: dict[tuple[str, str], str] = {}
        self._conversation_by_pair: dict[tuple[str, str], str] = {}
        self._last_accept = datetime.min.replace(tzinfo=UTC)
        self._last_message_sequence = 0
        self._last_event_sequence = 0

    def clear(self) -> None:
        """Forget everything stored."""
        for collection in (
            self.messages,
            self.events,
            self.contacts,
            self.conversations,
            self.apps,
            self.webhooks,
            self.templates,
            self.templates_v1,
            self.consents,
            self.audit_records,
            self.batches,
            self._contact_by_identity,
            self._conversation_by_pair,
        ):
            collection.clear()
        self.project_settings = None
        self._last_message_sequence = 0
        self._last_event_sequence = 0

    def accept_now(self) -> datetime:
        """Now in UTC, never earlier than the previous accept time (keeps order == time)."""
        now = datetime.now(UTC)
        if now <= self._last_accept:
            now = self._last_accept + timedelta(microseconds=1)
        self._last_accept = now
        return now

    # -- contacts ------------------------------------------------------------------------

    def contact_for_identity(self, channel: str, identity: str) -> str:
        """The contact owning ``(channel, identity)``, created on first use."""
        key = (channel, identity)
        contact_id = self._contact_by_identity.get(key)
        if contact_id is None:
            contact_id = self.new_id()
            self._add_contact(contact_id, channel, identity)
        return contact_id

    def contact_of_identity(self, channel: str, identity: str) -> str | None:
        """The contact owning ``(channel, identity)``, if any (the oldest, on conflicts)."""
        return self._contact_by_identity.get((channel, identity))

    def identity_of_contact(self, contact_id: str) -> tuple[str, str]:
        """``(channel, identity)`` to send to a contact; unknown contacts are created on SMS."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            identity = identity_for_contact(contact_id)
            contact = self._add_contact(contact_id, "SMS", identity)
        first = contact["channel_identities"][0]
        return str(first["channel"]), str(first["identity"])

    def _add_contact(self, contact_id: str, channel: str, identity: str) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "id": contact_id,
            "channel_identities": [{"channel": channel, "identity": identity, "app_id": ""}],
            "channel_priority": [],
            "display_name": "Unknown",
            "email": "",
            "external_id": "",
            "metadata": "",
            "language": "UNSPECIFIED",
        }
        self.add_contact(contact)
        return contact

    def add_contact(self, contact: dict[str, Any]) -> None:
        """Store a new Contact (which carries its ``id``) and index its identities."""
        contact_id = str(contact["id"])
        self.contacts[contact_id] = contact
        for item in contact["channel_identities"]:
            self._contact_by_identity.setdefault((item["channel"], item["identity"]), contact_id)

    def reindex_contacts(self) -> None:
        """Rebuild the identity index after contacts changed identities or were removed."""
        index: dict[tuple[str, str], str] = {}
        for contact_id, contact in self.contacts.items():
            for item in contact["channel_identities"]:
                index.setdefault((item["channel"], item["identity"]), contact_id)
        self._contact_by_identity = index

    def delete_contact(self, contact_id: str) -> None:
        """Remove a contact with its conversations (and their messages and events)."""
        del self.contacts[contact_id]
        for conversation_id in [
            key for key, row in self.conversations.items() if row["contact_id"] == contact_id
        ]:
            self.delete_conversation(conversation_id)
        self.reindex_contacts()

    def merge_contacts(self, destination_id: str, source_id: str) -> dict[str, Any]:
        """Move the source's identities, conversations, messages and events to the
        destination, delete the source, and return the destination."""
        destination = self.contacts[destination_id]
        source = self.contacts[source_id]
        known = {
            (item["channel"], item["identity"], item.get("app_id", ""))
            for item in destination["channel_identities"]
        }
        for item in source["channel_identities"]:
            if (item["channel"], item["identity"], item.get("app_id", "")) not in known:
                destination["channel_identities"].append(dict(item))
        priority: list[str] = source.get("channel_priority") or []
        for channel in priority:
            if channel not in destination["channel_priority"]:
                destination["channel_priority"].append(channel)
        del self.contacts[source_id]
        for conversation in self.conversations.values():
            if conversation["contact_id"] != source_id:
                continue
            was_active = conversation["active"]
            self._unindex(conversation)
            conversation["contact_id"] = destination_id
            if was_active:
                key = (conversation["app_id"], destination_id)
                if key in self._conversation_by_pair:
                    conversation["active"] = False  # the destination's conversation stays
                else:
                    self._conversation_by_pair[key] = conversation["id"]
        for stored in self.messages.values():
            if stored.message["contact_id"] == source_id:
                stored.message["contact_id"] = destination_id
        for stored_event in self.events.values():
            if stored_event.event.get("contact_id") == source_id:
                stored_event.event["contact_id"] = destination_id
        self.reindex_contacts()
        return destination

    # -- conversations -------------------------------------------------------------------

    def active_conversation(self, app_id: str, contact_id: str) -> str | None:
        """The ID of the active conversation of ``(app_id, contact_id)``, if any."""
        return self._conversation_by_pair.get((app_id, contact_id))

    def conversation_for(self, app_id: str, contact_id: str, channel: str) -> str:
        """The active conversation of ``(app_id, contact_id)``, created on first use."""
        key = (app_id, contact_id)
        conversation_id = self._conversation_by_pair.get(key)
        if conversation_id is None:
            conversation_id = self.new_id()
            self.add_conversation(
                {
                    "id": conversation_id,
                    "app_id": app_id,
                    "contact_id": contact_id,
                    "active": True,
                    "active_channel": channel,
                    "metadata": "",
                    "metadata_json": {},
                    "correlation_id": "",
                    "last_received": EPOCH_TIME,
                }
            )
        return conversation_id

    def add_conversation(self, conversation: dict[str, Any]) -> None:
        """Store a new Conversation; the caller made sure an active one is the only one."""
        self.conversations[conversation["id"]] = conversation
        if conversation["active"]:
            self._index(conversation)

    def set_active(self, conversation: dict[str, Any], active: bool) -> None:
        """Activate or stop a stored conversation, keeping the active index in step."""
        self._unindex(conversation)
        conversation["active"] = active
        if active:
            self._index(conversation)

    def _index(self, conversation: dict[str, Any]) -> None:
        key = (conversation["app_id"], conversation["contact_id"])
        self._conversation_by_pair[key] = conversation["id"]

    def _unindex(self, conversation: dict[str, Any]) -> None:
        key = (conversation["app_id"], conversation["contact_id"])
        if self._conversation_by_pair.get(key) == conversation["id"]:
            del self._conversation_by_pair[key]

    def delete_conversation(self, conversation_id: str) -> None:
        """Remove a conversation with all its messages and events."""
        conversation = self.conversations[conversation_id]
        del self.conversations[conversation_id]
        self._unindex(conversation)
        for message_id in [
            key
            for key, stored in self.messages.items()
            if stored.message["conversation_id"] == conversation_id
        ]:
            del self.messages[message_id]
        for event_id in [
            key
            for key, stored in self.events.items()
            if stored.event.get("conversation_id") == conversation_id
        ]:
            del self.events[event_id]

    def last_messages(self) -> dict[str, StoredMessage]:
        """Conversation ID -> its newest message, for conversations that have one."""
        latest: dict[str, StoredMessage] = {}
        for stored in reversed(self.messages.values()):
            latest.setdefault(stored.message["conversation_id"], stored)
        return latest

    # -- messages and events ---------------------------------------------------------------

    def add_message(
        self,
        message: dict[str, Any],
        *,
        app_id: str,
        correlation_id: str | None,
        request: dict[str, Any],
        accepted: datetime,
    ) -> StoredMessage:
        """Store ``message`` (which must already carry its ``id``) at its ``accepted`` time."""
        stored = StoredMessage(
            message=message,
            app_id=app_id,
            correlation_id=correlation_id,
            request=request,
            sequence=micros(accepted),
            accepted=accepted,
        )
        self._last_message_sequence = _insert_by_time(
            self.messages, stored, self._last_message_sequence
        )
        return stored

    def add_event(self, event: dict[str, Any], *, app_id: str, accepted: datetime) -> StoredEvent:
        """Store ``event`` (which must already carry its ``id``) at its ``accepted`` time."""
        stored = StoredEvent(
            event=event, app_id=app_id, sequence=micros(accepted), accepted=accepted
        )
        self._last_event_sequence = _insert_by_time(self.events, stored, self._last_event_sequence)
        return stored

    # -- consents ------------------------------------------------------------------------

    def add_consent(
        self, app_id: str, list_type: str, identity: str, *, origin: str = "ORIGIN_API"
    ) -> bool:
        """Put ``identity`` on a consents list and audit it; ``False`` if already there."""
        listed = self.consents.setdefault((app_id, list_type), Table())
        if identity in listed:
            return False
        when = format_time(self.accept_now())
        listed[identity] = when
        self._audit(app_id, list_type, identity, "OPERATION_INSERT", origin, when)
        return True

    def remove_consent(
        self, app_id: str, list_type: str, identity: str, *, origin: str = "ORIGIN_API"
    ) -> bool:
        """Take ``identity`` off a consents list and audit it; ``False`` if it was not there."""
        listed = self.consents.get((app_id, list_type))
        if listed is None or identity not in listed:
            return False
        del listed[identity]
        self._audit(
            app_id, list_type, identity, "OPERATION_DELETE", origin, format_time(self.accept_now())
        )
        return True

    def _audit(
        self, app_id: str, list_type: str, identity: str, operation: str, origin: str, when: str
    ) -> None:
        self.audit_records.setdefault((app_id, identity), []).append(
            {
                "origin": origin,
                "operation": operation,
                "list_type": list_type,
                "project_id": self.project_id,
                "app_id": app_id,
                "datetime": when,
            }
        )
