"""CallbackReceiver on a real aiohttp.web server over loopback: refusals, dispatch, limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conversation_async.callbacks import (
    CallbackEvent,
    CallbackReceiver,
    ContactCreateEvent,
    MessageDeliveryEvent,
    MessageInboundEvent,
    SignatureVerifier,
    UnknownCallbackEvent,
    Verdict,
    dedupe_key,
    parse_callback,
    signature_headers,
)
from conversation_async.callbacks._signature import Headers
from tests.callbacks.support import SECRET, delivery, inbound, signed


class Harness:
    """A receiver mounted at /callbacks on a loopback server, and a client to post to it."""

    def __init__(self, receiver: CallbackReceiver, client: TestClient[Any, Any]) -> None:
        self.receiver = receiver
        self.client = client

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> int:
        headers = signed(body) if headers is None else headers
        async with self.client.post("/callbacks", data=body, headers=headers) as response:
            await response.read()
            return response.status


@contextlib.asynccontextmanager
async def serve(receiver: CallbackReceiver) -> AsyncIterator[Harness]:
    """Serve ``receiver`` on loopback for the block; shutting the app down runs its hook."""
    app = web.Application()
    app.router.add_post("/callbacks", receiver.handle)
    app.on_shutdown.append(receiver.shutdown)
    async with TestClient(TestServer(app)) as client:
        yield Harness(receiver, client)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with serve(CallbackReceiver(SECRET)) as h:
        yield h


async def settle(receiver: CallbackReceiver) -> None:
    """Let handler tasks started by the requests run to completion."""
    for _ in range(100):
        if receiver.in_flight == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("handlers still running")


async def test_signed_callback_reaches_its_typed_handler(harness: Harness) -> None:
    """A valid delivery receipt is answered 200 and handed to the handler, typed."""
    seen: list[MessageDeliveryEvent] = []

    @harness.receiver.on(MessageDeliveryEvent)
    async def on_delivery(event: MessageDeliveryEvent) -> None:
        seen.append(event)

    assert await harness.post(delivery()) == 200
    await settle(harness.receiver)
    assert [e.message_delivery_report.status for e in seen] == ["DELIVERED"]


async def test_handlers_are_chosen_by_type(harness: Harness) -> None:
    """A handler for MessageInboundEvent does not see delivery receipts; CallbackEvent sees all."""
    inbound_seen: list[CallbackEvent] = []
    everything: list[CallbackEvent] = []
    harness.receiver.on(MessageInboundEvent)(_collect(inbound_seen))
    harness.receiver.on(CallbackEvent)(_collect(everything))
    await harness.post(delivery())
    await harness.post(inbound())
    await settle(harness.receiver)
    assert [type(e) for e in inbound_seen] == [MessageInboundEvent]
    assert {type(e) for e in everything} == {MessageInboundEvent, MessageDeliveryEvent}


async def test_unknown_payload_goes_to_unknown_handlers(harness: Harness) -> None:
    """A trigger this SDK does not know still reaches on(UnknownCallbackEvent)."""
    seen: list[CallbackEvent] = []
    harness.receiver.on(UnknownCallbackEvent)(_collect(seen))
    body = json.dumps({"app_id": "a", "brand_new_notification": {"x": 1}}).encode()
    assert await harness.post(body) == 200
    await settle(harness.receiver)
    assert isinstance(seen[0], UnknownCallbackEvent)


@pytest.mark.parametrize(
    "headers",
    [
        signed(delivery(), secret="wrong-secret"),
        {"Content-Type": "application/json"},
    ],
    ids=["wrong-secret", "unsigned"],
)
async def test_bad_signature_is_401_without_running_handlers(
    harness: Harness, headers: dict[str, str]
) -> None:
    """A callback that does not verify is refused, and no handler runs."""
    seen: list[CallbackEvent] = []
    harness.receiver.on(CallbackEvent)(_collect(seen))
    assert await harness.post(delivery(), headers) == 401
    await settle(harness.receiver)
    assert seen == []


async def test_refusal_does_not_tell_the_sender_why(harness: Harness) -> None:
    """The 401 body is empty: the reason is only logged."""
    async with harness.client.post(
        "/callbacks", data=delivery(), headers=signed(delivery(), secret="guess")
    ) as response:
        assert response.status == 401
        assert await response.read() == b""


async def test_each_verdict_is_logged_at_debug_with_its_reason(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The sender learns nothing, but the DEBUG log says what was accepted and why a
    callback was refused."""
    caplog.set_level(logging.DEBUG, logger="conversation_async.callbacks")
    assert await harness.post(delivery()) == 200
    assert await harness.post(delivery("m2"), signed(delivery("m2"), secret="guess")) == 401
    messages = [r.getMessage() for r in caplog.records]
    assert any("MESSAGE_DELIVERY callback accepted" in m for m in messages), messages
    assert any("refused with 401" in m and "signature does not match" in m for m in messages)


