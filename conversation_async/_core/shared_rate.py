"""One rate budget for many processes, pure: the arithmetic of a budget kept in a shared
store (Redis), and when a process falls back on its own limiter. Time is passed in.

:class:`SharedRate` is the reference for the Lua script of :mod:`conversation_async.redis`,
which runs the same steps atomically inside Redis (tests hold the two to the same answers).
Its state is the text of a Redis hash: a GCRA bucket (the theoretical arrival time of the
next turn) at the limit of an :class:`~.rate.AdaptiveRate`, and the two meters the
:class:`~.rate.Pacer` keeps (requests with their accepted answers, and 429s), so every
process sees the same limit and the same evidence, and the Pacer's rules decide.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import attrs

from .rate import AdaptiveRate, RateMeter, burst, text, throttled

__all__ = ["Fallback", "Grant", "SharedRate", "gcra"]


@attrs.frozen
class Grant:
    """Turns reserved in one step: the first ``offset`` seconds from the step's time (less
    than 0 while the burst allows going at once), then one per ``interval``.

    With no turn granted, ``offset`` is the time until asking again can grant one.
    """

    turns: int
    offset: float
    interval: float
    limit: float

    def wait(self, turn: int) -> float:
        """Seconds from the step's time to ``turn`` (0-based) of this grant."""
        return max(0.0, self.offset + turn * self.interval)


def gcra(
    tat: float, now: float, interval: float, burst: float, wanted: int, horizon: float
) -> tuple[float, int, float]:
    """Reserve up to ``wanted`` turns of a GCRA bucket at ``now``; each goes
    ``interval`` after the one before, ``burst`` may go at once, and none is reserved more
    than ``horizon`` seconds ahead (a limit that changes meanwhile applies to the rest).

    Returns the new theoretical arrival time, the turns reserved, and the first one's offset
    from ``now`` (see :class:`Grant`).
    """
    tat = max(tat, now)
    tolerance = (burst - 1.0) * interval
    offset = tat - tolerance - now
    turns = 0
    while turns < wanted and tat - tolerance - now <= horizon:
        tat += interval
        turns += 1
    if not turns:
        offset -= horizon
    return tat, turns, offset


@attrs.define
class SharedRate:
    """The budget's rules: ``adaptive``'s settings (a ``ceiling`` is required) and the
    Pacer's, applied to a state shared by every process, one atomic :meth:`take` at a time.
    """

    adaptive: AdaptiveRate
    horizon: float = 0.05
    min_evidence: int = 10

    def __attrs_post_init__(self) -> None:
        if self.adaptive.ceiling is None:
            raise ValueError("a shared rate needs a ceiling")

    def take(
        self,
        state: MutableMapping[str, str],
        now: float,
        wanted: int,
        accepted: int = 0,
        refused: int = 0,
    ) -> Grant:
        """Report ``accepted`` answers and ``refused`` 429s (as the Pacer would, one at a
        time, in that order), then reserve up to ``wanted`` turns at the limit now; updates
        ``state`` in place."""
        adaptive = attrs.evolve(self.adaptive)
        adaptive.restore(state)
        meter, refusals = RateMeter(), RateMeter()
        meter.restore(_within(state, "m_"))
        refusals.restore(_within(state, "t_"))
        for _ in range(accepted):
            meter.mark()
            adaptive.on_accepted()
        for _ in range(refused):
            throttled(adaptive, meter, refusals, now, self.min_evidence)
        limit = adaptive.current(now)
        assert limit is not None  # noqa: S101 - a ceiling keeps the limit set
        interval = 1.0 / limit
        tat, turns, offset = gcra(
            float(state.get("tat", now)), now, interval, burst(limit), wanted, self.horizon
        )
        for _ in range(turns):
            meter.record(now)
        state.clear()
        state.update(adaptive.saved())
        state.update({f"m_{name}": value for name, value in meter.saved().items()})
        state.update({f"t_{name}": value for name, value in refusals.saved().items()})
        state["tat"] = text(tat)
        return Grant(turns, offset, interval, limit)


def _within(state: MutableMapping[str, str], prefix: str) -> dict[str, str]:
    """The fields of ``state`` under ``prefix`` (one meter's), without it."""
    return {name[len(prefix) :]: value for name, value in state.items() if name.startswith(prefix)}


@attrs.define
class Fallback:
    """Whether turns come from the shared store or, while it does not answer, from a local
    limiter; then the store is asked again (probed) at most every ``probe_every`` seconds.

    :meth:`failed` and :meth:`answered` say when an outage starts and ends, so each is
    told once (a warning, not one per request).
    """

    probe_every: float = 5.0
    _down: bool = attrs.field(default=False, init=False)
    _probe_at: float = attrs.field(default=0.0, init=False)

    @property
    def down(self) -> bool:
        """Whether the store failed and has not answered since."""
        return self._down

    def use_store(self, now: float) -> bool:
        """Whether to ask the store at ``now``: it is up, or a probe is due."""
        return not self._down or now >= self._probe_at

    def probing(self, now: float) -> None:
        """A probe starts at ``now``: the next one waits ``probe_every``, whatever it finds."""
        self._probe_at = now + self.probe_every

    def failed(self, now: float) -> bool:
        """The store failed or was too slow at ``now``; True if that starts an outage."""
        started = not self._down
        self._down = True
        self._probe_at = now + self.probe_every
        return started

    def answered(self) -> bool:
        """The store answered; True if that ends an outage."""
        ended = self._down
        self._down = False
        return ended
