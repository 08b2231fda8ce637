"""The callback receiver: typed handlers behind aiohttp.web, ASGI or any framework.

::

    receiver = CallbackReceiver(secret=WEBHOOK_SECRET)

    @receiver.on(MessageInboundEvent)
    async def reply(event: MessageInboundEvent) -> None: ...

    app.router.add_post("/callbacks", receiver.handle)  # aiohttp.web
    routes = [Route("/callbacks", receiver.asgi(), methods=["POST"])]  # Starlette, FastAPI

:class:`CallbackReceiver` puts together the framework-free core (``_receiver_core.py``),
its default sink (:class:`Dispatcher`, the handlers registered with :meth:`~CallbackReceiver.on`)
and the two adapters: aiohttp.web (loaded on first use) and ASGI.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._asgi import CallbackAsgiApp
from ._events import CallbackEvent
from ._receiver_core import (
    CallbackSink,
    HandlersFailed,
    ReceiverCore,
    ReceiverStats,
    VerifiedCallback,
)
from ._rules import ACK_MODES, AckMode
from ._signature import Headers, SignatureVerifier
from ._stores import DedupeStore, MemoryDedupeStore

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CallbackReceiver", "Dispatcher"]

logger = logging.getLogger("conversation_async.callbacks")

E = TypeVar("E", bound=CallbackEvent)
Handler = Callable[[Any], Awaitable[None]]


class Dispatcher:
    """The handlers registered by event type, run one after the other in registration
    order: the receiver's default sink. Every handler runs even if an earlier one raised."""

    def __init__(self, stats: ReceiverStats) -> None:
        self._stats = stats
        self._handlers: list[tuple[type[CallbackEvent], Handler]] = []
        self._by_class: dict[type[CallbackEvent], list[Handler]] = {}

    def add(self, event_type: type[CallbackEvent], handler: Handler) -> None:
        """Run ``handler`` for ``event_type`` and its subclasses."""
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"{handler!r} must be an async function")
        self._handlers.append((event_type, handler))
        self._by_class.clear()

    def wants(self, event: CallbackEvent) -> bool:
        """Whether any handler is registered for ``event``."""
        return bool(self._handlers_for(type(event)))

    async def deliver(self, callback: VerifiedCallback) -> None:
        """Run every handler of the event; :class:`HandlersFailed` if any raised."""
        event = callback.event
        failed = 0
        for handler in self._handlers_for(type(event)):
            try:
                await handler(event)
                self._stats.handled += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                failed += 1
                self._stats.handler_errors += 1
                logger.exception("callback handler %s failed for %s", _name(handler), event.trigger)
        if failed:
            raise HandlersFailed(f"{failed} handler(s) failed for a {event.trigger} callback")

    def _handlers_for(self, cls: type[CallbackEvent]) -> list[Handler]:
        found = self._by_class.get(cls)
        if found is None:
            found = [h for event_type, h in self._handlers if issubclass(cls, event_type)]
            self._by_class[cls] = found
        return found

    def __len__(self) -> int:
        return len(self._handlers)


