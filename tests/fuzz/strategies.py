"""Hypothesis strategies shared by the fuzz tests.

Two families:

- Wire noise: arbitrary JSON values, JSON text, raw bytes and raw ``str`` (with lone
  surrogates, which no JSON decoder hands out but a caller can), biased toward the SDK's real
  keys and enum strings so that random objects still reach real code paths.
- Model-shaped JSON: :func:`shaped` builds, from a model's annotations and the converter's
  registered unions (read back from :mod:`conversation_async._serde`), JSON that fits the model
  (``{"message": {"contact_message": {"text_message": {...}}}}`` for a ``MessageInboundEvent``);
  :func:`near_valid` then applies at most one mutation somewhere in it (a value swapped for
  noise, a key dropped or added), so failures happen at every depth, not only at the top.

Every model is discovered from the packages' ``__all__``; an annotation this module cannot
shape raises :class:`TypeError` when the strategy is built, so a new kind of field fails the
suite loudly instead of being fuzzed with noise only.
"""

from __future__ import annotations

import enum
import json
import keyword
import string
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import attrs
from hypothesis import strategies as st

import conversation_async.callbacks as callbacks
import conversation_async.callbacks._events as callback_events
import conversation_async.models as models
from conversation_async import _serde as serde
from conversation_async.callbacks import ENVELOPE_KEYS, EVENT_CLASSES, UnknownCallbackEvent
from conversation_async.callbacks._signature import (
    ALGORITHM_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)

__all__ = [
    "CALLBACK_TYPES",
    "ENUM_TYPES",
    "MODEL_TYPES",
    "SIGNATURE_HEADERS",
    "STRUCTURABLE_TYPES",
    "WIRE_KEYS",
    "WIRE_STRINGS",
    "callback_bodies",
    "header_names",
    "header_pairs",
    "json_objects",
    "json_text",
    "json_values",
    "near_valid",
    "random_case",
    "raw_bytes",
    "raw_text",
    "shaped",
    "timestamp_strings",
    "type_name",
    "unicode_text",
    "union_wire",
]

# --- discovery --------------------------------------------------------------------------


