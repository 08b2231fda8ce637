"""Fault injection: scripted responses, fault plans, the project rate limit, token outages
and a fixed added latency.

The SDK's retry, timeout and token-refresh tests need the server to misbehave on cue:
``emu.script("SendMessage", ScriptedResponse(503), ScriptedResponse(503))`` makes the next
two sends fail, after which normal behaviour resumes. Scripts are consumed before the
emulator checks credentials, so a test can script a 401 "expired" for any request.

Its reliability suite needs misbehaviour at random, reproducibly: fault plans
(:mod:`._plans`), a rate limit (:mod:`._ratelimit`) and token endpoint outages. All of it
sits behind one flag, :attr:`Faults.armed`: with nothing configured a request costs one
attribute check more than no fault injection at all.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Final

import attrs
from aiohttp import web

from .._checked import as_object
from ._envelope import ApiError, dumps
from ._fault_answers import abort, answer, token_unavailable
from ._plans import FaultMode, PlanDraws
from ._ratelimit import RateMeter, TokenBucket, retry_after
from ._routing import Handler

OUTAGE_MODES: Final = frozenset({"503", "reset"})
"""How the token endpoint fails during ``Emulator.token_outage``."""


def _check_status(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 100 <= value <= 599:
        raise ValueError(f"status must be an HTTP status code, got {value}")


def _check_delay(_: object, __: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"delay must be >= 0, got {value}")


@attrs.frozen
class ScriptedResponse:
    """One canned answer for one request to a route.

    - ``body``: a dict or list is sent as JSON (``application/json``); ``str`` is sent as
      UTF-8 text (``text/plain`` unless ``headers`` set a Content-Type); ``bytes`` are sent
      as-is (``application/octet-stream`` unless ``headers`` set one); ``None`` sends an
      empty body.
    - ``delay``: seconds to wait before answering (e.g. to trip a client timeout).
    - ``passthrough=True``: wait ``delay`` seconds, then handle the request normally
      (auth included); ``status``, ``headers`` and ``body`` are ignored. "Slow but fine".
    """

    status: int = attrs.field(default=200, validator=_check_status)
    headers: Mapping[str, str] | None = None
    body: Any = None
    delay: float = attrs.field(default=0.0, converter=float, validator=_check_delay)
    passthrough: bool = False

    def to_response(self) -> web.Response:
        """The aiohttp response this script describes (ignored when passthrough)."""
        headers = dict(self.headers) if self.headers else {}
        has_type = any(name.lower() == "content-type" for name in headers)
        body = self.body
        if body is None:
            return web.Response(status=self.status, headers=headers)
        if isinstance(body, bytes):
            data = body
            default_type = "application/octet-stream"
        elif isinstance(body, str):
            data = body.encode()
            default_type = "text/plain; charset=utf-8"
        else:
            data = dumps(body)
            default_type = "application/json"
        if not has_type:
            headers["Content-Type"] = default_type
        return web.Response(status=self.status, headers=headers, body=data)


class Faults:
    """Everything that makes the emulator misbehave, consulted by the route wrapper.

    ``armed`` is true while any script, plan, rate limit or outage is set: the wrapper takes
    the slow path (:meth:`misbehave`) only then.
    """

    __slots__ = (
        "_outage_reset",
        "_outage_until",
        "_scripts",
        "armed",
        "injected",
        "latency",
        "limiter",
        "meter",
        "plans",
        "rate_limited",
    )

    def __init__(self, latency: float = 0.0) -> None:
        self._scripts: dict[str, deque[ScriptedResponse]] = {}
        self.latency = latency
        self.plans: dict[str, PlanDraws] = {}
        self.limiter: TokenBucket | None = None
        self.meter = RateMeter()
        self.rate_limited = 0
        self.injected: Counter[tuple[str, FaultMode]] = Counter()
        self._outage_until: float | None = None
        self._outage_reset = False
        self.armed = False

    def rearm(self) -> None:
        """Recompute :attr:`armed` after a change of scripts, plans, limit or outage."""
        self.armed = bool(
            self._scripts
            or self.plans
            or self.limiter is not None
            or self._outage_until is not None
        )

    # -- scripts -----------------------------------------------------------------------

    def add(self, route: str, responses: tuple[ScriptedResponse, ...]) -> None:
        """Queue ``responses`` for the next requests to ``route``, after any already queued."""
        for response in responses:
            if not isinstance(as_object(response), ScriptedResponse):
                raise TypeError(f"expected ScriptedResponse, got {type(response).__name__}")
        if responses:
            self._scripts.setdefault(route, deque()).extend(responses)
            self.armed = True

    def clear(self) -> None:
        """Drop every queued script."""
        self._scripts.clear()
        self.rearm()

    def pending(self, route: str) -> int:
        """How many scripted responses are still queued for ``route``."""
        queue = self._scripts.get(route)
        return len(queue) if queue else 0

    def take(self, route: str) -> ScriptedResponse | None:
        """Pop the next script for ``route``; ``None`` (fast) when nothing is scripted."""
        if not self._scripts:
            return None
        queue = self._scripts.get(route)
        if not queue:
            return None
        response = queue.popleft()
        if not queue:
            del self._scripts[route]
            self.rearm()
        return response

    # -- rate limit and token outage -----------------------------------------------------

    def set_rate_limit(self, rate: float | None) -> None:
        """Limit API requests to ``rate`` per second (a full bucket from now); ``None`` =
        unlimited."""
        self.limiter = None if rate is None else TokenBucket(rate, time.monotonic())
        self.rearm()

    def start_outage(self, seconds: float, *, reset: bool) -> None:
        """Fail the token endpoint for ``seconds`` from now; 0 ends an outage."""
        self._outage_until = time.monotonic() + seconds if seconds > 0 else None
        self._outage_reset = reset
        self.rearm()

    def outage(self) -> bool:
        """Whether the token endpoint is out now (an outage over is forgotten)."""
        until = self._outage_until
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        self._outage_until = None
        self.rearm()
        return False

    def forget_counts(self) -> None:
        """Zero the counters (faults injected, rate-limited answers, the rate meter)."""
        self.injected.clear()
        self.rate_limited = 0
        self.meter.clear()

    # -- the slow path -------------------------------------------------------------------

    async def misbehave(
        self,
        name: str,
        api: bool,
        request: web.Request,
        process: Handler,
        *,
        limited: bool = True,
    ) -> web.StreamResponse:
        """Answer a request while :attr:`armed`: a script first, else the rate limit (API
        routes, unless not ``limited``) or an outage (``Token``), else the route's plan;
        ``process`` authenticates and runs the real handler."""
        script = self.take(name)
        if script is not None:
            if api and self.latency > 0:
                await asyncio.sleep(self.latency)
            if script.delay > 0:
                await asyncio.sleep(script.delay)
            if script.passthrough:
                return await process(request)
            return script.to_response()
        if api and limited and self.limiter is not None:
            now = time.monotonic()
            wait = self.limiter.take(now)
            self.meter.tick(now, admitted=not wait)
            if wait:
                self.rate_limited += 1
                if self.latency > 0:
                    await asyncio.sleep(self.latency)
                return ApiError(
                    429, "Project rate limit exceeded", headers={"Retry-After": retry_after(wait)}
                ).response()
        elif not api and self._outage_until is not None and self.outage():
            return abort(request) if self._outage_reset else token_unavailable()
        draws = self.plans.get(name)
        mode = draws.draw() if draws is not None else None
        if api and self.latency > 0:
            await asyncio.sleep(self.latency)
        if mode is None or draws is None:
            return await process(request)
        self.injected[name, mode] += 1
        return await answer(mode, draws.plan, request, process)


async def sleep_if(seconds: float) -> None:
    """Sleep only when asked to: the hot path must not yield to the loop for nothing."""
    if seconds > 0:
        await asyncio.sleep(seconds)
