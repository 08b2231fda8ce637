"""What a callback receiver answers and remembers, decided without I/O.

The receiver (``_receiver.py``) asks these functions at each step and does what they say;
the adapters only turn requests into headers and body and statuses into responses, so
every front end answers alike.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Final, Literal

import attrs

from ._events import (
    BatchStatusUpdateEvent,
    CallbackEvent,
    CapabilityEvent,
    EventDeliveryEvent,
    EventInboundEvent,
    MessageDeliveryEvent,
    MessageInboundEvent,
    MessageSubmitEvent,
    OptInEvent,
    OptOutEvent,
)
from ._signature import Verdict
from ._stores import Mark

__all__ = [
    "ACK_MODES",
    "AckMode",
    "Outcome",
    "Refusal",
    "answer",
    "declared_length",
    "dedupe_key",
    "known_refusal",
    "media_type",
    "nonce_key",
    "pending_for",
    "screen",
    "signature_refusal",
]

AckMode = Literal["immediately", "after_handler"]
ACK_MODES: Final = ("immediately", "after_handler")

PENDING_MARGIN: Final = 5.0
"""Seconds a pending mark outlives the handler timeout (store and clock latency)."""


@attrs.frozen
class Refusal:
    """A callback answered without being handled: the status, and the reason it is counted
    and logged under (never sent)."""

    status: int
    reason: str


SHUTTING_DOWN: Final = Refusal(503, "shutting down")
CONTENT_TYPE: Final = Refusal(415, "content type")
TOO_LARGE: Final = Refusal(413, "body too large")
IN_PROGRESS: Final = Refusal(503, "in progress")
STORE_DOWN: Final = Refusal(503, "store unavailable")


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` value, lower case, parameters dropped."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def declared_length(content_length: str | None) -> int | None:
    """A ``Content-Length`` value as a number, None when absent or not a number (the
    body is then measured as it is read)."""
    if content_length is None or not content_length.strip().isdigit():
        return None
    return int(content_length)


def screen(
    content_type: str | None, content_length: str | None, *, max_body_size: int, closing: bool
) -> Refusal | None:
    """What to refuse before reading the body: 503 while shutting down, 415 for anything
    but JSON, 413 for a declared length over ``max_body_size``."""
    if closing:
        return SHUTTING_DOWN
    if media_type(content_type) != "application/json":
        return CONTENT_TYPE
    if (declared_length(content_length) or 0) > max_body_size:
        return TOO_LARGE
    return None


def signature_refusal(verdict: Verdict) -> Refusal | None:
    """401 for every verdict but ``VALID``."""
    return None if verdict is Verdict.VALID else Refusal(401, f"signature: {verdict.value}")


def nonce_key(nonce: str) -> str:
    """The store key of a signature nonce (apart from every :func:`dedupe_key`)."""
    return f"nonce:{nonce}"


def dedupe_key(event: CallbackEvent, body: bytes) -> str:
    """What makes two callbacks the same delivery (catalog §4.4).

    Delivery receipts: message or event id plus status; inbound messages and events: their
    id; capability and opt-in/out results: the request id; batch status updates: the batch
    id plus its status; anything else: the body's hash.
    """
    key: tuple[object, ...] | None = None
    if isinstance(event, MessageDeliveryEvent):
        report = event.message_delivery_report
        key = (report.message_id, report.status)
    elif isinstance(event, EventDeliveryEvent):
        report_ = event.event_delivery_report
        key = (report_.event_id, report_.status)
    elif isinstance(event, MessageSubmitEvent):
        key = (event.message_submit_notification.message_id,)
    elif isinstance(event, MessageInboundEvent):
        key = (event.message.id,)
    elif isinstance(event, EventInboundEvent):
        key = (event.event.id,)
    elif isinstance(event, CapabilityEvent):
        key = (event.capability_notification.request_id,)
    elif isinstance(event, OptInEvent):
        key = (event.opt_in_notification.request_id,)
    elif isinstance(event, OptOutEvent):
        key = (event.opt_out_notification.request_id,)
    elif isinstance(event, BatchStatusUpdateEvent):
        note = event.batch_status_update_notification
        key = (note.batch_id, note.batch_status or note.status)
    if key is None or any(part is None for part in key):
        return "body:" + hashlib.sha256(body).hexdigest()
    return ":".join((event.trigger, *(str(part) for part in key)))


def known_refusal(mark: Mark) -> Refusal | None:
    """How to answer a callback whose key is already marked: a done one is a redelivery
    (None: acknowledge it with 200, run nothing); a pending one is being handled right now
    (503: Sinch delivers it again later, when it is done or was released)."""
    return IN_PROGRESS if mark is Mark.PENDING else None


def pending_for(ack: AckMode, handler_timeout: float) -> float | None:
    """How long a claim stays pending: with ``after_handler`` until the handlers must have
    finished (plus a margin), then done or released; with ``immediately`` it is done at
    once (None), because the 200 goes out before the handlers run."""
    return handler_timeout + PENDING_MARGIN if ack == "after_handler" else None


class Outcome(enum.Enum):
    """How one admitted callback ended, as far as its answer is concerned."""

    ACCEPTED = "claimed; handlers started"
    HANDLED = "handlers succeeded"
    FAILED = "a handler failed or timed out"
    CANCELLED = "handlers cancelled at shutdown"
    DUPLICATE = "already done"
    IN_PROGRESS = "being handled elsewhere"
    STORE_DOWN = "store unavailable"


def answer(outcome: Outcome) -> int:
    """The status for ``outcome``: 200 once accepted (``immediately``) or handled
    (``after_handler``) and for a duplicate; 500 when handling failed, so Sinch delivers
    it again; 503 for what may succeed later."""
    if outcome in (Outcome.ACCEPTED, Outcome.HANDLED, Outcome.DUPLICATE):
        return 200
    if outcome is Outcome.FAILED:
        return 500
    return 503
