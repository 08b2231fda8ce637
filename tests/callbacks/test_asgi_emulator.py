"""The emulator plays Sinch: its signed callbacks, and its retries, reach ``receiver.asgi()``
served by a real uvicorn on loopback."""

from __future__ import annotations

from collections import Counter

from conversation_async.callbacks import (
    CallbackEvent,
    CallbackReceiver,
    MessageDeliveryEvent,
    MessageInboundEvent,
    MessageSubmitEvent,
)
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator
from tests.asgi_server import serve_asgi

SECRET = "asgi-webhook-secret"


async def test_emulator_callbacks_reach_typed_handlers_through_the_asgi_app(
    emulator: Emulator,
) -> None:
    """A send's submit and delivery receipts and an inbound message, all signed, all handled."""
    receiver = CallbackReceiver(SECRET)
    seen: list[CallbackEvent] = []

    @receiver.on(CallbackEvent)
    async def collect(event: CallbackEvent) -> None:
        seen.append(event)

    async with serve_asgi(receiver.asgi()) as base, emulator.client() as client:
        emulator.add_webhook(
            "app",
            base + "/sinch/callback",
            triggers=["MESSAGE_SUBMIT", "MESSAGE_DELIVERY", "MESSAGE_INBOUND"],
            secret=SECRET,
        )
        sent = await client.messages.send(
            app_id="app",
            recipient=IdentifiedRecipient.of(("SMS", "+46700000001")),
            message=TextMessage(text="hi"),
        )
        emulator.inbound_message("app", ("SMS", "+46700000001"), text="hello back")
        await emulator.callbacks_settled(timeout=10)
    assert all(d.delivered and d.attempts == 1 for d in emulator.callbacks)
    kinds = Counter(type(event) for event in seen)
    assert kinds == {MessageSubmitEvent: 1, MessageDeliveryEvent: 2, MessageInboundEvent: 1}
    statuses = [
        e.message_delivery_report.status for e in seen if isinstance(e, MessageDeliveryEvent)
    ]
    assert statuses == ["QUEUED_ON_CHANNEL", "DELIVERED"]
    assert {
        e.message_delivery_report.message_id for e in seen if isinstance(e, MessageDeliveryEvent)
    } == {sent.message_id}
    assert receiver.stats.refused == {}


async def test_after_handler_failure_makes_the_emulator_retry_and_the_retry_is_handled(
    emulator: Emulator,
) -> None:
    """A handler failing once answers 500; the emulator's retry is handled: nothing is lost."""
    emulator.callback_retry_base = 0.01
    receiver = CallbackReceiver(SECRET, ack="after_handler")
    attempts: list[str] = []
    handled: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def flaky(event: MessageInboundEvent) -> None:
        attempts.append(event.message.id or "")
        if len(attempts) == 1:
            raise RuntimeError("database briefly unavailable")
        handled.append(event.message.id or "")

    async with serve_asgi(receiver.asgi()) as base:
        emulator.add_webhook(
            "app", base + "/sinch/callback", triggers=["MESSAGE_INBOUND"], secret=SECRET
        )
        message = emulator.inbound_message("app", ("SMS", "+46700000002"), text="hello")
        await emulator.callbacks_settled(timeout=10)
    (delivery,) = emulator.callbacks
    assert (delivery.attempts, delivery.status, delivery.delivered) == (2, 200, True)
    assert delivery.last_error == "HTTP 500"
    assert handled == [message["id"]]
    assert attempts == [message["id"]] * 2
    assert receiver.stats.handler_errors == 1
