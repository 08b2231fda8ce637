"""A FastAPI app that sends messages and receives their callbacks, ready for several workers.

Offline, against the embedded emulator (one worker: each process would start its own)::

    USE_EMULATOR=1 .venv/bin/python examples/fastapi_app.py
    curl -X POST localhost:8000/notify -H 'content-type: application/json' \\
         -d '{"identity": "+46700000001", "text": "hello"}'
    curl localhost:8000/receipts/MESSAGE_ID

Against Sinch, with four workers sharing Redis::

    SINCH_PROJECT_ID=... SINCH_CLIENT_ID=... SINCH_CLIENT_SECRET=... SINCH_APP_ID=... \\
    SINCH_WEBHOOK_SECRET=... REDIS_URL=redis://127.0.0.1:6379/0 \\
    uvicorn fastapi_app:app_from_env --factory --app-dir examples --workers 4 --port 8000

and point a webhook (MESSAGE_DELIVERY) at ``https://YOUR_HOST/sinch/callback``.

- ``POST /notify`` sends a text through one ``ConversationClient`` per process (made in
  the lifespan), bounded to ``NOTIFY_DEADLINE`` seconds, and maps SDK errors to HTTP
  answers: ``BadRequestError`` 400, ``RateLimitError`` 429 with ``Retry-After``,
  ``NoResponseError`` 504, any other ``ConversationError`` 502.
- ``POST /sinch/callback`` is the callback receiver's ASGI app on an exact route. With
  ``CALLBACK_ACK=after_handler`` (the default here) Sinch gets its 200 only once the
  handler ran, and a 500 (so it retries) if the handler failed.
- ``REDIS_URL`` gives every worker the same replay and dedupe memory: a signature replayed
  to any worker is refused, and a redelivery one worker handled is skipped by the others
  (without it, each worker remembers only what it saw). Keys go under ``REDIS_PREFIX``.
- ``GET /receipts/{message_id}``: the delivery statuses this worker received for a
  message (a real app keeps them in its database, so every worker sees them).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.routing import Route

from conversation_async import (
    BadRequestError,
    ConversationClient,
    ConversationError,
    NoResponseError,
    RateLimitError,
    credentials_in_env,
)
from conversation_async.callbacks import CallbackReceiver, DedupeStore, MessageDeliveryEvent
from conversation_async.models import (
    ConversationChannel,
    ConversationChannelCredential,
    IdentifiedRecipient,
    StaticBearerCredential,
    TextMessage,
    WebhookTrigger,
)
from conversation_async.redis import RedisDedupeStore

CALLBACK_PATH = "/sinch/callback"
NOTIFY_DEADLINE = 5.0
"""Seconds one ``POST /notify`` may wait for Sinch, retries included (then 504)."""


@dataclass(frozen=True)
class Settings:
    """What the app needs; :meth:`from_env` reads it from the environment."""

    webhook_secret: str
    emulator: bool = False
    app_id: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    redis_prefix: str = "fastapi-app:callbacks:"
    ack: Literal["immediately", "after_handler"] = "after_handler"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """``USE_EMULATOR=1``, or the ``SINCH_*`` credentials with ``SINCH_APP_ID`` and
        ``SINCH_WEBHOOK_SECRET``; ``PUBLIC_URL``, ``REDIS_URL``, ``REDIS_PREFIX`` and
        ``CALLBACK_ACK`` are optional."""
        emulator = environ.get("USE_EMULATOR") == "1"
        secret = environ.get("SINCH_WEBHOOK_SECRET") or ""
        if emulator:
            secret = secret or secrets.token_urlsafe(24)
        elif not (credentials_in_env(environ) and secret and environ.get("SINCH_APP_ID")):
            raise SystemExit(
                "set USE_EMULATOR=1, or SINCH_PROJECT_ID, SINCH_CLIENT_ID, SINCH_CLIENT_SECRET, "
                "SINCH_APP_ID and SINCH_WEBHOOK_SECRET"
            )
        ack = environ.get("CALLBACK_ACK", cls.ack)
        if ack not in ("immediately", "after_handler"):
            raise SystemExit("CALLBACK_ACK must be after_handler or immediately")
        return cls(
            webhook_secret=secret,
            emulator=emulator,
            app_id=environ.get("SINCH_APP_ID"),
            public_url=environ.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            redis_url=environ.get("REDIS_URL") or None,
            redis_prefix=environ.get("REDIS_PREFIX", cls.redis_prefix),
            ack="immediately" if ack == "immediately" else "after_handler",
        )


class Notify(BaseModel):
    """``POST /notify``: a text to one phone number (``app_id`` defaults to the app's own)."""

    identity: str
    text: str
    channel: str = "SMS"
    app_id: str | None = None


def error_answer(error: ConversationError) -> tuple[int, dict[str, str]]:
    """The HTTP status (and headers) that tell this app's caller what the SDK error means."""
    if isinstance(error, BadRequestError):
        return 400, {}
    if isinstance(error, RateLimitError):
        wait = error.retry_after if error.retry_after is not None else 1.0
        return 429, {"Retry-After": str(max(1, math.ceil(wait)))}
    if isinstance(error, NoResponseError):
        return 504, {}
    return 502, {}


def create_app(settings: Settings) -> FastAPI:
    """The app: ``/notify``, ``/sinch/callback`` and ``/receipts/{message_id}``."""
    redis_client = None
    store: DedupeStore | None = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        redis_client = aioredis.Redis.from_url(settings.redis_url)
        store = RedisDedupeStore(redis_client, prefix=settings.redis_prefix)
    receiver = CallbackReceiver(
        settings.webhook_secret,
        ack=settings.ack,
        dedupe_store=store,
        replay_store=store,
    )
    receipts: dict[str, list[str]] = {}

    @receiver.on(MessageDeliveryEvent)
    async def track(event: MessageDeliveryEvent) -> None:
        report = event.message_delivery_report
        if report.message_id and report.status:
            receipts.setdefault(report.message_id, []).append(str(report.status))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if settings.emulator:
                from conversation_async.testing import Emulator

                emulator = await stack.enter_async_context(Emulator())
                client = await stack.enter_async_context(emulator.client())
                app.state.app_id = await emulated_app(client, settings)
            else:
                client = await stack.enter_async_context(ConversationClient.from_env())
                app.state.app_id = settings.app_id
            if redis_client is not None:
                stack.push_async_callback(redis_client.aclose)
            stack.push_async_callback(receiver.shutdown)  # handlers finish before the client closes
            app.state.client = client
            yield

    app = FastAPI(
        title="conversation-async FastAPI example",
        lifespan=lifespan,
        routes=[Route(CALLBACK_PATH, receiver.asgi(), methods=["POST"])],
    )
    app.state.receiver = receiver

    @app.exception_handler(ConversationError)
    async def sdk_error(request: Request, error: ConversationError) -> JSONResponse:
        status, headers = error_answer(error)
        detail = {"error": type(error).__name__, "detail": str(error)}
        return JSONResponse(detail, status_code=status, headers=headers)

    @app.post("/notify")
    async def notify(body: Notify, request: Request) -> dict[str, str]:
        client: ConversationClient = request.app.state.client
        # one web request waits at most NOTIFY_DEADLINE s; the client's default stays 120 s
        sent = await client.with_options(deadline=NOTIFY_DEADLINE).messages.send(
            app_id=body.app_id or request.app.state.app_id,
            recipient=IdentifiedRecipient.of((body.channel, body.identity)),
            message=TextMessage(text=body.text),
        )
        return {"message_id": sent.message_id}

    @app.get("/receipts/{message_id}")
    async def receipts_of(message_id: str) -> dict[str, list[str]]:
        return {"statuses": receipts.get(message_id, [])}

    return app


async def emulated_app(client: ConversationClient, settings: Settings) -> str:
    """Create an SMS app in the emulator whose receipts come to this server's callback URL."""
    app = await client.apps.create(
        display_name="FastAPI example",
        channel_credentials=[
            ConversationChannelCredential(
                channel=ConversationChannel.SMS,
                credential=StaticBearerCredential(claimed_identity="example", token="fake"),  # noqa: S106 - emulator only
            )
        ],
    )
    await client.webhooks.create(
        app_id=app.id,
        target=settings.public_url + CALLBACK_PATH,
        secret=settings.webhook_secret,
        triggers=[WebhookTrigger.MESSAGE_DELIVERY],
    )
    return app.id


def app_from_env() -> FastAPI:
    """The app configured from the environment (``uvicorn --factory`` calls it per worker)."""
    return create_app(Settings.from_env())


def main() -> int:
    """Serve on 127.0.0.1:8000 (``PORT``), one worker."""
    port = int(os.environ.get("PORT", "8000"))
    os.environ.setdefault("PUBLIC_URL", f"http://127.0.0.1:{port}")
    uvicorn.run(app_from_env(), host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