def _union_args(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return ()


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and attrs.has(obj)


def _is_enum(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, enum.Enum)


def _public(module: Any) -> list[Any]:
    return [getattr(module, name) for name in module.__all__]


MODEL_TYPES: tuple[Any, ...] = tuple(
    obj
    for obj in _public(models)
    if (_is_model(obj) or _union_args(obj)) and obj is not models.UnknownVariant
)
"""Every attrs model and union alias (``Recipient``, ``AppEvent``...) of ``models.__all__``
(not ``UnknownVariant``: the value a union falls back to, never read from JSON as such)."""

CALLBACK_TYPES: tuple[type, ...] = tuple(obj for obj in _public(callback_events) if _is_model(obj))
"""Every attrs class of ``callbacks.events.__all__``: the events, their payloads and parts
(``callbacks.__all__`` also holds ``ReceiverStats``, which is not read from JSON)."""

ENUM_TYPES: tuple[type[enum.Enum], ...] = tuple(
    obj for obj in (*_public(models), *_public(callback_events)) if _is_enum(obj)
)

STRUCTURABLE_TYPES: tuple[Any, ...] = (*MODEL_TYPES, *CALLBACK_TYPES, *ENUM_TYPES)
"""Everything ``serde.structure`` is documented to accept, found in the public ``__all__``."""


def type_name(tp: Any) -> str:
    """A readable test id: the alias name for unions, the class name otherwise."""
    for module in (models, callback_events):
        for name in module.__all__:
            if getattr(module, name) is tp:
                return name
    return getattr(tp, "__name__", repr(tp))


@attrs.frozen
class UnionWire:
    """How a registered union is carried on the wire, read back from its structure hook."""

    kind: str  # "keyed": {key: member}; "presence": member holds key; "tagged": by tag value
    variants: Mapping[str, type]
    tag: str | None = None
    payload: str | None = None


def union_wire(tp: Any) -> UnionWire | None:
    """The wire form of a union registered with one of ``serde.register_*_union``."""
    try:
        hook = serde.converter.get_structure_hook(tp)
    except TypeError:  # cattrs cannot build a hook: the union is not registered
        return None
    code = getattr(hook, "__code__", None)
    closure = getattr(hook, "__closure__", None)
    if code is None or closure is None:
        return None
    cells = dict(zip(code.co_freevars, (c.cell_contents for c in closure), strict=True))
    owner = hook.__qualname__.split(".")[0]
    kinds = {
        "register_keyed_union": "keyed",
        "register_presence_union": "presence",
        "register_tagged_union": "tagged",
    }
    if owner not in kinds or "variants" not in cells:
        return None
    return UnionWire(kinds[owner], dict(cells["variants"]), cells.get("tag"), cells.get("payload"))


def _wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a field (``from_`` is sent as ``from``: a Python keyword)."""
    name = field.name
    if name.endswith("_") and keyword.iskeyword(name[:-1]):
        return name[:-1]
    return name


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    attrs.resolve_types(cls)
    return tuple(f for f in attrs.fields(cls) if f.init)


def _walk_types() -> tuple[set[str], set[str]]:
    """Every wire key and every enum / tag string reachable from the public types."""
    keys: set[str] = set(ENVELOPE_KEYS) | set(EVENT_CLASSES)
    strings: set[str] = set()
    seen: set[Any] = set()
    todo: list[Any] = list(STRUCTURABLE_TYPES)
    while todo:
        tp = todo.pop()
        try:
            if tp in seen:
                continue
            seen.add(tp)
        except TypeError:  # an unhashable annotation: nothing to learn from it
            continue
        if _is_enum(tp):
            strings.update(str(m.value) for m in tp)
        elif _is_model(tp):
            for field in _fields(tp):
                keys.add(_wire_name(field))
                todo.append(field.type)
            one_of = serde._ONE_OF.get(tp)
            if one_of is not None:
                keys.update(one_of.variants)
                todo.extend(one_of.variants.values())
        else:
            args = _union_args(tp) or typing.get_args(tp)
            todo.extend(args)
            wire = union_wire(tp) if _union_args(tp) else None
            if wire is not None:
                todo.extend(wire.variants.values())
                if wire.kind == "tagged":
                    strings.update(wire.variants)
                    keys.update(k for k in (wire.tag, wire.payload) if k)
                else:
                    keys.update(wire.variants)
    return keys, strings


_KEYS, _STRINGS = _walk_types()
WIRE_KEYS: tuple[str, ...] = tuple(sorted(_KEYS))
"""Every JSON key a model field, one-of variant, union tag or callback envelope uses."""
WIRE_STRINGS: tuple[str, ...] = tuple(sorted(_STRINGS))
"""Every enum value and union tag value of the public types."""

SIGNATURE_HEADERS: tuple[str, ...] = (
    SIGNATURE_HEADER,
    NONCE_HEADER,
    TIMESTAMP_HEADER,
    ALGORITHM_HEADER,
)

# --- scalars and text -------------------------------------------------------------------

unicode_text = st.text(st.characters(codec="utf-8"), max_size=20)
"""Text a JSON decoder can return: any code point but lone surrogates."""

_surrogates = st.integers(0xD800, 0xDFFF).map(chr)

raw_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.characters(), _surrogates), max_size=40).map("".join),
)
"""Any Python ``str``, lone surrogates included (a caller may pass one; the wire cannot)."""

raw_bytes = st.one_of(
    st.binary(max_size=64),
    raw_text.map(lambda s: s.encode("utf-8", "surrogatepass")),  # "almost UTF-8"
)
"""Any bytes, including ones that are almost UTF-8 (encoded lone surrogates)."""

huge_ints = st.one_of(
    st.integers(),
    st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]),
    st.integers(min_value=-(10**400), max_value=10**400),
)
"""Integers of every size, past the 64-bit range JSON decoders keep exact (and float range)."""

json_floats = st.floats(allow_nan=False, allow_infinity=False)
"""Every finite float: ±0.0, subnormals, ±1.8e308 (JSON has no NaN or infinity)."""

_OFFSET_MINUTES = 24 * 60 - 1


def _format_timestamp(
    moment: datetime, offset: int | None, digits: str, separator: str, zulu: str
) -> str:
    text = moment.date().isoformat() + separator + moment.time().isoformat("seconds")
    if digits:
        text += "." + digits
    if offset is None:
        return text  # naive: read as UTC
    if offset == 0:
        return text + zulu
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def timestamp_strings(*, extreme: bool = False) -> st.SearchStrategy[str]:
    """RFC 3339 timestamps in their accepted variants: ``Z``/``z``/``+00:00``, ``t``, naive,
    0 to 9 fractional digits, offsets up to ±23:59.

    By default years 2..9998 only: a timestamp within a day of ``datetime``'s range whose
    offset pushes it past it when converted to UTC cannot be written back (the bug
    ``test_unstructure_survives_timestamps_at_the_edges_of_the_datetime_range`` pins).
    ``extreme=True`` gives exactly those: the first day with a positive offset or the last
    day with a negative one.
    """
    digits = st.text(string.digits, max_size=9)
    separator = st.sampled_from("Tt")
    zulu = st.sampled_from(["Z", "z", "+00:00", "-00:00"])
    if extreme:
        first = st.tuples(
            st.datetimes(datetime(1, 1, 1), datetime(1, 1, 1, 23, 59, 59)),
            st.integers(1, _OFFSET_MINUTES),
        )
        last = st.tuples(
            st.datetimes(datetime(9999, 12, 31), datetime(9999, 12, 31, 23, 59, 59)),
            st.integers(-_OFFSET_MINUTES, -1),
        )
        return st.builds(
            lambda pair, d, s: _format_timestamp(pair[0], pair[1], d, s, "Z"),
            first | last,
            digits,
            separator,
        )
    offsets = st.one_of(st.none(), st.just(0), st.integers(-_OFFSET_MINUTES, _OFFSET_MINUTES))
    return st.builds(
        _format_timestamp,
        st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31, 23, 59, 59)),
        offsets,
        digits,
        separator,
        zulu,
    )


_timestamp_noise = st.text("0123456789-:.+TtZz ", max_size=35)
"""Strings made of timestamp characters: mostly invalid dates, times and offsets."""

wire_strings = st.one_of(
    unicode_text,
    st.sampled_from(WIRE_STRINGS),
    st.sampled_from(WIRE_KEYS),
    timestamp_strings(),
    _timestamp_noise,
)
"""JSON strings, biased toward enum values, keys and timestamps the SDK reads."""

json_scalars = st.one_of(st.none(), st.booleans(), huge_ints, json_floats, wire_strings)

json_keys = st.one_of(st.sampled_from(WIRE_KEYS), unicode_text)


def _json(depth: int) -> st.SearchStrategy[Any]:
    # Nesting spelled out level by level: st.recursive's leaf bookkeeping made it the most
    # expensive part of every example.
    if depth == 0:
        return json_scalars
    children = _json(depth - 1)
    return st.one_of(
        json_scalars,
        st.lists(children, max_size=4),
        st.dictionaries(json_keys, children, max_size=4),
    )


json_values = _json(3)
"""Any decoded JSON value (no lone surrogates) nested up to 3 deep, keys biased toward the
SDK's wire keys."""

json_objects = st.dictionaries(json_keys, json_values, max_size=6)


def _dump(value: Any, ascii_only: bool, separators: tuple[str, str]) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, separators=separators)


