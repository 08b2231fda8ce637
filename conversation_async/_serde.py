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

Writing a model (:func:`unstructure`) goes through one pre-generated function per model
(:func:`conversation_async._codegen.make_unstructure_fn`): the dict cattrs' generic hook
would build, with the hooks this module recognises (plain values, optional values, open
enums, lists, presence unions) inlined and all others called as cattrs would call them.
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
from cattrs.fns import identity
from cattrs.gen import (
    iterable_unstructure_factory,
    make_dict_structure_fn,
    make_dict_unstructure_fn,
    override,
)

from . import _jsoncodec
from ._codegen import Bindings, OneOf, make_structure_fn, make_unstructure_fn, parse_rfc3339
from ._errors import SerializationError

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


def parse_timestamp(value: object) -> datetime:
    """Parse an RFC 3339 timestamp into an aware ``datetime`` (naive input is taken as UTC);
    ``TypeError`` for anything but a string."""
    if not isinstance(value, str):
        raise TypeError(f"expected an RFC 3339 string, got {type(value).__name__}")
    return parse_rfc3339(value)


def format_timestamp(value: datetime) -> str:
    """Format an aware ``datetime`` as RFC 3339 in UTC (``...Z``); naive input is refused."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        # Every parsed timestamp (half the cost of writing a page of messages): isoformat's
        # default precision is the rule below, and its "+00:00" becomes "Z".
        return value.isoformat()[:-6] + "Z"
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
    cls: type[Any], *, renames: Mapping[str, str] | None = None, raw: frozenset[str] = frozenset()
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


_RENAMES: dict[type, dict[str, str]] = {}
"""Models registered with :func:`register_renamed_fields`: field name to wire key."""
_UNSTRUCTURING: set[Any] = set()
"""Models whose unstructure hook is being generated: fields that refer back bind late."""


def _generated_unstructure(cls: type) -> Callable[[Any], Any]:
    """A pre-generated unstructure hook for ``cls`` (see :mod:`conversation_async._codegen`);
    cattrs' generic hook, with the same renames and one-of, for a model it refuses."""
    _UNSTRUCTURING.add(cls)
    try:
        one_of, renames = _ONE_OF.get(cls), _RENAMES.get(cls, {})
        try:
            return make_unstructure_fn(
                cls,
                _value_code,
                renames=renames,
                one_of=one_of,
                raw_type=UnknownVariant,
                invalid=lambda obj: _not_a_variant(obj, cls),
            )
        except ValueError:
            if one_of is not None:
                return _one_of_hook(cls, one_of, renames)
            overrides = {name: override(rename=wire) for name, wire in renames.items()}
            return make_dict_unstructure_fn(
                cls,
                converter,
                _cattrs_omit_if_default=True,
                **overrides,  # type: ignore[arg-type]
            )
    finally:
        _UNSTRUCTURING.discard(cls)


def _register_unstructure(model: type) -> None:
    """(Re)generate ``model``'s hook with what was just registered for it; registering also
    drops any hook cattrs built and cached for it before."""
    converter.register_unstructure_hook_factory(lambda tp: tp is model, _generated_unstructure)


converter.register_unstructure_hook_factory(
    lambda tp: isinstance(tp, type) and attrs.has(tp), _generated_unstructure
)


def _mentions(tp: Any, classes: set[Any]) -> bool:
    """Whether annotation ``tp`` is or contains one of ``classes``."""
    if not classes:
        return False
    try:
        if tp in classes:
            return True
    except TypeError:  # an unhashable annotation argument
        return False
    return any(_mentions(arg, classes) for arg in typing.get_args(tp))


def _value_code(tp: Any, var: str, names: Bindings, not_none: bool, statements: bool = True) -> str:
    """The expression for ``var`` (a value annotated ``tp``) unstructured: what the
    converter's hook for ``tp`` returns, with the hook inlined where :func:`_hook_code`
    recognises it. A type that refers back to a model being generated is bound late.
    ``statements``: whether setup statements may run first (not inside a comprehension)."""
    if _mentions(tp, _UNSTRUCTURING):
        return f"{names.bind_late(lambda: converter.get_unstructure_hook(tp))}({var})"
    return _hook_code(converter.get_unstructure_hook(tp), tp, var, names, not_none, statements)


def _code_of(hook: Any) -> Any:
    return getattr(hook, "__code__", None)


_CATTRS_OPTIONAL = _code_of(converter.gen_unstructure_optional(Any | None))  # type: ignore[arg-type]
_CATTRS_ITERABLE = _code_of(iterable_unstructure_factory(list[Any], converter))
_CATTRS_UNION = converter.get_unstructure_hook(int | str)
"""cattrs' own hook for a union of classes it has no other hook for (its bound method)."""
_NULLABLE = _code_of(_unstructure_optional(Any | None))
"""The code of the optional and list hooks cattrs and this module build: a hook running one
of them is recognised (its handler is in its defaults, or is the inner type's hook)."""


