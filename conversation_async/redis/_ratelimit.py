"""One request budget for every process and host that uses the same Redis key.

Each step is one Lua script (``_ratelimit.lua``) that Redis runs atomically, on its own
clock (``TIME``), so no read-modify-write races and no trust in the hosts' clocks: it takes
the 429s and accepted answers a process saw since its last step, applies the in-process
limiter's rules to them (:class:`~conversation_async._core.shared_rate.SharedRate`: a 429
lowers the shared limit in proportion to the share of recent requests refused, at most once
a second for all processes together, and the limit grows back for all of them), then
reserves turns from a GCRA bucket at that limit. A process asks for as many turns as it has
callers waiting (one script call serves them all), none more than 50 ms ahead, and hands
them out, first come first served, when each one's time comes.

When Redis fails or takes longer than ``timeout`` to answer, the process logs one warning
and paces itself with a :class:`~conversation_async.LocalRateLimiter` at its share of the
budget: the last shared limit (growing back to at most ``limit``) divided by the number of
limiters that stepped in the last ``_PEER_WINDOW`` seconds, as Redis last said; it asks
Redis again at most every ``probe_every`` seconds and shares the budget again as soon as
Redis answers. A send never waits for Redis longer than ``timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Sequence
from importlib import resources
from typing import Any

try:
    from redis.asyncio import Redis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "conversation_async.redis needs redis-py: pip install 'conversation-async[redis]'"
    ) from exc

from .._core.rate import AdaptiveRate, text
from .._core.shared_rate import Fallback, Grant, SharedRate
from .._http.ratelimit import LocalRateLimiter

__all__ = ["SCRIPT", "RedisRateLimiter", "arguments", "read_grant", "read_peers", "settings"]

logger = logging.getLogger("conversation_async.redis")

SCRIPT = resources.files("conversation_async.redis").joinpath("_ratelimit.lua").read_text("utf-8")
"""The Lua script of one step (see its header for its keys, arguments and answer)."""

_TTL = 3600
"""Seconds a budget nobody uses is kept in Redis (then it starts afresh at its limit)."""
_MAX_BATCH = 256
"""Turns asked for in one step, at most."""
_RECHECK = 0.05
"""Seconds, at most, before asking again when a step reserved no turn."""
_PEER_WINDOW = 10.0
"""Seconds since its last step for which a limiter still counts as sharing the budget."""
_MIN_POLL = 0.005
"""Seconds, at least, before asking again when a step reserved no turn: while processes
contend for a full budget, each asks at most 200 times a second."""


def settings(rules: SharedRate) -> list[str]:
    """The script's ``ARGV`` after the step's own four: the rules' numbers, in its order."""
    adaptive = rules.adaptive
    assert adaptive.ceiling is not None  # noqa: S101 - SharedRate requires one
    numbers = (
        adaptive.ceiling,
        adaptive.floor,
        adaptive.decrease,
        adaptive.increase,
        adaptive.min_increase,
        adaptive.probe,
        adaptive.headroom,
        adaptive.sporadic,
        adaptive.cooldown,
        adaptive.memory,
        adaptive.recall,
        adaptive.regain_below,
        adaptive.regain,
        adaptive.overshoot,
        rules.horizon,
    )
    return [*(text(number) for number in numbers), str(rules.min_evidence), str(_TTL)]


def arguments(
    rules: SharedRate, wanted: int, accepted: int, refused: int, now: float | None = None
) -> list[str]:
    """The script's ``ARGV`` for one step under ``rules`` (``now``: Redis's clock unless
    given)."""
    step = [str(wanted), str(accepted), str(refused), "" if now is None else text(now)]
    return step + settings(rules)


def read_grant(reply: Sequence[bytes | str]) -> Grant:
    """The script's answer as a :class:`Grant` (the peer count, if any, left out)."""
    turns, offset, interval, limit = (float(part) for part in reply[:4])
    return Grant(int(turns), offset, interval, limit)


