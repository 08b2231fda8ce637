"""Fault plans: a share of a route's requests fails, in modes drawn from a seeded RNG.

The SDK's reliability suite needs a server that misbehaves the way real ones do, at random
but reproducibly: ``emu.inject_faults("SendMessage", FaultPlan(0.2))`` fails about one send
in five, each in one of the :class:`FaultMode` s. Whether the emulator *processed* the
request before failing (stored and ledgered the message) matters most to a client that
retries: a 500 after processing is the case that makes duplicates.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from itertools import accumulate
from types import MappingProxyType
from typing import Final

import attrs

from .._checked import as_object


class FaultMode(enum.StrEnum):
    """How a faulted request fails. Processed first (the handler ran, state changed):
    ``STATUS_500``, ``STATUS_502``, ``STATUS_504``, ``SLOW``, ``RESET_AFTER``,
    ``CUT_BODY``, ``BAD_JSON``, ``TRUNCATED_JSON``; not processed: ``STATUS_429``,
    ``STATUS_429_RETRY_AFTER``, ``STATUS_503``, ``RESET_BEFORE``.

    - ``STATUS_4xx/5xx``: that status in Sinch's error envelope (``STATUS_429_RETRY_AFTER``
      with ``Retry-After: FaultPlan.retry_after``).
    - ``SLOW``: the real answer, ``FaultPlan.slow_seconds`` late.
    - ``RESET_BEFORE`` / ``RESET_AFTER``: the connection is aborted, no response at all.
    - ``CUT_BODY``: the real status line and headers with the full ``Content-Length``, half
      the body, then the connection is closed.
    - ``BAD_JSON``: the real status and headers with an HTML body.
    - ``TRUNCATED_JSON``: the real answer with its body cut in half (and a matching
      ``Content-Length``).
    """

    STATUS_429 = enum.auto()
    STATUS_429_RETRY_AFTER = enum.auto()
    STATUS_503 = enum.auto()
    STATUS_500 = enum.auto()
    STATUS_502 = enum.auto()
    STATUS_504 = enum.auto()
    SLOW = enum.auto()
    RESET_BEFORE = enum.auto()
    RESET_AFTER = enum.auto()
    CUT_BODY = enum.auto()
    BAD_JSON = enum.auto()
    TRUNCATED_JSON = enum.auto()


PROCESSED_FIRST: Final = frozenset(
    {
        FaultMode.STATUS_500,
        FaultMode.STATUS_502,
        FaultMode.STATUS_504,
        FaultMode.SLOW,
        FaultMode.RESET_AFTER,
        FaultMode.CUT_BODY,
        FaultMode.BAD_JSON,
        FaultMode.TRUNCATED_JSON,
    }
)
"""The modes that let the request be processed before the fault shows."""


def _check_rate(_: object, __: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"rate must be within 0..1, got {value}")


def _check_seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be >= 0 and finite, got {value}")


def _check_retry_after(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(as_object(value), str) or not value.strip():
        raise ValueError(f"retry_after must be a non-empty string, got {value!r}")


def _freeze_modes(
    modes: Mapping[FaultMode | str, float] | None,
) -> Mapping[FaultMode, float] | None:
    """Weights keyed by :class:`FaultMode` (names accepted), read-only; ``None`` stays."""
    if modes is None:
        return None
    weights = {FaultMode(mode): float(weight) for mode, weight in modes.items()}
    if any(not 0.0 <= weight < math.inf for weight in weights.values()):
        raise ValueError(f"mode weights must be >= 0 and finite, got {weights}")
    if not any(weights.values()):
        raise ValueError("at least one mode needs a weight above 0")
    return MappingProxyType(weights)


@attrs.frozen
class FaultPlan:
    """Fail a share of one route's requests (see ``Emulator.inject_faults``).

    - ``rate``: probability (0..1) that a request gets a fault.
    - ``modes``: :class:`FaultMode` -> relative weight of the faults drawn; ``None`` = every
      mode equally likely.
    - ``slow_seconds``: how late a ``SLOW`` answer is (beyond a test client's timeout).
    - ``retry_after``: the ``Retry-After`` value of ``STATUS_429_RETRY_AFTER`` (decimal
      seconds by default, small so tests stay fast).
    """

    rate: float = attrs.field(converter=float, validator=_check_rate)
    modes: Mapping[FaultMode, float] | None = attrs.field(
        default=None, converter=_freeze_modes, hash=False
    )
    slow_seconds: float = attrs.field(default=1.0, converter=float, validator=_check_seconds)
    retry_after: str = attrs.field(default="0.05", validator=_check_retry_after)


class PlanDraws:
    """One route's plan and its own seeded RNG: ``draw()`` says whether and how to fail."""

    __slots__ = ("_cum_weights", "_modes", "_random", "plan")

    def __init__(self, plan: FaultPlan, rng: random.Random) -> None:
        self.plan = plan
        weights = plan.modes if plan.modes is not None else dict.fromkeys(FaultMode, 1.0)
        chosen = [(mode, weight) for mode, weight in weights.items() if weight > 0]
        self._modes = tuple(mode for mode, _ in chosen)
        self._cum_weights = tuple(accumulate(weight for _, weight in chosen))
        self._random = rng

    def draw(self) -> FaultMode | None:
        """The fault for the next request, or ``None`` to answer it normally."""
        rng = self._random
        if rng.random() >= self.plan.rate:
            return None
        return rng.choices(self._modes, cum_weights=self._cum_weights)[0]
