"""The converter's own rules, independent of any API area."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import attrs
from hypothesis import example, given
from hypothesis import strategies as st

from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant, register_renamed_fields
from tests.fuzz import fuzz_settings


@attrs.define(frozen=True, kw_only=True)
class Window:
    from_: str | None = None
    to: str | None = None


register_renamed_fields(Window, from_="from")


def test_unknown_variant_repr_shows_keys_but_no_values() -> None:
    """An unknown payload may hold secrets: its repr names the keys only."""
    unknown = UnknownVariant({"new_credentials": {"token": "s3cr3t"}})
    assert "s3cr3t" not in repr(unknown)
    assert "new_credentials" in repr(unknown)


def test_unknown_variant_is_written_back_unchanged() -> None:
    """raw is the JSON sent back, byte for byte the same structure."""
    raw = {"future_message": {"a": [1, 2]}}
    assert serde.unstructure(UnknownVariant(raw)) == raw


def test_renamed_field_is_read_and_written_under_its_wire_key() -> None:
    """A Python keyword such as 'from' travels as 'from' and lives in from_."""
    window = serde.structure({"from": "a", "to": "b"}, Window)
    assert window == Window(from_="a", to="b")
    assert serde.unstructure(window) == {"from": "a", "to": "b"}


def test_renamed_model_still_omits_none() -> None:
    """Renaming does not change the None-omission rule."""
    assert serde.unstructure(Window(to="b")) == {"to": "b"}


def test_timestamps_are_written_in_utc() -> None:
    """An aware datetime is written as RFC 3339 in UTC, whatever its offset."""
    stamp = serde.parse_timestamp("2024-05-01T12:30:00+02:00")
    assert serde.format_timestamp(stamp) == "2024-05-01T10:30:00Z"


def test_timestamp_at_the_edge_of_the_datetime_range_keeps_its_offset() -> None:
    """A timestamp whose UTC instant falls outside datetime's range is written with its
    offset rather than raising OverflowError."""
    stamp = serde.parse_timestamp("0001-01-01T00:00:00+00:01")
    assert serde.parse_timestamp(serde.format_timestamp(stamp)) == stamp


class _Utc(tzinfo):
    """UTC as a tzinfo other than ``datetime.UTC``: takes format_timestamp's general path."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


@fuzz_settings(200)
@given(st.datetimes(timezones=st.just(UTC)))
@example(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))  # whole seconds: no fraction written
@example(datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC))
def test_utc_timestamps_are_written_as_by_the_general_path(stamp: datetime) -> None:
    """The shortcut for datetimes already in UTC writes what converting them would."""
    written = serde.format_timestamp(stamp)
    assert written == serde.format_timestamp(stamp.replace(tzinfo=_Utc()))
    assert written.endswith("Z")
    assert serde.parse_timestamp(written) == stamp
