"""Turn a callback body into its typed event (catalog §4.2, "Parsing rule").

The event class is chosen by which payload key the body carries; there is no type field.
Keys are looked up in the catalog's order, so a body that (wrongly) carries two payloads
gets the first. A body with an unknown payload key gives an :class:`UnknownCallbackEvent`
(new triggers appear over time); anything that is not a callback raises
:class:`~conversation_async._errors.CallbackParseError`, whose message never quotes the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .. import _jsoncodec, _serde
from .._errors import CallbackParseError, SerializationError
from ._events import (
    ENVELOPE_KEYS,
    BatchStatusUpdateEvent,
    CallbackEvent,
    CapabilityEvent,
    ChannelEvent,
    ContactCreateEvent,
    ContactDeleteEvent,
    ContactIdentitiesDuplicationEvent,
    ContactMergeEvent,
    ContactUpdateEvent,
    ConversationDeleteEvent,
    ConversationStartEvent,
    ConversationStopEvent,
    EventDeliveryEvent,
    EventInboundEvent,
    MessageDeliveryEvent,
    MessageInboundEvent,
    MessageInboundSmartConversationRedactionEvent,
    MessageSubmitEvent,
    OptInEvent,
    OptOutEvent,
    RecordNotificationEvent,
    SmartConversationEvent,
    UnknownCallbackEvent,
    UnsupportedCallbackEvent,
)

__all__ = [
    "EVENT_CLASSES",
    "PAYLOAD_ALIASES",
    "TRIGGER_ALIASES",
    "event_class_for_trigger",
    "parse_callback",
]

_CLASSES: tuple[type[CallbackEvent], ...] = (
    MessageInboundEvent,
    MessageInboundSmartConversationRedactionEvent,
    MessageSubmitEvent,
    MessageDeliveryEvent,
    EventInboundEvent,
    EventDeliveryEvent,
    ConversationStartEvent,
    ConversationStopEvent,
    ConversationDeleteEvent,
    ContactCreateEvent,
    ContactUpdateEvent,
    ContactDeleteEvent,
    ContactMergeEvent,
    ContactIdentitiesDuplicationEvent,
    CapabilityEvent,
    OptInEvent,
    OptOutEvent,
    ChannelEvent,
    SmartConversationEvent,
    RecordNotificationEvent,
    UnsupportedCallbackEvent,
    BatchStatusUpdateEvent,
)

EVENT_CLASSES: Mapping[str, type[CallbackEvent]] = MappingProxyType(
    {cls.payload_key: cls for cls in _CLASSES}
)
"""Payload key -> event class, in the catalog's order (the order keys are looked up in)."""

_BY_TRIGGER: Mapping[str, type[CallbackEvent]] = MappingProxyType(
    {cls.trigger: cls for cls in _CLASSES}
)

TRIGGER_ALIASES: Mapping[str, str] = MappingProxyType({"SMART_CONVERSATIONS": "SMART_CONVERSATION"})
"""Other spellings of trigger names seen in the wild (NODE spells it ``SMART_CONVERSATIONS``)."""


PAYLOAD_ALIASES: Mapping[str, str] = MappingProxyType(
    {"batch_status_update": "batch_status_update_notification"}
)
"""Other payload keys read as a known one (Sinch's agent notes name the batch status
payload ``batch_status_update``); the event is written back under the known key."""


def event_class_for_trigger(trigger: str) -> type[CallbackEvent] | None:
    """The event class of a webhook trigger name (either Smart Conversations spelling)."""
    return _BY_TRIGGER.get(TRIGGER_ALIASES.get(trigger, trigger))


def parse_callback(
    body: bytes | bytearray | memoryview | str | Mapping[str, Any],
) -> CallbackEvent:
    """Read a callback body: raw JSON (``bytes`` or ``str``) or an already decoded object.

    Returns the event class of the payload key present, or :class:`UnknownCallbackEvent`
    when the only non-envelope keys are unknown ones. Raises
    :class:`~conversation_async._errors.CallbackParseError` for malformed JSON, a JSON value
    that is not an object, a body without any payload key, or a payload that does not fit
    its model.
    """
    data = _decode(body)
    for alias, key in PAYLOAD_ALIASES.items():
        if alias in data and key not in data:
            data[key] = data.pop(alias)
    cls = _event_class(data)
    if cls is not UnknownCallbackEvent and not isinstance(data[cls.payload_key], Mapping):
        raise CallbackParseError(
            f"the {cls.payload_key!r} payload of a {cls.trigger} callback is not a JSON object"
        )
    try:
        return _serde.structure(data, cls)
    except SerializationError as exc:
        what = f"a {cls.trigger} callback" if cls.trigger else "the callback envelope"
        raise CallbackParseError(
            f"cannot read {what} as {cls.__name__}: a field does not have the expected "
            "JSON type or format"
        ) from exc


def _decode(body: object) -> dict[str, Any]:
    if isinstance(body, bytes | bytearray | memoryview | str):
        raw = body.tobytes() if isinstance(body, memoryview) else body
        try:
            data: object = _jsoncodec.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, too deep
            raise CallbackParseError(
                f"callback body is not valid JSON ({type(exc).__name__})"
            ) from exc
    else:
        data = body
    if not _jsoncodec.is_mapping(data):
        raise CallbackParseError(
            f"callback body must be a JSON object, got {_json_type_name(data)}"
        )
    return dict(data)


def _event_class(data: Mapping[str, Any]) -> type[CallbackEvent]:
    for key, cls in EVENT_CLASSES.items():
        if key in data:
            return cls
    if any(key not in ENVELOPE_KEYS for key in data):
        return UnknownCallbackEvent
    if not data:
        raise CallbackParseError("callback body is an empty JSON object: no event payload")
    raise CallbackParseError("callback body has only envelope fields: no event payload")


def _json_type_name(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
