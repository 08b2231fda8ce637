"""Fault injection: scripted responses per route and a fixed added latency.

The SDK's retry, timeout and token-refresh tests need the server to misbehave on cue:
``emu.script("SendMessage", ScriptedResponse(503), ScriptedResponse(503))`` makes the next
two sends fail, after which normal behaviour resumes. Scripts are consumed before the
emulator checks credentials, so a test can script a 401 "expired" for any request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from ._envelope import dumps


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
    """Per-route queues of scripted responses plus the emulator's added latency."""

    __slots__ = ("_scripts", "latency")

    def __init__(self, latency: float = 0.0) -> None:
        self._scripts: dict[str, deque[ScriptedResponse]] = {}
        self.latency = latency

    def add(self, route: str, responses: tuple[ScriptedResponse, ...]) -> None:
        """Queue ``responses`` for the next requests to ``route``, after any already queued."""
        for response in responses:
            if not isinstance(response, ScriptedResponse):
                raise TypeError(f"expected ScriptedResponse, got {type(response).__name__}")
        if responses:
            self._scripts.setdefault(route, deque()).extend(responses)

    def clear(self) -> None:
        """Drop every queued script."""
        self._scripts.clear()

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
        return response


async def sleep_if(seconds: float) -> None:
    """Sleep only when asked to: the hot path must not yield to the loop for nothing."""
    if seconds > 0:
        await asyncio.sleep(seconds)