async def test_replayed_request_is_401(harness: Harness) -> None:
    """The same signed request sent twice (same nonce) is a replay."""
    body = delivery()
    headers = signed(body)
    assert await harness.post(body, headers) == 200
    assert await harness.post(body, headers) == 401


async def test_stale_timestamp_is_401(harness: Harness) -> None:
    """A signature older than the window is refused."""
    body = delivery()
    headers = {
        **signature_headers(SECRET, body, timestamp=int(time.time()) - 3600),
        "Content-Type": "application/json",
    }
    assert await harness.post(body, headers) == 401


async def test_tampered_body_is_401(harness: Harness) -> None:
    """Changing the body after signing breaks the signature."""
    headers = signed(delivery(status="FAILED"))
    assert await harness.post(delivery(status="DELIVERED"), headers) == 401


async def test_malformed_callback_is_400(harness: Harness) -> None:
    """A validly signed body that is not a Sinch event is a bad request."""
    for body in (b"{not json", b"[]", b'{"app_id": "only envelope"}'):
        assert await harness.post(body) == 400
    assert harness.receiver.stats.refused["malformed"] == 3


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_wrong_content_type_is_415(harness: Harness, content_type: str) -> None:
    """Only JSON bodies are accepted."""
    body = delivery()
    assert await harness.post(body, signed(body, **{"Content-Type": content_type})) == 415


async def test_json_with_charset_is_accepted(harness: Harness) -> None:
    """application/json; charset=utf-8 is JSON."""
    body = delivery()
    headers = signed(body, **{"Content-Type": "application/json; charset=utf-8"})
    assert await harness.post(body, headers) == 200


async def test_oversized_body_is_413() -> None:
    """A body over max_body_size is refused before verification."""
    async with serve(CallbackReceiver(SECRET, max_body_size=200)) as h:
        body = inbound(text="x" * 500)
        assert await h.post(body) == 413


async def test_oversized_chunked_body_is_413() -> None:
    """Without a Content-Length the cap still holds while reading."""
    async with serve(CallbackReceiver(SECRET, max_body_size=200)) as h:
        body = inbound(text="x" * 500)

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(body), 64):
                yield body[i : i + 64]

        async with h.client.post("/callbacks", data=chunks(), headers=signed(body)) as response:
            assert response.status == 413


async def test_slow_handler_does_not_delay_the_answer(harness: Harness) -> None:
    """The 200 goes out while the handler is still working."""
    release = asyncio.Event()
    finished: list[bool] = []

    @harness.receiver.on(MessageInboundEvent)
    async def slow(event: MessageInboundEvent) -> None:
        await release.wait()
        finished.append(True)

    assert await asyncio.wait_for(harness.post(inbound()), timeout=2) == 200
    assert finished == []
    assert harness.receiver.in_flight == 1
    release.set()
    await settle(harness.receiver)
    assert finished == [True]


