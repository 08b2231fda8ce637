"""Pre-generated structure hooks for attrs models: the converter's hot path.

cattrs' generic hooks call one handler per field; reading a page of 100 messages makes
thousands of such calls. This module writes one Python function per model instead, with
the checks for plain JSON fields (strings, numbers, booleans, open enums, optional values)
inlined and a handler call kept only for nested models, timestamps and unions; where
attrs' ``__init__`` would only fill the slots, the function fills them itself
(:func:`slot_setters`). It is registered on the one converter
(:mod:`conversation_async.serde`) as a hook factory, so every model still goes through
cattrs.

Semantics match the rest of serde: unknown keys are ignored, a JSON ``null`` or a missing
key gives the field's default, a missing required key raises ``KeyError`` and a value of the
wrong JSON type raises ``TypeError`` (both become ``SerializationError``).
"""

from __future__ import annotations

import enum
import inspect
import itertools
import linecache
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = ["OneOf", "first_variant", "make_structure_fn", "parse_rfc3339", "slot_setters"]

StructureHook = Callable[[Any, Any], Any]
HookLookup = Callable[[Any], StructureHook]

_NONE = type(None)
_PRIMITIVE_CHECKS = {
    str: "{v}.__class__ is str",
    bool: "{v}.__class__ is bool",
    int: "{v}.__class__ is int",
    float: "({v}.__class__ is float or {v}.__class__ is int)",
}
_CONTAINER_CHECKS = {dict: "{v}.__class__ is dict", list: "{v}.__class__ is list"}
_counter = itertools.count()


