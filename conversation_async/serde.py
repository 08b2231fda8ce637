"""The one cattrs converter behind every model, and the hooks that shape the wire format.

Wire conventions (DESIGN.md "Conventions"):

- ``None`` fields are left out of what is sent; unknown keys are ignored on input.
- Timestamps become timezone-aware ``datetime`` (up to 9 fractional digits are accepted;
  Python keeps 6) and are written back as RFC 3339 UTC with ``Z``.
- Open enums are annotated ``SomeEnum | str``: known values become members, unknown
  strings stay plain ``str``.
- "Exactly one of" objects are unions chosen by which key (or tag) is present; anything
  unrecognised becomes :class:`UnknownVariant`, which keeps the raw JSON and writes it back.

Models register their unions with :func:`register_one_of`, :func:`register_keyed_union`,
:func:`register_presence_union` and :func:`register_tagged_union` (and fields whose wire key
is a Python keyword with :func:`register_renamed_fields`) at import time; hooks are built
lazily, so registration order between model modules does not matter.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._codegen import OneOf, make_structure_fn, parse_rfc3339
from .errors import SerializationError

__all__ = [
    "UnknownVariant",
    "converter",
    "format_timestamp",
    "parse_timestamp",
    "register_keyed_union",
    "register_one_of",
    "register_presence_union",
    "register_renamed_fields",
    "register_tagged_union",
    "structure",
    "unstructure",
]

T = TypeVar("T")

JsonObject = dict[str, Any]


@attrs.define(frozen=True, repr=False)
class UnknownVariant:
    """A variant of a one-of this SDK version does not know; ``raw`` is written back as is.

    Its ``repr`` shows only the keys: an unknown credential or webhook may hold secrets.
    """

    raw: JsonObject

    def __repr__(self) -> str:
        return f"UnknownVariant(keys={sorted(self.raw)!r})"


converter = cattrs.Converter(omit_if_default=True, detailed_validation=False)


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON; raise :class:`SerializationError` on a mismatch."""
    try:
        return converter.structure(data, cls)
    except SerializationError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
        name = getattr(cls, "__name__", str(cls))
        raise SerializationError(f"cannot read {name} from JSON: {exc!r}") from exc


def unstructure(obj: Any) -> Any:
    """Turn a model (or a container of models) into JSON-ready Python values."""
    return converter.unstructure(obj)


# --- timestamps -------------------------------------------------------------------------


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware ``datetime`` (naive input is taken as UTC)."""
    if not isinstance(value, str):
        raise TypeError(f"expected an RFC 3339 string, got {type(value).__name__}")
    return parse_rfc3339(value)


def format_timestamp(value: datetime) -> str:
    """Format an aware ``datetime`` as RFC 3339 in UTC (``...Z``); naive input is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()!r}: pass an aware datetime "
            "(for example datetime.now(timezone.utc))"
        )
    timespec = "microseconds" if value.microsecond else "seconds"
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        # Within minutes of year 1 or 9999 the UTC instant is not a datetime; keep the offset.
        return value.isoformat(timespec=timespec)
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


converter.register_structure_hook(datetime, lambda value, _: parse_timestamp(value))
converter.register_unstructure_hook(datetime, format_timestamp)
converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
converter.register_unstructure_hook(date, date.isoformat)


# --- open enums and JSON passthrough unions ---------------------------------------------


