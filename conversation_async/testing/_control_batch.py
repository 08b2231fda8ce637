"""The control API's Batch half, without I/O: :class:`BatchSettings` as JSON and back, and
what a request to move the emulator's clock says.

Settings travel under their attribute names; durations (``send_after_rounding``,
``rounding_threshold``, ``send_after_max``, ``processing_delay``) are numbers of seconds,
``cancel_metadata_shapes`` a list. An update names only the settings it changes; every
value is checked against the setting's type and the class's own validators before anything
is applied, so a refused update changes nothing.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Union, cast, get_args, get_origin, get_type_hints

import attrs

from .. import _jsoncodec
from ._batch_rules import BatchSettings, time_json
from ._clock import Clock, ManualClock
from ._control import ControlError, Problems, is_number
from ._params import parse_time

_HINTS: Final = get_type_hints(BatchSettings)
SETTING_NAMES: Final = tuple(field.name for field in attrs.fields(BatchSettings))
"""Every setting, in declaration order."""
_MAX_SECONDS: Final = 10**9
"""Longest duration a setting may take, in seconds (some 31 years)."""


class _Refused(ValueError):
    """A value that does not fit a setting's type; the message says what would."""


def _convert(hint: Any, value: object) -> Any:
    """``value`` (decoded JSON) as a value of the type ``hint``; :class:`_Refused` if not."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (types.UnionType, Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        try:
            return _convert(inner, value)
        except _Refused as refused:
            raise _Refused(f"{refused}, or null") from None
    if origin is Literal:
        if value not in args:
            raise _Refused(f"must be one of {', '.join(map(repr, args))}")
        return value
    if origin is frozenset:
        if not _jsoncodec.is_array(value) or not all(isinstance(item, str) for item in value):
            raise _Refused("must be a list of strings")
        return frozenset(str(item) for item in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise _Refused("must be true or false")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Refused("must be a whole number")
        return value
    if hint in (float, timedelta):  # every duration and delay of the settings
        if not (is_number(value) and 0 <= value <= _MAX_SECONDS):  # type: ignore[operator]
            raise _Refused(f"must be a number of seconds within 0..{_MAX_SECONDS:g}")
        return float(value) if hint is float else timedelta(seconds=value)  # type: ignore[arg-type]
    raise TypeError(f"no JSON form for a setting of type {hint!r}")  # a new kind of setting


def _json_value(value: object) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, frozenset):
        return sorted(cast("frozenset[str]", value))  # a setting's frozenset holds strings
    return value


def settings_json(settings: BatchSettings) -> dict[str, Any]:
    """Every setting as JSON, in declaration order."""
    return {name: _json_value(getattr(settings, name)) for name in SETTING_NAMES}


def parse_settings_update(body: Mapping[str, Any], current: BatchSettings) -> BatchSettings:
    """``current`` with the settings ``body`` names changed (none: unchanged);
    :class:`ControlError` naming every unknown setting and every value refused (by type
    or by the class's validators)."""
    problems: Problems = []
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name not in _HINTS:
            problems.append((str(name), f"unknown setting; expected {', '.join(SETTING_NAMES)}"))
            continue
        try:
            changes[name] = _convert(_HINTS[name], value)
            attrs.evolve(current, **{name: changes[name]})  # the setting's own validator
        except ValueError as error:
            problems.append((name, str(error)))
    if problems:
        raise ControlError(problems)
    return attrs.evolve(current, **changes)


def clock_json(clock: Clock) -> dict[str, Any]:
    """``{"now": RFC 3339, "manual": whether the clock moves only when told}``."""
    return {"now": time_json(clock.now()), "manual": isinstance(clock, ManualClock)}


@dataclass(frozen=True, slots=True)
class ClockMove:
    """A checked ``POST /_emulator/clock`` body: ``advance`` by a duration, or ``to`` a
    moment (exactly one is set)."""

    advance: timedelta | None = None
    to: datetime | None = None

    def apply(self, clock: ManualClock) -> datetime:
        """Move ``clock``; its new time. ``ValueError`` for a move backwards."""
        if self.to is not None:
            return clock.set(self.to)
        return clock.advance(self.advance or timedelta(0))


_CLOCK_KEYS: Final = ("advance", "to")


def parse_clock_move(body: Mapping[str, Any]) -> ClockMove:
    """``{"advance": seconds >= 0}`` or ``{"to": RFC 3339 timestamp}``."""
    problems: Problems = [
        (str(key), "unknown field; expected advance or to")
        for key in body
        if key not in _CLOCK_KEYS
    ]
    if sum(key in body for key in _CLOCK_KEYS) != 1:
        problems.append(("advance", "give exactly one of advance (seconds) or to (a time)"))
    advance: Any = body.get("advance")
    if "advance" in body and not (is_number(advance) and 0 <= advance <= _MAX_SECONDS):
        problems.append(("advance", f"must be a number of seconds within 0..{_MAX_SECONDS:g}"))
    moment = parse_time(body.get("to"))
    if "to" in body and moment is None:
        problems.append(("to", "must be an RFC 3339 timestamp with a time zone"))
    if problems:
        raise ControlError(problems)
    if moment is not None:
        return ClockMove(to=moment)
    return ClockMove(advance=timedelta(seconds=advance))
