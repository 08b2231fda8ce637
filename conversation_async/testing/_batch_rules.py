"""The Batch API's rules, without I/O: settings for what no source settles, validation,
``${name}`` substitution, metadata merge, ``send_after`` and status transitions.

Every open question of the batch catalog (§8) is a field of :class:`BatchSettings` with a
documented default, so a test can switch the emulator to another reading of the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import attrs
import orjson

from .. import _jsoncodec
from .._checked import is_any_dict
from ._params import APP_MESSAGE_KEYS, Violations, non_empty_str, parse_time, validate_one_of
from ._params import validate_recipient as _validate_recipient

__all__ = [
    "BATCH_ID_KEY",
    "MAX_CONTACTS",
    "MAX_RECIPIENTS",
    "BatchSettings",
    "CancelTarget",
    "merge_metadata",
    "parse_cancel",
    "placeholders",
    "schedule",
    "status_payload",
    "substitute",
    "substitution",
    "time_json",
    "transition",
    "validate_send_batch",
]

MAX_RECIPIENTS: Final = 1000
MAX_CONTACTS: Final = 1000
BATCH_ID_KEY: Final = "_batch_id"
PROCESSING_STRATEGIES: Final = frozenset({"DEFAULT", "DISPATCH_ONLY"})
SEND_FIELDS: Final = frozenset(
    {
        "app_id",
        "message",
        "recipient_and_params",
        "processing_strategy",
        "batch_metadata",
        "message_metadata",
        "conversation_metadata",
        "send_after",
        "callback_url",
        "channel_priority_order",
        "ttl",
        "channel_properties",
        "correlation_id",
    }
)
"""SendBatchRequest fields (catalog §3.1); others are ignored, or refused when strict."""
RECIPIENT_FIELDS: Final = frozenset(
    {"recipient", "parameters", "message_metadata", "conversation_metadata"}
)
CANCEL_SHAPES: Final = frozenset({"camel", "snake", "map", "query"})
_TTL: Final = re.compile(r"[0-9]+s")
_PLACEHOLDER: Final = re.compile(r"\$\{([^${}]+)\}")


def _in(allowed: frozenset[str]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name} must be one of {sorted(allowed)}, got {value!r}")

    return check


def _non_negative(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value < type(value)(0):
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _shapes(_: Any, __: attrs.Attribute[Any], value: frozenset[str]) -> None:
    unknown = set(value) - CANCEL_SHAPES
    if unknown:
        raise ValueError(f"cancel_metadata_shapes: unknown {sorted(unknown)}")


@attrs.frozen(kw_only=True)
class BatchSettings:
    """How the emulator's Batch API answers where no source says (batch catalog §8).

    Pass one to ``Emulator(batch=BatchSettings(...))`` or set ``emu.batch_settings``.

    - ``enabled``: False makes every batch route answer 403 PERMISSION_DENIED with an empty
      message, as the official sample for a project without the Batch API.
    - ``missing_parameter`` (§8.5): a ``${name}`` without a value for some recipient stays
      ``"literal"`` (default), becomes ``"empty"``, or ``"reject"`` s the request (400). There
      is no escape for ``$``; placeholders are filled in every string value (not in keys).
    - ``send_after_rounding`` / ``rounding_threshold`` (§8.4): a ``send_after`` more than the
      threshold (1 min) ahead is rounded up to the next multiple of the rounding (5 min,
      counted from the Unix epoch); ``None`` keeps times as sent.
    - ``send_after_max`` (7 days) and ``send_after_too_far``: ``"reject"`` (400, default) or
      ``"clamp"`` to the maximum; ``send_after_past``: ``"immediate"`` (default) or
      ``"reject"``; ``immediate_send_after``: an immediate batch answers ``send_after`` =
      its ``"accepted_time"`` (default) or ``"omit"`` s it.
    - ``cancel_metadata_shapes`` (§8.1): cancel-by-metadata bodies accepted: ``"camel"``
      ``{metadataKey, metadataValue}``, ``"snake"`` ``{metadata_key, metadata_value}``,
      ``"map"`` ``{batch_metadata: {key: value}}`` (one pair), ``"query"`` the camel
      pair as query parameters; default all four.
      ``cancel_malformed`` (§8.2): a cancel naming no batch is ``"reject"`` ed (400,
      default) or ``"ignore"`` d (200). The answer is ``{}``.
    - ``list_response`` (§8.6): status-by-metadata answers a bare ``"array"`` (default) or
      an ``"object"`` ``{"batches": [...]}``; oldest batch first, all kept until reset.
    - ``processing_delay`` (§8.7): seconds a due batch stays READY before its messages are
      generated and it becomes PROCESSED (0: at once, inside the send request for an
      immediate batch). No failure status exists.
    - ``status_callbacks`` (§8.8): BATCH_STATUS_UPDATE on ``"every"`` state a messages batch
      enters (default: SCHEDULED or READY on acceptance, READY when due, PROCESSED,
      CANCELLED), only ``"terminal"`` ones (PROCESSED, CANCELLED), or ``"none"``; contacts and
      consents batches send none.
    - ``failed_report_fields`` / ``message_index_base`` (§8.9): FAILED delivery reports of
      batch messages carry ``batch_id`` and ``message_index`` (0-based by default).
    - ``accept_basic_auth`` and ``shares_rate_limit`` (§8.10): Basic credentials work on the
      batch host (default True); batch requests count against ``Emulator.rate_limit``
      (default True).
    - ``max_consent_records`` (§8.11): records per consent insert (1000).
    - ``unknown_fields`` (§8.12): unknown send fields are ``"ignore"`` d (default) or
      ``"reject"`` ed.
    """

    enabled: bool = True
    missing_parameter: Literal["literal", "empty", "reject"] = attrs.field(
        default="literal", validator=_in(frozenset({"literal", "empty", "reject"}))
    )
    send_after_rounding: timedelta | None = attrs.field(
        default=timedelta(minutes=5), validator=_non_negative
    )
    rounding_threshold: timedelta = attrs.field(
        default=timedelta(minutes=1), validator=_non_negative
    )
    send_after_max: timedelta = attrs.field(default=timedelta(days=7), validator=_non_negative)
    send_after_too_far: Literal["reject", "clamp"] = attrs.field(
        default="reject", validator=_in(frozenset({"reject", "clamp"}))
    )
    send_after_past: Literal["immediate", "reject"] = attrs.field(
        default="immediate", validator=_in(frozenset({"immediate", "reject"}))
    )
    immediate_send_after: Literal["accepted_time", "omit"] = attrs.field(
        default="accepted_time", validator=_in(frozenset({"accepted_time", "omit"}))
    )
    cancel_metadata_shapes: frozenset[str] = attrs.field(
        default=CANCEL_SHAPES, converter=frozenset, validator=_shapes
    )
    cancel_malformed: Literal["reject", "ignore"] = attrs.field(
        default="reject", validator=_in(frozenset({"reject", "ignore"}))
    )
    list_response: Literal["array", "object"] = attrs.field(
        default="array", validator=_in(frozenset({"array", "object"}))
    )
    processing_delay: float = attrs.field(default=0.0, validator=_non_negative)
    status_callbacks: Literal["every", "terminal", "none"] = attrs.field(
        default="every", validator=_in(frozenset({"every", "terminal", "none"}))
    )
    failed_report_fields: bool = True
    message_index_base: int = 0
    accept_basic_auth: bool = True
    shares_rate_limit: bool = True
    max_consent_records: int = attrs.field(default=1000, validator=_non_negative)
    unknown_fields: Literal["ignore", "reject"] = attrs.field(
        default="ignore", validator=_in(frozenset({"ignore", "reject"}))
    )


# -- validation --------------------------------------------------------------------------


def _string_map(value: object, field: str) -> Violations:
    if value is None:
        return []
    if not is_any_dict(value) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return [(field, "must be an object of string values")]
    return []


def validate_send_batch(body: Mapping[str, Any], settings: BatchSettings) -> Violations:
    """Every first-stage problem of a SendBatchRequest, as ``(field, description)``."""
    problems: Violations = []
    if not non_empty_str(body.get("app_id")):
        problems.append(("app_id", "Field is mandatory and must be a non-empty string"))
    problems.extend(validate_one_of(body.get("message"), APP_MESSAGE_KEYS, "message"))
    items = body.get("recipient_and_params")
    if not _jsoncodec.is_array(items):
        problems.append(("recipient_and_params", "Field is mandatory and must be a list"))
    elif not 1 <= len(items) <= MAX_RECIPIENTS:
        problems.append(
            (
                "recipient_and_params",
                f"{len(items)} items given, between 1 and {MAX_RECIPIENTS} allowed",
            )
        )
    else:
        for index, item in enumerate(items):
            found = _validate_item(item, settings)
            if found:  # field names are built for the recipients with problems only
                field = f"recipient_and_params[{index}]"
                problems.extend((f"{field}.{name}" if name else field, why) for name, why in found)
    for name in ("batch_metadata", "message_metadata", "conversation_metadata"):
        problems.extend(_string_map(body.get(name), name))
    problems.extend(_string_map(body.get("channel_properties"), "channel_properties"))
    send_after = body.get("send_after")
    if send_after is not None and parse_time(send_after) is None:
        problems.append(("send_after", "must be an RFC 3339 timestamp with a time zone"))
    strategy = body.get("processing_strategy")
    if strategy is not None and strategy not in PROCESSING_STRATEGIES:
        problems.append(("processing_strategy", "must be DEFAULT or DISPATCH_ONLY"))
    ttl = body.get("ttl")
    if ttl is not None and not (isinstance(ttl, str) and _TTL.fullmatch(ttl)):
        problems.append(("ttl", 'must be a duration in whole seconds such as "10s"'))
    for name in ("callback_url", "correlation_id"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            problems.append((name, "must be a string"))
    order = body.get("channel_priority_order")
    if order is not None and not (
        _jsoncodec.is_array(order) and all(non_empty_str(c) for c in order)
    ):
        problems.append(("channel_priority_order", "must be a list of channels"))
    if settings.unknown_fields == "reject":
        problems.extend((key, "unknown field") for key in body if key not in SEND_FIELDS)
    return problems


def _validate_item(item: object, settings: BatchSettings) -> Violations:
    """The problems of one ``recipient_and_params`` item, fields named within the item
    (``""``: the item itself)."""
    if not _jsoncodec.is_object(item):
        return [("", "must be an object")]
    problems = _validate_recipient(item.get("recipient"), "recipient")
    for name in ("parameters", "message_metadata", "conversation_metadata"):
        value = item.get(name)
        if value is not None:
            problems.extend(_string_map(value, name))
    if settings.unknown_fields == "reject":
        problems.extend((key, "unknown field") for key in item if key not in RECIPIENT_FIELDS)
    return problems


# -- substitution and metadata -----------------------------------------------------------


def placeholders(value: Any) -> set[str]:
    """Every ``${name}`` used in any string inside ``value`` (keys excepted)."""
    found: set[str] = set()
    if isinstance(value, str):
        if "${" in value:
            found.update(_PLACEHOLDER.findall(value))
    elif _jsoncodec.is_object(value):
        for item in value.values():
            found |= placeholders(item)
    elif _jsoncodec.is_array(value):
        for item in value:
            found |= placeholders(item)
    return found


Filler = Callable[[Mapping[str, str]], Any]


def substitution(value: Any, *, missing: str = "literal") -> Filler:
    """A function of one recipient's parameters giving ``value`` (decoded JSON) with
    ``${name}`` in every string replaced by ``parameters[name]``; a name without a value
    stays as written (``missing="literal"``) or becomes ``""`` (``"empty"``). Dict keys
    are kept. Parts without placeholders are shared between the results, never copied;
    ``value`` is not changed. Made once per batch, called once per recipient."""
    filler = _filler(value, missing)
    return filler if filler is not None else lambda _: value


def _filler(value: Any, missing: str) -> Filler | None:
    """The filler of ``value``, or None when it holds no placeholder (use it as is)."""
    if isinstance(value, str):
        if "${" not in value or not _PLACEHOLDER.search(value):
            return None
        return _string_filler(value, missing == "empty")
    if _jsoncodec.is_object(value):
        parts = {key: _filler(item, missing) for key, item in value.items()}
        filled = {key: part for key, part in parts.items() if part is not None}
        if not filled:
            return None

        def fill_dict(parameters: Mapping[str, str]) -> dict[str, Any]:
            copy = dict(value)
            for key, part in filled.items():
                copy[key] = part(parameters)
            return copy

        return fill_dict
    if _jsoncodec.is_array(value):
        items = [_filler(item, missing) for item in value]
        if all(item is None for item in items):
            return None
        fillers = [(item, value[index]) for index, item in enumerate(items)]
        return lambda parameters: [
            constant if item is None else item(parameters) for item, constant in fillers
        ]
    return None


def _string_filler(value: str, empty: bool) -> Filler:
    """The filler of a string holding placeholders: split once into literal parts and
    names, so a recipient costs one lookup per name and one ``str.format``."""
    pieces = _PLACEHOLDER.split(value)  # literal, name, literal, name, ..., literal
    names = pieces[1::2]
    template = "{}".join(part.replace("{", "{{").replace("}", "}}") for part in pieces[0::2])
    unfilled = ["" if empty else f"${{{name}}}" for name in names]
    pairs = list(zip(names, unfilled, strict=True))
    if len(pairs) == 1:
        ((name, default),) = pairs
        return lambda parameters: template.format(parameters.get(name, default))
    return lambda parameters: template.format(*[parameters.get(n, d) for n, d in pairs])


def substitute(value: Any, parameters: Mapping[str, str], *, missing: str = "literal") -> Any:
    """``value`` with one recipient's ``parameters`` filled in (see :func:`substitution`)."""
    return substitution(value, missing=missing)(parameters)


