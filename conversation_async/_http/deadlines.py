"""Timeouts for many concurrent calls, checked by one timer per event loop.

``asyncio.timeout`` arms and cancels a timer handle and runs two coroutines per use: about
7 µs a request, which was half of what the SDK added to raw aiohttp's CPU per request
(benchmarks/). Here each call's scope only records its deadline; one shared timer,
armed for the earliest deadline it knows of, cancels the tasks whose deadline has passed and
re-arms itself for the next. With a steady timeout, a new deadline is later than the armed
one, so entering and leaving a scope touches no timer at all.

An expired scope turns the cancellation it caused into ``TimeoutError``, exactly as
``asyncio.timeout`` does; a cancellation from elsewhere passes through unchanged.
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType

__all__ = ["DeadlineScope", "Deadlines"]


class Deadlines:
    """The deadlines of one event loop's calls, and the one timer that enforces them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._active: dict[DeadlineScope, None] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def scope(self, when: float) -> DeadlineScope:
        """A scope (``with``) whose task is cancelled, as ``TimeoutError``, at loop time
        ``when``."""
        return DeadlineScope(self, when)

    @property
    def active(self) -> int:
        """Scopes entered and not yet left (nor expired)."""
        return len(self._active)

    def enter(self, scope: DeadlineScope) -> None:
        """``scope`` was entered: enforce its deadline."""
        self._active[scope] = None
        if scope.when < self._timer_at:
            self._arm(scope.when)

    def moved(self, scope: DeadlineScope) -> None:
        """``scope`` was rescheduled: re-arm the timer if it is due sooner."""
        if scope in self._active and scope.when < self._timer_at:
            self._arm(scope.when)

    def leave(self, scope: DeadlineScope) -> None:
        """``scope`` was left: forget it."""
        # The timer stays armed: when it fires with nothing due it re-arms for the next
        # deadline, which is cheaper than re-arming on every exit.
        self._active.pop(scope, None)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._check)
        self._timer_at = when

    def _check(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        now = self._loop.time()
        earliest = math.inf
        for scope in list(self._active):
            if scope.when <= now:
                del self._active[scope]
                scope.expire()
            elif scope.when < earliest:
                earliest = scope.when
        if earliest < math.inf:
            self._arm(earliest)


class DeadlineScope:
    """One task's deadline: leaving the ``with`` block after it passed raises
    ``TimeoutError``. :meth:`reschedule` moves it while inside."""

    __slots__ = ("_cancelling", "_deadlines", "_task", "expired", "when")

    def __init__(self, deadlines: Deadlines, when: float) -> None:
        self._deadlines = deadlines
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self.when = when
        """Loop time (``loop.time()``) at which the scope expires."""
        self.expired = False
        """Whether the deadline passed inside the scope (and cancelled its task)."""

    def reschedule(self, when: float) -> None:
        """Expire at ``when`` instead."""
        self.when = when
        self._deadlines.moved(self)

    def __enter__(self) -> DeadlineScope:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline scope must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._deadlines.enter(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._deadlines.leave(self)
        if not self.expired:
            return
        assert self._task is not None  # noqa: S101 - only an entered scope expires
        # Like asyncio.timeout: our cancel becomes TimeoutError unless the task was also
        # cancelled by someone else meanwhile, whose cancellation must go through.
        if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc

    def expire(self) -> None:
        """The deadline passed: cancel the task (``__exit__`` turns it into TimeoutError)."""
        self.expired = True
        assert self._task is not None  # noqa: S101 - only an entered scope is active
        self._task.cancel()
