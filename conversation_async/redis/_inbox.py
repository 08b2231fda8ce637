"""A durable inbox for callbacks on a Redis stream: append on receipt, handle in workers.

::

    inbox = RedisStreamInbox(redis, stream="bot:inbox", group="bot", dedupe_store=store)
    receiver = CallbackReceiver(secret=WEBHOOK_SECRET, inbox=inbox)  # the web process

    @receiver.on(MessageInboundEvent)
    async def reply(event: MessageInboundEvent) -> None: ...

    await inbox.worker(receiver, consumer="worker-1").run()  # any process, as many as needed

The receiver answers 200 only once the raw body is in the stream (XADD), 503 when Redis
failed, so Sinch delivers it again. Workers read the stream through a consumer group
(XREADGROUP), run the handlers registered with ``receiver.on`` and acknowledge (XACK) once
they succeeded; an entry a worker holds for longer than ``min_idle`` (it died, or its
handlers failed) is claimed by another (XAUTOCLAIM) and handled again, up to
``max_deliveries`` times, then moved to the dead-letter stream. With a shared dedupe store
(``RedisDedupeStore``) an event is marked pending before its handlers run and done after,
so one appended twice, or claimed from a worker that finished it, runs once.

Exported by :mod:`conversation_async.redis`. Needs redis-py (``pip install
'conversation-async[redis]'``) only to build the client handed in; this module imports
nothing from it. The decisions are the pure functions of ``callbacks._inbox_rules``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

import attrs

from ..callbacks import CallbackEvent, CallbackReceiver, DedupeStore, Mark
from ..callbacks import _inbox_rules as rules
from ..callbacks._receiver_core import (
    CallbackSink,
    HandlersFailed,
    SinkUnavailable,
    VerifiedCallback,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["InboxStats", "InboxWorker", "RedisStreamInbox"]

logger = logging.getLogger("conversation_async.callbacks")

MAX_BLOCK: Final = 1.0
"""Longest wait for new entries in one read (seconds): how soon ``stop()`` takes effect."""

RETRY_AFTER: Final = 1.0
"""Pause after a failed Redis call before the worker tries again (seconds)."""


class RedisStreamInbox:
    """Callbacks appended to a Redis stream by the receiver and handled by workers in any
    process (see the module docstring).

    ``stream`` holds the raw bodies, trimmed to about ``maxlen`` entries (``XADD MAXLEN
    ~``): keep it well above the longest backlog the workers may have, because trimming
    drops the oldest entries whether handled or not (one trimmed while pending is recorded
    in the dead-letter stream as lost). ``group`` is the consumer group of the workers.
    ``dead_letter_stream`` (default ``stream + ":dead"``, trimmed alike) keeps what was
    given up: bodies that do not parse, and entries delivered ``max_deliveries`` times
    without success, with the reason. An append that Redis does not answer within
    ``append_timeout`` seconds is given up, so the receiver answers 503 (Sinch delivers
    again) before Sinch's own request times out. Handlers must finish within
    ``handler_timeout``; an entry held ``min_idle`` seconds without an acknowledgement is
    claimed by another worker, so ``min_idle`` must exceed ``handler_timeout``.
    ``dedupe_store`` (shared by every worker; may be the receiver's own) makes delivery
    *handled once*; without one it is *at least once*.

    Give every process the same settings. The inbox never closes the client.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        stream: str = "conversation_async:inbox",
        group: str = "handlers",
        maxlen: int = 100_000,
        dead_letter_stream: str | None = None,
        dedupe_store: DedupeStore | None = None,
        min_idle: float = 60.0,
        handler_timeout: float = 30.0,
        max_deliveries: int = 5,
        append_timeout: float = 2.0,
    ) -> None:
        rules.check_settings(
            maxlen=maxlen,
            min_idle=min_idle,
            handler_timeout=handler_timeout,
            max_deliveries=max_deliveries,
            append_timeout=append_timeout,
        )
        self._redis = redis
        self.stream = stream
        self.group = group
        self.maxlen = maxlen
        self.dead_letter_stream = dead_letter_stream or f"{stream}:dead"
        self.dedupe_store = dedupe_store
        self.min_idle = min_idle
        self.handler_timeout = handler_timeout
        self.max_deliveries = max_deliveries
        self.append_timeout = append_timeout

    def wants(self, event: CallbackEvent) -> bool:
        """Every accepted callback is appended: the workers know the handlers."""
        return True

    async def deliver(self, callback: VerifiedCallback) -> None:
        """Append the raw body (the receiver's 200 waits for this); raise
        :class:`SinkUnavailable` if Redis did not take it."""
        try:
            async with asyncio.timeout(self.append_timeout):
                await self._redis.xadd(
                    self.stream,
                    rules.entry_fields(callback),  # type: ignore[arg-type]  # a dict is invariant
                    maxlen=self.maxlen,
                    approximate=True,
                )
        except TimeoutError:
            # it may have been appended all the same: a redelivery is handled once with a
            # dedupe store, at least once without
            raise SinkUnavailable(
                f"no answer from Redis within {self.append_timeout:g} s"
            ) from None
        except Exception as exc:
            raise SinkUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def create_group(self) -> None:
        """Create the stream and its consumer group if missing. A new group starts at the
        stream's first entry, so what was appended before any worker ran is handled."""
        try:
            await self._redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except Exception as exc:
            if "BUSYGROUP" not in str(exc):  # the group exists already: fine
                raise

    def worker(
        self,
        handlers: CallbackReceiver | CallbackSink,
        *,
        consumer: str,
        concurrency: int = 10,
    ) -> InboxWorker:
        """A worker running ``handlers`` (a receiver's, registered with ``on``) for this
        inbox's entries, at most ``concurrency`` at a time, as consumer ``consumer``
        (unique to the process: ``f"{hostname}-{pid}"``). Start it with ``run()``."""
        sink = handlers.handlers if isinstance(handlers, CallbackReceiver) else handlers
        return InboxWorker(self, self._redis, sink, consumer=consumer, concurrency=concurrency)

    def __repr__(self) -> str:
        return f"RedisStreamInbox(stream={self.stream!r}, group={self.group!r})"


