"""The pre-generated structure hooks keep the converter's rules for every field kind."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from conversation_async import _codegen as codegen
from conversation_async import serde
from conversation_async.errors import SerializationError


class Color(enum.StrEnum):
    RED = "RED"


@attrs.define(frozen=True, kw_only=True)
class Leaf:
    name: str
    count: int | None = None
    ratio: float | None = None
    flag: bool | None = None
    color: Color | str | None = None
    when: datetime | None = None
    extra: dict[str, Any] | None = None
    tags: list[str] | None = None


@attrs.define(frozen=True, kw_only=True)
class Tree:
    leaf: Leaf | None = None
    children: list[Tree] | None = None


@attrs.define(frozen=True, kw_only=True)
class WithDefault:
    size: int = 3


def test_every_field_kind_is_read() -> None:
    """Strings, numbers, booleans, enums, timestamps and plain JSON are read as typed."""
    leaf = serde.structure(
        {
            "name": "n",
            "count": 2,
            "ratio": 1,
            "flag": False,
            "color": "RED",
            "when": "2026-01-02T03:04:05.123456789Z",
            "extra": {"a": [1]},
            "tags": ["x"],
            "unknown": "ignored",
        },
        Leaf,
    )
    assert leaf == Leaf(
        name="n",
        count=2,
        ratio=1,
        flag=False,
        color=Color.RED,
        when=datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        extra={"a": [1]},
        tags=["x"],
    )
    assert leaf.color is Color.RED


def test_null_and_missing_optional_fields_are_none() -> None:
    """JSON null and an absent key both give the None default."""
    assert serde.structure({"name": "n", "count": None}, Leaf) == Leaf(name="n")


def test_unknown_enum_value_stays_a_string() -> None:
    """Open enums keep values this SDK does not know."""
    assert serde.structure({"name": "n", "color": "ULTRAVIOLET"}, Leaf).color == "ULTRAVIOLET"


@pytest.mark.parametrize(
    "data",
    [
        {"count": 1},
        {"name": None},
        {"name": 5},
        {"name": "n", "count": "1"},
        {"name": "n", "count": True},
        {"name": "n", "flag": 1},
        {"name": "n", "ratio": "1.0"},
        {"name": "n", "color": 3},
        {"name": "n", "when": 1700000000},
        {"name": "n", "when": "yesterday"},
        {"name": "n", "extra": []},
        {"name": "n", "tags": "x"},
        [],
        "text",
    ],
)
def test_wrong_json_is_a_serialization_error(data: Any) -> None:
    """Missing required keys and values of the wrong JSON type raise SerializationError."""
    with pytest.raises(SerializationError):
        serde.structure(data, Leaf)


def test_error_names_the_model_and_field() -> None:
    """The message says which field was wrong (never its value)."""
    with pytest.raises(SerializationError, match=r"Leaf\.count"):
        serde.structure({"name": "n", "count": "secret-looking-value"}, Leaf)


def test_self_referencing_models_are_read() -> None:
    """A model that contains itself is structured to any depth."""
    tree = serde.structure(
        {"children": [{"leaf": {"name": "a"}, "children": [{"leaf": {"name": "b"}}]}]}, Tree
    )
    assert tree.children is not None
    assert tree.children[0].children == [Tree(leaf=Leaf(name="b"))]


def test_non_none_defaults_keep_working() -> None:
    """A model with another default falls back to cattrs' generic hook and keeps it."""
    assert serde.structure({}, WithDefault) == WithDefault(size=3)
    assert serde.structure({"size": 5}, WithDefault) == WithDefault(size=5)


@attrs.define(frozen=True, kw_only=True)
class Checked:
    size: int = attrs.field(validator=attrs.validators.gt(0))


@attrs.define(frozen=True, kw_only=True)
class Normalised:
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.name == "":
            raise ValueError("name must not be empty")


@attrs.define(frozen=True, kw_only=True)
class WithDerived:
    name: str | None = None
    upper: str | None = attrs.field(init=False, default=None)


@attrs.define(frozen=True, kw_only=True, slots=False)
class DictBacked:
    name: str | None = None


def test_structured_models_are_the_frozen_class_itself() -> None:
    """A model built without calling __init__ is of its class, equal, hashable and frozen."""
    leaf = serde.structure({"name": "n", "count": 2}, Leaf)
    assert type(leaf) is Leaf
    assert leaf == Leaf(name="n", count=2)
    assert hash(leaf) == hash(Leaf(name="n", count=2))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        leaf.name = "changed"  # type: ignore[misc]


def test_validators_and_post_init_hooks_still_run() -> None:
    """Models whose __init__ checks its values are built through it."""
    with pytest.raises(SerializationError, match="must be > 0"):
        serde.structure({"size": 0}, Checked)
    with pytest.raises(SerializationError, match="must not be empty"):
        serde.structure({"name": ""}, Normalised)
    assert serde.structure({"size": 2}, Checked) == Checked(size=2)


def test_slots_are_filled_directly_only_when_that_is_all_init_does() -> None:
    """Plain slotted models get slot setters; any other __init__ work means none."""
    assert codegen.slot_setters(Leaf) is not None
    for model in (Checked, Normalised, WithDerived, DictBacked):
        assert codegen.slot_setters(model) is None, model.__name__
