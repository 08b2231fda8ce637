"""Callbacks of sends: receipts to webhooks and ``callback_url``, signing, retries, stop()."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any

import aiohttp
import pytest

from conversation_async.callbacks import (
    EventDeliveryEvent,
    MessageDeliveryEvent,
    MessageSubmitEvent,
    parse_callback,
)
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import CallbackDelivery, Emulator

from ..conftest import unused_port
from .callback_receiver import Receiver
from .conftest import Api, create_app, fast_callbacks, send_body

SECRET = "webhook-secret"
SIGNATURE_HEADERS = {
    "x-sinch-webhook-signature",
    "x-sinch-webhook-signature-nonce",
    "x-sinch-webhook-signature-timestamp",
    "x-sinch-webhook-signature-algorithm",
}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A started emulator with millisecond callback delays and back-off."""
    async with Emulator(seed=1) as emulator:
        yield fast_callbacks(emulator)


async def hook(api: Api, app_id: str, url: str, *triggers: str, secret: str = "") -> None:
    """Create a webhook through the API."""
    body = {"app_id": app_id, "target": url, "triggers": list(triggers), "secret": secret}
    await api.ok("POST", "webhooks", json_body=body)


async def app_with_hook(api: Api, receiver: Receiver, *triggers: str, secret: str = "") -> str:
    """An app with one webhook on ``receiver``; returns the app ID."""
    app_id = await create_app(api)
    await hook(api, app_id, receiver.url(), *triggers, secret=secret)
    return app_id


async def send(api: Api, app_id: str, **extra: Any) -> str:
    """Send a text message from ``app_id``; returns the message ID."""
    reply = await api.call("POST", ":send", json_body=send_body(app_id=app_id, **extra))
    assert reply.status == 200, reply.body
    return str(reply.body["message_id"])


def statuses(events: list[Any]) -> list[str]:
    """The trigger of each parsed event, with the delivery status for reports."""
    return [
        f"{event.trigger}:{event.message_delivery_report.status}"
        if isinstance(event, MessageDeliveryEvent)
        else str(event.trigger)
        for event in events
    ]


RECEIPTS = ["MESSAGE_SUBMIT", "MESSAGE_DELIVERY:QUEUED_ON_CHANNEL", "MESSAGE_DELIVERY:DELIVERED"]


