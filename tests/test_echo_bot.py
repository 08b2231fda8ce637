"""End to end: a contact writes in, the signed callback reaches the example bot, the bot
replies through the client, the emulator stores the reply, and the bot sees its receipt."""

from __future__ import annotations

import asyncio

from conversation_async.models import (
    ConversationChannelCredential,
    StaticBearerCredential,
    WebhookTrigger,
)
from conversation_async.testing import Emulator
from tests.examples_support import load_example

SECRET = "echo-bot-webhook-secret"


async def test_inbound_text_is_echoed_to_its_sender_and_the_receipt_reaches_the_bot(
    emulator: Emulator,
) -> None:
    """The whole loop works over real HTTP with signed callbacks."""
    echo_bot = load_example("echo_bot.py")
    async with emulator.client() as client:
        app = await client.apps.create(
            display_name="bot",
            channel_credentials=[
                ConversationChannelCredential(
                    channel="SMS",
                    credential=StaticBearerCredential(claimed_identity="p", token="t"),
                )
            ],
        )
        bot = echo_bot.EchoBot(client, app.id, SECRET)
        runner, url = await echo_bot.serve(bot.web_app(), "127.0.0.1", 0)
        try:
            await client.webhooks.create(
                app_id=app.id,
                target=url,
                secret=SECRET,
                triggers=[WebhookTrigger.MESSAGE_INBOUND, WebhookTrigger.MESSAGE_DELIVERY],
            )
            inbound = emulator.inbound_message(app.id, ("SMS", "+46701234567"), text="ping")
            async with asyncio.timeout(10):
                await bot.wait_until_delivered(1)
        finally:
            await runner.cleanup()
    (reply_id,) = bot.receipts
    reply = emulator.store.messages[reply_id]
    assert reply.request["message"] == {"text_message": {"text": "echo: ping"}}
    assert reply.request["recipient"] == {
        "identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+46701234567"}]}
    }
    assert reply.correlation_id == inbound["id"]
    assert bot.receipts[reply_id][-1] == "DELIVERED"
    assert bot.receiver.stats.refused == {}


async def test_bot_refuses_callbacks_signed_with_another_secret(emulator: Emulator) -> None:
    """A webhook whose secret differs from the bot's is refused and nothing is sent."""
    echo_bot = load_example("echo_bot.py")
    async with emulator.client() as client:
        bot = echo_bot.EchoBot(client, "app", SECRET)
        runner, url = await echo_bot.serve(bot.web_app(), "127.0.0.1", 0)
        try:
            emulator.add_webhook("app", url, triggers=["MESSAGE_INBOUND"], secret="not-the-bot's")
            emulator.inbound_message("app", ("SMS", "+46700000009"), text="ping")
            await emulator.callbacks_settled(timeout=10)
        finally:
            await runner.cleanup()
    assert bot.receipts == {}
    assert emulator.requests_seen["SendMessage"] == 0
    assert bot.receiver.stats.refused["signature"] >= 1