def missing_parameters(body: Mapping[str, Any]) -> Violations:
    """One violation per recipient lacking a value for a placeholder of the message."""
    used = placeholders(body["message"])
    if not used:
        return []
    problems: Violations = []
    for index, item in enumerate(body["recipient_and_params"]):
        absent = sorted(used - set(item.get("parameters") or {}))
        if absent:
            names = ", ".join(f"${{{name}}}" for name in absent)
            problems.append((f"recipient_and_params[{index}].parameters", f"no value for {names}"))
    return problems


def merge_metadata(
    request_level: Mapping[str, str] | None,
    recipient_level: Mapping[str, str] | None,
    batch_id: str,
) -> dict[str, str]:
    """Request-level keys, overridden by the recipient's, plus the reserved ``_batch_id``
    (which overrides any caller value)."""
    merged = dict(request_level or {})
    merged.update(recipient_level or {})
    merged[BATCH_ID_KEY] = batch_id
    return merged


def metadata_string(metadata: Mapping[str, str]) -> str:
    """Message metadata as the compact JSON string messages carry (and receipts report)."""
    return orjson.dumps(metadata).decode()


# -- send_after, status ------------------------------------------------------------------


def time_json(moment: datetime) -> str:
    """RFC 3339 UTC with ``Z``, fractional seconds only when there are some (as batch
    answers and callbacks show ``send_after``)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _round_up(moment: datetime, step: timedelta) -> datetime:
    if step <= timedelta(0):
        return moment
    rest = (moment - _EPOCH) % step
    return moment if not rest else moment + (step - rest)


def schedule(
    requested: datetime | None, now: datetime, settings: BatchSettings
) -> tuple[datetime | None, str | None]:
    """The effective ``send_after`` of a batch sent at ``now`` (None: immediate), or the
    reason it is refused (a 400 on ``send_after``)."""
    if requested is None:
        return None, None
    ahead = requested - now
    if ahead <= timedelta(0):
        if settings.send_after_past == "reject":
            return None, "must be in the future"
        return None, None
    if ahead > settings.send_after_max:
        if settings.send_after_too_far == "reject":
            days = settings.send_after_max / timedelta(days=1)
            return None, f"must be at most {days:g} days ahead"
        requested = now + settings.send_after_max
        ahead = settings.send_after_max
    rounding = settings.send_after_rounding
    if rounding is not None and ahead > settings.rounding_threshold:
        requested = _round_up(requested, rounding)
    return requested, None


TRANSITIONS: Final[Mapping[tuple[str, str], str]] = {
    ("SCHEDULED", "due"): "READY",
    ("SCHEDULED", "cancel"): "CANCELLED",
    ("READY", "process"): "PROCESSED",
}
"""``(status, event) -> new status``; any other pair changes nothing (a cancel of a READY,
PROCESSED or CANCELLED batch is answered 200 and ignored)."""


def transition(status: str, event: str) -> str | None:
    """The status after ``event`` (``due``, ``cancel``, ``process``), or None: no change."""
    return TRANSITIONS.get((status, event))


# -- cancel ------------------------------------------------------------------------------


@attrs.frozen
class CancelTarget:
    """What a cancel names: one ``batch_id``, or every batch with ``key`` = ``value``."""

    batch_id: str | None = None
    key: str | None = None
    value: str | None = None


def parse_cancel(
    body: Mapping[str, Any], query: Mapping[str, str], shapes: frozenset[str]
) -> CancelTarget | None:
    """The batch(es) a cancel names, in the shapes accepted; None when it names none."""
    batch_id = body.get("batch_id")
    if non_empty_str(batch_id):
        return CancelTarget(batch_id=str(batch_id))
    pairs: list[tuple[object, object]] = []
    if "camel" in shapes:
        pairs.append((body.get("metadataKey"), body.get("metadataValue")))
    if "snake" in shapes:
        pairs.append((body.get("metadata_key"), body.get("metadata_value")))
    if "map" in shapes:
        metadata = body.get("batch_metadata")
        if _jsoncodec.is_object(metadata) and len(metadata) == 1:
            pairs.append(next(iter(metadata.items())))
    if "query" in shapes:
        pairs.append((query.get("metadataKey"), query.get("metadataValue")))
    for key, value in pairs:
        if non_empty_str(key) and isinstance(value, str):
            return CancelTarget(key=str(key), value=value)
    return None


def status_payload(
    batch_id: str, status: str, send_after: str | None, batch_metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """A ``batch_status_update_notification`` (shape A of catalog §4.1)."""
    data: dict[str, Any] = {"batch_metadata": dict(batch_metadata)}
    if send_after is not None:
        data = {"send_after": send_after, **data}
    return {
        "batch_id": batch_id,
        "batch_status": f"BATCH_STATUS_{status}",
        "batch_type": "BATCH_TYPE_MESSAGES",
        "additional_data": {"message_batch_data": data},
    }
