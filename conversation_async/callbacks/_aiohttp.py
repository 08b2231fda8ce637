"""The receiver on aiohttp.web: what ``receiver.handle`` and ``receiver.app()`` run.

The only module of the package outside ``testing/`` that imports aiohttp.web; the receiver
loads it on first use, so importing :mod:`conversation_async.callbacks` does not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ._receiver_core import ReceiverCore

__all__ = ["respond", "sub_app"]


async def respond(core: ReceiverCore, request: web.Request) -> web.Response:
    """Answer one POST: its headers and body, read as they arrive, go to ``core``."""
    status = await core.receive(request.headers.items(), request.content.iter_any())
    return web.Response(status=status)


def sub_app(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
    shutdown: Callable[[web.Application], Awaitable[None]],
    *,
    path: str,
    max_body_size: int,
) -> web.Application:
    """An application serving POST ``path`` with ``handle``, running ``shutdown`` on its
    shutdown."""
    sub = web.Application(client_max_size=max_body_size + 1)
    sub.router.add_post(path or "/", handle)
    sub.on_shutdown.append(shutdown)
    return sub
