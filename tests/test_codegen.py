"""The pre-generated hooks keep the converter's rules for every field kind.

Structure hooks read what the converter read; unstructure hooks write what cattrs' generic
hooks wrote (compared with ``tests/serde_reference.py``), and hooks they cannot match fall
back to cattrs'.
"""

from __future__ import annotations

import enum
import typing
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from conversation_async import SerializationError
from conversation_async import _codegen as codegen
from conversation_async import _serde as serde
from conversation_async.callbacks import UnknownCallbackEvent
from tests.serde_reference import exact, reference_converter


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


# --- unstructure ------------------------------------------------------------------------

REFERENCE = reference_converter()
"""The converter as configured before unstructure hooks were generated (cattrs' own)."""


def generated(cls: type) -> bool:
    """Whether the converter writes ``cls`` with a hook of :func:`codegen.make_unstructure_fn`."""
    code = getattr(serde.converter.get_unstructure_hook(cls), "__code__", None)
    return code is not None and code.co_filename.startswith("<conversation_async unstructure")


def assert_written_as_before(value: Any) -> None:
    """Same keys in the same order, values of the same types, as cattrs' generic hooks."""
    assert exact(serde.unstructure(value)) == exact(REFERENCE.unstructure(value))


FULL_LEAF = Leaf(
    name="n",
    count=0,
    ratio=0.5,
    flag=False,
    color=Color.RED,
    when=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    extra={"a": [1, {"b": datetime(2026, 1, 1, tzinfo=UTC)}]},
    tags=["x", "y"],
)


def test_every_field_kind_is_written() -> None:
    """Plain values as they are, enums as members, timestamps in UTC, containers copied,
    None fields left out; exactly what cattrs wrote."""
    written = serde.unstructure(FULL_LEAF)
    assert written == {
        "name": "n",
        "count": 0,
        "ratio": 0.5,
        "flag": False,
        "color": "RED",
        "when": "2026-01-02T03:04:05.000006Z",
        "extra": {"a": [1, {"b": "2026-01-01T00:00:00Z"}]},
        "tags": ["x", "y"],
    }
    assert written["color"] is Color.RED
    assert written["tags"] is not FULL_LEAF.tags
    assert written["extra"] is not FULL_LEAF.extra
    assert generated(Leaf)
    assert_written_as_before(FULL_LEAF)
    assert_written_as_before(Leaf(name="n"))


def test_values_of_unexpected_classes_go_through_the_converter_as_before() -> None:
    """An open enum holding another class, a tuple for a list, an enum member in a str
    field: each is written by the hook cattrs would have picked."""
    odd = Leaf(
        name=Color.RED,  # type: ignore[arg-type]
        color=datetime(2026, 1, 1, tzinfo=UTC),  # type: ignore[arg-type]
        tags=("a", "b"),  # type: ignore[arg-type]
        extra={"when": date(2026, 1, 1)},
    )
    written = serde.unstructure(odd)
    assert written["color"] == "2026-01-01T00:00:00Z"
    assert written["tags"] == ["a", "b"]
    assert written["name"] is Color.RED
    assert written["extra"] == {"when": "2026-01-01"}
    assert_written_as_before(odd)


@attrs.define(frozen=True, kw_only=True)
class Mixed:
    first: str | None = None
    middle: str
    items: list[Leaf]
    maybe: list[Leaf] | None
    last: Color | str


def test_fields_without_default_come_first_as_in_cattrs() -> None:
    """Keys keep cattrs' order: required fields, then the others in declaration order;
    a required optional field is written even when None."""
    value = Mixed(first="f", middle="m", items=[Leaf(name="a")], maybe=None, last="L")
    written = serde.unstructure(value)
    assert list(written) == ["middle", "items", "maybe", "last", "first"]
    assert written["maybe"] is None
    assert_written_as_before(value)
    assert_written_as_before(Mixed(middle="m", items=(), maybe=[Leaf(name="b")], last=Color.RED))


@attrs.define(frozen=True, kw_only=True)
class Defaults:
    size: int = 3
    tags: list[str] = attrs.Factory(list)
    label: str = attrs.Factory(lambda self: f"size-{self.size}", takes_self=True)


def test_other_defaults_are_compared_as_cattrs_does() -> None:
    """A field equal to its default, a factory's or a self-taking factory's, is left out."""
    assert generated(Defaults)
    assert serde.unstructure(Defaults()) == {}
    assert serde.unstructure(Defaults(size=5, label="size-5")) == {"size": 5}
    assert serde.unstructure(Defaults(tags=["t"], label="x")) == {"tags": ["t"], "label": "x"}
    for value in (Defaults(), Defaults(size=5), Defaults(tags=["t"], label="size-3")):
        assert_written_as_before(value)


def test_init_false_fields_are_left_out_as_in_cattrs() -> None:
    """cattrs does not write fields outside ``__init__``; neither does the generated hook."""
    assert generated(WithDerived)
    assert serde.unstructure(WithDerived(name="n")) == {"name": "n"}
    assert_written_as_before(WithDerived(name="n"))


@attrs.define(frozen=True, kw_only=True)
class Converted:
    size: int = attrs.field(default=3, converter=int)


@attrs.define(frozen=True, kw_only=True)
class WithAnnotated:
    name: typing.Annotated[str, "a note"] = "n"


