"""A real uvicorn server inside a test: an ASGI app on a free loopback port, for a block.

The socket is bound before the server starts (no port race); the server is stopped, and
its lifespan shutdown run, when the block ends, each step bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port on ``127.0.0.1`` (its URL is known before serving)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def serve_asgi(
    app: Any,
    *,
    sock: socket.socket | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - a bound on start and stop
) -> AsyncIterator[str]:
    """Serve ``app`` on ``sock`` (default: a fresh :func:`loopback_socket`) for the block;
    yields its base URL, ``http://127.0.0.1:PORT``. The socket is closed at the end."""
    sock = sock or loopback_socket()
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=int(timeout),
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                if serving.done():
                    serving.result()  # startup failed: raise why
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(timeout):
                await serving
        finally:
            sock.close()