def json_text(values: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[str]:
    """Valid JSON text of ``values`` (default: any JSON value), ASCII-escaped or not, compact
    or spaced, written by the stdlib, which keeps integers of any size exact as another
    sender might."""
    # Not an @st.composite with a strategy default: hypothesis labels a composite by the repr
    # of its defaults, and these strategies' reprs run to tens of kilobytes.
    return st.builds(
        _dump,
        json_values if values is None else values,
        st.booleans(),
        st.sampled_from([(",", ":"), (", ", ": ")]),
    )


# --- model-shaped JSON ------------------------------------------------------------------

MAX_DEPTH = 6
"""How deep model-shaped JSON nests; deeper optional objects are left out."""

_cache: dict[tuple[Any, int], st.SearchStrategy[Any]] = {}


def shaped(tp: Any, depth: int = MAX_DEPTH) -> st.SearchStrategy[Any]:
    """JSON that fits ``tp`` (a model, a registered union, an enum or a field annotation)."""
    key = (tp, depth)
    try:
        return _cache[key]
    except KeyError:
        pass
    strategy = _shape(tp, depth)
    _cache[key] = strategy
    return strategy


def _shape(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    if tp is Any:
        return json_values
    if tp is type(None):
        return st.none()
    if tp is str:
        return wire_strings
    if tp is bool:
        return st.booleans()
    if tp is int:
        return huge_ints
    if tp is float:
        return st.one_of(json_floats, huge_ints)  # JSON has one number type
    if tp is datetime:
        return timestamp_strings()
    if tp is date:
        return st.dates().map(date.isoformat)
    if _is_enum(tp):
        return st.sampled_from([m.value for m in tp])
    if tp is UnknownCallbackEvent:
        return _unknown_callback(depth)
    if _is_model(tp):
        return _shape_model(tp, depth)
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(shaped(item, depth - 1), max_size=3 if depth > 1 else 0)
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        return st.dictionaries(shaped(key_type, depth), shaped(value_type, depth - 1), max_size=3)
    args = _union_args(tp)
    if args:
        return _shape_union(tp, args, depth)
    raise TypeError(f"the fuzz strategies cannot shape {tp!r}: teach tests/fuzz/strategies.py")


def _shape_union(tp: Any, args: tuple[Any, ...], depth: int) -> st.SearchStrategy[Any]:
    rest = tuple(a for a in args if a is not type(None))
    if len(rest) < len(args):  # X | None
        inner = rest[0] if len(rest) == 1 else typing.Union[rest]  # noqa: UP007
        if depth <= 0:
            return st.none()
        return st.one_of(st.none(), shaped(inner, depth))
    wire = union_wire(tp)
    if wire is not None:
        return _shape_registered(wire, depth)
    # Open enums, JSON passthrough, and the content unions of one-of models (``AppMessage
    # Content``...), which are only registered through their owner: the members' own shapes.
    return st.one_of(
        [_unknown_keys(set()) if a is serde.UnknownVariant else shaped(a, depth) for a in rest]
    )


def _unknown_keys(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with none of ``known``: what an ``UnknownVariant`` keeps."""
    keys = json_keys.filter(lambda k: k not in known)
    return st.dictionaries(keys, json_values, max_size=3)


def _shape_registered(wire: UnionWire, depth: int) -> st.SearchStrategy[Any]:
    members: list[st.SearchStrategy[Any]] = []
    for key, cls in wire.variants.items():
        member = shaped(cls, depth - 1)
        if wire.kind == "keyed":
            members.append(member.map(lambda v, k=key: {k: v}))
        elif wire.kind == "presence":
            members.append(member)
        elif wire.payload is None:
            members.append(member.map(lambda v, k=key: _tagged(wire.tag, k, v)))
        else:
            members.append(member.map(lambda v, k=key: {wire.tag: k, wire.payload: v}))
    known = set(wire.variants)
    if wire.kind == "tagged":
        unknown_tag = wire_strings.filter(lambda s: s not in known)
        unknown = st.builds(
            lambda tag, rest: {**rest, wire.tag: tag},
            unknown_tag,
            _unknown_keys({wire.tag or ""}),
        )
    else:
        unknown = _unknown_keys(known)
    return st.one_of(*members, unknown)


def _tagged(tag: str | None, key: str, value: Any) -> Any:
    return {tag: key, **value} if isinstance(value, dict) else value


def _shape_model(cls: type, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    one_of = serde._ONE_OF.get(cls)
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in _fields(cls):
        if one_of is not None and field.name == one_of.field:
            continue
        if field.default is attrs.NOTHING:
            required[_wire_name(field)] = shaped(field.type, depth - 1)
        elif depth > 0:
            optional[_wire_name(field)] = shaped(field.type, depth - 1)
    strategy = st.fixed_dictionaries(required, optional=optional)
    if one_of is None:
        return strategy
    variants = [
        shaped(variant, depth - 1).map(lambda v, k=key: {k: v})
        for key, variant in one_of.variants.items()
    ]
    content = st.one_of(*variants, _unknown_keys(set(one_of.variants) | set(required)))
    return st.builds(lambda rest, variant: {**rest, **variant}, strategy, content)


def _unknown_callback(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """A callback envelope plus payload keys this SDK does not know."""
    envelope = _shape_model(callbacks.CallbackEvent, depth)
    unknown = _unknown_keys(set(EVENT_CLASSES) | ENVELOPE_KEYS).filter(bool)
    return st.builds(lambda env, rest: {**env, **rest}, envelope, unknown)


# --- mutations ----------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(_paths(v, (*prefix, i)))
    return found


def _replace(value: Any, path: tuple[Any, ...], change: Callable[[Any], Any]) -> Any:
    if not path:
        return change(value)
    head, *tail = path
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(tail), change)}
    copy = list(value)
    copy[head] = _replace(copy[head], tuple(tail), change)
    return copy


@st.composite
def near_valid(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> Any:
    """A document of ``documents``, unchanged or with one mutation at a random place: the
    value replaced by any JSON value, a key removed, or a (real or random) key added."""
    document = draw(documents)
    mutation = draw(st.sampled_from(["none", "replace", "drop", "add"]))
    if mutation == "none":
        return document
    paths = _paths(document)
    path = paths[draw(st.integers(0, len(paths) - 1))]
    if mutation == "replace":
        noise = draw(json_values)
        return _replace(document, path, lambda _: noise)
    if mutation == "drop":
        return _replace(document, path, lambda v: _drop_one(draw, v))
    key, noise = draw(json_keys), draw(json_values)
    return _replace(document, path, lambda v: {**v, key: noise} if isinstance(v, dict) else v)


def _drop_one(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict) and value:
        victim = draw(st.sampled_from(sorted(value, key=repr)))
        return {k: v for k, v in value.items() if k != victim}
    if isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        return value[:index] + value[index + 1 :]
    return value


# --- callbacks ----------------------------------------------------------------------------


def callback_bodies() -> st.SearchStrategy[Any]:
    """Objects shaped like callbacks: envelope keys plus one known payload (valid or with one
    mutation), an unknown payload key, a known payload key holding any JSON value, or two
    payload keys at once."""
    one = st.one_of(
        *(shaped(cls) for cls in EVENT_CLASSES.values()),
        shaped(UnknownCallbackEvent),
    )
    two = st.builds(lambda a, b: {**a, **b}, one, one)
    arbitrary_payload = st.builds(
        lambda envelope, key, value: {**envelope, key: value},
        shaped(callbacks.CallbackEvent),
        st.sampled_from(sorted(EVENT_CLASSES)),
        json_values,
    )
    return st.one_of(near_valid(st.one_of(one, two)), arbitrary_payload)


# --- headers ----------------------------------------------------------------------------


@st.composite
def random_case(draw: st.DrawFn, name: str) -> str:
    """``name`` with each letter in upper or lower case."""
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c for c, up in zip(name, flips, strict=True))


header_names = st.one_of(
    st.sampled_from(SIGNATURE_HEADERS).flatmap(random_case),
    st.sampled_from(["content-type", "x-sinch-webhook-signature-", ""]),
    unicode_text,
)


def header_pairs(values: st.SearchStrategy[str] = unicode_text) -> st.SearchStrategy[Any]:
    """Headers as a dict, or as ``(name, value)`` pairs where a name may repeat in any case."""
    pairs = st.lists(st.tuples(header_names, values), max_size=8)
    return st.one_of(pairs.map(dict), pairs, pairs.map(tuple))
