"""Receiving Sinch callbacks ("Sinch Events"): signature checks, typed events, a receiver.

``verify_signature(secret, headers, body)`` is the bare HMAC check on the raw body;
``SignatureVerifier`` adds a timestamp window and replay protection.
``parse_callback(body)`` turns the body into its typed event: one :class:`CallbackEvent`
subclass per trigger (``MessageInboundEvent``, ``MessageDeliveryEvent``...), or an
:class:`UnknownCallbackEvent` for a payload this SDK does not know.
``CallbackReceiver`` does all of it for bots and web apps (de-duplication, typed handlers,
acknowledgement modes) behind aiohttp.web or ASGI (Starlette, FastAPI); its replay and
dedupe memory is a :class:`DedupeStore`, shared between workers on Redis if need be.
With ``inbox=`` (a Redis stream) it only appends each callback, and workers in any
process run the handlers.

Importing this package loads no web framework: aiohttp.web only with the first
``receiver.handle`` or ``receiver.app()``.
"""

from . import _events
from ._events import *  # noqa: F403
from ._parse import (
    EVENT_CLASSES,
    PAYLOAD_ALIASES,
    TRIGGER_ALIASES,
    event_class_for_trigger,
    parse_callback,
)
from ._receiver import CallbackReceiver
from ._receiver_core import ReceiverStats
from ._rules import dedupe_key
from ._signature import (
    NonceCache,
    SignatureVerifier,
    Verdict,
    sign,
    signature_headers,
    verify_signature,
)
from ._stores import DedupeStore, Mark, MemoryDedupeStore

__all__ = [
    "EVENT_CLASSES",
    "PAYLOAD_ALIASES",
    "TRIGGER_ALIASES",
    "CallbackReceiver",
    "DedupeStore",
    "Mark",
    "MemoryDedupeStore",
    "NonceCache",
    "ReceiverStats",
    "SignatureVerifier",
    "Verdict",
    "dedupe_key",
    "event_class_for_trigger",
    "parse_callback",
    "sign",
    "signature_headers",
    "verify_signature",
]
__all__ += _events.__all__
