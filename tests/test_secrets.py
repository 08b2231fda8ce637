"""No secret reaches a log record, an exception message, a repr or a str.

A whole session runs with every logger at DEBUG: token fetches, sends, a retried 503, a
404, an expired token replayed, a failed token request, webhook and app creation with
secrets, signed callbacks received (and a forged one refused). Then every log record,
every exception raised and the reprs of the objects involved are searched for the client
secret, the Basic credential, every bearer token used and every webhook/channel secret.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conversation_async import (
    ConversationClient,
    NotFoundError,
    TokenError,
)
from conversation_async.callbacks import (
    CallbackEvent,
    CallbackReceiver,
    SignatureVerifier,
    signature_headers,
)
from conversation_async.models import (
    ClientCredentials,
    ConversationChannelCredential,
    IdentifiedRecipient,
    StaticBearerCredential,
    TextMessage,
    WebhookTrigger,
)
from conversation_async.testing import Emulator, ScriptedResponse

CLIENT_SECRET = "S3cr3t-client-value-1a2b"
WEBHOOK_SECRET = "W3bh00k-secret-value-3c4d"
CHANNEL_TOKEN = "Chann3l-token-value-5e6f"
OAUTH_SECRET = "0auth-client-secret-7a8b"
EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}


def haystack_from_logs(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        found.append(record.getMessage())
        found.append(repr(record.args))
        found.extend(repr(v) for k, v in vars(record).items() if k.startswith("sinch_"))
        if record.exc_info:
            found.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            found.append(record.exc_text)
    return found


async def test_full_session_at_debug_leaks_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Client secret, Basic credential, tokens and webhook secrets appear nowhere."""
    caplog.set_level(logging.DEBUG)
    tokens_used: set[str] = set()

    async def on_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        value = params.headers.get("Authorization", "")
        if value.startswith("Bearer "):
            tokens_used.add(value.removeprefix("Bearer "))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    raised: list[BaseException] = []
    reprs: list[str] = []

    received: list[CallbackEvent] = []
    receiver = CallbackReceiver(WEBHOOK_SECRET)

    @receiver.on(CallbackEvent)
    async def collect(event: CallbackEvent) -> None:
        received.append(event)

    bot = web.Application()
    bot.router.add_post("/cb", receiver.handle)
    bot.on_shutdown.append(receiver.shutdown)

    async with (
        Emulator(client_secret=CLIENT_SECRET) as emulator,
        TestClient(TestServer(bot)) as bot_client,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        emulator.client(session=session, max_retries=2) as client,
    ):
        emulator.callback_retry_base = 0.01
        app = await client.apps.create(
            display_name="secrets",
            channel_credentials=[
                ConversationChannelCredential(
                    channel="SMS",
                    credential=StaticBearerCredential(claimed_identity="p", token=CHANNEL_TOKEN),
                )
            ],
        )
        webhook = await client.webhooks.create(
            app_id=app.id,
            target=str(bot_client.make_url("/cb")),
            secret=WEBHOOK_SECRET,
            triggers=[WebhookTrigger.MESSAGE_DELIVERY, WebhookTrigger.MESSAGE_SUBMIT],
            client_credentials=ClientCredentials(
                client_id="their-client", client_secret=OAUTH_SECRET, endpoint="https://x/t"
            ),
        )
        recipient = IdentifiedRecipient.of(("SMS", "+46700000001"))
        emulator.script("SendMessage", ScriptedResponse(status=503))
        await client.messages.send(
            app_id=app.id, recipient=recipient, message=TextMessage(text="a")
        )
        emulator.script("SendMessage", ScriptedResponse(status=401, headers=EXPIRED))
        await client.messages.send(
            app_id=app.id, recipient=recipient, message=TextMessage(text="b")
        )
        try:
            await client.messages.get(message_id="missing")
        except NotFoundError as exc:
            raised.append(exc)
        await emulator.callbacks_settled(timeout=10)
        forged = b'{"app_id": "x", "message_delivery_report": {"message_id": "m"}}'
        headers = {**signature_headers("guess", forged), "Content-Type": "application/json"}
        async with bot_client.post("/cb", data=forged, headers=headers) as response:
            assert response.status == 401
        async with ConversationClient(
            emulator.project_id,
            emulator.client_id,
            CLIENT_SECRET + "-wrong",
            conversation_url=emulator.base_url,
            auth_url=emulator.auth_url,
        ) as wrong:
            try:
                await wrong.messages.get(message_id="x")
            except TokenError as exc:
                raised.append(exc)
        reprs += [
            repr(client),
            str(client),
            repr(client.config),
            repr(client._transport.authenticator),
            repr(app),
            repr(webhook),
            repr(receiver),
            repr(receiver.asgi()),
            repr(SignatureVerifier(WEBHOOK_SECRET)),
            repr(wrong),
        ]
        await asyncio.sleep(0.05)

    assert received, "the signed callbacks must have arrived (the test would prove nothing)"
    assert len(tokens_used) >= 2, "the expired token and its replacement were both used"
    secrets = {
        CLIENT_SECRET,
        CLIENT_SECRET + "-wrong",
        base64.b64encode(f"{emulator.client_id}:{CLIENT_SECRET}".encode()).decode(),
        WEBHOOK_SECRET,
        CHANNEL_TOKEN,
        OAUTH_SECRET,
        *tokens_used,
    }
    places = haystack_from_logs(caplog.records)
    places += [str(e) for e in raised] + [repr(e) for e in raised]
    places += [str(e.__cause__) for e in raised if e.__cause__ is not None]
    places += reprs
    assert len(caplog.records) > 20, "DEBUG logging was on: there must be records to search"
    leaks = [(secret, place) for secret in secrets for place in places if secret in place]
    assert leaks == []
