"""The send ledger: every message ``SendMessage`` accepted (and every message a batch
generated), kept whatever happens next.

A client that retries after a fault may send one message twice; the store cannot tell (a
test may delete messages, ``reset()`` forgets them), so the ledger is append-only and only
:meth:`Emulator.clear_ledger` empties it. Tests compare what the client reported with what
the server accepted, e.g. ``Counter(entry.correlation_id for entry in emu.ledger)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.define  # not frozen: frozen attrs classes cost twice as much to build, once per send
class LedgerEntry:
    """One accepted send: its ``message_id``, the request's ``correlation_id`` (or ``None``),
    the decoded request body and the ``accepted`` time (the message's ``accept_time``); for
    a message a Batch API batch generated, ``batch_id`` and as ``request`` the message's own
    SendMessageRequest-shaped body (filled placeholders, merged metadata as a JSON string).
    Read-only by convention."""

    message_id: str
    correlation_id: str | None
    request: dict[str, Any]
    accepted: datetime
    batch_id: str | None = None