def _hook_code(
    hook: Any, tp: Any, var: str, names: Bindings, not_none: bool, statements: bool
) -> str:
    """The expression ``hook(var)`` evaluates to, inlined where ``hook`` is one this module
    knows the result of; any other hook is called as is."""
    if hook is identity:
        return var
    if hook is list or hook is dict:  # cattrs' hook for list[str], dict[str, str]: a copy
        return f"{hook.__name__}({var})"
    code, args = _code_of(hook), typing.get_args(tp)
    if code is not None and code is _NULLABLE:
        inner = _value_code(_split_optional(tp)[0], var, names, True, statements and not_none)
        return inner if not_none else f"(None if {var} is None else {inner})"
    if code is not None and code is _CATTRS_OPTIONAL and len(args) == 2 and _NONE in args:
        (inner_hook,) = hook.__defaults__
        inner_tp = _split_optional(tp)[0]
        inner = _hook_code(inner_hook, inner_tp, var, names, True, statements and not_none)
        return inner if not_none else f"(None if {var} is None else {inner})"
    if code is not None and code is _CATTRS_ITERABLE and len(args) == 1:
        seq_cl, item_hook = hook.__defaults__
        if seq_cl is list:  # list[X]: a new list, the items' hook applied to each
            return _list_code(item_hook, args[0], var, names, statements)
    if hook == _CATTRS_UNION:  # open enums: by the value's class
        plain = [m for m in _union_args(tp) if _is_class(m) and _hook_of(m) is identity]
        if plain:
            checks = " or ".join(f"{var}.__class__ is {names.bind(m, 'cls')}" for m in plain)
            return f"({var} if {checks} else {names.bind(hook)}({var}))"
    if hook is _unstructure_member:  # presence unions: by the value's class
        members = {
            m: _hook_of(m)
            for m in _union_args(tp)
            if _is_class(m) and not issubclass(m, UnknownVariant)
        }
        chain = f"{names.bind(hook)}({var})"
        for member, member_hook in reversed(members.items()):
            check = f"{var}.__class__ is {names.bind(member, 'cls')}"
            chain = f"{names.bind(member_hook)}({var}) if {check} else {chain}"
        return f"({chain})"
    return f"{names.bind(hook)}({var})"


def _list_code(hook: Any, tp: Any, var: str, names: Bindings, statements: bool) -> str:
    """A new list of ``hook(item)`` for each item of ``var``: cattrs' list hook inlined."""
    item = f"i_{var}"  # field values are v_<field>: derived names cannot clash with them
    inner = _hook_code(hook, tp, item, names, False, False)
    if not statements:
        return f"[{inner} for {item} in {var}]"
    out = f"l_{var}"
    names.setup(f"{out} = []", f"for {item} in {var}:", f"    {out}.append({inner})")
    return out


def _is_class(tp: Any) -> bool:
    return isinstance(tp, type)


def _hook_of(tp: Any) -> Callable[[Any], Any]:
    return converter.get_unstructure_hook(tp)


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
    _unstructure_by_class(variants)
    known = {a.name for a in attrs.fields(model) if a.name != field} | set(siblings)

    def unknown(data: Mapping[str, Any]) -> UnknownVariant:
        return UnknownVariant({k: v for k, v in data.items() if k not in known})

    _ONE_OF[model] = OneOf(field, dict(variants), unknown)
    _register_unstructure(model)


def _one_of_hook(
    model: type[Any], one_of: OneOf, renames: Mapping[str, str]
) -> Callable[[Any], Any]:
    """cattrs' generic hook for the other fields, behind the one-of field's variant key: for
    one-of models whose fields the generated function cannot write."""
    field, by_class = one_of.field, _unstructure_by_class(one_of.variants)
    overrides = {name: override(rename=wire) for name, wire in renames.items()}
    overrides[field] = override(omit=True)
    rest: Callable[[Any], Any] = make_dict_unstructure_fn(
        model,
        converter,
        _cattrs_omit_if_default=True,
        **overrides,  # type: ignore[arg-type]
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


def register_keyed_union(union: Any, variants: Mapping[str, type]) -> None:
    """Register ``union`` carried as a single-key object: ``{"composing_event": {}}``."""
    by_class = _unstructure_by_class(variants)
    hooks = _structure_hooks(variants)

    def structure_hook(data: Any, _: Any) -> Any:
        if data.__class__ is not dict and not _jsoncodec.is_mapping(data):
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
        if data.__class__ is not dict and not _jsoncodec.is_mapping(data):
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
        if data.__class__ is not dict and not _jsoncodec.is_mapping(data):
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
    _RENAMES[model] = dict(wire_names)
    _register_unstructure(model)


def _unstructure_member(obj: Any) -> Any:
    if isinstance(obj, UnknownVariant):
        return dict(obj.raw)
    return _unstructure_exact(obj)


def _variant_key(by_class: Mapping[type, str], obj: Any, owner: Any) -> str:
    try:
        return by_class[type(obj)]
    except KeyError:
        raise _not_a_variant(obj, owner) from None


def _not_a_variant(obj: Any, owner: Any) -> TypeError:
    name = getattr(owner, "__name__", str(owner))
    return TypeError(f"{type(obj).__name__} is not a valid variant for {name}")


converter.register_unstructure_hook(UnknownVariant, lambda obj: dict(obj.raw))
