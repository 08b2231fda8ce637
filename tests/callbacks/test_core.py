"""The receiver core without sockets: ``receiver.receive(headers, body)``, ack modes,
shared stores and the sink it hands callbacks to."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from conversation_async.callbacks import (
    CallbackEvent,
    CallbackReceiver,
    Mark,
    MemoryDedupeStore,
    MessageInboundEvent,
    SignatureVerifier,
)
from conversation_async.callbacks._receiver_core import (
    ReceiverCore,
    ReceiverStats,
    VerifiedCallback,
)
from tests.callbacks.support import SECRET, delivery, inbound, signed


async def post(
    receiver: CallbackReceiver, body: bytes, headers: dict[str, str] | None = None
) -> int:
    return await receiver.receive(signed(body) if headers is None else headers, body)


def counting(receiver: CallbackReceiver, fail: set[str] | None = None) -> Counter[str]:
    """Count handled inbound message ids; ids in ``fail`` raise on their first run."""
    handled: Counter[str] = Counter()
    failing = set(fail or ())

    @receiver.on(MessageInboundEvent)
    async def handler(event: MessageInboundEvent) -> None:
        message_id = event.message.id or ""
        if message_id in failing:
            failing.discard(message_id)
            raise RuntimeError("handler bug")
        handled[message_id] += 1

    return handled


async def settle(receiver: CallbackReceiver) -> None:
    for _ in range(200):
        if receiver.in_flight == 0:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("handlers still running")


async def test_receive_answers_like_a_web_handler_without_any_server() -> None:
    """Every refusal and the 200 come from the core itself: frameworks only translate."""
    receiver = CallbackReceiver(SECRET, max_body_size=400)
    body = delivery()
    assert await post(receiver, body) == 200
    assert await post(receiver, delivery("m2"), signed(delivery("m2"), "wrong")) == 401
    assert await post(receiver, body, signed(body, **{"Content-Type": "text/plain"})) == 415
    assert await post(receiver, inbound(text="x" * 500)) == 413
    assert await post(receiver, b"[]") == 400
    assert receiver.stats.accepted == 1
    assert set(receiver.stats.refused) == {
        "signature",
        "content type",
        "body too large",
        "malformed",
    }


async def test_body_chunks_are_read_only_up_to_the_limit() -> None:
    """A streamed body is refused as soon as it passes max_body_size; a short one is read whole."""
    receiver = CallbackReceiver(SECRET, max_body_size=300)
    pulled: list[int] = []

    async def chunks(body: bytes) -> AsyncIterator[bytes]:
        for i in range(0, len(body), 100):
            pulled.append(i)
            yield body[i : i + 100]

    big = inbound(text="x" * 2000)
    assert await receiver.receive(signed(big), chunks(big)) == 413
    assert len(pulled) == 4  # 400 bytes read of more than 2000
    small = delivery()
    assert await receiver.receive(signed(small), chunks(small)) == 200


async def test_after_handler_answers_200_only_once_the_handler_finished() -> None:
    """The 200 means handled; a redelivery after it is a duplicate."""
    receiver = CallbackReceiver(SECRET, ack="after_handler")
    finished: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def slow(event: MessageInboundEvent) -> None:
        await asyncio.sleep(0.05)
        finished.append(event.message.id or "")

    assert await post(receiver, inbound("a")) == 200
    assert finished == ["a"]
    assert await post(receiver, inbound("a")) == 200
    assert finished == ["a"]
    assert receiver.stats.duplicates == 1


async def test_after_handler_failure_is_500_and_the_redelivery_is_handled() -> None:
    """A raising handler makes Sinch retry (500); the retry runs the handler again and gets 200."""
    receiver = CallbackReceiver(SECRET, ack="after_handler")
    handled = counting(receiver, fail={"a"})
    assert await post(receiver, inbound("a")) == 500
    assert handled == {}
    assert await post(receiver, inbound("a")) == 200
    assert await post(receiver, inbound("a")) == 200
    assert handled == {"a": 1}
    stats = receiver.stats
    assert (stats.accepted, stats.handler_errors, stats.duplicates) == (2, 1, 1)


async def test_after_handler_concurrent_duplicate_is_503_and_never_runs_twice() -> None:
    """A redelivery arriving mid-handling gets 503 (retry later): never handled twice at once."""
    receiver = CallbackReceiver(SECRET, ack="after_handler")
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def blocked(event: MessageInboundEvent) -> None:
        runs.append(event.message.id or "")
        started.set()
        await release.wait()

    first = asyncio.create_task(post(receiver, inbound("a")))
    await asyncio.wait_for(started.wait(), timeout=2)
    assert await post(receiver, inbound("a")) == 503
    release.set()
    assert await first == 200
    assert await post(receiver, inbound("a")) == 200
    assert runs == ["a"]
    assert receiver.stats.refused["in progress"] == 1


async def test_after_handler_handler_past_its_timeout_is_cancelled_and_answered_500() -> None:
    """A handler still running at handler_timeout is cancelled; the event is free again."""
    receiver = CallbackReceiver(SECRET, ack="after_handler", handler_timeout=0.05)
    cancelled: list[bool] = []
    calls = 0

    @receiver.on(MessageInboundEvent)
    async def stuck_once(event: MessageInboundEvent) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

    assert await post(receiver, inbound("a")) == 500
    assert cancelled == [True]
    assert await post(receiver, inbound("a")) == 200
    assert calls == 2
    assert receiver.stats.handler_errors == 1


async def test_immediately_a_failed_handler_is_only_logged_and_not_run_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the default ack the 200 went out first, so the event counts as handled."""
    receiver = CallbackReceiver(SECRET)
    handled = counting(receiver, fail={"a"})
    with caplog.at_level(logging.ERROR, logger="conversation_async.callbacks"):
        assert await post(receiver, inbound("a")) == 200
        await settle(receiver)
    assert await post(receiver, inbound("a")) == 200
    await settle(receiver)
    assert handled == {}
    assert receiver.stats.duplicates == 1
    assert any("handler bug" in (r.exc_text or "") for r in caplog.records)