@attrs.define
class InboxStats:
    """What a worker did so far with the entries it read or claimed."""

    handled: int = 0
    """Handlers succeeded; acknowledged."""
    failed: int = 0
    """A handler raised or ran past the timeout; left pending, to be claimed again."""
    duplicates: int = 0
    """Already handled (the dedupe store said done); acknowledged without running."""
    in_progress: int = 0
    """Being handled by another worker (pending in the dedupe store); left pending."""
    skipped: int = 0
    """No handler for the event; acknowledged."""
    claimed: int = 0
    """Entries taken over from idle consumers (XAUTOCLAIM)."""
    dead_lettered: int = 0
    """Moved to the dead-letter stream (malformed, too many deliveries, trimmed)."""
    redis_errors: int = 0
    """Failed Redis calls (each logged; retried)."""


class InboxWorker:
    """Consumes a :class:`RedisStreamInbox` as one consumer of its group: reads new
    entries, claims idle ones, runs the handlers and acknowledges (see the module
    docstring). Made by :meth:`RedisStreamInbox.worker`."""

    def __init__(
        self,
        inbox: RedisStreamInbox,
        redis: Redis,
        sink: CallbackSink,
        *,
        consumer: str,
        concurrency: int,
    ) -> None:
        if not consumer:
            raise ValueError("consumer must be a non-empty name")
        if concurrency <= 0:
            raise ValueError("concurrency must be positive")
        self._inbox = inbox
        self._redis = redis
        self._sink = sink
        self.consumer = consumer
        self._concurrency = concurrency
        self.stats = InboxStats()
        interval = inbox.min_idle / 2
        self._schedule = rules.ClaimSchedule(interval)
        self._block = min(MAX_BLOCK, interval)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._running = False

    @property
    def in_flight(self) -> int:
        """Entries whose handlers are running."""
        return len(self._tasks)

    async def run(self) -> None:
        """Handle entries until :meth:`stop`, then let running handlers finish. Redis
        failures are logged and retried; cancelling ``run`` cancels the handlers (their
        entries stay pending and are claimed again)."""
        if self._running:
            raise RuntimeError(f"worker {self.consumer!r} is already running")
        self._running = True
        group_ready = False
        try:
            while not self._stopping.is_set():
                free = self._concurrency - len(self._tasks)
                if free <= 0:
                    await asyncio.wait(
                        self._tasks, timeout=self._block, return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                try:
                    if not group_ready:
                        await self._inbox.create_group()
                        group_ready = True
                    entries = await self._next(free)
                except Exception as exc:
                    group_ready = group_ready and "NOGROUP" not in str(exc)
                    self._redis_failed("reading the inbox", exc)
                    await self._pause(RETRY_AFTER)
                    continue
                for entry in entries:
                    self._start(entry)
            if self._tasks:
                await asyncio.wait(set(self._tasks))
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            self._running = False

    def stop(self) -> None:
        """Read nothing more; :meth:`run` returns once running handlers finished (within a
        second for a read in progress). Final: a stopped worker does not run again. Safe
        from a signal handler."""
        self._stopping.set()

    async def _next(self, free: int) -> list[rules.Entry]:
        """Idle entries to claim when a claim is due, else new entries (waiting a little
        for them, unless a claim scan is unfinished)."""
        now = asyncio.get_running_loop().time()
        if self._schedule.due(now):
            claimed = await self._claim(free, now)
            if claimed:
                return claimed
        block = None if self._schedule.due(now) else rules.milliseconds(self._block)
        reply = await self._redis.xreadgroup(
            self._inbox.group, self.consumer, {self._inbox.stream: ">"}, count=free, block=block
        )
        return rules.read_entries(reply)

    async def _claim(self, free: int, now: float) -> list[rules.Entry]:
        """XAUTOCLAIM entries idle for ``min_idle``, with their delivery counts."""
        inbox = self._inbox
        reply = await self._redis.xautoclaim(
            inbox.stream,
            inbox.group,
            self.consumer,
            rules.milliseconds(inbox.min_idle),
            start_id=self._schedule.cursor,
            count=free,
        )
        cursor, claimed, deleted = rules.claimed_entries(reply)
        self._schedule.scanned(cursor, now)
        if deleted:
            logger.error(
                "%d pending inbox entries were trimmed from %s before they were handled: "
                "raise the inbox's maxlen",
                len(deleted),
                inbox.stream,
            )
        if not claimed:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry in claimed:  # each entry's own row: exact, in one round trip
                pipe.xpending_range(inbox.stream, inbox.group, min=entry.id, max=entry.id, count=1)
            rows = await pipe.execute()
        counts = rules.delivery_counts(row for reply in rows for row in reply)
        # An entry no longer pending was acknowledged since (its first worker finished).
        found = [attrs.evolve(e, deliveries=counts[e.id]) for e in claimed if e.id in counts]
        self.stats.claimed += len(found)
        logger.info("claimed %d idle inbox entries from %s", len(found), inbox.stream)
        return found

    def _start(self, entry: rules.Entry) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(entry))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # a bug: nothing escapes
            logger.error("inbox entry processing crashed", exc_info=task.exception())

    async def _handle(self, entry: rules.Entry) -> None:
        """One entry: dead-letter it, skip it, or claim it in the dedupe store, run the
        handlers and acknowledge; a failure leaves it pending, to be claimed again."""
        plan = rules.plan(entry, self._inbox.max_deliveries)
        if isinstance(plan, rules.DeadLetter):
            await self._dead_letter(entry, plan.reason)
            return
        callback = plan.callback
        if not self._sink.wants(callback.event):
            self.stats.skipped += 1
            await self._ack(entry)
            return
        store = self._inbox.dedupe_store
        key = rules.handled_key(self._inbox.group, callback.key)
        if store is not None:
            try:
                mark = await store.claim(key, pending_for=self._inbox.min_idle)
            except Exception as exc:
                self._redis_failed("claiming an inbox entry", exc)  # claimed again later
                return
            if mark is Mark.DONE:
                self.stats.duplicates += 1
                await self._ack(entry)
                return
            if mark is Mark.PENDING:  # another worker runs it: it acknowledges, or dies
                self.stats.in_progress += 1
                return
        if await self._run(callback):
            if store is not None:
                await self._mark(store.finish, key)
            self.stats.handled += 1
            await self._ack(entry)
        else:
            self.stats.failed += 1
            if store is not None:
                await self._mark(store.release, key)

    async def _run(self, callback: VerifiedCallback) -> bool:
        """Run the handlers within the timeout; whether they all succeeded."""
        trigger = callback.event.trigger
        try:
            async with asyncio.timeout(self._inbox.handler_timeout):
                await self._sink.deliver(callback)
        except asyncio.CancelledError:
            store = self._inbox.dedupe_store
            if store is not None:
                key = rules.handled_key(self._inbox.group, callback.key)
                await self._mark(store.release, key)
            raise
        except TimeoutError:
            logger.error(
                "handlers of a %s inbox entry ran past %s s and were cancelled",
                trigger,
                self._inbox.handler_timeout,
            )
        except HandlersFailed:
            pass  # each failure is logged by the dispatcher
        except Exception:
            logger.exception("inbox handlers failed for a %s callback", trigger)
        else:
            return True
        return False

    async def _ack(self, entry: rules.Entry) -> None:
        try:
            await self._redis.xack(self._inbox.stream, self._inbox.group, entry.id)
        except Exception as exc:  # claimed again after min_idle, then found done
            self._redis_failed("acknowledging an inbox entry", exc)

    async def _dead_letter(self, entry: rules.Entry, reason: str) -> None:
        """Append the entry to the dead-letter stream and acknowledge it, atomically."""
        inbox = self._inbox
        fields = rules.dead_letter_fields(entry, reason)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(
                    inbox.dead_letter_stream,
                    fields,  # type: ignore[arg-type]  # a dict is invariant
                    maxlen=inbox.maxlen,
                    approximate=True,
                )
                pipe.xack(inbox.stream, inbox.group, entry.id)
                await pipe.execute()
        except Exception as exc:  # still pending: claimed (and dead-lettered) again later
            self._redis_failed("dead-lettering an inbox entry", exc)
            return
        self.stats.dead_lettered += 1
        logger.error("inbox entry %s moved to %s: %s", entry.id, inbox.dead_letter_stream, reason)

    async def _mark(self, change: Callable[[str], Awaitable[None]], key: str) -> None:
        try:
            await change(key)
        except Exception as exc:  # a pending mark expires after min_idle by itself
            self._redis_failed("updating the dedupe store", exc)

    def _redis_failed(self, doing: str, exc: Exception) -> None:
        self.stats.redis_errors += 1
        logger.warning(
            "inbox worker %s: %s failed (%s: %s)", self.consumer, doing, type(exc).__name__, exc
        )

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once on :meth:`stop`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def __repr__(self) -> str:
        return (
            f"InboxWorker(consumer={self.consumer!r}, stream={self._inbox.stream!r}, "
            f"in_flight={self.in_flight})"
        )
