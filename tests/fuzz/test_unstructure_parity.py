"""``serde.unstructure`` writes what cattrs' generic hooks wrote, for every public model.

Each model, union and enum of ``models.__all__`` and ``callbacks.events.__all__`` is built by
structuring model-shaped JSON, then written by the generated hooks and by the reference
converter (``tests/serde_reference.py``: the converter as configured before the hooks were
generated). The results must be equal key for key, in the same order, with values of the
same types; so must their JSON text.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversation_async import SerializationError
from conversation_async import _serde as serde
from tests.serde_reference import exact, reference_converter

from . import fuzz_settings
from .strategies import STRUCTURABLE_TYPES, shaped, type_name

REFERENCE = reference_converter()


def assert_written_as_before(value: Any, as_type: Any = None) -> None:
    """The generated hooks and the reference write ``value`` identically."""
    written = serde.converter.unstructure(value, unstructure_as=as_type)
    expected = REFERENCE.unstructure(value, unstructure_as=as_type)
    assert exact(written) == exact(expected)
    # The stdlib encoder: orjson refuses integers past 64 bits, which a caller may still pass.
    assert json.dumps(written) == json.dumps(expected)


@pytest.mark.parametrize("tp", STRUCTURABLE_TYPES, ids=type_name)
@fuzz_settings(10, too_slow=True)
@given(data=st.data())
def test_unstructure_matches_the_cattrs_reference(tp: Any, data: st.DataObject) -> None:
    """A structured value of any public type is written as cattrs' generic hooks wrote it,
    by its own class and (for a union) as that union."""
    document = data.draw(shaped(tp), label="json")
    try:
        value = serde.structure(document, tp)
    except SerializationError:
        return
    assert exact(serde.unstructure(value)) == exact(REFERENCE.unstructure(value))
    assert_written_as_before(value)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        assert_written_as_before(value, tp)