async def test_receivers_sharing_a_dedupe_store_skip_each_others_redeliveries() -> None:
    """What one worker handled, another behind the same URL acknowledges and skips."""
    store = MemoryDedupeStore()
    first = CallbackReceiver(SECRET, ack="after_handler", dedupe_store=store)
    second = CallbackReceiver(SECRET, ack="after_handler", dedupe_store=store)
    handled_first, handled_second = counting(first), counting(second)
    assert await post(first, inbound("a")) == 200
    assert await post(second, inbound("a")) == 200
    assert (handled_first, handled_second) == ({"a": 1}, {})
    assert second.stats.duplicates == 1


async def test_receivers_sharing_a_replay_store_refuse_a_replayed_signature() -> None:
    """The same signed request replayed to another worker is refused there (401)."""
    store = MemoryDedupeStore()
    first = CallbackReceiver(SECRET, replay_store=store)
    second = CallbackReceiver(SECRET, replay_store=store)
    body = delivery()
    headers = signed(body)
    assert await post(first, body, headers) == 200
    assert await post(second, body, headers) == 401
    assert second.stats.refused["signature"] == 1


class BrokenStore:
    """A store whose backend is down."""

    async def mark(self, key: str) -> Mark | None:
        raise ConnectionError("store down")

    async def claim(self, key: str, *, pending_for: float | None = None) -> Mark | None:
        raise ConnectionError("store down")

    async def finish(self, key: str) -> None:
        raise ConnectionError("store down")

    async def release(self, key: str) -> None:
        raise ConnectionError("store down")


@pytest.mark.parametrize("which", ["dedupe_store", "replay_store"])
async def test_store_outage_is_503_and_runs_nothing(which: str) -> None:
    """Without its memory the receiver cannot tell a duplicate: Sinch is asked to retry."""
    receiver = CallbackReceiver(SECRET, **{which: BrokenStore()})  # type: ignore[arg-type]
    handled = counting(receiver)
    assert await post(receiver, inbound("a")) == 503
    await settle(receiver)
    assert handled == {}
    assert receiver.stats.refused["store unavailable"] == 1


