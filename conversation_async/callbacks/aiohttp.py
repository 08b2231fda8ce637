"""An aiohttp.web endpoint for Sinch callbacks: verify, parse, de-duplicate, dispatch.

::

    receiver = CallbackReceiver(secret=WEBHOOK_SECRET)

    @receiver.on(MessageInboundEvent)
    async def reply(event: MessageInboundEvent) -> None: ...

    app.router.add_post("/callbacks", receiver.handle)
    app.on_shutdown.append(receiver.shutdown)
    # or, as a sub-application: app.add_subapp("/callbacks", receiver.app())

Each POST is checked in this order, and answered without running any handler when refused:
415 (not JSON), 413 (body over ``max_body_size``), 401 (bad, stale or replayed signature),
400 (not a Sinch event). Accepted callbacks are answered 200 at once; their handlers run as
tracked tasks, at most ``max_in_flight`` at a time (when full, the request waits for room:
Sinch is slowed down, nothing is dropped). Redeliveries of a callback already accepted
within ``dedupe_window`` seconds are acknowledged and skipped. A callback counts as accepted
only once its handlers have a slot: a request cancelled while it waits (the sender gave up)
leaves no trace, so the redelivery is handled. Refusals never tell the sender why; the
reason is logged at DEBUG on the ``conversation_async.callbacks`` logger.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
from aiohttp import web

from ..errors import CallbackParseError
from .events import (
    CallbackEvent,
    CapabilityEvent,
    EventDeliveryEvent,
    EventInboundEvent,
    MessageDeliveryEvent,
    MessageInboundEvent,
    MessageSubmitEvent,
    OptInEvent,
    OptOutEvent,
)
from .parse import parse_callback
from .signature import NonceCache, SignatureVerifier

__all__ = ["CallbackReceiver", "ReceiverStats", "dedupe_key"]

logger = logging.getLogger("conversation_async.callbacks")

E = TypeVar("E", bound=CallbackEvent)
Handler = Callable[[Any], Awaitable[None]]


def dedupe_key(event: CallbackEvent, body: bytes) -> str:
    """What makes two callbacks the same delivery (catalog §4.4).

    Delivery receipts: message or event id plus status; inbound messages and events: their
    id; capability and opt-in/out results: the request id; anything else: the body's hash.
    """
    key: tuple[object, ...] | None = None
    if isinstance(event, MessageDeliveryEvent):
        report = event.message_delivery_report
        key = (report.message_id, report.status)
    elif isinstance(event, EventDeliveryEvent):
        report_ = event.event_delivery_report
        key = (report_.event_id, report_.status)
    elif isinstance(event, MessageSubmitEvent):
        key = (event.message_submit_notification.message_id,)
    elif isinstance(event, MessageInboundEvent):
        key = (event.message.id,)
    elif isinstance(event, EventInboundEvent):
        key = (event.event.id,)
    elif isinstance(event, CapabilityEvent):
        key = (event.capability_notification.request_id,)
    elif isinstance(event, OptInEvent):
        key = (event.opt_in_notification.request_id,)
    elif isinstance(event, OptOutEvent):
        key = (event.opt_out_notification.request_id,)
    if key is None or any(part is None for part in key):
        return "body:" + hashlib.sha256(body).hexdigest()
    return ":".join((event.trigger, *(str(part) for part in key)))


@attrs.define
class ReceiverStats:
    """What the receiver did so far; ``refused`` counts refusals by reason."""

    accepted: int = 0
    duplicates: int = 0
    handled: int = 0
    handler_errors: int = 0
    refused: Counter[str] = attrs.field(factory=Counter)


class CallbackReceiver:
    """Receives Sinch callbacks on an aiohttp.web route and runs handlers registered by type.

    ``secret`` is the webhook's secret; without one, pass ``allow_unsigned=True`` explicitly
    (any sender can then post events). ``verifier`` replaces the default
    :class:`SignatureVerifier` (300 s timestamp window, replay protection).
    """

    def __init__(
        self,
        secret: str | None,
        *,
        allow_unsigned: bool = False,
        verifier: SignatureVerifier | None = None,
        max_body_size: int = 1024 * 1024,
        max_in_flight: int = 100,
        dedupe_window: float = 3600.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        if not secret and verifier is None and not allow_unsigned:
            raise ValueError("a webhook secret is required (or pass allow_unsigned=True)")
        if max_body_size <= 0 or max_in_flight <= 0:
            raise ValueError("max_body_size and max_in_flight must be positive")
        self._verifier = verifier or (SignatureVerifier(secret) if secret else None)
        self._max_body_size = max_body_size
        self._max_in_flight = max_in_flight
        self._seen = NonceCache(ttl=dedupe_window)
        self._shutdown_timeout = shutdown_timeout
        self._handlers: list[tuple[type[CallbackEvent], Handler]] = []
        self._by_class: dict[type[CallbackEvent], list[Handler]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.stats = ReceiverStats()

    def on(self, event_type: type[E]) -> Callable[[Callable[[E], Awaitable[None]]], Any]:
        """Register an ``async def handler(event)`` for ``event_type`` and its subclasses.

        ``on(CallbackEvent)`` receives every event, ``on(UnknownCallbackEvent)`` the ones
        this SDK does not know yet. Several handlers may share a type; each runs.
        """

        def register(handler: Callable[[E], Awaitable[None]]) -> Callable[[E], Awaitable[None]]:
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"{handler!r} must be an async function")
            self._handlers.append((event_type, handler))
            self._by_class.clear()
            return handler

        return register

    @property
    def in_flight(self) -> int:
        """Handlers currently running."""
        return len(self._tasks)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp.web handler: ``app.router.add_post(path, receiver.handle)``."""
        if self._closing:
            return self._refuse("shutting down", 503)
        if request.content_type != "application/json":
            return self._refuse("content type", 415)
        if (request.content_length or 0) > self._max_body_size:
            return self._refuse("body too large", 413)
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > self._max_body_size:
                return self._refuse("body too large", 413)
        raw = bytes(body)
        if self._verifier is not None:
            verdict = self._verifier.verify(request.headers.items(), raw)
            if not verdict:
                return self._refuse(f"signature: {verdict.value}", 401)
        try:
            event = parse_callback(raw)
        except CallbackParseError as exc:
            return self._refuse(f"malformed: {exc}", 400)
        key = dedupe_key(event, raw)
        if self._seen.seen(key, time.monotonic()):  # a known duplicate waits for no slot
            return self._duplicate(event)
        handlers = self._handlers_for(type(event))
        if handlers:
            accepted = await self._start(key, event, handlers)
        else:
            accepted = self._accept(key, event, handlers)
        return web.Response(status=200) if accepted else self._duplicate(event)

    def app(self, path: str = "") -> web.Application:
        """A sub-application serving POST ``path``: ``app.add_subapp(prefix, receiver.app())``."""
        sub = web.Application(client_max_size=self._max_body_size + 1)
        sub.router.add_post(path or "/", self.handle)
        sub.on_shutdown.append(self.shutdown)
        return sub

    async def shutdown(self, app: web.Application | None = None) -> None:
        """Stop accepting (503), wait for running handlers up to ``shutdown_timeout``,
        then cancel what is left. Usable as an ``app.on_shutdown`` hook."""
        self._closing = True
        tasks = set(self._tasks)
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=self._shutdown_timeout)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("cancelled %d callback handler(s) at shutdown", len(pending))
            await asyncio.wait(pending)

    # --- internals --------------------------------------------------------------------

    def _refuse(self, reason: str, status: int) -> web.Response:
        self.stats.refused[reason.split(":", 1)[0]] += 1
        logger.debug("callback refused with %d (%s)", status, reason)
        return web.Response(status=status)

    def _duplicate(self, event: CallbackEvent) -> web.Response:
        self.stats.duplicates += 1
        logger.debug("duplicate %s callback acknowledged and skipped", event.trigger)
        return web.Response(status=200)

    def _accept(self, key: str, event: CallbackEvent, handlers: list[Handler]) -> bool:
        """Record ``key`` as seen; False if it already was (a concurrent redelivery won)."""
        if not self._seen.add(key, time.monotonic()):
            return False
        self.stats.accepted += 1
        logger.debug("%s callback accepted for %d handler(s)", event.trigger, len(handlers))
        return True

    def _handlers_for(self, cls: type[CallbackEvent]) -> list[Handler]:
        found = self._by_class.get(cls)
        if found is None:
            found = [h for event_type, h in self._handlers if issubclass(cls, event_type)]
            self._by_class[cls] = found
        return found

    async def _start(self, key: str, event: CallbackEvent, handlers: list[Handler]) -> bool:
        """Wait for a handler slot, then accept the event and start its handlers; False if
        another delivery of it was accepted meanwhile. ``key`` is recorded only once the
        slot is held, with no await in between: a request cancelled while it waits records
        nothing (its redelivery is handled), and of two deliveries waiting together one runs.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)
        await self._slots.acquire()  # when full, the sender waits: nothing is dropped
        if not self._accept(key, event, handlers):
            self._slots.release()
            return False
        task = asyncio.get_running_loop().create_task(self._run(event, handlers))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return True

    async def _run(self, event: CallbackEvent, handlers: list[Handler]) -> None:
        for handler in handlers:
            try:
                await handler(event)
                self.stats.handled += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.handler_errors += 1
                logger.exception("callback handler %s failed for %s", _name(handler), event.trigger)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._slots is not None:
            self._slots.release()
        with contextlib.suppress(asyncio.CancelledError):
            task.exception()  # _run logs its own errors; this only marks the task as seen

    def __repr__(self) -> str:
        signed = "signed" if self._verifier is not None else "unsigned"
        handlers = len(self._handlers)
        return f"CallbackReceiver({signed}, handlers={handlers}, in_flight={self.in_flight})"


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))