def _union_args(tp: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return ()


def _inline_check(tp: Any) -> str | None:
    """A check expression template for a plain JSON type, or None if it needs a handler."""
    if tp in _PRIMITIVE_CHECKS:
        return _PRIMITIVE_CHECKS[tp]
    origin = typing.get_origin(tp)
    if origin in _CONTAINER_CHECKS and all(a in (Any, str) for a in typing.get_args(tp)):
        return _CONTAINER_CHECKS[origin]
    args = _union_args(tp)
    if args:
        parts = [_inline_check(a) for a in args]
        if all(parts):
            return "(" + " or ".join(p for p in parts if p) + ")"
    return None


def _open_enum(tp: Any) -> type[enum.Enum] | None:
    args = _union_args(tp)
    if len(args) == 2 and str in args:
        other = args[0] if args[1] is str else args[1]
        if isinstance(other, type) and issubclass(other, enum.StrEnum):
            return other
    return None


def parse_rfc3339(value: str) -> datetime:
    """RFC 3339 into an aware datetime (naive means UTC); the same rule as serde's hook."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = datetime.fromisoformat(value.upper())  # RFC 3339 allows "t" and "z"
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def slot_setters(cls: type) -> dict[str, Callable[[Any, Any], None]] | None:
    """Each field's slot setter, when filling the slots is all ``cls.__init__`` would do.

    attrs' frozen ``__init__`` sets each slot through ``object.__setattr__`` after matching
    keyword arguments; the slot descriptors' own setters build the same instance in about
    half the time (most of a page of models' structuring). None when ``__init__`` does more:
    validators, converters, hooks, fields outside ``__init__``, or slots that are not fields.
    """
    init = getattr(vars(cls).get("__init__"), "__code__", None)
    if init is None or "attrs generated" not in init.co_filename:
        return None
    if inspect.getattr_static(cls, "__new__") is not inspect.getattr_static(object, "__new__"):
        return None
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None
    fields = attrs.fields(cls)
    if any(f.validator or f.converter or not f.init for f in fields):
        return None
    slots = {
        slot
        for klass in cls.__mro__[:-1]
        for slot in vars(klass).get("__slots__", ())
        if slot != "__weakref__"
    }
    if slots != {f.name for f in fields}:
        return None
    setters: dict[str, Callable[[Any, Any], None]] = {}
    for field in fields:
        descriptor = inspect.getattr_static(cls, field.name)
        if not isinstance(descriptor, types.MemberDescriptorType):
            return None
        setters[field.name] = descriptor.__set__
    return setters


def _bad(model: str, field: str) -> Callable[[Any], Any]:
    def bad(value: Any) -> Any:
        raise TypeError(f"{model}.{field}: unexpected JSON type {type(value).__name__}")

    return bad


def make_structure_fn(
    cls: type,
    lookup: HookLookup,
    *,
    renames: Mapping[str, str] | None = None,
    raw_fields: frozenset[str] = frozenset(),
    one_of: OneOf | None = None,
) -> Callable[..., Any]:
    """Generate ``structure_<cls>(data, _) -> cls`` for an attrs class.

    ``lookup`` gives the hook for a nested type; ``renames`` maps field names to wire keys.
    Fields in ``raw_fields`` are not read from the data: the caller passes them, already
    structured, as keyword arguments of the generated function. With ``one_of``, its field
    is chosen by which variant key the data holds (see :class:`OneOf`).
    """
    renames = renames or {}
    name = cls.__name__
    attrs.resolve_types(cls)  # string annotations (``from __future__ import annotations``)
    for field in attrs.fields(cls):
        if field.default is not attrs.NOTHING and field.default is not None:
            raise ValueError(f"{name}.{field.name}: only None defaults are supported")
    globs: dict[str, Any] = {"__cl": cls, "__mapping": Mapping}
    body: list[str] = []
    arguments: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        var = f"v_{field.name}"
        arguments.append(f"{field.alias}={var}")
        if field.name in raw_fields:
            continue
        if one_of is not None and field.name == one_of.field:
            body.extend(_pick_variant(var, one_of, globs, lookup))
            continue
        key = renames.get(field.name, field.name)
        required = field.default is attrs.NOTHING
        source = f"o[{key!r}]" if required else f"get({key!r})"
        body.append(f"    {var} = {source}")
        body.extend(_convert(var, field.type, required, globs, name, field.name, lookup))
    fn_name = f"structure_{name}"
    raw_params = "".join(f", v_{field}=None" for field in sorted(raw_fields))
    setters = slot_setters(cls)
    if setters is None:
        build = [f"    return __cl({', '.join(arguments)})"]
    else:
        globs["__new"] = object.__new__
        build = ["    obj = __new(__cl)"]
        for field_name, setter in setters.items():
            globs[f"__set_{field_name}"] = setter
            build.append(f"    __set_{field_name}(obj, v_{field_name})")
        build.append("    return obj")
    lines = [
        f"def {fn_name}(o, _=None{raw_params}):",
        "    if o.__class__ is not dict and not isinstance(o, __mapping):",
        f"        raise TypeError('{name} must be a JSON object')",
        "    get = o.get",
        *body,
        *build,
    ]
    source = "\n".join(lines) + "\n"
    filename = f"<conversation_async structure {name} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globs)  # noqa: S102 - code generated above
    hook: Callable[..., Any] = globs[fn_name]
    return hook


@attrs.frozen
class OneOf:
    """A field carried as exactly one of ``variants``' keys; ``unknown(data)`` builds the
    value kept when no variant key is present."""

    field: str
    variants: Mapping[str, type]
    unknown: Callable[[Mapping[str, Any]], Any]


def first_variant(data: Mapping[str, Any], rank: Mapping[str, int]) -> str | None:
    """The variant key present in ``data`` (the earliest declared one if several are)."""
    found: str | None = None
    for key in data:  # an object holds a few keys; the variant table may be long
        if key in rank and (found is None or rank[key] < rank[found]):
            found = key
    return found


def _pick_variant(var: str, one_of: OneOf, globs: dict[str, Any], lookup: HookLookup) -> list[str]:
    globs["__first_variant"] = first_variant
    globs["__rank"] = {key: position for position, key in enumerate(one_of.variants)}
    globs["__variant_hooks"] = {key: lookup(cls) for key, cls in one_of.variants.items()}
    globs["__variant_types"] = dict(one_of.variants)
    globs["__unknown"] = one_of.unknown
    return [
        "    key = __first_variant(o, __rank)",
        "    if key is None:",
        f"        {var} = __unknown(o)",
        "    else:",
        f"        {var} = __variant_hooks[key](o[key], __variant_types[key])",
    ]


def _convert(
    var: str,
    tp: Any,
    required: bool,
    globs: dict[str, Any],
    model: str,
    field: str,
    lookup: HookLookup,
) -> list[str]:
    """Statements that check or convert ``var`` (already read from the JSON) in place."""
    args = _union_args(tp)
    optional = _NONE in args
    inner = tp
    if optional:
        rest = tuple(a for a in args if a is not _NONE)
        inner = rest[0] if len(rest) == 1 else typing.Union[rest]  # noqa: UP007
    tag = field.replace(".", "_")
    bad = f"__bad_{tag}"
    globs[bad] = _bad(model, field)
    guard = f"if {var} is not None:" if (optional or not required) else "if True:"
    members = _open_enum(inner)
    if members is not None:
        table = f"__lookup_{tag}"
        globs[table] = members._value2member_map_
        return [
            f"    {guard}",
            f"        if {var}.__class__ is str or isinstance({var}, str):",
            f"            {var} = {table}.get({var}, {var})",
            "        else:",
            f"            {bad}({var})",
        ]
    if inner is datetime:
        parse = "__fromisoformat"
        globs[parse] = parse_rfc3339
        return [
            f"    {guard}",
            f"        {var} = {parse}({var}) if {var}.__class__ is str else {bad}({var})",
        ]
    check = _inline_check(inner)
    if check is not None:
        condition = check.format(v=var)
        return [f"    {guard}", f"        if not {condition}:", f"            {bad}({var})"]
    handler, kind = f"__h_{tag}", f"__t_{tag}"
    globs[handler] = lookup(inner)
    globs[kind] = inner
    return [f"    {guard}", f"        {var} = {handler}({var}, {kind})"]