def test_fields_the_generator_cannot_match_fall_back_to_cattrs() -> None:
    """A defaulted field with an attrs converter, or an Annotated field (which may carry
    cattrs overrides), keeps cattrs' generic hook for the whole model."""
    for value in (Converted(), Converted(size=4), WithAnnotated(), WithAnnotated(name="m")):
        assert not generated(type(value))
        assert_written_as_before(value)


@attrs.define(frozen=True, kw_only=True)
class Custom:
    secret: str


@attrs.define(frozen=True, kw_only=True)
class HoldsCustom:
    custom: Custom
    maybe: Custom | None = None
    many: list[Custom] | None = None


class Shade(enum.StrEnum):
    DARK = "DARK"


@attrs.define(frozen=True, kw_only=True)
class HoldsShade:
    shade: Shade | str
    shades: list[Shade | str] | None = None


serde.converter.register_unstructure_hook(Custom, lambda obj: {"redacted": True})
serde.converter.register_unstructure_hook(Shade, lambda obj: obj.value.lower())


def test_custom_hooks_are_taken_for_the_model_and_wherever_it_is_a_field() -> None:
    """A hook registered for a model replaces the generated one, and the generated hooks of
    models around it call it."""
    assert not generated(Custom)
    assert not generated(UnknownCallbackEvent)  # the package's own: raw written back
    assert generated(HoldsCustom)
    written = serde.unstructure(HoldsCustom(custom=Custom(secret="s"), many=[Custom(secret="t")]))
    assert written == {"custom": {"redacted": True}, "many": [{"redacted": True}]}


def test_custom_hooks_for_enums_are_not_inlined() -> None:
    """An open enum whose members have their own hook is written through it."""
    written = serde.unstructure(HoldsShade(shade=Shade.DARK, shades=[Shade.DARK, "LIGHT"]))
    assert written == {"shade": "dark", "shades": ["dark", "LIGHT"]}


def test_self_referencing_models_are_written_without_a_lookup_per_call() -> None:
    """A model that contains itself is written to any depth; its late-bound hooks replace
    themselves at the first call."""
    tree = Tree(leaf=Leaf(name="a"), children=[Tree(children=[Tree(leaf=Leaf(name="b"))])])
    hook = serde.converter.get_unstructure_hook(Tree)
    assert serde.unstructure(tree) == {
        "leaf": {"name": "a"},
        "children": [{"children": [{"leaf": {"name": "b"}}]}],
    }
    assert_written_as_before(tree)
    stubs = [v for v in hook.__globals__.values() if getattr(v, "__name__", "") == "first_call"]
    assert stubs == []


@attrs.define(frozen=True, kw_only=True)
class Ping:
    pong: Pong | None = None
    name: str | None = None


@attrs.define(frozen=True, kw_only=True)
class Pong:
    ping: Ping | None = None


def test_models_referring_to_each_other_are_written() -> None:
    """Two models that contain each other are written as cattrs wrote them."""
    value = Ping(pong=Pong(ping=Ping(name="inner")), name="outer")
    assert serde.unstructure(value) == {"pong": {"ping": {"name": "inner"}}, "name": "outer"}
    assert_written_as_before(value)


@attrs.define(frozen=True, kw_only=True)
class Said:
    text: str


@attrs.define(frozen=True, kw_only=True)
class Shown:
    url: str


@attrs.define(frozen=True, kw_only=True)
class Post:
    body: Said | Shown | serde.UnknownVariant
    author: str
    tags: list[str] | None = None


serde.register_one_of(Post, field="body", variants={"said": Said, "shown": Shown})


def test_one_of_fields_are_written_under_their_variant_key_first() -> None:
    """The variant's key comes first, then the other fields; an unknown variant's raw keys
    come first, then the fields (which win over raw keys of the same name)."""
    assert generated(Post)
    said = Post(body=Said(text="hi"), author="a", tags=["t"])
    assert list(serde.unstructure(said).items()) == [
        ("said", {"text": "hi"}),
        ("author", "a"),
        ("tags", ["t"]),
    ]
    unknown = Post(body=serde.UnknownVariant({"author": "raw", "sung": {"n": 1}}), author="a")
    assert list(serde.unstructure(unknown).items()) == [("author", "a"), ("sung", {"n": 1})]
    for value in (said, unknown, Post(body=Shown(url="u"), author="b")):
        assert_written_as_before(value)


@attrs.define(frozen=True, kw_only=True)
class ConvertedPost:
    body: Said | Shown | serde.UnknownVariant
    size: int = attrs.field(default=3, converter=int)


serde.register_one_of(ConvertedPost, field="body", variants={"said": Said, "shown": Shown})


def test_one_of_models_the_generator_cannot_match_keep_the_one_of_hook() -> None:
    """A one-of model with a field the generator refuses is written by cattrs' generic hook
    behind the variant key, as before."""
    assert not generated(ConvertedPost)
    for value in (ConvertedPost(body=Said(text="t"), size=4), ConvertedPost(body=Shown(url="u"))):
        assert_written_as_before(value)
    assert serde.unstructure(ConvertedPost(body=Said(text="t"), size=4)) == {
        "said": {"text": "t"},
        "size": 4,
    }


def test_a_one_of_field_holding_no_variant_is_a_type_error() -> None:
    """A value of no variant class raises the TypeError the hook always raised."""
    with pytest.raises(TypeError, match="Leaf is not a valid variant for Post"):
        serde.unstructure(Post(body=Leaf(name="n"), author="a"))  # type: ignore[arg-type]
