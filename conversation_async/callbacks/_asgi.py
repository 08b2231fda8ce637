"""The receiver as a plain ASGI application: no framework, no Starlette needed.

``receiver.asgi()`` answers POSTs exactly as the aiohttp.web handler does (any path: the
server or router in front decides which reach it), 405 to other methods, and drains
running handlers on the ``lifespan`` shutdown when served alone. In Starlette or FastAPI
route it with ``Route("/sinch/callback", receiver.asgi(), methods=["POST"])`` (an ASGI
app as the endpoint of an exact path) and call ``await receiver.shutdown()`` in the app's
lifespan; ``app.mount(...)`` works too, but a mount only matches paths below it, so the
webhook's URL must then end with ``/``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._receiver_core import ReceiverCore

__all__ = ["CallbackAsgiApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _Disconnected(Exception):
    """The client went away before its body was read."""


class CallbackAsgiApp:
    """An ASGI 3 application around one receiver (see the module docstring)."""

    def __init__(self, core: ReceiverCore) -> None:
        self._core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":  # the ASGI way to decline a protocol
            raise ValueError(f"the callback receiver serves HTTP only, not {kind!r}")
        if scope["method"] != "POST":
            await _respond(send, 405, ((b"allow", b"POST"),))
            return
        chunks = _body(receive)
        try:
            status = await self._core.receive(_headers(scope), chunks)
        except _Disconnected:
            return
        finally:
            await chunks.aclose()
        await _respond(send, status)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Served alone: start at once; on shutdown, drain the handlers first."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._core.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def __repr__(self) -> str:
        return "CallbackAsgiApp()"


def _headers(scope: Scope) -> list[tuple[str, str]]:
    """The request headers as text, decoded as aiohttp decodes them (values UTF-8, bytes
    that are not kept as surrogates, so a signature sees exactly the bytes sent)."""
    return [
        (name.decode("latin-1"), value.decode("utf-8", "surrogateescape"))
        for name, value in scope["headers"]
    ]


async def _body(receive: Receive) -> AsyncGenerator[bytes, None]:
    """The request body's chunks as they arrive."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _respond(send: Send, status: int, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", b"0"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": b""})