def read_peers(reply: Sequence[bytes | str]) -> int:
    """How many limiters share the budget, from an answer to a step that named its peer."""
    return max(1, int(reply[4])) if len(reply) > 4 else 1


class RedisRateLimiter:
    """A :class:`~conversation_async.RateLimiter` whose budget, ``limit`` requests per
    second at most, is shared through ``redis`` by every limiter with the same ``key``, in
    any process on any host; the limit adapts to the 429s any of them sees, as the
    in-process limiter's does.

    ``timeout`` (seconds) bounds each wait for Redis; past it, or when Redis fails, turns
    come from a local limiter until Redis answers again, asked at most every
    ``probe_every`` seconds. ``redis`` is a ``redis.asyncio.Redis`` (never closed here);
    use the limiter in one event loop, and share it between the clients of that loop.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        key: str,
        limit: float,
        timeout: float = 0.1,
        probe_every: float = 5.0,
    ) -> None:
        if not key:
            raise ValueError("key must be a non-empty string")
        for name, value in (("limit", limit), ("timeout", timeout), ("probe_every", probe_every)):
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self._key = key
        self._script = redis.register_script(SCRIPT)
        self._rules = SharedRate(AdaptiveRate(ceiling=float(limit)))
        self._settings = settings(self._rules)
        self._timeout = timeout
        self._fallback = Fallback(probe_every)
        self._local: LocalRateLimiter | None = None
        self._limit = float(limit)
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._server: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None  # the server's sleep, if a caller may end it
        self._accepted = 0  # answers since the last step, reported with the next one
        self._refused = 0
        self._clock = time.monotonic
        self._peer = secrets.token_hex(8)  # this limiter's id among those sharing the key
        self._peers = 1  # how many share the budget, as Redis last said

    @property
    def key(self) -> str:
        """The Redis key of the shared budget."""
        return self._key

    @property
    def shared(self) -> bool:
        """Whether turns come from the shared budget (False while Redis does not answer)."""
        return not self._fallback.down

    @property
    def limit(self) -> float | None:
        """The limit in requests per second: the shared one as last seen, or the local
        fallback's while Redis does not answer."""
        local = self._local
        if local is not None and self._fallback.down:
            return local.limit
        return self._limit

    def try_acquire(self) -> bool:
        """Turns come from Redis through :meth:`acquire`; only the local fallback has them
        at once."""
        local = self._local
        if local is not None and not self._fallback.use_store(self._clock()):
            return local.try_acquire()
        return False

    async def acquire(self) -> None:
        """Wait for a turn of the shared budget (or of the local one, while Redis fails)."""
        local = self._local
        if local is not None and not self._fallback.use_store(self._clock()):
            await local.acquire()
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        if self._server is None:
            self._server = loop.create_task(self._serve())
        elif self._wake is not None:
            _wake(self._wake)
        try:
            shared = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self._give(True)  # handed a turn as we were cancelled: the next caller's
            raise
        if not shared:
            local = self._local
            assert local is not None  # noqa: S101 - set before waiters are sent to it
            await local.acquire()

    def throttled(self) -> float | None:
        """A 429: reported to the shared budget with the next step."""
        local = self._local
        if local is not None and self._fallback.down:
            return local.throttled()
        self._refused += 1
        return self._limit

    def accepted(self) -> None:
        """An accepted answer: reported to the shared budget with the next step."""
        local = self._local
        if local is not None and self._fallback.down:
            local.accepted()
        else:
            self._accepted += 1

    # --- serving the waiters ----------------------------------------------------------

    async def _serve(self) -> None:
        """Reserve turns for the callers waiting and hand them out when their time comes,
        until none waits. Callers who come meanwhile are asked for at once (one step at a
        time), unless the last step found no turn free: then not before it said one would be.
        """
        loop = asyncio.get_running_loop()
        tickets: deque[float] = deque()  # when each reserved turn may go, in loop time
        ask_at = 0.0
        try:
            while True:
                now = loop.time()
                while tickets and tickets[0] <= now and self._give(True):
                    tickets.popleft()
                live = self._live()
                if not live:
                    return  # nobody waits any more: the turns left go unused
                uncovered = live - len(tickets)
                if uncovered > 0 and now >= ask_at:
                    fallback = self._fallback
                    if fallback.down:
                        if not fallback.use_store(self._clock()):
                            self._release()
                            return
                        fallback.probing(self._clock())
                    grant = await self._step(min(uncovered, _MAX_BATCH))
                    if grant is None:
                        self._release()
                        return
                    asked_at = loop.time()
                    tickets.extend(asked_at + grant.wait(turn) for turn in range(grant.turns))
                    if not grant.turns:
                        ask_at = asked_at + min(max(grant.offset, _MIN_POLL), _RECHECK)
                    continue
                if uncovered > 0:
                    wake_at = min(tickets[0], ask_at) if tickets else ask_at
                    await self._sleep(loop, wake_at, nudged=False)
                else:
                    await self._sleep(loop, tickets[0], nudged=True)
        except Exception as exc:  # a fault here must not leave callers waiting forever
            self._failed(exc)
            self._release()
        finally:
            self._server = None

    async def _sleep(self, loop: asyncio.AbstractEventLoop, until: float, nudged: bool) -> None:
        """Until ``until`` (loop time) or, if ``nudged``, until a caller joins the line."""
        wake: asyncio.Future[None] = loop.create_future()
        timer = loop.call_at(until, _wake, wake)
        if nudged:
            self._wake = wake
        try:
            await wake
        finally:
            timer.cancel()
            self._wake = None

    async def _step(self, wanted: int) -> Grant | None:
        """One script call: report the answers seen, reserve up to ``wanted`` turns (None:
        Redis failed or was too slow)."""
        accepted, refused = self._accepted, self._refused
        self._accepted = self._refused = 0
        args = [
            str(wanted),
            str(accepted),
            str(refused),
            "",
            *self._settings,
            self._peer,
            text(_PEER_WINDOW),
        ]
        try:
            async with asyncio.timeout(self._timeout):
                reply: Any = await self._script(keys=[self._key], args=args)
        except Exception as exc:  # any failure: never let a send hang on Redis
            self._failed(exc)
            return None
        grant = read_grant(reply)
        self._limit = grant.limit
        self._peers = read_peers(reply)
        if self._fallback.answered():
            logger.info("Redis answers again: the rate budget %r is shared again", self._key)
        return grant

    def _live(self) -> int:
        """Callers still waiting (the cancelled ones at the head of the line dropped)."""
        waiters = self._waiters
        while waiters and waiters[0].done():
            waiters.popleft()
        return sum(not waiter.done() for waiter in waiters)

    def _give(self, shared: bool) -> bool:
        """Send the first caller in line on (with a shared turn, or to the local limiter);
        False if nobody waits."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(shared)
                return True
        return False

    def _release(self) -> None:
        """Send every waiting caller to the local limiter."""
        while self._give(False):
            pass

    def _failed(self, exc: Exception) -> None:
        if not self._fallback.failed(self._clock()):
            return  # a probe failed: the outage goes on, already told
        ceiling = self._rules.adaptive.ceiling
        assert ceiling is not None  # noqa: S101 - SharedRate requires one
        share = self._peers
        self._local = local = LocalRateLimiter(ceiling / share, start=self._limit / share)
        reason = (
            f"no answer within {self._timeout:g} s"
            if isinstance(exc, TimeoutError)
            else type(exc).__name__
        )
        logger.warning(
            "Redis failed for the rate budget %r (%s): this process paces itself with a "
            "local limit from %.0f requests/s (its share, 1/%d, of the budget) until Redis "
            "answers again (asked every %g s)",
            self._key,
            reason,
            local.limit,
            share,
            self._fallback.probe_every,
        )

    def __repr__(self) -> str:
        limit = self.limit
        shown = "open" if limit is None else f"{limit:.0f}/s"
        state = "shared" if self.shared else "local fallback"
        return f"RedisRateLimiter(key={self._key!r}, {shown}, {state})"


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
