"""Receiving Sinch callbacks ("Sinch Events"): signature checks and typed events.

``verify_signature(secret, headers, body)`` is the bare HMAC check on the raw body;
``SignatureVerifier`` adds a timestamp window and replay protection.
``parse_callback(body)`` turns the body into its typed event: one :class:`CallbackEvent`
subclass per trigger (``MessageInboundEvent``, ``MessageDeliveryEvent``...), or an
:class:`UnknownCallbackEvent` for a payload this SDK does not know.
``CallbackReceiver`` serves all of it on an aiohttp.web route for bots and web apps.
"""

from .aiohttp import CallbackReceiver, ReceiverStats
from .events import *  # noqa: F403
from .events import __all__ as _events_all
from .parse import (
    EVENT_CLASSES,
    TRIGGER_ALIASES,
    event_class_for_trigger,
    parse_callback,
)
from .signature import (
    NonceCache,
    SignatureVerifier,
    Verdict,
    sign,
    signature_headers,
    verify_signature,
)

__all__ = [
    "EVENT_CLASSES",
    "CallbackReceiver",
    "TRIGGER_ALIASES",
    "NonceCache",
    "ReceiverStats",
    "SignatureVerifier",
    "Verdict",
    "event_class_for_trigger",
    "parse_callback",
    "sign",
    "signature_headers",
    "verify_signature",
    *_events_all,
]