async def test_full_receiver_makes_the_sender_wait_instead_of_dropping() -> None:
    """With max_in_flight handlers busy, the next callback waits for room, then runs."""
    release = asyncio.Event()
    handled: list[str] = []
    receiver = CallbackReceiver(SECRET, max_in_flight=2)

    @receiver.on(MessageInboundEvent)
    async def blocked(event: MessageInboundEvent) -> None:
        await release.wait()
        handled.append(event.message.id or "")

    async with serve(receiver) as h:
        assert await h.post(inbound("a")) == 200
        assert await h.post(inbound("b")) == 200
        third = asyncio.create_task(h.post(inbound("c")))
        await asyncio.sleep(0.2)
        assert not third.done()
        release.set()
        assert await asyncio.wait_for(third, timeout=2) == 200
        await settle(receiver)
    assert sorted(handled) == ["a", "b", "c"]


async def test_redelivery_is_acknowledged_but_handled_once(harness: Harness) -> None:
    """The same receipt re-signed with a new nonce is a duplicate: 200, handler not rerun."""
    seen: list[CallbackEvent] = []
    harness.receiver.on(MessageDeliveryEvent)(_collect(seen))
    assert await harness.post(delivery("m7", "DELIVERED")) == 200
    assert await harness.post(delivery("m7", "DELIVERED")) == 200
    assert await harness.post(delivery("m7", "READ")) == 200
    await settle(harness.receiver)
    assert [e.message_delivery_report.status for e in seen] == ["DELIVERED", "READ"]
    assert harness.receiver.stats.duplicates == 1


class CountingVerifier(SignatureVerifier):
    """Counts verified callbacks. The receiver does not await between the verdict and its
    wait for a handler slot, so once the count moves that request is waiting (or past)."""

    def __init__(self) -> None:
        super().__init__(SECRET)
        self.verified = 0

    def verify(self, headers: Headers, body: bytes | str) -> Verdict:
        self.verified += 1
        return super().verify(headers, body)


