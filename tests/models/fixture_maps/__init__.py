"""Which model each shared fixture file is, one module per API area.

Every module here defines ``FIXTURE_MODELS``: paths relative to ``<shared>/fixtures/conversation``
mapped to a model class, a union alias, or one of the wrappers below. The round-trip test
merges them all; a fixture file on disk that no module names fails that test.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Corrected", "Under", "all_fixture_models"]


@dataclass(frozen=True)
class Under:
    """The file holds the model as the value of its only key: ``{"reply_to": {...}}``."""

    key: str
    model: Any


@dataclass(frozen=True)
class Corrected:
    """An upstream fixture that contradicts the catalog; ``fix`` turns it into the catalog form.

    The test also checks that the file as shipped still does *not* round-trip, so the
    correction is dropped once upstream repairs the fixture.
    """

    model: Any
    reason: str
    fix: Callable[[Any], Any]


def all_fixture_models() -> dict[str, Any]:
    """Every area module's ``FIXTURE_MODELS`` merged; a path named twice is an error."""
    merged: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for path, model in module.FIXTURE_MODELS.items():
            if path in merged:
                raise AssertionError(f"{path} is mapped by two fixture_maps modules")
            merged[path] = model
    return merged
