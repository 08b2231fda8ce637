"""The unstructure side of the converter as it was before its hooks were generated.

:func:`reference_converter` is a fresh cattrs converter configured as ``serde.converter`` was:
cattrs' generic ``make_dict_unstructure_fn`` (``omit_if_default``) for every model, and the
hooks serde used to register for one-of models, renamed fields, unions, ``X | None`` unions,
timestamps and unknown variants, rebuilt here on the reference converter from serde's
registries (``_ONE_OF``, ``_RENAMES``, and each union's wire form read back from its
structure hook). The parity tests compare ``serde.unstructure`` with it; :func:`exact` makes
that comparison strict.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from conversation_async.callbacks import UnknownCallbackEvent
from tests.fuzz.strategies import UnionWire, union_wire

__all__ = ["exact", "reference_converter"]

Hook = Callable[[Any], Any]


def exact(value: Any) -> Any:
    """``value`` with each dict as its list of items and each leaf paired with its type: two
    results are equal only with the same keys in the same order and values of the same types
    (``ConversationChannel.SMS`` is not ``"SMS"``)."""
    if type(value) is dict:
        return ("dict", [(exact(k), exact(v)) for k, v in value.items()])
    if type(value) is list:
        return ("list", [exact(v) for v in value])
    return (type(value), value)


def reference_converter() -> cattrs.Converter:
    """A converter that unstructures as ``serde.converter`` did before generated hooks."""
    ref = cattrs.Converter(omit_if_default=True, detailed_validation=False)
    ref.register_unstructure_hook(datetime, serde.format_timestamp)
    ref.register_unstructure_hook(date, date.isoformat)

    def optional(tp: Any) -> Hook:
        inner = serde._split_optional(tp)[0]
        return lambda value: None if value is None else ref.unstructure(value, inner)

    ref.register_unstructure_hook_factory(serde._unstructure_handled, optional)

    def one_of(model: Any) -> Hook:
        spec = serde._ONE_OF[model]
        by_class = {cls: key for key, cls in spec.variants.items()}
        omit: dict[str, Any] = {spec.field: override(omit=True)}
        rest = make_dict_unstructure_fn(model, ref, _cattrs_omit_if_default=True, **omit)

        def hook(obj: Any) -> Any:
            content = getattr(obj, spec.field)
            if isinstance(content, UnknownVariant):
                out = dict(content.raw)
            else:
                out = {_key(by_class, content, model): ref.unstructure(content)}
            out.update(rest(obj))
            return out

        return hook

    def renamed(model: Any) -> Hook:
        renames: dict[str, Any] = {
            name: override(rename=wire) for name, wire in serde._RENAMES[model].items()
        }
        return make_dict_unstructure_fn(model, ref, _cattrs_omit_if_default=True, **renames)

    ref.register_unstructure_hook_factory(lambda tp: tp in serde._ONE_OF, one_of)
    ref.register_unstructure_hook_factory(lambda tp: tp in serde._RENAMES, renamed)
    ref.register_unstructure_hook_factory(
        lambda tp: bool(serde._union_args(tp)) and union_wire(tp) is not None,
        lambda tp: _union_hook(ref, tp, union_wire(tp)),
    )
    ref.register_unstructure_hook(UnknownVariant, lambda obj: dict(obj.raw))
    ref.register_unstructure_hook(UnknownCallbackEvent, lambda obj: dict(obj.raw))
    return ref


def _key(by_class: dict[type, str], obj: Any, owner: Any) -> str:
    try:
        return by_class[type(obj)]
    except KeyError:
        name = getattr(owner, "__name__", str(owner))
        raise TypeError(f"{type(obj).__name__} is not a valid variant for {name}") from None


def _union_hook(ref: cattrs.Converter, union: Any, wire: UnionWire | None) -> Hook:
    """The hook ``register_keyed/presence/tagged_union`` registered: members by their own
    class, inside their key or next to their tag."""
    assert wire is not None
    by_class = {cls: key for key, cls in wire.variants.items()}

    def hook(obj: Any) -> Any:
        if isinstance(obj, UnknownVariant):
            return dict(obj.raw)
        if wire.kind == "presence":
            return ref.unstructure(obj)
        key = _key(by_class, obj, union)
        body = ref.unstructure(obj)
        if wire.kind == "keyed":
            return {key: body}
        if wire.payload is None:
            return {wire.tag: key, **body}
        return {wire.tag: key, wire.payload: body}

    return hook
