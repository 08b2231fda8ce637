"""Runtime checks of typed arguments.

Not every caller is type-checked, so code that takes user input checks its types at run
time as well. A static checker calls such a check unnecessary (the annotation already says
the type); :func:`as_object` hands the check the value typed as plain ``object``, so the
check stays and the checker agrees, with no cast and no change at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeGuard

__all__ = ["as_object", "is_any_dict", "is_any_mapping"]


def as_object(value: object) -> object:
    """``value`` itself, typed as ``object``: ``isinstance(as_object(x), T)`` checks at run
    time an ``x`` that is statically a ``T`` already."""
    return value


def is_any_mapping(value: object) -> TypeGuard[Mapping[object, object]]:
    """Whether ``value`` is a mapping; its keys and values are still to be checked."""
    return isinstance(value, Mapping)


def is_any_dict(value: object) -> TypeGuard[dict[object, object]]:
    """Whether ``value`` is a dict; its keys and values are still to be checked."""
    return isinstance(value, dict)
