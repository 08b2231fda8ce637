"""The emulator's in-memory state: messages, and the contacts and conversations sends create.

Everything is plain decoded JSON (``dict``), independent of the SDK's models: the emulator
is a second implementation of the wire format, so a client bug cannot hide behind shared code.
Messages are kept in insertion order with non-decreasing ``accept_time``, so "newest first"
is simply reverse insertion order.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

_RANDOM_BITS: Final = 80
_TO_CROCKFORD: Final = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


class UlidFactory:
    """Monotonic 26-character Crockford base32 ULIDs (48-bit ms time + 80-bit random)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> str:
        value = (time.time_ns() // 1_000_000) << _RANDOM_BITS | int.from_bytes(
            os.urandom(10), "big"
        )
        if value <= self._last:
            value = self._last + 1
        self._last = value
        # 20 bytes = 32 base32 digits; the first 6 only hold the 30 zero bits above 130.
        encoded = base64.b32encode(value.to_bytes(20, "big"))[6:]
        return encoded.translate(_TO_CROCKFORD).decode("ascii")


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and ``Z``, as the API writes ``accept_time``."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def identity_for_contact(contact_id: str) -> str:
    """A stable fake phone number for a contact the emulator has never seen."""
    digest = int.from_bytes(hashlib.sha256(contact_id.encode()).digest()[:8], "big")
    return f"+4670{digest % 10**7:07d}"


@dataclass(slots=True)
class StoredMessage:
    """One stored message.

    ``message`` is the ConversationMessage exactly as GET returns it; ``request`` is the raw
    decoded SendMessageRequest body; ``sequence`` orders messages (higher = newer);
    ``accepted`` is ``accept_time`` as a datetime.
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


class Store:
    """In-memory state of one emulator, readable (and resettable) by tests.

    - ``messages``: message ID -> :class:`StoredMessage`, oldest first.
    - ``contacts``: contact ID -> Contact JSON dict.
    - ``conversations``: conversation ID -> Conversation JSON dict.
    """

    __slots__ = (
        "_contact_by_identity",
        "_conversation_by_pair",
        "_last_accept",
        "_sequence",
        "contacts",
        "conversations",
        "messages",
        "new_id",
    )

    def __init__(self) -> None:
        self.messages: dict[str, StoredMessage] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.new_id = UlidFactory()
        self._contact_by_identity: dict[tuple[str, str], str] = {}
        self._conversation_by_pair: dict[tuple[str, str], str] = {}
        self._sequence = 0
        self._last_accept = datetime.min.replace(tzinfo=UTC)

    def clear(self) -> None:
        """Forget every message, contact and conversation."""
        self.messages.clear()
        self.contacts.clear()
        self.conversations.clear()
        self._contact_by_identity.clear()
        self._conversation_by_pair.clear()

    def accept_now(self) -> datetime:
        """Now in UTC, never earlier than the previous accept time (keeps order == time)."""
        now = datetime.now(UTC)
        if now <= self._last_accept:
            now = self._last_accept + timedelta(microseconds=1)
        self._last_accept = now
        return now

    def contact_for_identity(self, channel: str, identity: str) -> str:
        """The contact owning ``(channel, identity)``, created on first use."""
        key = (channel, identity)
        contact_id = self._contact_by_identity.get(key)
        if contact_id is None:
            contact_id = self.new_id()
            self._add_contact(contact_id, channel, identity)
        return contact_id

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
        self.contacts[contact_id] = contact
        self._contact_by_identity.setdefault((channel, identity), contact_id)
        return contact

    def conversation_for(self, app_id: str, contact_id: str, channel: str) -> str:
        """The active conversation of ``(app_id, contact_id)``, created on first use."""
        key = (app_id, contact_id)
        conversation_id = self._conversation_by_pair.get(key)
        if conversation_id is None:
            conversation_id = self.new_id()
            self._conversation_by_pair[key] = conversation_id
            self.conversations[conversation_id] = {
                "id": conversation_id,
                "app_id": app_id,
                "contact_id": contact_id,
                "active": True,
                "active_channel": channel,
                "metadata": "",
                "metadata_json": {},
                "correlation_id": "",
            }
        return conversation_id

    def add_message(
        self,
        message: dict[str, Any],
        *,
        app_id: str,
        correlation_id: str | None,
        request: dict[str, Any],
        accepted: datetime,
    ) -> StoredMessage:
        """Store ``message`` (which must already carry its ``id``) as the newest message."""
        self._sequence += 1
        stored = StoredMessage(
            message=message,
            app_id=app_id,
            correlation_id=correlation_id,
            request=request,
            sequence=self._sequence,
            accepted=accepted,
        )
        self.messages[stored.id] = stored
        return stored
