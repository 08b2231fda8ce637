"""``serde.structure`` on any JSON for every public model and union, and round-trip stability.

The types are discovered from ``models.__all__`` and ``callbacks.events.__all__`` (models,
union aliases such as ``Recipient`` and ``AppEvent``, enums), so a new model is fuzzed as soon
as it is exported. Inputs are arbitrary JSON values and model-shaped JSON with at most one
mutation anywhere in it (see ``strategies.near_valid``).

Round trips compare models, not JSON: reading normalises on purpose (unknown keys dropped,
timestamps converted to UTC and cut to microseconds, ``3`` read as a float field stays ``3``),
so ``structure(unstructure(m)) == m`` is the stable property, not byte equality.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async.callbacks import CallbackEvent

from . import fuzz_settings
from .strategies import (
    STRUCTURABLE_TYPES,
    json_values,
    near_valid,
    shaped,
    timestamp_strings,
    type_name,
)


def _members(tp: Any) -> tuple[type, ...]:
    """The classes a structured ``tp`` may be: the union's members, or ``tp`` itself."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _structure(data: Any, tp: Any) -> Any:
    """``serde.structure``; None when it refused ``data`` with SerializationError."""
    try:
        result = serde.structure(data, tp)
    except SerializationError:
        return None
    assert isinstance(result, _members(tp)), f"{type(result).__name__} is not a {type_name(tp)}"
    return result


_types = pytest.mark.parametrize("tp", STRUCTURABLE_TYPES, ids=type_name)


@_types
@fuzz_settings(8, too_slow=True)
@given(data=st.data())
def test_structure_returns_the_model_or_raises_serialization_error(
    tp: Any, data: st.DataObject
) -> None:
    """Any JSON value, shaped like the type or not, structures into the type (a member of the
    union, UnknownVariant included) or raises SerializationError, nothing else."""
    document = data.draw(st.one_of(json_values, near_valid(shaped(tp))), label="json")
    _structure(document, tp)


@_types
@fuzz_settings(6, too_slow=True)
@given(data=st.data())
def test_structured_model_round_trips(tp: Any, data: st.DataObject) -> None:
    """A structured value unstructures without raising, and structuring that again gives an
    equal value."""
    document = data.draw(near_valid(shaped(tp)), label="json")
    result = _structure(document, tp)
    if result is None:
        return
    written = serde.unstructure(result)
    if len(_members(tp)) > 1:
        # serde.unstructure takes no type, so a bare member of a keyed or tagged union is
        # written as its own class (ListItemChoice as {"title": ...}, without the {"choice":
        # ...} that says which member it is). Inside a model the field's annotation supplies
        # the union; standalone, the converter is told it, as a field would.
        written = serde.converter.unstructure(result, unstructure_as=tp)
    assert serde.structure(written, tp) == result


@fuzz_settings(20)
@given(timestamp_strings(extreme=True))
def test_unstructure_survives_timestamps_at_the_edges_of_the_datetime_range(stamp: str) -> None:
    """A timestamp structure accepted at the edges of datetime's range can be written back."""
    event = serde.structure({"accepted_time": stamp}, CallbackEvent)
    serde.unstructure(event)
