"""Pre-generated structure and unstructure hooks for attrs models: the converter's hot path.

cattrs' generic hooks call one handler per field; reading a page of 100 messages makes
thousands of such calls. This module writes one Python function per model instead, with
the checks for plain JSON fields (strings, numbers, booleans, open enums, optional values)
inlined and a handler call kept only for nested models, timestamps and unions; where
attrs' ``__init__`` would only fill the slots, the function fills them itself
(:func:`slot_setters`). It is registered on the one converter
(:mod:`conversation_async._serde`) as a hook factory, so every model still goes through
cattrs.

Semantics match the rest of serde: unknown keys are ignored, a JSON ``null`` or a missing
key gives the field's default, a missing required key raises ``KeyError`` and a value of the
wrong JSON type raises ``TypeError`` (both become ``SerializationError``).

The other direction, :func:`make_unstructure_fn`, writes the dict a model becomes (what
cattrs' ``make_dict_unstructure_fn`` with ``omit_if_default`` builds, key for key and in the
same order) as one function; the code for each field's value comes from the converter
(serde's ``_value_code``), which inlines the hooks it recognises and calls the others.
"""

from __future__ import annotations

import enum
import inspect
import itertools
import linecache
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = [
    "Bindings",
    "OneOf",
    "first_variant",
    "make_structure_fn",
    "make_unstructure_fn",
    "parse_rfc3339",
    "slot_setters",
]

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


# --- unstructure ------------------------------------------------------------------------


class Bindings:
    """The globals of one generated function: each value bound once under a fresh name."""

    def __init__(self) -> None:
        self.globs: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        self._setup: list[str] = []

    def setup(self, *statements: str) -> None:
        """Statements the expression being written needs run before it (a loop filling a
        list is cheaper than a comprehension or ``list(map(...))`` for a short list)."""
        self._setup.extend(statements)

    def take_setup(self, indent: str) -> list[str]:
        """The statements :meth:`setup` collected since the last call, indented."""
        statements, self._setup = self._setup, []
        return [indent + line for line in statements]

    def bind(self, value: Any, hint: str = "h") -> str:
        """The global name ``value`` is bound to (the same name for the same object)."""
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"__{hint}{len(self.globs)}"
            self.globs[name] = value
        return name

    def bind_late(self, resolve: Callable[[], Callable[[Any], Any]], hint: str = "late") -> str:
        """A name for a hook that can only be looked up once generation is over (a model
        that contains itself): ``resolve()`` runs at the first call and its hook then
        replaces the stub, so later calls go straight to it."""
        name = f"__{hint}{len(self.globs)}"
        globs = self.globs

        def first_call(value: Any) -> Any:
            hook = resolve()
            globs[name] = hook
            return hook(value)

        globs[name] = first_call
        return name


ValueCode = Callable[[Any, str, Bindings, bool], str]
"""``(annotation, variable, bindings, not_none) -> expression``: the unstructured value of
``variable`` (a local holding a field of that annotation; known not to be None when
``not_none``), with whatever hooks it calls bound in ``bindings`` and any statements it
needs first passed to :meth:`Bindings.setup`."""


def _unstructurable_fields(cls: type) -> list[attrs.Attribute[Any]]:
    """The fields cattrs would write (not ``init=False`` ones); ValueError for a field the
    generated function cannot treat exactly as cattrs does."""
    attrs.resolve_types(cls)
    name = cls.__name__
    fields = [f for f in attrs.fields(cls) if f.init]
    for field in fields:
        if field.type is None or isinstance(field.type, (str, typing.TypeVar)):
            raise ValueError(f"{name}.{field.name}: no usable annotation")
        if typing.get_origin(field.type) is typing.Annotated:
            raise ValueError(f"{name}.{field.name}: Annotated fields may carry cattrs overrides")
        if field.converter is not None and field.default is not attrs.NOTHING:
            raise ValueError(f"{name}.{field.name}: cattrs compares the converted default")
    return fields


