"""The helpers every resource shares: argument checks, query encoding, update masks."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import attrs
import pytest

from conversation_async._resources._base import (
    ENDPOINT_ATTRIBUTE,
    changed_fields,
    check_page_size,
    endpoint,
    exactly_one,
    exclusive,
    query,
    require,
    require_any,
    segment,
    update_mask,
)


@attrs.define(frozen=True, kw_only=True)
class Patch:
    display_name: str | None = None
    metadata: str | None = None
    channel_priority: list[str] | None = None


class Color(enum.StrEnum):
    RED = "RED"


def test_require_names_every_missing_argument() -> None:
    """None and "" count as missing; all of them are named at once."""
    with pytest.raises(ValueError, match="app_id, recipient"):
        require(app_id="", recipient=None, message="x")


def test_require_accepts_present_values() -> None:
    """Falsy but meaningful values such as 0 or [] are present."""
    require(count=0, items=[], flag=False)


def test_exclusive_refuses_two_given_arguments() -> None:
    """Mutually exclusive filters cannot both be set."""
    with pytest.raises(ValueError, match="only one of external_id, channel"):
        exclusive(external_id="e", channel="SMS")


def test_exclusive_allows_one_or_none() -> None:
    """One or none of the exclusive arguments is fine."""
    exclusive(a=None, b="x")
    exclusive(a=None, b=None)


@pytest.mark.parametrize("size", [0, 21, -1])
def test_page_size_outside_bounds_is_refused(size: int) -> None:
    """A page size the API rejects fails locally, naming the bounds."""
    with pytest.raises(ValueError, match="between 1 and 20"):
        check_page_size(size, 20)


def test_page_size_must_be_an_int() -> None:
    """A bool or string page size is a type error."""
    with pytest.raises(TypeError):
        check_page_size(True, 20)


def test_query_encodes_bools_times_and_enums_and_drops_none() -> None:
    """Query values are written the way the API reads them."""
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert query(a=True, b=False, t=moment, c=Color.RED, n=3, skip=None) == {
        "a": "true",
        "b": "false",
        "t": "2026-01-02T03:04:05Z",
        "c": "RED",
        "n": "3",
    }


def test_segment_escapes_path_separators() -> None:
    """Ids cannot break out of their path segment."""
    assert segment("a/b?c#d:e") == "a%2Fb%3Fc%23d%3Ae"


@pytest.mark.parametrize("value", [".", ".."])
def test_segment_refuses_dot_segments(value: str) -> None:
    """ "." and ".." would be normalised away and change the request's path."""
    with pytest.raises(ValueError, match="not a valid id"):
        segment(value)


@pytest.mark.parametrize("value", ["...", ".a", "a.", "%2e%2e", "..a"])
def test_segment_keeps_ids_that_merely_contain_dots(value: str) -> None:
    """Only a whole "." or ".." is a dot segment; "%" is escaped, so "%2e" stays literal."""
    assert segment(value) in {value, value.replace("%", "%25")}


def test_update_mask_lists_the_fields_set_in_declaration_order() -> None:
    """Only the changed fields are masked, comma-joined in one parameter."""
    patch = Patch(metadata="m", display_name="d")
    assert update_mask(patch) == {"update_mask": "display_name,metadata"}


def test_update_mask_counts_empty_values_as_changes() -> None:
    """Setting a field to "" or [] clears it, so it is part of the mask."""
    assert update_mask(Patch(channel_priority=[])) == {"update_mask": "channel_priority"}


def test_update_mask_with_nothing_set_is_refused() -> None:
    """An update that changes nothing is a caller mistake."""
    with pytest.raises(ValueError, match="nothing to update"):
        update_mask(Patch())


def test_endpoint_marks_the_function_and_keeps_it_callable() -> None:
    """The mark records (method, path) without wrapping the function."""

    @endpoint("GET", "/v1/projects/{project_id}/apps")
    def list_apps() -> str:
        return "ok"

    assert getattr(list_apps, ENDPOINT_ATTRIBUTE) == ("GET", "/v1/projects/{project_id}/apps")
    assert list_apps() == "ok"


def test_require_any_names_the_alternatives() -> None:
    """With none of the alternatives given, the error lists them all."""
    with pytest.raises(ValueError, match="pass conversation_id or contact_id"):
        require_any(conversation_id=None, contact_id="")


def test_exactly_one_refuses_none_and_two() -> None:
    """Exactly one of the arguments must be given."""
    with pytest.raises(ValueError, match="pass a, b or c"):
        exactly_one(a=None, b=None, c=None)
    with pytest.raises(ValueError, match="only one of"):
        exactly_one(a=1, b=2, c=None)
    exactly_one(a=None, b=2, c=None)


def test_changed_fields_lists_the_fields_set() -> None:
    """The fields an update changes, without building the mask."""
    assert changed_fields(Patch(metadata="m")) == ["metadata"]
