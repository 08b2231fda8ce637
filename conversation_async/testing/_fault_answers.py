"""How each :class:`FaultMode` answers: error statuses, late answers, aborted connections
and broken bodies, on top of the real handler (``process``) when the mode processes first.

Connections are broken with the request's own transport: ``abort()`` drops it at once (no
response at all), ``close()`` first flushes what was written (the half body of
``CUT_BODY``). The handler then returns a response aiohttp cannot write; aiohttp takes that
as a client that went away (a debug log line, no error) and keeps serving other
connections. The real handler always runs before any wait, so a client giving up (which
cancels the handler) cannot undo the processing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from multidict import CIMultiDict

from ._envelope import ApiError, json_response
from ._plans import FaultMode, FaultPlan
from ._routing import Handler

BAD_JSON_BODY: Final = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
"""The body of a ``BAD_JSON`` answer (sent with the real answer's JSON Content-Type)."""
_STATUS_ERRORS: Final = {
    FaultMode.STATUS_429: (429, "Too many requests (emulator fault)"),
    FaultMode.STATUS_503: (503, "Service temporarily unavailable (emulator fault)"),
    FaultMode.STATUS_500: (500, "Internal error (emulator fault)"),
    FaultMode.STATUS_502: (502, "Bad gateway (emulator fault)"),
    FaultMode.STATUS_504: (504, "Gateway timeout (emulator fault)"),
}

Answer = Callable[[FaultPlan, web.Request, Handler], Awaitable[web.StreamResponse]]


def abort(request: web.Request) -> web.Response:
    """Drop the request's connection at once; returns a response that is never sent."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()


def token_unavailable() -> web.Response:
    """The token endpoint's outage answer, in the OAuth2 error shape."""
    return json_response(
        {
            "error": "temporarily_unavailable",
            "error_description": "The token endpoint is temporarily unavailable",
        },
        status=503,
    )


def _error(mode: FaultMode) -> web.Response:
    status, message = _STATUS_ERRORS[mode]
    return ApiError(status, message).response()


def _body(response: web.StreamResponse) -> bytes:
    body = response.body if isinstance(response, web.Response) else None
    return bytes(body) if isinstance(body, bytes | bytearray) else b""


def _headers_without_length(response: web.StreamResponse) -> CIMultiDict[str]:
    headers = CIMultiDict(response.headers)
    headers.popall("Content-Length", None)
    return headers


async def _retry_after(plan: FaultPlan, _: web.Request, __: Handler) -> web.StreamResponse:
    return ApiError(
        429, "Too many requests (emulator fault)", headers={"Retry-After": plan.retry_after}
    ).response()


async def _status_after(mode: FaultMode, request: web.Request, process: Handler) -> web.Response:
    await process(request)
    return _error(mode)


async def _slow(plan: FaultPlan, request: web.Request, process: Handler) -> web.StreamResponse:
    response = await process(request)
    await asyncio.sleep(plan.slow_seconds)
    return response


async def _reset_before(_: FaultPlan, request: web.Request, __: Handler) -> web.StreamResponse:
    return abort(request)


async def _reset_after(_: FaultPlan, request: web.Request, process: Handler) -> web.StreamResponse:
    await process(request)
    return abort(request)


async def _cut_body(_: FaultPlan, request: web.Request, process: Handler) -> web.StreamResponse:
    real = await process(request)
    body = _body(real)
    response = web.StreamResponse(
        status=real.status, reason=real.reason, headers=_headers_without_length(real)
    )
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    transport = request.transport
    if transport is not None:
        transport.close()  # flushes the half body first, unlike abort()
    return response


async def _bad_json(_: FaultPlan, request: web.Request, process: Handler) -> web.StreamResponse:
    real = await process(request)
    return web.Response(
        status=real.status, headers=_headers_without_length(real), body=BAD_JSON_BODY
    )


async def _truncated_json(
    _: FaultPlan, request: web.Request, process: Handler
) -> web.StreamResponse:
    real = await process(request)
    body = _body(real)
    return web.Response(
        status=real.status, headers=_headers_without_length(real), body=body[: len(body) // 2]
    )


_ANSWERS: Final[dict[FaultMode, Answer]] = {
    FaultMode.STATUS_429_RETRY_AFTER: _retry_after,
    FaultMode.SLOW: _slow,
    FaultMode.RESET_BEFORE: _reset_before,
    FaultMode.RESET_AFTER: _reset_after,
    FaultMode.CUT_BODY: _cut_body,
    FaultMode.BAD_JSON: _bad_json,
    FaultMode.TRUNCATED_JSON: _truncated_json,
}
_BEFORE: Final = frozenset({FaultMode.STATUS_429, FaultMode.STATUS_503})


async def answer(
    mode: FaultMode, plan: FaultPlan, request: web.Request, process: Handler
) -> web.StreamResponse:
    """Answer ``request`` failing in ``mode``; ``process`` runs the real route when the mode
    processes first."""
    if mode in _BEFORE:
        return _error(mode)
    if mode in _STATUS_ERRORS:
        return await _status_after(mode, request, process)
    return await _ANSWERS[mode](plan, request, process)