async def test_api_webhook_gets_submit_queued_delivered_in_order_signed(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """A webhook created via the API gets MESSAGE_SUBMIT, QUEUED_ON_CHANNEL, DELIVERED in
    order, each signed with its secret and readable by parse_callback."""
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT", "MESSAGE_DELIVERY", secret=SECRET)
    message_id = await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    received = receiver.at("hook")
    assert all(item.verifies(SECRET) for item in received)
    assert all(item.headers["Content-Type"] == "application/json" for item in received)
    events = [item.event() for item in received]
    assert statuses(events) == RECEIPTS
    submit = events[0]
    assert isinstance(submit, MessageSubmitEvent)
    assert submit.message_submit_notification.message_id == message_id
    assert submit.message_submit_notification.submitted_message is not None
    assert submit.message_submit_notification.submitted_message.content == TextMessage(text="hello")
    assert {event.app_id for event in events} == {app_id}
    assert {event.project_id for event in events} == {emu.project_id}
    assert all(event.accepted_time and event.event_time for event in events)
    assert emu.callbacks_delivered == 3
    assert emu.callbacks_failed == 0


async def test_envelope_carries_conversation_metadata_and_correlation_id(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """message_metadata is the serialized conversation_metadata, correlation_id is echoed,
    and the reports' metadata is the send's message_metadata."""
    app_id = await app_with_hook(api, receiver, "MESSAGE_DELIVERY")
    await send(
        api,
        app_id,
        conversation_metadata={"order": 42},
        correlation_id="corr-1",
        message_metadata="meta-1",
    )
    await emu.callbacks_settled(timeout=2)
    bodies = [item.json() for item in receiver.received]
    assert [body["message_metadata"] for body in bodies] == ['{"order":42}'] * 2
    assert [body["correlation_id"] for body in bodies] == ["corr-1"] * 2
    assert [body["message_delivery_report"]["metadata"] for body in bodies] == ["meta-1"] * 2


async def test_envelope_without_metadata_has_empty_metadata_and_no_correlation_id(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """Without conversation_metadata and correlation_id the envelope has "" and no key."""
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    (body,) = [item.json() for item in receiver.received]
    assert body["message_metadata"] == ""
    assert "correlation_id" not in body
    payload_keys = set(body) - {
        "app_id",
        "project_id",
        "accepted_time",
        "event_time",
        "message_metadata",
    }
    assert payload_keys == {"message_submit_notification"}


async def test_only_subscribed_triggers_arrive(api: Api, emu: Emulator, receiver: Receiver) -> None:
    """A webhook subscribed to MESSAGE_DELIVERY only gets the two reports, no submit."""
    app_id = await app_with_hook(api, receiver, "MESSAGE_DELIVERY")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    assert statuses([item.event() for item in receiver.received]) == RECEIPTS[1:]


async def test_webhook_without_secret_sends_no_signature_headers(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """Callbacks to a webhook without a secret carry none of the signature headers."""
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    (item,) = receiver.received
    assert not SIGNATURE_HEADERS & {name.lower() for name in item.headers}


async def test_callback_url_gets_receipts_signed_with_override_secret_not_webhooks(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """A send's callback_url gets its receipts, signed with the app's override secret,
    and the app's webhooks get none of them."""
    app_id = await create_app(
        api, callback_settings={"secret_for_overridden_callback_urls": "override"}
    )
    await hook(api, app_id, receiver.url(), "MESSAGE_SUBMIT", "MESSAGE_DELIVERY", secret=SECRET)
    await send(api, app_id, callback_url=receiver.url("override"))
    await emu.callbacks_settled(timeout=2)
    assert receiver.at("hook") == []
    received = receiver.at("override")
    assert all(item.verifies("override") for item in received)
    assert statuses([item.event() for item in received]) == RECEIPTS


async def test_callback_url_of_unknown_app_is_unsigned(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """A callback_url send from an app that does not exist gets unsigned receipts."""
    await send(api, "no-such-app", callback_url=receiver.url("override"))
    await emu.callbacks_settled(timeout=2)
    assert len(receiver.received) == 3
    assert not any(SIGNATURE_HEADERS & set(item.headers) for item in receiver.received)


async def test_failure_rate_one_ends_failed_with_reason(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """With delivery_failure_rate 1.0 the final report is FAILED, RECIPIENT_NOT_REACHABLE."""
    emu.delivery_failure_rate = 1.0
    app_id = await app_with_hook(api, receiver, "MESSAGE_DELIVERY")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    final = receiver.received[-1].event()
    assert isinstance(final, MessageDeliveryEvent)
    report = final.message_delivery_report
    assert report.status == "FAILED"
    assert report.reason is not None
    assert report.reason.code == "RECIPIENT_NOT_REACHABLE"
    assert report.reason.description


async def test_failures_are_reproducible_with_a_seed(receiver: Receiver) -> None:
    """Two emulators with the same seed fail the same messages."""
    outcomes = []
    for _ in range(2):
        async with Emulator(seed=42) as emulator, emulator.client() as client:
            fast_callbacks(emulator).delivery_failure_rate = 0.5
            emulator.add_webhook("app", receiver.url(), triggers=["MESSAGE_DELIVERY"])
            sent = [
                await client.messages.send(
                    app_id="app",
                    recipient=IdentifiedRecipient.of(("SMS", "+46700000001")),
                    message=TextMessage(text="hi"),
                )
                for _ in range(12)
            ]
            await emulator.callbacks_settled(timeout=2)
            final = {
                report["message_id"]: report["status"]
                for report in (r.json()["message_delivery_report"] for r in emulator.callbacks)
                if report["status"] != "QUEUED_ON_CHANNEL"
            }
            outcomes.append([final[response.message_id] for response in sent])
    assert outcomes[0] == outcomes[1]
    assert {"FAILED", "DELIVERED"} == set(outcomes[0])


async def test_receiver_failing_twice_gets_delivery_on_attempt_three_in_order(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """After 500, 500 the submit is delivered on attempt 3 and the reports still follow it."""
    receiver.answer(500, 500)
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT", "MESSAGE_DELIVERY")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    first = emu.callbacks[0]
    assert (first.trigger, first.attempts, first.status, first.delivered) == (
        "MESSAGE_SUBMIT",
        3,
        200,
        True,
    )
    assert first.last_error == "HTTP 500"
    arrivals = [parse_callback(item.body) for item in receiver.received]
    assert statuses(arrivals) == [RECEIPTS[0]] * 3 + RECEIPTS[1:]
    assert emu.callbacks_delivered == 3


async def test_receiver_always_failing_is_given_up_after_max_attempts(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """A target answering 503 forever is tried callback_max_attempts times, then given up."""
    receiver.always = 503
    emu.callback_max_attempts = 3
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    assert emu.callbacks == [
        CallbackDelivery(
            target=receiver.url(),
            trigger="MESSAGE_SUBMIT",
            body=receiver.received[0].body,
            headers=emu.callbacks[0].headers,
            attempts=3,
            status=503,
            delivered=False,
            last_error="HTTP 503",
        )
    ]
    assert len(receiver.received) == 3
    assert (emu.callbacks_delivered, emu.callbacks_failed) == (0, 1)


async def test_unreachable_target_is_given_up_with_a_connection_error(
    api: Api, emu: Emulator
) -> None:
    """Connection errors are retried too; the record has no status and names the error."""
    emu.callback_max_attempts = 2
    app_id = await create_app(api)
    await hook(api, app_id, f"http://127.0.0.1:{unused_port()}/hook", "MESSAGE_SUBMIT")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    (record,) = emu.callbacks
    assert (record.attempts, record.status, record.delivered) == (2, None, False)
    assert record.last_error is not None
    assert "Connect" in record.last_error
    assert emu.callbacks_failed == 1


async def test_slow_target_times_out_and_is_retried(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """An answer slower than callback_timeout counts as a failed attempt."""
    emu.callback_timeout = 0.05
    emu.callback_max_attempts = 2
    receiver.delay = 0.5
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT")
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    (record,) = emu.callbacks
    assert (record.attempts, record.delivered) == (2, False)
    assert record.last_error is not None
    assert "timed out" in record.last_error


async def test_each_attempt_is_signed_afresh(api: Api, emu: Emulator, receiver: Receiver) -> None:
    """A retried callback has the same body but a new nonce, and every attempt verifies."""
    receiver.answer(500)
    app_id = await app_with_hook(api, receiver, "MESSAGE_SUBMIT", secret=SECRET)
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    first, second = receiver.received
    assert first.body == second.body
    nonce = "x-sinch-webhook-signature-nonce"
    assert first.headers[nonce] != second.headers[nonce]
    assert first.verifies(SECRET)
    assert second.verifies(SECRET)


async def test_event_send_gets_event_delivery_reports(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """events:send is followed by EVENT_DELIVERY QUEUED_ON_CHANNEL then DELIVERED."""
    app_id = await app_with_hook(api, receiver, "EVENT_DELIVERY", secret=SECRET)
    body = send_body(app_id=app_id, event_metadata="ev-meta")
    del body["message"]
    body["event"] = {"composing_event": {}}
    sent = await api.ok("POST", "events:send", json_body=body)
    await emu.callbacks_settled(timeout=2)
    events = [item.event() for item in receiver.received]
    assert all(item.verifies(SECRET) for item in receiver.received)
    reports = [
        event.event_delivery_report for event in events if isinstance(event, EventDeliveryEvent)
    ]
    assert len(reports) == len(events)
    assert [report.status for report in reports] == ["QUEUED_ON_CHANNEL", "DELIVERED"]
    assert {report.event_id for report in reports} == {sent["event_id"]}
    assert {report.metadata for report in reports} == {"ev-meta"}


async def test_dismiss_webhooks_receive_nothing(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    """A webhook with target_type DISMISS is never called."""
    app_id = await create_app(api)
    body = {
        "app_id": app_id,
        "target": receiver.url(),
        "target_type": "DISMISS",
        "triggers": ["MESSAGE_SUBMIT"],
    }
    await api.ok("POST", "webhooks", json_body=body)
    await send(api, app_id)
    await emu.callbacks_settled(timeout=2)
    assert receiver.received == []
    assert emu.callbacks == []


async def test_stop_with_deliveries_pending_leaves_nothing_behind(receiver: Receiver) -> None:
    """stop() cancels pending and in-flight deliveries: no task, no open session left."""
    receiver.delay = 5.0  # the first callback is in flight when stop() runs
    emulator = Emulator()
    await emulator.start()
    emulator.delivery_delay = 0.0
    emulator.add_webhook("app", receiver.url(), triggers=["MESSAGE_INBOUND"])
    emulator.add_webhook("app", receiver.url("other"), triggers=["CONVERSATION_START"])
    emulator.inbound_message("app", ("SMS", "+46700000001"), text="hello")
    await asyncio.wait_for(receiver.arrived.wait(), timeout=2)
    emulator.delivery_delay = 10.0
    emulator.inbound_message("app", ("SMS", "+46700000002"), text="later")
    assert emulator.callbacks_pending > 0
    await emulator.stop()
    assert emulator.callbacks_pending == 0
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if "CallbackSender" in getattr(task.get_coro(), "__qualname__", "")
    ]
    assert leftovers == []
    gc.collect()
    open_sessions = [
        obj for obj in gc.get_objects() if isinstance(obj, aiohttp.ClientSession) and not obj.closed
    ]
    assert open_sessions == []


async def test_settled_raises_timeout_error_while_deliveries_pend(
    emu: Emulator, receiver: Receiver
) -> None:
    """callbacks_settled gives up with TimeoutError after its timeout."""
    emu.delivery_delay = 10.0
    emu.add_webhook("app", receiver.url(), triggers=["MESSAGE_INBOUND"])
    emu.inbound_message("app", ("SMS", "+46700000001"), text="hello")
    with pytest.raises(TimeoutError):
        await emu.callbacks_settled(timeout=0.01)


async def test_reset_cancels_pending_deliveries_and_clears_the_log(
    emu: Emulator, receiver: Receiver
) -> None:
    """reset() cancels what is pending and forgets records and counters."""
    emu.add_webhook("app", receiver.url(), triggers=["MESSAGE_INBOUND"])
    emu.inbound_message("app", ("SMS", "+46700000001"), text="hello")
    await emu.callbacks_settled(timeout=2)
    emu.delivery_delay = 10.0
    emu.inbound_message("app", ("SMS", "+46700000001"), text="again")
    emu.reset()
    await emu.callbacks_settled(timeout=1)
    assert (emu.callbacks, emu.callbacks_delivered, emu.callbacks_failed) == ([], 0, 0)
    assert len(receiver.received) == 1


class _TaskSpy:
    """A task factory that records the coroutine name of every task created."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any],
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        self.names.append(getattr(coro, "__qualname__", ""))
        return asyncio.Task(coro, loop=loop, **kwargs)


@pytest.fixture
async def task_spy() -> AsyncIterator[_TaskSpy]:
    """Record every task created on the running loop during the test."""
    loop = asyncio.get_running_loop()
    spy = _TaskSpy()
    previous = loop.get_task_factory()
    loop.set_task_factory(spy)
    yield spy
    loop.set_task_factory(previous)


async def test_send_without_webhook_creates_no_task(
    api: Api, emu: Emulator, task_spy: _TaskSpy
) -> None:
    """With no webhook and no callback_url, sends start no callback task and log nothing."""
    for _ in range(5):
        await send(api, "app-1")
    assert task_spy.names  # the spy works: the server ran request handlers as tasks
    assert not [name for name in task_spy.names if "CallbackSender" in name]
    assert emu.callbacks == []


async def test_send_with_only_unrelated_webhooks_creates_no_task(
    api: Api, emu: Emulator, receiver: Receiver, task_spy: _TaskSpy
) -> None:
    """Webhooks of another app, or not subscribed to receipts, start no callback task."""
    emu.add_webhook("other-app", receiver.url(), triggers=["MESSAGE_SUBMIT"])
    emu.add_webhook("app-1", receiver.url("inbound"), triggers=["MESSAGE_INBOUND"])
    await send(api, "app-1")
    assert not [name for name in task_spy.names if "CallbackSender" in name]
    assert emu.callbacks == []


def test_add_webhook_rejects_unknown_triggers() -> None:
    """add_webhook validates like the API: an unknown trigger is a ValueError."""
    with pytest.raises(ValueError, match="triggers"):
        Emulator().add_webhook("app", "http://127.0.0.1:1/h", triggers=["NOPE"])


def test_add_webhook_returns_the_stored_webhook() -> None:
    """add_webhook stores the webhook (no app needed) and returns it as the API would."""
    emulator = Emulator()
    webhook = emulator.add_webhook(
        "app", "http://127.0.0.1:1/h", triggers=["MESSAGE_INBOUND"], secret="s"
    )
    assert webhook == {
        "id": webhook["id"],
        "app_id": "app",
        "target": "http://127.0.0.1:1/h",
        "target_type": "HTTP",
        "secret": "s",
        "triggers": ["MESSAGE_INBOUND"],
    }
    assert emulator.store.webhooks == {webhook["id"]: webhook}


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("delivery_delay", -1.0),
        ("delivery_failure_rate", 1.5),
        ("callback_timeout", 0.0),
        ("callback_retry_base", -0.1),
        ("callback_max_attempts", 0),
    ],
)
def test_callback_knobs_reject_out_of_range_values(knob: str, value: float) -> None:
    """Each callback knob refuses a value outside its range."""
    with pytest.raises(ValueError, match=knob):
        setattr(Emulator(), knob, value)


def test_callback_knob_defaults() -> None:
    """Defaults: 10 ms delay, no failures, 5 s timeout, 50 ms back-off base, 5 attempts."""
    emulator = Emulator()
    assert (
        emulator.delivery_delay,
        emulator.delivery_failure_rate,
        emulator.callback_timeout,
        emulator.callback_retry_base,
        emulator.callback_max_attempts,
    ) == (0.01, 0.0, 5.0, 0.05, 5)