class CallbackReceiver:
    """Receives Sinch callbacks and runs the handlers registered by event type.

    Serve it with aiohttp.web (:meth:`handle`, :meth:`app`), as an ASGI application
    (:meth:`asgi`: Starlette, FastAPI, any ASGI server) or from anything else
    (:meth:`receive`); every front end gives the same answers.

    ``secret`` is the webhook's secret; without one, pass ``allow_unsigned=True``
    explicitly (any sender can then post events). ``verifier`` replaces the default
    :class:`SignatureVerifier` (300 s timestamp window, replay protection in memory).
    ``ack`` is ``"immediately"`` (the default: 200 before the handlers run) or ``"after_handler"``
    (200 once they succeeded, 500 if not; they must finish within ``handler_timeout``).
    ``dedupe_store`` remembers handled events (default: in memory for ``dedupe_window``
    seconds); ``replay_store`` remembers signature nonces instead of the verifier. Share
    both (a ``RedisDedupeStore``) between the workers behind one URL.

    ``inbox`` (a ``RedisStreamInbox``) makes the receiver durable: each accepted callback
    is appended to the inbox instead of running the handlers here, answered 200 once the
    append succeeded and 503 if it failed (Sinch delivers it again); ``ack`` does not
    apply and ``handler_timeout`` bounds the append. The inbox's workers
    (``inbox.worker(receiver, consumer=...)``, in any process) run the handlers
    registered with :meth:`on`.
    """

    def __init__(
        self,
        secret: str | None,
        *,
        allow_unsigned: bool = False,
        verifier: SignatureVerifier | None = None,
        ack: AckMode | None = None,
        inbox: CallbackSink | None = None,
        dedupe_store: DedupeStore | None = None,
        replay_store: DedupeStore | None = None,
        max_body_size: int = 1024 * 1024,
        max_in_flight: int = 100,
        dedupe_window: float | None = None,
        handler_timeout: float = 30.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        if not secret and verifier is None and not allow_unsigned:
            raise ValueError("a webhook secret is required (or pass allow_unsigned=True)")
        if max_body_size <= 0 or max_in_flight <= 0 or handler_timeout <= 0:
            raise ValueError("max_body_size, max_in_flight and handler_timeout must be positive")
        if inbox is not None and ack is not None:
            raise ValueError("with an inbox the answer waits for the append: ack does not apply")
        if ack is not None and ack not in ACK_MODES:
            raise ValueError(f"ack must be one of {ACK_MODES}, got {ack!r}")
        if dedupe_store is not None and dedupe_window is not None:
            raise ValueError("dedupe_window sizes the default store; give the store its ttl")
        if replay_store is not None:
            if verifier is None and not secret:
                raise ValueError("replay_store needs signed callbacks (a secret or verifier)")
            if verifier is not None and verifier.nonce_cache is not None:
                raise ValueError(
                    "the verifier remembers nonces itself: make it with nonce_cache=False"
                )
        if verifier is None and secret:
            verifier = SignatureVerifier(secret, nonce_cache=replay_store is None)
        if dedupe_store is None:
            dedupe_store = MemoryDedupeStore(ttl=3600.0 if dedupe_window is None else dedupe_window)
        self.stats = ReceiverStats()
        self._dispatcher = Dispatcher(self.stats)
        self._inbox = inbox
        self._core = ReceiverCore(
            self._dispatcher if inbox is None else inbox,
            stats=self.stats,
            verifier=verifier,
            replay_store=replay_store,
            dedupe_store=dedupe_store,
            ack="after_handler" if inbox is not None else ack or "immediately",
            max_body_size=max_body_size,
            max_in_flight=max_in_flight,
            handler_timeout=handler_timeout,
            shutdown_timeout=shutdown_timeout,
        )

    def on(self, event_type: type[E]) -> Callable[[Callable[[E], Awaitable[None]]], Any]:
        """Register an ``async def handler(event)`` for ``event_type`` and its subclasses.

        ``on(CallbackEvent)`` receives every event, ``on(UnknownCallbackEvent)`` the ones
        this SDK does not know yet. Several handlers may share a type; each runs.
        """

        def register(handler: Callable[[E], Awaitable[None]]) -> Callable[[E], Awaitable[None]]:
            self._dispatcher.add(event_type, handler)
            return handler

        return register

    @property
    def in_flight(self) -> int:
        """Callbacks whose handlers (or appends to the inbox) are running."""
        return self._core.in_flight

    async def receive(self, headers: Headers, body: bytes | AsyncIterable[bytes]) -> int:
        """Answer one callback POST from any framework: its headers and raw body (bytes,
        or chunks as they arrive) in, the status to send (with an empty body) out."""
        return await self._core.receive(headers, body)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp.web handler: ``app.router.add_post(path, receiver.handle)``."""
        from ._aiohttp import respond  # aiohttp.web loads on first use, not with the package

        return await respond(self._core, request)

    def app(self, path: str = "") -> web.Application:
        """An aiohttp.web sub-application serving POST ``path``:
        ``app.add_subapp(prefix, receiver.app())``."""
        from ._aiohttp import sub_app

        size = self._core.max_body_size
        return sub_app(self.handle, self.shutdown, path=path, max_body_size=size)

    def asgi(self) -> CallbackAsgiApp:
        """The receiver as an ASGI application: serve it alone (``uvicorn``), or route it
        in Starlette or FastAPI with ``Route(path, receiver.asgi(), methods=["POST"])``."""
        return CallbackAsgiApp(self._core)

    async def shutdown(self, app: web.Application | None = None) -> None:
        """Stop accepting (503), wait for running handlers up to ``shutdown_timeout``,
        then cancel what is left. Usable as an ``app.on_shutdown`` hook."""
        await self._core.shutdown()

    @property
    def handlers(self) -> Dispatcher:
        """The handlers registered with :meth:`on`, as a sink: what an inbox worker runs
        (with an inbox, the receiver itself only appends each callback)."""
        return self._dispatcher

    def __repr__(self) -> str:
        signed = "signed" if self._core.signed else "unsigned"
        mode = f"ack={self._core.ack!r}" if self._inbox is None else f"inbox={self._inbox!r}"
        return (
            f"CallbackReceiver({signed}, {mode}, "
            f"handlers={len(self._dispatcher)}, in_flight={self.in_flight})"
        )


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))
