"""Every shared fixture structures into its model and writes back unchanged.

The fixtures are the official API contract examples (``shared/fixtures/SOURCES.md``). Which
model each file is lives in ``tests/models/fixture_maps`` (one module per API area); a file
on disk that no map names fails, so new fixtures cannot go unchecked.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from tests.conftest import SHARED_FIXTURES, shared_fixtures_dir
from tests.models.fixture_maps import Corrected, Under, all_fixture_models
from tests.serde_reference import exact, reference_converter

ROOT = "conversation"
"""Fixture paths are relative to ``<shared>/fixtures/conversation``."""

FIXTURE_MODELS = all_fixture_models()


def fixture_files() -> list[str]:
    """Every fixture file on disk, relative to ``conversation``; [] without ../shared."""
    root = SHARED_FIXTURES / ROOT
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json"))


def drop_nulls(value: Any) -> Any:
    """``value`` with every ``null`` object member removed, recursively."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def as_json(value: Any) -> Any:
    """``value`` as plain decoded JSON (StrEnum members become str)."""
    return json.loads(json.dumps(value))


def unknown_variants(value: Any, path: str = "$") -> list[str]:
    """Paths of every :class:`UnknownVariant` inside a structured model."""
    if isinstance(value, UnknownVariant):
        return [path]
    found: list[str] = []
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            found += unknown_variants(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += unknown_variants(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += unknown_variants(item, f"{path}[{key!r}]")
    return found


def dump(obj: Any, model: Any) -> Any:
    """Unstructure ``obj``; a union target (``OmniMessageOverride``) is written as that union.

    ``serde.unstructure`` goes by the object's class, which for a keyed union member would
    leave out the key (``{"template_reference": ...}``) that the union adds around it.
    """
    if isinstance(model, type):
        return as_json(serde.unstructure(obj))
    return as_json(serde.converter.unstructure(obj, unstructure_as=model))


def roundtrip(data: Any, model: Any) -> tuple[Any, Any]:
    """Structure ``data`` as ``model``; return the object and its unstructured JSON."""
    if isinstance(model, Under):
        assert isinstance(data, dict)
        assert list(data) == [model.key], f"expected only the key {model.key!r}"
        obj = serde.structure(data[model.key], model.model)
        return obj, {model.key: dump(obj, model.model)}
    obj = serde.structure(data, model)
    return obj, dump(obj, model)


def assert_roundtrips(data: Any, model: Any) -> None:
    obj, written = roundtrip(data, model)
    assert not isinstance(obj, UnknownVariant), "the whole fixture became an UnknownVariant"
    assert unknown_variants(obj) == [], "parts of the fixture were not understood"
    assert written == drop_nulls(data)


@pytest.mark.parametrize("relative", fixture_files())
def test_fixture_roundtrips(relative: str) -> None:
    """Each fixture structures into its model and unstructures back to the same JSON."""
    path = shared_fixtures_dir() / ROOT / relative
    assert relative in FIXTURE_MODELS, (
        f"fixture {ROOT}/{relative} has no model in tests/models/fixture_maps"
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    model = FIXTURE_MODELS[relative]
    if isinstance(model, Corrected):
        assert not _roundtrips_cleanly(data, model.model), (
            f"{relative} now round-trips as shipped; drop its correction ({model.reason})"
        )
        data, model = model.fix(data), model.model
    assert_roundtrips(data, model)


REFERENCE = reference_converter()


@pytest.mark.parametrize("relative", fixture_files())
def test_fixture_is_written_as_cattrs_wrote_it(relative: str) -> None:
    """Each fixture's model is unstructured exactly as cattrs' generic hooks wrote it (the
    converter before its hooks were generated): same keys, same order, same types."""
    data = json.loads((shared_fixtures_dir() / ROOT / relative).read_text(encoding="utf-8"))
    model = FIXTURE_MODELS[relative]
    if isinstance(model, Corrected):
        data, model = model.fix(data), model.model
    if isinstance(model, Under):
        data, model = data[model.key], model.model
    obj = serde.structure(data, model)
    as_type = None if isinstance(model, type) else model
    written = serde.converter.unstructure(obj, unstructure_as=as_type)
    assert exact(written) == exact(REFERENCE.unstructure(obj, unstructure_as=as_type))


def _roundtrips_cleanly(data: Any, model: Any) -> bool:
    try:
        assert_roundtrips(data, model)
    except (AssertionError, SerializationError):
        return False
    return True


def test_shared_fixtures_present() -> None:
    """The shared fixtures exist (skips, with the reason, when ../shared is not checked out)."""
    root = shared_fixtures_dir()
    assert fixture_files(), f"no fixtures under {root / ROOT}"


def test_every_mapped_fixture_exists() -> None:
    """FIXTURE_MODELS names no file that is missing on disk (catches typos in the table)."""
    shared_fixtures_dir()
    missing = sorted(set(FIXTURE_MODELS) - set(fixture_files()))
    assert missing == []
