"""Callback bodies, signed headers, and one receiver served by either adapter over loopback."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from aiohttp import web

from conversation_async.callbacks import CallbackReceiver, signature_headers
from tests.asgi_server import serve_asgi

SECRET = "webhook-secret-value"
ADAPTERS = ["aiohttp", "asgi"]


def delivery(message_id: str = "m1", status: str = "DELIVERED") -> bytes:
    return json.dumps(
        {
            "app_id": "app",
            "message_delivery_report": {"message_id": message_id, "status": status},
        }
    ).encode()


def inbound(message_id: str = "in1", text: str = "hello") -> bytes:
    return json.dumps(
        {
            "app_id": "app",
            "message": {
                "id": message_id,
                "direction": "TO_APP",
                "contact_message": {"text_message": {"text": text}},
            },
        }
    ).encode()


def signed(body: bytes, secret: str = SECRET, **extra: str) -> dict[str, str]:
    return {
        **signature_headers(secret, body),
        "Content-Type": "application/json",
        **extra,
    }


@contextlib.asynccontextmanager
async def serve_aiohttp(receiver: CallbackReceiver) -> AsyncIterator[str]:
    """``receiver.handle`` at ``/callbacks`` on a loopback aiohttp.web server."""
    app = web.Application()
    app.router.add_post("/callbacks", receiver.handle)
    app.on_shutdown.append(receiver.shutdown)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/callbacks"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_receiver(adapter: str, receiver: CallbackReceiver) -> AsyncIterator[str]:
    """The callback URL of ``receiver`` served through ``adapter`` ("aiohttp" or "asgi":
    ``receiver.asgi()`` alone under a real uvicorn) for the block."""
    if adapter == "aiohttp":
        async with serve_aiohttp(receiver) as url:
            yield url
    else:
        async with serve_asgi(receiver.asgi()) as base:
            yield f"{base}/callbacks"