class Cancellable:
    """``receiver.handle`` on a loopback aiohttp.web server with ``handler_cancellation``:
    a request is cancelled on the server when its sender gives up, as in production."""

    def __init__(self, receiver: CallbackReceiver, session: aiohttp.ClientSession) -> None:
        self.receiver = receiver
        self.session = session
        self.url = ""
        self.cancelled = 0  # server-side requests cancelled because their sender left
        self.senders: list[asyncio.Task[int]] = []

    async def route(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.receiver.handle(request)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def post(self, body: bytes) -> int:
        """Deliver ``body`` freshly signed (new nonce), as Sinch does on every retry."""
        async with self.session.post(self.url, data=body, headers=signed(body)) as response:
            await response.read()
            return response.status

    def send(self, body: bytes) -> asyncio.Task[int]:
        """:meth:`post` in the background; still running at the end of the block, cancelled."""
        sender = asyncio.create_task(self.post(body))
        self.senders.append(sender)
        return sender


@contextlib.asynccontextmanager
async def serve_cancellable(
    receiver: CallbackReceiver, release: asyncio.Event
) -> AsyncIterator[Cancellable]:
    """Serve ``receiver`` for the block; on the way out (even after a failed assertion)
    ``release`` frees blocked handlers and unanswered senders are cancelled."""
    app = web.Application()
    async with aiohttp.ClientSession() as session:
        server = Cancellable(receiver, session)
        app.router.add_post("/callbacks", server.route)
        app.on_shutdown.append(receiver.shutdown)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            server.url = f"http://127.0.0.1:{runner.addresses[0][1]}/callbacks"
            yield server
        finally:
            release.set()
            for sender in server.senders:
                sender.cancel()
            await asyncio.gather(*server.senders, return_exceptions=True)
            await runner.cleanup()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (about 3 s at most) for ``condition``, letting the loop run in between."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.003)
    raise AssertionError("condition not reached")


def blocking_receiver(
    max_in_flight: int,
) -> tuple[CallbackReceiver, CountingVerifier, asyncio.Event, Counter[str]]:
    """A receiver whose inbound handler holds its slot until the event is set and counts
    how often each message id was handled."""
    verifier = CountingVerifier()
    receiver = CallbackReceiver(
        None, verifier=verifier, max_in_flight=max_in_flight, shutdown_timeout=1
    )
    release = asyncio.Event()
    handled: Counter[str] = Counter()

    @receiver.on(MessageInboundEvent)
    async def blocked(event: MessageInboundEvent) -> None:
        await release.wait()
        handled[event.message.id or ""] += 1

    return receiver, verifier, release, handled


async def test_callback_whose_sender_gave_up_while_waiting_is_handled_on_redelivery() -> None:
    """Issue 11: a request cancelled while it waits for a handler slot records nothing, so
    Sinch's redelivery of the event is handled (once), not skipped as a duplicate."""
    receiver, verifier, release, handled = blocking_receiver(max_in_flight=2)
    async with serve_cancellable(receiver, release) as server:
        assert [await server.post(inbound(i)) for i in "ab"] == [200, 200]  # slots full
        waiting = [server.send(inbound(i)) for i in "cde"]
        await until(lambda: verifier.verified == 5)  # c, d and e wait for a slot
        for sender in waiting:  # the senders time out
            sender.cancel()
        await asyncio.wait(waiting)
        await until(lambda: server.cancelled == 3)
        accepted_before_redelivery = receiver.stats.accepted
        release.set()
        await settle(receiver)
        assert [await server.post(inbound(i)) for i in "abcde"] == [200] * 5  # redeliveries
        await settle(receiver)
    assert handled == dict.fromkeys("abcde", 1)
    assert accepted_before_redelivery == 2  # the cancelled waits counted for nothing
    stats = receiver.stats
    assert (stats.accepted, stats.handled, stats.duplicates) == (5, 5, 2)  # a, b redelivered
    assert stats.handler_errors == 0
    assert not stats.refused


async def test_deliveries_of_one_event_waiting_together_are_handled_once() -> None:
    """Two deliveries of the same event both waiting for a slot: the first to get one is
    accepted, the other is acknowledged as a duplicate."""
    receiver, verifier, release, handled = blocking_receiver(max_in_flight=1)
    async with serve_cancellable(receiver, release) as server:
        assert await server.post(inbound("a")) == 200
        twins = [server.send(inbound("c")) for _ in range(2)]
        await until(lambda: verifier.verified == 3)
        assert receiver.stats.duplicates == 0  # neither is known yet: both wait
        release.set()
        assert await asyncio.wait_for(asyncio.gather(*twins), timeout=3) == [200, 200]
        await settle(receiver)
    assert handled == {"a": 1, "c": 1}
    stats = receiver.stats
    assert (stats.accepted, stats.handled, stats.duplicates) == (2, 2, 1)


async def test_known_duplicate_is_acknowledged_without_waiting_for_a_slot() -> None:
    """A redelivery of an accepted event is answered at once, even when the receiver is full."""
    receiver, _verifier, release, handled = blocking_receiver(max_in_flight=1)
    async with serve_cancellable(receiver, release) as server:
        assert await server.post(inbound("a")) == 200
        assert await asyncio.wait_for(server.post(inbound("a")), timeout=3) == 200
        assert receiver.stats.duplicates == 1
        release.set()
        await settle(receiver)
    assert handled == {"a": 1}


def test_dedupe_key_uses_ids_and_falls_back_to_the_body() -> None:
    """Receipts key on id+status, inbound messages on id, other events on the body hash."""
    assert dedupe_key(parse_callback(delivery("m", "READ")), b"") == "MESSAGE_DELIVERY:m:READ"
    assert dedupe_key(parse_callback(inbound("i")), b"") == "MESSAGE_INBOUND:i"
    contact = json.dumps({"contact_create_notification": {"contact": {"id": "c"}}}).encode()
    event = parse_callback(contact)
    assert isinstance(event, ContactCreateEvent)
    assert dedupe_key(event, contact).startswith("body:")


async def test_failing_handler_is_logged_and_other_events_still_run(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """One handler's exception is logged; the next callbacks are handled normally."""
    handled: list[str] = []

    @harness.receiver.on(MessageInboundEvent)
    async def flaky(event: MessageInboundEvent) -> None:
        if event.message.id == "boom":
            raise RuntimeError("handler bug")
        handled.append(event.message.id or "")

    with caplog.at_level(logging.ERROR, logger="conversation_async.callbacks"):
        assert await harness.post(inbound("boom")) == 200
        assert await harness.post(inbound("fine")) == 200
        await settle(harness.receiver)
    assert handled == ["fine"]
    assert harness.receiver.stats.handler_errors == 1
    assert any("handler bug" in (r.exc_text or "") for r in caplog.records)


async def test_shutdown_waits_for_running_handlers() -> None:
    """A handler that finishes within the timeout completes during shutdown."""
    finished: list[bool] = []
    receiver = CallbackReceiver(SECRET, shutdown_timeout=2)

    @receiver.on(MessageInboundEvent)
    async def short(event: MessageInboundEvent) -> None:
        await asyncio.sleep(0.2)
        finished.append(True)

    async with serve(receiver) as h:
        assert await h.post(inbound()) == 200
    assert finished == [True]


async def test_shutdown_cancels_handlers_past_the_timeout() -> None:
    """A handler still running at the timeout is cancelled, not left behind."""
    cancelled: list[bool] = []
    receiver = CallbackReceiver(SECRET, shutdown_timeout=0.1)

    @receiver.on(MessageInboundEvent)
    async def stuck(event: MessageInboundEvent) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async with serve(receiver) as h:
        assert await h.post(inbound()) == 200
    assert cancelled == [True]
    assert receiver.in_flight == 0


async def test_after_shutdown_callbacks_get_503(harness: Harness) -> None:
    """A receiver that is shutting down refuses new work so Sinch retries later."""
    await harness.receiver.shutdown()
    assert await harness.post(delivery()) == 503


async def test_sub_application_serves_the_same_checks() -> None:
    """receiver.app() can be mounted under a prefix."""
    receiver = CallbackReceiver(SECRET)
    seen: list[CallbackEvent] = []
    receiver.on(CallbackEvent)(_collect(seen))
    app = web.Application()
    app.add_subapp("/hooks", receiver.app())
    async with TestClient(TestServer(app)) as client:
        body = delivery()
        async with client.post("/hooks/", data=body, headers=signed(body)) as response:
            assert response.status == 200
        async with client.post("/hooks/", data=body, headers=signed(body, "x")) as response:
            assert response.status == 401
    assert len(seen) == 1


def test_a_secret_is_required_unless_unsigned_is_explicit() -> None:
    """Forgetting the secret is an error, not silently unsigned."""
    with pytest.raises(ValueError, match="secret"):
        CallbackReceiver(None)
    assert "unsigned" in repr(CallbackReceiver(None, allow_unsigned=True))


async def test_unsigned_receiver_accepts_unsigned_callbacks() -> None:
    """allow_unsigned=True skips verification (for webhooks created without a secret)."""
    async with serve(CallbackReceiver(None, allow_unsigned=True)) as h:
        assert await h.post(delivery(), {"Content-Type": "application/json"}) == 200


def test_custom_verifier_is_used() -> None:
    """A SignatureVerifier with other settings can be passed in."""
    verifier = SignatureVerifier(SECRET, max_skew=None, nonce_cache=False)
    assert "signed" in repr(CallbackReceiver(None, verifier=verifier))


def test_repr_never_shows_the_secret() -> None:
    """The receiver can be logged."""
    assert SECRET not in repr(CallbackReceiver(SECRET))


def test_sync_handler_is_refused() -> None:
    """Handlers must be async: a plain function is a TypeError at registration."""
    receiver = CallbackReceiver(SECRET)
    with pytest.raises(TypeError, match="async"):
        receiver.on(CallbackEvent)(lambda event: None)  # type: ignore[arg-type,return-value]


def _collect(into: list[CallbackEvent]) -> Any:
    async def handler(event: CallbackEvent) -> None:
        into.append(event)

    return handler