async def test_shutdown_cancels_a_stuck_after_handler_callback_and_frees_it() -> None:
    """Its request is answered 503 and its claim released: another worker can handle it."""
    store = MemoryDedupeStore()
    receiver = CallbackReceiver(
        SECRET, ack="after_handler", dedupe_store=store, shutdown_timeout=0.05
    )

    started = asyncio.Event()

    @receiver.on(MessageInboundEvent)
    async def stuck(event: MessageInboundEvent) -> None:
        started.set()
        await asyncio.sleep(10)

    request = asyncio.create_task(post(receiver, inbound("a")))
    await asyncio.wait_for(started.wait(), timeout=2)
    await receiver.shutdown()
    assert await request == 503
    other = CallbackReceiver(SECRET, ack="after_handler", dedupe_store=store)
    assert counting(other) == {}
    assert await post(other, inbound("a")) == 200


async def test_a_request_waiting_for_a_slot_at_shutdown_is_refused_not_run() -> None:
    """After shutdown begins, a callback still waiting for a slot gets 503, not handlers."""
    receiver = CallbackReceiver(SECRET, max_in_flight=1, shutdown_timeout=0.05)
    started = asyncio.Event()
    handled: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def stuck(event: MessageInboundEvent) -> None:
        handled.append(event.message.id or "")
        started.set()
        await asyncio.sleep(10)

    assert await post(receiver, inbound("a")) == 200
    await asyncio.wait_for(started.wait(), timeout=2)
    waiting = asyncio.create_task(post(receiver, inbound("b")))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await receiver.shutdown()
    assert await asyncio.wait_for(waiting, timeout=2) == 503
    assert handled == ["a"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ack": "later"}, "ack must be one of"),
        ({"handler_timeout": 0}, "positive"),
        ({"dedupe_store": MemoryDedupeStore(), "dedupe_window": 60}, "dedupe_window"),
        ({"replay_store": MemoryDedupeStore(), "verifier": SignatureVerifier(SECRET)}, "nonce"),
    ],
)
def test_conflicting_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    """One way to configure each thing: contradictions fail at construction."""
    with pytest.raises(ValueError, match=message):
        CallbackReceiver(SECRET, **kwargs)  # type: ignore[arg-type]


def test_replay_store_needs_signed_callbacks() -> None:
    """Nonces come with signatures: an unsigned receiver has none to remember."""
    with pytest.raises(ValueError, match="signed"):
        CallbackReceiver(None, allow_unsigned=True, replay_store=MemoryDedupeStore())


class Inbox:
    """A sink that only takes callbacks on (as a durable inbox would)."""

    def __init__(self, fail: bool = False) -> None:
        self.taken: list[VerifiedCallback] = []
        self.fail = fail

    def wants(self, event: CallbackEvent) -> bool:
        return True

    async def deliver(self, callback: VerifiedCallback) -> None:
        if self.fail:
            raise ConnectionError("inbox down")
        self.taken.append(callback)


def core_with(sink: Inbox, **options: object) -> ReceiverCore:
    settings: dict[str, object] = {
        "stats": ReceiverStats(),
        "verifier": SignatureVerifier(SECRET),
        "replay_store": None,
        "dedupe_store": MemoryDedupeStore(),
        "ack": "after_handler",
        "max_body_size": 1 << 20,
        "max_in_flight": 10,
        "handler_timeout": 5.0,
        "shutdown_timeout": 1.0,
    }
    return ReceiverCore(sink, **{**settings, **options})  # type: ignore[arg-type]


async def test_a_sink_gets_the_raw_verified_body_and_its_key_once() -> None:
    """The plug-in point gets each first-seen callback once: raw body, event and key."""
    inbox = Inbox()
    core = core_with(inbox)
    body = delivery("m9", "READ")
    assert await core.receive(signed(body), body) == 200
    assert await core.receive(signed(body), body) == 200
    (taken,) = inbox.taken
    assert taken.body == body
    assert taken.key == "MESSAGE_DELIVERY:m9:READ"


async def test_a_failing_sink_is_500_logged_and_released(caplog: pytest.LogCaptureFixture) -> None:
    """A sink that cannot take the callback leaves no mark: Sinch's retry gets in."""
    store = MemoryDedupeStore()
    core = core_with(Inbox(fail=True), dedupe_store=store)
    body = delivery("m1", "DELIVERED")
    with caplog.at_level(logging.ERROR, logger="conversation_async.callbacks"):
        assert await core.receive(signed(body), body) == 500
    assert any("callback sink failed" in r.getMessage() for r in caplog.records)
    assert await store.mark("MESSAGE_DELIVERY:m1:DELIVERED") is None
