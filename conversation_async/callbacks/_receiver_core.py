"""The receiver core, free of any web framework: headers and raw body in, status out.

:class:`ReceiverCore` verifies the raw body (signature, timestamp, nonce), parses it,
de-duplicates it, hands it to a :class:`CallbackSink` as a tracked task and decides the
answer; the adapters (``_aiohttp.py``, ``_asgi.py``) only translate requests and
responses, so every front end answers alike. The decisions are the pure functions of
``_rules.py``. Each POST is checked in this order, and refused without running anything:
503 (shutting down), 415 (not JSON), 413 (body over ``max_body_size``), 401 (bad, stale or
replayed signature), 400 (not a Sinch event). At most ``max_in_flight`` callbacks are
handled at a time: when full, the request waits for room (Sinch is slowed down, nothing
is dropped); a request cancelled while it waits records nothing, so the redelivery is
handled.

Acknowledgement (``ack``):

- ``"immediately"``: 200 as soon as the callback is claimed and handed to the sink; a
  failure is only logged. The event is marked done when claimed.
- ``"after_handler"``: 200 once the sink succeeded, 500 if it raised or ran past
  ``handler_timeout`` (it is then cancelled), so Sinch delivers it again. The event is
  marked *pending* while it is handled (for ``handler_timeout`` plus a margin, so the
  claim of a worker that died expires by itself), *done* once handled, and released after
  a failure: its next delivery is handled again. A delivery that finds it pending is
  answered 503 without running anything: never handled twice at once, and Sinch retries
  it later, when it is done (200) or free again.

The sink is where an accepted callback goes: the handlers in this process
(``_receiver.Dispatcher``), or a durable inbox that appends it for workers to handle
(``conversation_async.redis.RedisStreamInbox``: the receiver then runs ``after_handler``, so the
200 waits for the append; an append that raised :class:`SinkUnavailable` is answered
503). Refusals never tell the sender why; the reason is logged at DEBUG on the
``conversation_async.callbacks`` logger and counted in :class:`ReceiverStats`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterable
from typing import Protocol

import attrs

import conversation_async.callbacks._rules as rules

from .._errors import CallbackParseError
from ._events import CallbackEvent
from ._parse import parse_callback
from ._rules import AckMode, Outcome, Refusal
from ._signature import NONCE_HEADER, Headers, SignatureVerifier, Verdict, lower_headers
from ._stores import DedupeStore, Mark

__all__ = [
    "CallbackSink",
    "HandlersFailed",
    "ReceiverCore",
    "ReceiverStats",
    "SinkUnavailable",
    "VerifiedCallback",
]

logger = logging.getLogger("conversation_async.callbacks")


@attrs.define
class ReceiverStats:
    """What the receiver did so far; ``refused`` counts refusals (and 503s) by reason."""

    accepted: int = 0
    duplicates: int = 0
    handled: int = 0
    handler_errors: int = 0
    refused: Counter[str] = attrs.field(factory=Counter[str])


@attrs.frozen
class VerifiedCallback:
    """A callback that passed every check: its typed event, the raw body as received and
    its :func:`~conversation_async.callbacks.dedupe_key`."""

    event: CallbackEvent
    body: bytes = attrs.field(repr=False)
    key: str


class CallbackSink(Protocol):
    """Where the receiver hands each new callback: the handlers in this process
    (:class:`Dispatcher`), or anything that takes it on (a durable inbox)."""

    def wants(self, event: CallbackEvent) -> bool:
        """False when there is nothing to do with ``event``: it is acknowledged (and
        remembered) without taking a slot."""
        ...

    async def deliver(self, callback: VerifiedCallback) -> None:
        """Handle ``callback``, or hand it on durably; raising means it failed."""
        ...


class HandlersFailed(Exception):
    """Some handlers of a callback raised (each one already logged)."""


class SinkUnavailable(Exception):
    """A durable sink could not take the callback on (its store is down): answered 503 with
    ``after_handler``, so Sinch delivers it again."""


class ReceiverCore:
    """Headers and raw body in, status out: every check, the stores, the sink and the
    acknowledgement mode, with no web framework (see the module docstring)."""

    def __init__(
        self,
        sink: CallbackSink,
        *,
        stats: ReceiverStats,
        verifier: SignatureVerifier | None,
        replay_store: DedupeStore | None,
        dedupe_store: DedupeStore,
        ack: AckMode,
        max_body_size: int,
        max_in_flight: int,
        handler_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        self.stats = stats
        self._sink = sink
        self._verifier = verifier
        self._replay = replay_store
        self._dedupe = dedupe_store
        self.ack: AckMode = ack
        self.max_body_size = max_body_size
        self._max_in_flight = max_in_flight
        self._handler_timeout = handler_timeout
        self._pending_for = rules.pending_for(ack, handler_timeout)
        self._shutdown_timeout = shutdown_timeout
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Outcome]] = set()
        self._closing = False

    @property
    def signed(self) -> bool:
        """Whether signatures are checked."""
        return self._verifier is not None

    @property
    def in_flight(self) -> int:
        """Callbacks whose handlers are running."""
        return len(self._tasks)

    async def receive(self, headers: Headers, body: bytes | AsyncIterable[bytes]) -> int:
        """The status to answer a callback POST with ``headers`` and raw ``body`` (bytes,
        or chunks as they arrive: reading stops past ``max_body_size``)."""
        found = lower_headers(headers)
        refusal = rules.screen(
            found.get("content-type"),
            found.get("content-length"),
            max_body_size=self.max_body_size,
            closing=self._closing,
        )
        if refusal is not None:
            return self._refuse(refusal)
        raw = await _read(body, self.max_body_size)
        if raw is None:
            return self._refuse(rules.TOO_LARGE)
        if self._verifier is not None:
            refusal = await self._verify(self._verifier, found, raw)
            if refusal is not None:
                return self._refuse(refusal)
        try:
            event = parse_callback(raw)
        except CallbackParseError as exc:
            return self._refuse(Refusal(400, f"malformed: {exc}"))
        callback = VerifiedCallback(event=event, body=raw, key=rules.dedupe_key(event, raw))
        try:
            mark = await self._dedupe.mark(callback.key)
        except Exception as exc:
            return rules.answer(self._store_failed("dedupe", exc))
        if mark is not None:  # a known duplicate waits for no slot
            return rules.answer(self._known(mark, callback))
        if not self._sink.wants(event):  # nothing to run: remembered at once
            return rules.answer(await self._claim(callback, None))
        return await self._admit(callback)

    async def shutdown(self) -> None:
        """Stop accepting (503), wait for running handlers up to ``shutdown_timeout``,
        then cancel what is left."""
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

    # --- steps ------------------------------------------------------------------------

    async def _verify(
        self, verifier: SignatureVerifier, headers: dict[str, str], raw: bytes
    ) -> Refusal | None:
        """The signature and timestamp; then the nonce, in the replay store if there is
        one (the verifier's own cache otherwise)."""
        verdict = verifier.verify(headers, raw)
        if verdict is Verdict.VALID and self._replay is not None:
            try:
                seen = await self._replay.claim(rules.nonce_key(headers[NONCE_HEADER]))
            except Exception as exc:
                _log_store_failure("replay", exc)
                return rules.STORE_DOWN
            if seen is not None:
                verdict = Verdict.REPLAYED
        return rules.signature_refusal(verdict)

    async def _admit(self, callback: VerifiedCallback) -> int:
        """Wait for a slot, then claim and handle the callback in a tracked task; answer
        when it is claimed (``immediately``) or handled (``after_handler``).

        A request cancelled while it waits for a slot records nothing (its redelivery is
        handled); once it holds one, the task goes on whatever happens to the request, so
        the marks always follow what the handlers did.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)
        await self._slots.acquire()  # when full, the sender waits: nothing is dropped
        if self._closing:
            self._slots.release()
            return self._refuse(rules.SHUTTING_DOWN)
        loop = asyncio.get_running_loop()
        claimed: asyncio.Future[Outcome] = loop.create_future()
        task = loop.create_task(self._process(callback, claimed))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        awaited = claimed if self.ack == "immediately" else task
        await asyncio.wait([awaited])  # cancels neither the task nor the future
        outcome = Outcome.CANCELLED if awaited.cancelled() else awaited.result()
        if outcome is Outcome.CANCELLED:
            return self._refuse(rules.SHUTTING_DOWN)
        return rules.answer(outcome)

    async def _process(
        self, callback: VerifiedCallback, claimed: asyncio.Future[Outcome]
    ) -> Outcome:
        """Claim the callback (reported through ``claimed``), then run the sink."""
        outcome = Outcome.CANCELLED
        try:
            outcome = await self._claim(callback, self._pending_for)
        finally:
            claimed.set_result(outcome)
        if outcome is not Outcome.ACCEPTED:
            return outcome
        return await self._run(callback)

    async def _claim(self, callback: VerifiedCallback, pending_for: float | None) -> Outcome:
        """Mark the callback's key: ACCEPTED if this call did, else why not."""
        try:
            mark = await self._dedupe.claim(callback.key, pending_for=pending_for)
        except Exception as exc:
            return self._store_failed("dedupe", exc)
        if mark is not None:  # a concurrent delivery claimed it first
            return self._known(mark, callback)
        self.stats.accepted += 1
        logger.debug("%s callback accepted", callback.event.trigger)
        return Outcome.ACCEPTED

    async def _run(self, callback: VerifiedCallback) -> Outcome:
        """Hand the callback to the sink; with ``after_handler``, within the handler
        timeout, then mark it done or release it."""
        trigger = callback.event.trigger
        after_handler = self.ack == "after_handler"
        try:
            if after_handler:
                async with asyncio.timeout(self._handler_timeout):
                    await self._sink.deliver(callback)
            else:
                await self._sink.deliver(callback)
        except asyncio.CancelledError:
            if after_handler:
                await self._release(callback.key)
            raise
        except TimeoutError:
            self.stats.handler_errors += 1
            logger.error(
                "handlers of a %s callback ran past %s s and were cancelled",
                trigger,
                self._handler_timeout,
            )
        except HandlersFailed:
            pass  # each failure is logged by the dispatcher
        except SinkUnavailable as exc:
            if after_handler:
                await self._release(callback.key)
                return self._store_failed("inbox", exc)
            logger.error("callback sink unavailable for a %s callback: %s", trigger, exc)
        except Exception:
            logger.exception("callback sink failed for a %s callback", trigger)
        else:
            if after_handler:
                await self._finish(callback.key)
            return Outcome.HANDLED
        if after_handler:
            await self._release(callback.key)
        return Outcome.FAILED

    async def _finish(self, key: str) -> None:
        try:
            await self._dedupe.finish(key)
        except Exception as exc:
            logger.warning(
                "dedupe store: could not mark a handled callback done (%s); its pending mark "
                "expires in %s s",
                type(exc).__name__,
                self._pending_for,
            )

    async def _release(self, key: str) -> None:
        try:
            await self._dedupe.release(key)
        except Exception as exc:
            logger.warning(
                "dedupe store: could not release a failed callback (%s); its redelivery is "
                "answered 503 until the pending mark expires in %s s",
                type(exc).__name__,
                self._pending_for,
            )

    def _known(self, mark: Mark, callback: VerifiedCallback) -> Outcome:
        refusal = rules.known_refusal(mark)
        if refusal is not None:
            self._note(refusal)
            return Outcome.IN_PROGRESS
        self.stats.duplicates += 1
        logger.debug("duplicate %s callback acknowledged and skipped", callback.event.trigger)
        return Outcome.DUPLICATE

    def _store_failed(self, which: str, exc: Exception) -> Outcome:
        _log_store_failure(which, exc)
        self._note(rules.STORE_DOWN)
        return Outcome.STORE_DOWN

    def _refuse(self, refusal: Refusal) -> int:
        self._note(refusal)
        return refusal.status

    def _note(self, refusal: Refusal) -> None:
        self.stats.refused[refusal.reason.split(":", 1)[0]] += 1
        logger.debug("callback refused with %d (%s)", refusal.status, refusal.reason)

    def _finished(self, task: asyncio.Task[Outcome]) -> None:
        self._tasks.discard(task)
        if self._slots is not None:
            self._slots.release()
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:  # a bug: nothing above lets an exception out
            logger.error("callback processing crashed", exc_info=error)


def _log_store_failure(which: str, exc: Exception) -> None:
    logger.warning("%s store failed (%s: %s); answered 503", which, type(exc).__name__, exc)


async def _read(body: bytes | AsyncIterable[bytes], limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than ``limit``."""
    if isinstance(body, bytes):
        return body if len(body) <= limit else None
    collected = bytearray()
    async for chunk in body:
        collected += chunk
        if len(collected) > limit:
            return None
    return bytes(collected)
