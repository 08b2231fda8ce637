"""An asyncio bot that answers every inbound text with an echo.

    python examples/echo_bot.py

Without credentials it runs against the embedded emulator: it starts the bot's web app on
loopback, registers it as the app's webhook, lets three contacts write in, and prints what
happened. With ``SINCH_PROJECT_ID``, ``SINCH_CLIENT_ID``, ``SINCH_CLIENT_SECRET``,
``SINCH_APP_ID`` and ``SINCH_WEBHOOK_SECRET`` set it serves ``POST /callbacks`` on
``BOT_PORT`` (default 8080) for the real API until interrupted; point a webhook with
MESSAGE_INBOUND and MESSAGE_DELIVERY triggers at it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys

from aiohttp import web

from conversation_async import ConversationClient, credentials_in_env
from conversation_async.callbacks import (
    CallbackReceiver,
    MessageDeliveryEvent,
    MessageInboundEvent,
)
from conversation_async.models import (
    ChannelRecipientIdentity,
    ConversationChannel,
    IdentifiedRecipient,
    TextMessage,
    WebhookTrigger,
)


class EchoBot:
    """Echoes inbound texts through ``client``; remembers its replies and their receipts."""

    def __init__(self, client: ConversationClient, app_id: str, secret: str) -> None:
        self.client = client
        self.app_id = app_id
        self.receipts: dict[str, list[str]] = {}
        """Reply message id -> delivery statuses seen, in order."""
        self._receipt = asyncio.Condition()
        self.receiver = CallbackReceiver(secret)
        self.receiver.on(MessageInboundEvent)(self.echo)
        self.receiver.on(MessageDeliveryEvent)(self.track)

    def web_app(self) -> web.Application:
        """The bot's aiohttp.web application: ``POST /callbacks``."""
        app = web.Application()
        app.router.add_post("/callbacks", self.receiver.handle)
        app.on_shutdown.append(self.receiver.shutdown)
        return app

    async def echo(self, event: MessageInboundEvent) -> None:
        """Reply to a contact's text on the channel it came from."""
        message = event.message
        content = message.contact_message.content if message.contact_message else None
        identity = message.channel_identity
        if not isinstance(content, TextMessage) or identity is None:
            return
        sent = await self.client.messages.send(
            app_id=event.app_id or self.app_id,
            recipient=IdentifiedRecipient.of(
                ChannelRecipientIdentity(channel=identity.channel, identity=identity.identity)
            ),
            message=TextMessage(text=f"echo: {content.text}"),
            correlation_id=message.id,
        )
        self.receipts.setdefault(sent.message_id, [])
        print(f"  {identity.identity} said {content.text!r}; replied {sent.message_id}")

    async def track(self, event: MessageDeliveryEvent) -> None:
        """Record the delivery status of the bot's own replies."""
        report = event.message_delivery_report
        if report.message_id in self.receipts and report.status is not None:
            self.receipts[report.message_id].append(str(report.status))
            async with self._receipt:
                self._receipt.notify_all()

    async def wait_until_delivered(self, replies: int) -> None:
        """Return once ``replies`` of the bot's replies have been reported DELIVERED."""

        def enough() -> bool:
            return sum("DELIVERED" in s for s in self.receipts.values()) >= replies

        async with self._receipt:
            await self._receipt.wait_for(enough)


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start ``app``; returns the runner and the callback URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}/callbacks"


CONTACTS = [("+46700000001", "hello"), ("+46700000002", "how are you?"), ("+46700000003", "bye")]


async def run_with_emulator() -> int:
    """Run the bot against the embedded emulator while three contacts write in."""
    from conversation_async.models import ConversationChannelCredential, StaticBearerCredential
    from conversation_async.testing import Emulator

    secret = secrets.token_urlsafe(24)
    async with Emulator() as emulator, emulator.client() as client:
        app = await client.apps.create(
            display_name="Echo bot",
            processing_mode="CONVERSATION",
            channel_credentials=[
                ConversationChannelCredential(
                    channel=ConversationChannel.SMS,
                    credential=StaticBearerCredential(claimed_identity="plan", token="fake"),  # noqa: S106 - emulator only
                )
            ],
        )
        bot = EchoBot(client, app.id, secret)
        runner, url = await serve(bot.web_app(), "127.0.0.1", 0)
        try:
            await client.webhooks.create(
                app_id=app.id,
                target=url,
                secret=secret,
                triggers=[WebhookTrigger.MESSAGE_INBOUND, WebhookTrigger.MESSAGE_DELIVERY],
            )
            print(f"echo bot on {url}, emulator at {emulator.base_url}")
            for number, text in CONTACTS:
                emulator.inbound_message(app.id, (ConversationChannel.SMS, number), text=text)
            try:
                async with asyncio.timeout(10):
                    await bot.wait_until_delivered(len(CONTACTS))
            except TimeoutError:
                print("not every reply was delivered within 10 s", file=sys.stderr)
                return 1
        finally:
            await runner.cleanup()
    for reply, statuses in bot.receipts.items():
        print(f"  reply {reply}: {' -> '.join(statuses)}")
    return 0


async def run_with_real_api() -> int:
    """Serve callbacks for the real API until interrupted."""
    app_id = os.environ.get("SINCH_APP_ID")
    secret = os.environ.get("SINCH_WEBHOOK_SECRET")
    if not app_id or not secret:
        print("set SINCH_APP_ID and SINCH_WEBHOOK_SECRET too", file=sys.stderr)
        return 2
    port = int(os.environ.get("BOT_PORT", "8080"))
    async with ConversationClient.from_env() as client:
        bot = EchoBot(client, app_id, secret)
        runner, url = await serve(bot.web_app(), "0.0.0.0", port)  # noqa: S104 - a public bot
        print(f"echo bot listening on {url}; Ctrl-C to stop")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    return 0


def main() -> int:
    runner = run_with_real_api if credentials_in_env() else run_with_emulator
    try:
        return asyncio.run(runner())
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