def make_unstructure_fn(
    cls: type,
    value_code: ValueCode,
    *,
    renames: Mapping[str, str] | None = None,
    one_of: OneOf | None = None,
    raw_type: type | None = None,
    invalid: Callable[[Any], Exception] | None = None,
) -> Callable[[Any], dict[str, Any]]:
    """Generate ``unstructure_<cls>(obj) -> dict`` for an attrs class.

    The dict is the one cattrs' ``make_dict_unstructure_fn(..., _cattrs_omit_if_default=True)``
    builds: fields without a default first, then the others in declaration order, each left
    out when equal to its default (``is not None`` for a None default, which differs only for
    a value claiming to equal None). ``renames`` maps field names to wire keys. With
    ``one_of``, its field comes first under its variant's key; a ``raw_type`` value (an
    unknown variant) is written as a copy of its ``raw`` dict, anything else raises
    ``invalid(value)``. Raises ValueError for a model whose fields it cannot write exactly.
    """
    renames = renames or {}
    name = cls.__name__
    fields = _unstructurable_fields(cls)
    names = Bindings()
    variant: list[str] = []  # the one-of field, which starts ``res``
    reads: list[str] = []  # locals the required entries use
    entries: list[tuple[str, str]] = []  # key and value of the fields without a default
    optional: list[str] = []  # the other fields, each added unless equal to its default
    for field in fields:
        var = f"v_{field.name}"
        if one_of is not None and field.name == one_of.field:
            variant = _write_variant(var, field.name, one_of, raw_type, invalid, value_code, names)
            continue
        key = repr(renames.get(field.name, field.name))
        default = field.default
        if default is attrs.NOTHING:
            code = value_code(field.type, var, names, False)
            setup = names.take_setup("    ")
            if setup or len(re.findall(rf"\b{var}\b", code)) != 1:
                reads += [f"    {var} = o.{field.name}", *setup]
            else:  # used once: read in place
                code = re.sub(rf"\b{var}\b", f"o.{field.name}", code)
            entries.append((key, code))
            continue
        if default is None:
            condition = f"{var} is not None"
            code = value_code(field.type, var, names, True)
        else:
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                make = names.bind(default.factory, "factory")
                condition = f"{var} != {make}({'o' if default.takes_self else ''})"
            else:
                condition = f"{var} != {names.bind(default, 'default')}"
            code = value_code(field.type, var, names, False)
        optional += [f"    {var} = o.{field.name}", f"    if {condition}:"]
        optional += [*names.take_setup("        "), f"        res[{key}] = {code}"]
    if one_of is not None:
        assigns = [f"    res[{key}] = {code}" for key, code in entries]
        body = [*variant, *reads, *assigns, *optional, "    return res"]
    elif not entries:
        body = ["    res = {}", *optional, "    return res"]
    else:
        literal = ["{", *(f"        {key}: {code}," for key, code in entries), "    }"]
        start = "    return " if not optional else "    res = "
        body = [*reads, start + literal[0], *literal[1:], *optional]
        body += ["    return res"] if optional else []
    fn_name = f"unstructure_{name}"
    source = "\n".join([f"def {fn_name}(o):", *body]) + "\n"
    filename = f"<conversation_async unstructure {name} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), names.globs)  # noqa: S102 - code generated above
    hook: Callable[[Any], dict[str, Any]] = names.globs[fn_name]
    return hook


def _write_variant(
    var: str,
    field: str,
    one_of: OneOf,
    raw_type: type | None,
    invalid: Callable[[Any], Exception] | None,
    value_code: ValueCode,
    names: Bindings,
) -> list[str]:
    """Statements that start ``res`` with the one-of field under its variant's key."""
    if raw_type is None or invalid is None:
        raise ValueError("a one-of needs raw_type and invalid")
    lines = [f"    {var} = o.{field}", f"    cls = {var}.__class__"]
    branch = "if"
    for key, variant in one_of.variants.items():
        code = value_code(variant, var, names, True)
        lines.append(f"    {branch} cls is {names.bind(variant, 'variant')}:")
        lines += [*names.take_setup("        "), f"        res = {{{key!r}: {code}}}"]
        branch = "elif"
    lines += [
        f"    {branch} isinstance({var}, {names.bind(raw_type, 'raw')}):",
        f"        res = dict({var}.raw)",
        "    else:",
        f"        raise {names.bind(invalid, 'invalid')}({var})",
    ]
    return lines