def _union_args(tp: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return ()


def _open_enum(tp: Any) -> type[enum.StrEnum] | None:
    """The enum of an ``Enum | str`` annotation, else None."""
    args = _union_args(tp)
    if len(args) == 2 and str in args:
        other = args[0] if args[1] is str else args[1]
        if isinstance(other, type) and issubclass(other, enum.StrEnum):
            return other
    return None


_JSON_TYPES = (dict, list, str, int, float, bool)
_NONE = type(None)


def _split_optional(tp: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, ``(tp, False)`` for any other annotation."""
    args = _union_args(tp)
    if _NONE not in args:
        return tp, False
    rest = tuple(a for a in args if a is not _NONE)
    return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007


def _is_plain_json(tp: Any) -> bool:
    """``str``, ``int``..., or a container of anything: ``dict[str, Any]``, ``list[Any]``."""
    origin = typing.get_origin(tp)
    if origin is None:
        return tp in _JSON_TYPES
    return origin in (dict, list) and all(a in (Any, str) for a in typing.get_args(tp))


def _is_json_passthrough(tp: Any) -> bool:
    """``str``, ``dict[str, Any] | str`` and other unions of plain JSON types."""
    return all(_is_plain_json(a) for a in (_union_args(tp) or (tp,)))


def _handled_union(tp: Any) -> bool:
    """Unions this module structures itself: open enums, plain JSON types, ``X | None``."""
    if not _union_args(tp):
        return False
    inner, optional = _split_optional(tp)
    return optional or _open_enum(inner) is not None or _is_json_passthrough(inner)


def _structure_union(tp: Any) -> Callable[[Any, Any], Any]:
    """One flat hook per annotation: the hot path of reading API answers."""
    inner, optional = _split_optional(tp)
    members = _open_enum(inner)
    if members is not None:
        lookup = members._value2member_map_

        def open_enum(value: Any, _: Any) -> Any:
            if value.__class__ is str:
                return lookup.get(value, value)
            if value is None and optional:
                return None
            if isinstance(value, str):
                return lookup.get(value, value)
            raise TypeError(f"expected a {members.__name__} string, got {type(value).__name__}")

        return open_enum
    if _is_json_passthrough(inner):
        accepted = tuple(typing.get_origin(a) or a for a in (_union_args(inner) or (inner,)))
        if float in accepted and int not in accepted:
            accepted += (int,)  # JSON has one number type: ``3`` is a valid ``float``
        if optional:
            accepted += (_NONE,)

        def passthrough(value: Any, _: Any) -> Any:
            if isinstance(value, accepted):
                return value
            raise TypeError(f"unexpected JSON type {type(value).__name__} for {tp}")

        return passthrough
    hook: Callable[[Any, Any], Any] | None = None

    def nullable(value: Any, _: Any) -> Any:
        nonlocal hook
        if value is None:
            return None
        if hook is None:
            hook = converter.get_structure_hook(inner)
        return hook(value, inner)

    return nullable


def _unstructure_optional(tp: Any) -> Callable[[Any], Any]:
    inner, _ = _split_optional(tp)
    hook: Callable[[Any], Any] | None = None

    def nullable(value: Any) -> Any:
        nonlocal hook
        if value is None:
            return None
        if hook is None:
            hook = converter.get_unstructure_hook(inner)
        return hook(value)

    return nullable


def _unstructure_handled(tp: Any) -> bool:
    """``(A | B) | None`` unions, which cattrs flattens into a union nobody registered."""
    inner, optional = _split_optional(tp)
    return optional and not isinstance(inner, type)


converter.register_structure_hook_factory(_handled_union, _structure_union)
converter.register_unstructure_hook_factory(_unstructure_handled, _unstructure_optional)


# --- models -----------------------------------------------------------------------------

_GENERATING: set[Any] = set()
_ONE_OF: dict[type, OneOf] = {}
"""Models registered with :func:`register_one_of`; their hooks are generated with it."""


def _nested_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """The hook for a field's type; late-bound while that type's own hook is being made."""
    if any(t in _GENERATING for t in (tp, *typing.get_args(tp))):
        return converter.structure
    return converter.get_structure_hook(tp)


def _generated_structure(
    cls: type, *, renames: Mapping[str, str] | None = None, raw: frozenset[str] = frozenset()
) -> Callable[..., Any]:
    """A pre-generated hook for ``cls`` (see :mod:`conversation_async._codegen`); ``raw``
    fields become extra parameters of the hook, after ``(data, cls)``."""
    _GENERATING.add(cls)
    try:
        one_of = _ONE_OF.get(cls)
        return make_structure_fn(cls, _nested_hook, renames=renames, raw_fields=raw, one_of=one_of)
    except ValueError:  # a default other than None: cattrs' generic hook handles it
        return make_dict_structure_fn(cls, converter)
    finally:
        _GENERATING.discard(cls)


converter.register_structure_hook_factory(
    lambda tp: isinstance(tp, type) and attrs.has(tp), _generated_structure
)


# --- one-of unions ----------------------------------------------------------------------


def _lazy(build: Callable[[], Callable[..., T]]) -> Callable[..., T]:
    """Defer building a hook to its first call, so model modules can register in any order."""
    built: Callable[..., T] | None = None

    def call(*args: Any) -> T:
        nonlocal built
        if built is None:
            built = build()
        return built(*args)

    return call


def _structure_hooks(variants: Mapping[str, type]) -> Callable[[], dict[str, Any]]:
    """Each variant's structure hook, looked up once (on first use) instead of per call."""
    table: dict[str, Any] = {}

    def hooks() -> dict[str, Any]:
        if not table:
            table.update({key: converter.get_structure_hook(cls) for key, cls in variants.items()})
        return table

    return hooks


_UNSTRUCTURE_HOOKS: dict[type, Callable[[Any], Any]] = {}


def _unstructure_exact(obj: Any) -> Any:
    """Unstructure ``obj`` by its own class, with the hook looked up once per class."""
    cls = obj.__class__
    hook = _UNSTRUCTURE_HOOKS.get(cls)
    if hook is None:
        hook = _UNSTRUCTURE_HOOKS[cls] = converter.get_unstructure_hook(cls)
    return hook(obj)


def _unstructure_by_class(variants: Mapping[str, type]) -> dict[type, str]:
    by_class = {cls: key for key, cls in variants.items()}
    if len(by_class) != len(variants):
        raise ValueError("each variant class may appear under one key only")
    return by_class


def register_one_of(
    model: type, *, field: str, variants: Mapping[str, type], siblings: tuple[str, ...] = ()
) -> None:
    """Register ``model`` whose ``field`` is carried on the wire as one of ``variants``' keys.

    ``{"text_message": {...}, "agent": {...}}`` becomes ``AppMessage(content=TextMessage(...),
    agent=Agent(...))``. Keys that are neither a variant nor one of the model's other fields
    are kept in an :class:`UnknownVariant`.
    """
    by_class = _unstructure_by_class(variants)
    known = {a.name for a in attrs.fields(model) if a.name != field} | set(siblings)

    def unknown(data: Mapping[str, Any]) -> UnknownVariant:
        return UnknownVariant({k: v for k, v in data.items() if k not in known})

    _ONE_OF[model] = OneOf(field, dict(variants), unknown)

    def build_unstructure() -> Callable[[Any], Any]:
        omitted: dict[str, Any] = {field: override(omit=True)}
        rest: Callable[[Any], Any] = make_dict_unstructure_fn(
            model, converter, _cattrs_omit_if_default=True, **omitted
        )

        def hook(obj: Any) -> Any:
            content = getattr(obj, field)
            if isinstance(content, UnknownVariant):
                out = dict(content.raw)
            else:
                out = {_variant_key(by_class, content, model): _unstructure_exact(content)}
            out.update(rest(obj))
            return out

        return hook

    converter.register_unstructure_hook(model, _lazy(build_unstructure))


def register_keyed_union(union: Any, variants: Mapping[str, type]) -> None:
    """Register ``union`` carried as a single-key object: ``{"composing_event": {}}``."""
    by_class = _unstructure_by_class(variants)
    hooks = _structure_hooks(variants)

    def structure_hook(data: Any, _: Any) -> Any:
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise TypeError("expected a JSON object with one key")
        for key, cls in variants.items():
            if key in data:
                return hooks()[key](data[key], cls)
        return UnknownVariant(dict(data))

    def unstructure_hook(obj: Any) -> Any:
        if isinstance(obj, UnknownVariant):
            return dict(obj.raw)
        return {_variant_key(by_class, obj, union): _unstructure_exact(obj)}

    converter.register_structure_hook(union, structure_hook)
    converter.register_unstructure_hook(union, unstructure_hook)


def register_presence_union(union: Any, variants: Mapping[str, type]) -> None:
    """Register ``union`` whose member is chosen by a key the member itself holds.

    ``{"contact_id": "..."}`` is a ``ContactRecipient``; ``{"identified_by": {...}}`` an
    ``IdentifiedRecipient``.
    """

    hooks = _structure_hooks(variants)

    def structure_hook(data: Any, _: Any) -> Any:
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise TypeError("expected a JSON object")
        for key, cls in variants.items():
            if key in data:
                return hooks()[key](data, cls)
        return UnknownVariant(dict(data))

    converter.register_structure_hook(union, structure_hook)
    converter.register_unstructure_hook(union, _unstructure_member)


def register_tagged_union(
    union: Any, *, tag: str, variants: Mapping[str, type], payload: str | None = None
) -> None:
    """Register ``union`` told apart by the value of ``tag``.

    With ``payload=None`` the tag sits inside the member's object (``{"type": "text", "text":
    ...}``); otherwise the member is under ``payload`` next to the tag (``{"message_type":
    "FLOWS", "message": {...}}``). Members do not repeat the tag as a field.
    """
    by_class = _unstructure_by_class(variants)
    hooks = _structure_hooks(variants)

    def structure_hook(data: Any, _: Any) -> Any:
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise TypeError("expected a JSON object")
        key: Any = data.get(tag)
        cls = variants.get(key) if isinstance(key, str) else None
        if cls is None:
            return UnknownVariant(dict(data))
        return hooks()[key](data if payload is None else data.get(payload), cls)

    def unstructure_hook(obj: Any) -> Any:
        if isinstance(obj, UnknownVariant):
            return dict(obj.raw)
        key = _variant_key(by_class, obj, union)
        body = _unstructure_exact(obj)
        if payload is None:
            return {tag: key, **body}
        return {tag: key, payload: body}

    converter.register_structure_hook(union, structure_hook)
    converter.register_unstructure_hook(union, unstructure_hook)


def register_renamed_fields(model: type, **wire_names: str) -> None:
    """Register ``model`` whose fields ``name=wire`` differ from their wire keys.

    For wire keys that are Python keywords: ``register_renamed_fields(Req, from_="from")``.
    """
    overrides = {field: override(rename=wire) for field, wire in wire_names.items()}
    converter.register_structure_hook(
        model,
        _lazy(lambda: make_dict_structure_fn(model, converter, **overrides)),  # type: ignore[arg-type]
    )
    converter.register_unstructure_hook(
        model,
        _lazy(
            lambda: make_dict_unstructure_fn(
                model,
                converter,
                _cattrs_omit_if_default=True,
                **overrides,  # type: ignore[arg-type]
            )
        ),
    )


def _unstructure_member(obj: Any) -> Any:
    if isinstance(obj, UnknownVariant):
        return dict(obj.raw)
    return _unstructure_exact(obj)


def _variant_key(by_class: Mapping[type, str], obj: Any, owner: Any) -> str:
    try:
        return by_class[type(obj)]
    except KeyError:
        name = getattr(owner, "__name__", str(owner))
        raise TypeError(f"{type(obj).__name__} is not a valid variant for {name}") from None


converter.register_unstructure_hook(UnknownVariant, lambda obj: dict(obj.raw))
