"""``client.messages.send_many``: many sends, bounded concurrency, exactly one result each.

::

    async with client.messages.send_many(requests, concurrency=64) as results:
        async for result in results:       # completion order
            ...                            # result.index, .request, .response or .error

Requests (any iterable or async iterable of ``SendMessageRequest``) are pulled only when a
worker is free, and results wait in a queue of ``concurrency`` entries, so memory stays
bounded however long the input is. Every input gives exactly one result, or the iteration
raises: a failed send is a result (``outcome`` says whether it may have been accepted
anyway, see :mod:`.bulk_report`), and so is an input left unsent because an earlier send
failed in a way every later one would (refused credentials, 401, 403: all inputs; a 404:
the inputs of that app), with outcome ``not_attempted``. Only misuse raises: an input that
is not a ``SendMessageRequest``, an error raised by the input iterator itself, a closed
client, or an unexpected error inside a send. Leaving the ``async with`` block (or
cancelling the consuming task) cancels the sends in flight and waits for them;
:meth:`BulkSend.summary` then says which inputs were interrupted in flight and from which
index nothing was attempted.

Each send's report (attempts, whether an attempt may have been processed) comes back with
its result, as a value: ``client.messages.send_many`` lives here, on top of the messages
resource, which knows nothing of bulk sends.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from os import PathLike
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, overload

import attrs

from . import _serde
from ._bulk_report import (
    BulkProgress,
    BulkSummary,
    LatencyHistogram,
    Outcome,
    Stops,
    classify_error,
    error_label,
)
from ._campaign import JOURNAL_STATE, Campaign, Reconcile, Row, RowKey, as_journal
from ._checked import as_object
from ._config import ClientConfig
from ._core.call import Reported
from ._core.campaign import JournalEntry, Next
from ._errors import CampaignMismatchError, ClientStateError, JournalError
from ._http.ratelimit import LocalRateLimiter
from ._http.transport import Transport
from ._journal import Journal
from ._resources._batches import BatchesResource
from ._resources._messages import MessagesResource
from .models import SendMessageRequest, SendMessageResponse

__all__ = [
    "BulkMessagesResource",
    "BulkResult",
    "BulkSend",
    "Requests",
    "SendOne",
    "StreamingSend",
    "Tally",
]


logger = logging.getLogger("conversation_async.bulk")

Requests = Iterable[SendMessageRequest] | AsyncIterable[SendMessageRequest]
SendOne = Callable[[SendMessageRequest], Awaitable[Reported[SendMessageResponse]]]
ProgressCallback = Callable[[BulkProgress], None]


@attrs.frozen
class BulkResult:
    """The result of one input: a ``response`` when sent, else the ``error``."""

    index: int
    request: SendMessageRequest
    outcome: Outcome
    response: SendMessageResponse | None = None
    error: BaseException | None = None
    latency: float = 0.0
    attempts: int = 1
    """HTTP attempts made for this input (a replay after an expired token included)."""
    maybe_processed: bool = False
    """An attempt that got no confirmation may have been processed. For a failure that is
    the ``ambiguous`` outcome; for a sent message (possible only with
    ``retry_non_idempotent``) the contact may receive it twice."""
    key: str | None = None
    """The input's key in the campaign journal (None without a journal)."""
    resumed: bool = False
    """No request was made for it in this run: the journal showed it sent, or an earlier
    run's send was found by reconciliation (``response`` is then rebuilt from that)."""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT


class _Misuse:
    """Carries an error that must stop the whole batch to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_WORKER_DONE = object()


class _Source:
    """Hands out inputs one at a time with their index; async sources are serialised. An
    input that is not a ``SendMessageRequest`` raises (misuse stops the batch)."""

    def __init__(self, requests: Requests) -> None:
        self._sync: Iterator[SendMessageRequest] | None = None
        self._async: AsyncIterator[SendMessageRequest] | None = None
        if isinstance(requests, AsyncIterable):
            self._async = aiter(requests)
            self._lock = asyncio.Lock()
        else:
            self._sync = iter(requests)
        self.next_index = 0
        self.exhausted = False

    @property
    def synchronous(self) -> bool:
        """Whether :meth:`pull_now` serves (a plain iterable), so no await is needed."""
        return self._sync is not None

    def pull_now(self) -> tuple[int, SendMessageRequest] | None:
        """The next input of a plain iterable, or None when exhausted (no await: workers
        cannot interleave here); the caller's errors propagate."""
        assert self._sync is not None  # noqa: S101 - only for synchronous sources
        try:
            request = next(self._sync)
        except StopIteration:
            self.exhausted = True
            return None
        index = self.next_index
        self.next_index += 1
        _check_request(index, request)
        return index, request

    async def pull(self) -> tuple[int, SendMessageRequest] | None:
        """The next input, or None when exhausted; the caller's errors propagate."""
        if self._sync is not None:
            return self.pull_now()
        assert self._async is not None  # noqa: S101 - one of the two is set
        async with self._lock:
            try:
                request = await anext(self._async)
            except StopAsyncIteration:
                self.exhausted = True
                return None
        index = self.next_index
        self.next_index += 1
        _check_request(index, request)
        return index, request

    async def aclose(self) -> None:
        """Close a generator input early (its ``finally`` blocks run now, not at GC)."""
        if self._async is not None:
            closer = getattr(self._async, "aclose", None)
            if closer is not None:
                await closer()
        else:
            close = getattr(self._sync, "close", None)
            if close is not None:
                close()


class Tally:
    """What one bulk send counts as results come (by outcome and by error, latencies,
    maybe processed), its clock, and its progress callback (at most every ``interval``
    seconds): the same for per-message sends and sends through batches."""

    def __init__(
        self,
        progress: ProgressCallback | None,
        interval: float,
        total: int | None,
        in_flight: Callable[[], int],
    ) -> None:
        self._progress = progress
        self._interval = interval
        self._total = total
        self._in_flight = in_flight
        self.counts = dict.fromkeys(Outcome, 0)
        self._errors: dict[str, int] = {}
        self._latencies = LatencyHistogram()
        self._maybe_processed = 0
        self.started = False
        self._started_at = 0.0
        self._ended_at: float | None = None
        self._last_progress = 0.0

    def start(self, what: str) -> None:
        if self.started:
            raise RuntimeError(f"{what} can be iterated (or run) only once")
        self.started = True
        self._started_at = time.monotonic()

    def add(self, result: BulkResult) -> None:
        self.counts[result.outcome] += 1
        self._maybe_processed += result.maybe_processed
        if result.attempts:  # no request, no latency (resumed, not attempted)
            self._latencies.add(result.latency)
        if result.error is not None:
            label = error_label(result.error)
            self._errors[label] = self._errors.get(label, 0) + 1
        if self._progress is not None:
            self.report()

    def end(self) -> None:
        """The send is over: stop the clock and report the final counts."""
        self._ended_at = time.monotonic()
        self.report(force=True)

    @property
    def progress(self) -> BulkProgress:
        counts = self.counts
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return BulkProgress(
            done=sum(counts.values()),
            sent=counts[Outcome.SENT],
            failed=counts[Outcome.FAILED],
            ambiguous=counts[Outcome.AMBIGUOUS],
            in_flight=self._in_flight(),
            elapsed=end - self._started_at if self.started else 0.0,
            total=self._total,
            not_attempted=counts[Outcome.NOT_ATTEMPTED],
            interrupted=counts[Outcome.INTERRUPTED],
        )

    def summary(
        self,
        *,
        not_attempted_from: int | None,
        interrupted: tuple[int, ...],
        stopped_by: tuple[str, ...],
    ) -> BulkSummary:
        progress = self.progress
        return BulkSummary(
            total=progress.done,
            by_outcome={outcome.value: n for outcome, n in self.counts.items()},
            by_error=dict(self._errors),
            p50_latency=self._latencies.quantile(0.50),
            p95_latency=self._latencies.quantile(0.95),
            wall_time=progress.elapsed,
            not_attempted_from=not_attempted_from,
            interrupted=interrupted,
            maybe_processed=self._maybe_processed,
            stopped_by=stopped_by,
        )

    def report(self, *, force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < self._interval:
            return
        self._last_progress = now
        try:
            self._progress(self.progress)
        except Exception:
            logger.exception("send_many progress callback failed")


R = TypeVar("R", bound=BulkResult)


class StreamingSend(Generic[R]):
    """What every bulk send offers, whatever it sends through (``messages:send`` or the
    Batch API): iterate it once inside ``async with`` (or :meth:`run` it), :meth:`stop` it
    gracefully, read its ``progress`` and :meth:`summary`. Subclasses yield the results
    (``_results``) and say what a stop cuts short (``_cancellable``)."""

    _what = "a bulk send"
    """How misuse messages name it."""

    def __init__(
        self,
        source: object,
        *,
        concurrency: int,
        progress: ProgressCallback | None,
        progress_interval: float,
        in_flight: Callable[[], int],
        items: str,
        item: str,
    ) -> None:
        if (
            isinstance(concurrency, bool)
            or not isinstance(as_object(concurrency), int)
            or concurrency < 1
        ):
            raise ValueError(f"concurrency must be a positive int, got {concurrency!r}")
        if isinstance(source, str | bytes) or not isinstance(source, Iterable | AsyncIterable):
            raise TypeError(f"{items} must be an iterable or async iterable of {item}")
        self._concurrency = concurrency
        total = len(source) if isinstance(source, Sized) else None
        self._tally = Tally(progress, progress_interval, total, in_flight)
        self._record = self._tally.add
        self._generator: AsyncGenerator[R, None] | None = None
        self._not_attempted_from: int | None = None
        self._interrupted: tuple[int, ...] = ()
        self._stops = Stops()
        self._stopping = False
        self._interrupting = False
        self._grace: asyncio.TimerHandle | None = None

    # --- consuming ----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[R]:
        self._start()
        self._generator = self._results()
        return self._generator

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop: cancel the sends in flight and wait for them (no-op once finished)."""
        if self._generator is not None:
            await self._generator.aclose()

    async def run(self) -> BulkSummary:
        """Send everything, ignoring individual results; returns the summary."""
        self._start()
        self._generator = self._results()
        async for _ in self._generator:
            pass
        return self.summary()

    def stop(self, grace: float = 10.0) -> None:
        """Stop gracefully: pull no more inputs, give the sends in flight ``grace`` seconds
        to finish, then cut them short; each comes back as a result with outcome
        ``interrupted`` and the iteration (or :meth:`run`) ends normally. Call it again
        with a shorter grace (``0``: at once) to cut sooner; safe from a signal handler
        installed with ``loop.add_signal_handler``."""
        if grace < 0:
            raise ValueError(f"grace must be >= 0, got {grace!r}")
        self._stopping = True
        self._cancel_grace()
        if grace == 0:
            self._interrupt()
        else:
            self._grace = asyncio.get_running_loop().call_later(grace, self._interrupt)

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping

    # --- reporting ----------------------------------------------------------------------

    @property
    def progress(self) -> BulkProgress:
        """Counts so far."""
        return self._tally.progress

    def summary(self) -> BulkSummary:
        """Counts by outcome and by error, latency quantiles and wall time so far."""
        return self._tally.summary(
            not_attempted_from=self._not_attempted_from,
            interrupted=self._interrupted,
            stopped_by=self._stopped_by(),
        )

    # --- for subclasses -----------------------------------------------------------------

    def _results(self) -> AsyncGenerator[R, None]:
        raise NotImplementedError

    def _cancellable(self) -> Iterable[asyncio.Future[Any]]:
        """The sends a stop's grace period cuts short."""
        raise NotImplementedError

    def _stopped_by(self) -> tuple[str, ...]:
        return self._stops.describe()

    def _start(self) -> None:
        self._tally.start(self._what)

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None

    def _interrupt(self) -> None:
        self._grace = None
        if self._interrupting:
            return  # each send in flight is cut once
        self._interrupting = True
        for task in self._cancellable():
            task.cancel()


class BulkSend(StreamingSend[BulkResult]):
    """One streaming bulk send: iterate it once (inside ``async with`` for clean exits)."""

    _what = "a BulkSend"

    def __init__(
        self,
        send: SendOne,
        requests: Requests,
        *,
        concurrency: int = 64,
        rate_limit: float | None = None,
        progress: ProgressCallback | None = None,
        progress_interval: float = 0.1,
        campaign: Campaign | None = None,
    ) -> None:
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._pending: set[int] = set()
        """Inputs pulled by journaled workers, not yet in flight nor with a result."""
        self._begun: collections.deque[_Pulled | Exception] = collections.deque()
        """Journaled inputs pulled and begun together, for the workers to take in order (or
        the error pulling the next one raised)."""
        self._filling = asyncio.Lock()
        self._pull_failed = False
        super().__init__(
            requests,
            concurrency=concurrency,
            progress=progress,
            progress_interval=progress_interval,
            in_flight=self._in_flight.__len__,
            items="requests",
            item="SendMessageRequest",
        )
        self._send = send
        self._requests = requests
        self._batch_limiter = LocalRateLimiter(rate_limit) if rate_limit is not None else None
        self._campaign = campaign
        self._closing = False

    async def run(self) -> BulkSummary:
        """Send everything, ignoring individual results; returns the summary.

        Results are counted as they come, without passing through the queue iteration uses.
        """
        self._start()
        source = _Source(self._requests)
        await self._open()
        workers = self._spawn(source, None)
        finished = False
        try:
            await asyncio.gather(*workers)
            finished = True
        finally:
            await self._stop(source, workers, finished=finished)
        return self.summary()

    # --- the machinery ------------------------------------------------------------------

    def _cancellable(self) -> Iterable[asyncio.Future[Any]]:
        return self._in_flight.values()

    async def _open(self) -> None:
        if self._campaign is not None:
            await self._campaign.open()

    def _spawn(self, source: _Source, queue: asyncio.Queue[Any] | None) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self._worker(source, queue)) for _ in range(self._concurrency)]

    async def _stop(
        self, source: _Source, workers: list[asyncio.Task[None]], *, finished: bool
    ) -> None:
        """Cancel and await the workers; note what was cut short unless all ``finished``."""
        self._cancel_grace()
        self._closing = True
        if not finished:
            # a row pulled ahead may be journaled in flight: a resume reconciles it
            self._interrupted = tuple(sorted(self._in_flight.keys() | self._pending))
        if (not finished or self._stopping) and not source.exhausted:
            self._not_attempted_from = source.next_index
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        while self._begun:  # left after a cut: journaled in flight at most
            left = self._begun.popleft()
            if isinstance(left, _Pulled) and left.begun is not None:
                await _abandon(left.begun)
        try:
            await source.aclose()
        finally:
            self._in_flight.clear()
            self._pending.clear()
            self._tally.end()
            if self._campaign is not None:
                await self._campaign.aclose()

    async def _results(self) -> AsyncGenerator[BulkResult, None]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self._concurrency)
        source = _Source(self._requests)
        await self._open()
        workers = self._spawn(source, queue)
        finished = False
        try:
            running = len(workers)
            while running:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    item = await queue.get()
                if item is _WORKER_DONE:
                    running -= 1
                elif isinstance(item, _Misuse):
                    raise item.error
                else:
                    self._record(item)
                    yield item
            finished = True
        finally:
            await self._stop(source, workers, finished=finished)

    async def _take_begun(self, source: _Source, campaign: Campaign) -> _Pulled | None:
        """A journaled worker's next input, journaled as begun (the journal's answer on its
        way), or None when the input is exhausted (or stopped); the iterator's errors and
        misuse raise, an error beginning the row is kept for its turn.

        Inputs are pulled and begun up to ``concurrency`` at a time (at most 100), so that
        the journal writes their begins together: SQLite's cost per row falls steeply with
        rows per statement, and each hand-over to its thread costs GIL switches."""
        begun = self._begun
        while not begun:
            if self._stopping or source.exhausted or self._pull_failed:
                return None
            async with self._filling:  # one filler at a time; the others take its rows
                if not begun and not self._stopping:
                    await self._fill(source, campaign)
        taken = begun.popleft()
        if isinstance(taken, Exception):
            raise taken
        return taken

    async def _fill(self, source: _Source, campaign: Campaign) -> None:
        for _ in range(min(self._concurrency, 100)):
            try:
                pulled = source.pull_now() if source.synchronous else await source.pull()
            except Exception as exc:  # raised at its turn, after the rows pulled before it
                self._pull_failed = True
                self._begun.append(exc)
                return
            if pulled is None:
                return
            self._begun.append(self._begin(*pulled, campaign))

    def _begin(self, index: int, request: SendMessageRequest, campaign: Campaign) -> _Pulled:
        """Journal a pulled input as begun (unless its app is already blocked)."""
        self._pending.add(index)
        stops = self._stops
        if stops.stopped and stops.blocking(request.app_id) is not None:
            return _Pulled(index, request, None, None)  # not journaled, as without lookahead
        try:
            row, begun = campaign.start(index, request)
        except Exception as exc:  # a bad key, a failed journal: raised at the row's turn
            failed: asyncio.Future[JournalEntry | None] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return _Pulled(index, request, None, failed)
        return _Pulled(index, request, row, asyncio.ensure_future(begun))

    async def _worker(self, source: _Source, queue: asyncio.Queue[Any] | None) -> None:
        """Send inputs until none are left (or :meth:`stop`). Results go to ``queue``;
        without one (``run``) they are recorded here, and misuse raises here. Whatever goes
        wrong inside reaches the consumer: a worker never ends without saying why. (One
        frame: every await of a send in flight resumes through it.)

        With a campaign, a worker looks one input ahead: while it sends a row, the next
        row's begin (its in-flight record) is being written, so the journal's round trip
        hides behind the send. A row is still sent only once its begin is durable (and,
        for a row an earlier run saw, :meth:`Campaign.decide` said so); an error pulling or
        beginning it waits for its turn."""
        send = self._send
        limiter = self._batch_limiter
        stops = self._stops
        in_flight = self._in_flight
        pending = self._pending
        campaign = self._campaign
        synchronous = source.synchronous
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - workers are tasks
        ahead: _Pulled | Exception | None = None
        """The next input (journaled only), or the error pulling it raised."""
        drained = False
        beginning: asyncio.Future[JournalEntry | None] | None = None
        """The journal's answer to the row's begin (None: not journaled)."""
        current: _Pulled | None = None
        """The row being handled, when pulled by a journaled worker."""
        try:
            while True:
                if ahead is not None:
                    taken: _Pulled | Exception = ahead
                    ahead = None
                    if isinstance(taken, Exception):
                        raise taken
                    index, request = taken.index, taken.request
                    current = taken
                    beginning = taken.begun
                elif drained or (self._stopping and not self._begun):
                    break
                elif campaign is None:
                    # The caller's iterator failing stops the batch.
                    pulled = source.pull_now() if synchronous else await source.pull()
                    if pulled is None:
                        break
                    index, request = pulled
                else:
                    first = await self._take_begun(source, campaign)
                    if first is None:
                        break
                    index, request = first.index, first.request
                    current = first
                    beginning = first.begun
                    await asyncio.sleep(0)  # the other workers take their first rows first
                if campaign is not None and not drained and not self._stopping:
                    try:
                        ahead = await self._take_begun(source, campaign)
                    except Exception as exc:  # raised at its turn, after this row's result
                        ahead = exc
                    drained = ahead is None
                blocked = stops.blocking(request.app_id) if stops.stopped else None
                row: Row | None = None
                result: BulkResult | None = None
                if blocked is None or beginning is not None:
                    pending.discard(index)
                    in_flight[index] = task
                    started = time.monotonic()
                    sending = False
                    try:
                        if beginning is not None and self._interrupting and not beginning.done():
                            await _abandon(beginning)  # the grace is over: cut it short
                            beginning = None
                            result = BulkResult(index, request, Outcome.NOT_ATTEMPTED, attempts=0)
                        if beginning is not None:
                            earlier = await beginning  # or raises what beginning raised
                            beginning = None
                            assert campaign is not None  # noqa: S101 - journaled
                            assert current is not None  # noqa: S101 - journaled
                            begun_row = current.row
                            assert begun_row is not None  # noqa: S101 - begun
                            step = Next.SEND
                            if earlier is not None:
                                step = campaign.recall(begun_row, earlier)
                            if earlier is None or step is Next.SKIP:
                                row = begun_row
                            elif self._interrupting:  # the grace is over: no lookup now
                                result = BulkResult(
                                    index, request, Outcome.NOT_ATTEMPTED, attempts=0
                                )
                            else:
                                row = await campaign.decide(begun_row, request, earlier, step)
                        if row is not None:
                            result = _settled(index, request, row)
                            if result is None:
                                blocked = stops.blocking(request.app_id) if stops.stopped else None
                                if blocked is None and self._stopping:  # pulled, never sent
                                    result = BulkResult(
                                        index, request, Outcome.NOT_ATTEMPTED, attempts=0
                                    )
                        if result is None and blocked is None and limiter is not None:
                            await limiter.acquire()
                            blocked = stops.blocking(request.app_id)  # stopped during the wait?
                        if result is None and blocked is None:
                            sending = True
                            calling = (
                                send(request)
                                if row is None or campaign is None
                                else campaign.send(row)
                            )
                            sent = await calling
                            result = _result(
                                index,
                                request,
                                sent,
                                time.monotonic() - started,
                                None if row is None else row.key,
                            )
                            error = sent.error
                            if error is not None:
                                if isinstance(error, ClientStateError):
                                    raise error  # the client is closed: no send can succeed
                                if stops.record(error, request.app_id):
                                    logger.warning("send_many stops sending: %s", error)
                    except (CampaignMismatchError, JournalError):
                        raise
                    except (ValueError, TypeError) as exc:  # refused before any request
                        result = BulkResult(
                            index,
                            request,
                            Outcome.FAILED,
                            error=exc,
                            latency=time.monotonic() - started,
                            attempts=0,
                        )
                    except asyncio.CancelledError:
                        if not self._interrupting or self._closing:
                            raise
                        task.uncancel()  # stop() cut this send short: a result, not an end
                        beginning = None
                        result = BulkResult(
                            index,
                            request,
                            Outcome.INTERRUPTED if sending else Outcome.NOT_ATTEMPTED,
                            latency=time.monotonic() - started,
                            attempts=1 if sending else 0,
                            maybe_processed=sending,
                        )
                    del in_flight[index]
                else:
                    pending.discard(index)
                if result is None:
                    result = BulkResult(
                        index, request, Outcome.NOT_ATTEMPTED, error=blocked, attempts=0
                    )
                if row is not None:
                    if row.key != result.key:
                        result = attrs.evolve(result, key=row.key)
                    if not result.resumed and row.doubt is None:
                        await campaign.finish(  # type: ignore[union-attr]
                            row, JOURNAL_STATE[result.outcome], result.response, result.error
                        )
                if queue is None:
                    self._record(result)
                else:
                    try:
                        queue.put_nowait(result)
                    except asyncio.QueueFull:
                        await queue.put(result)  # the consumer is behind: wait (bounded)
            if queue is not None:
                await queue.put(_WORKER_DONE)
        except asyncio.CancelledError:
            if task.cancelling():
                raise  # the batch is being stopped
            # A send was cancelled from outside (not by this batch): nobody would learn of it.
            await _give_up(queue, RuntimeError("a send was cancelled from outside the batch"))
        except Exception as exc:
            await _give_up(queue, exc)
        finally:
            for unused in (beginning, ahead.begun if isinstance(ahead, _Pulled) else None):
                if unused is not None:
                    await _abandon(unused)


def _check_request(index: int, request: object) -> None:
    """Misuse: an input that is not a ``SendMessageRequest`` stops the batch."""
    if not isinstance(as_object(request), SendMessageRequest):
        got = type(request).__name__
        raise TypeError(f"input #{index} is a {got}, not a SendMessageRequest")


@attrs.define(slots=True)
class _Pulled:
    """An input a journaled worker pulled, begun in the journal: its row, and the
    journal's answer (both None: its app was already blocked, so it is not journaled;
    only ``begun``: beginning it raised, and ``begun`` holds the error)."""

    index: int
    request: SendMessageRequest
    row: Row | None
    begun: asyncio.Future[JournalEntry | None] | None


async def _abandon(beginning: asyncio.Future[Any]) -> None:
    """Stop waiting for a row's begin no longer wanted (its row may stay journaled in
    flight: a resume reconciles it); the error it ended with, if any, is dropped, not
    reported as never retrieved."""
    if not beginning.done():
        beginning.cancel()
        await asyncio.wait((beginning,))
    if not beginning.cancelled():
        beginning.exception()


def _result(
    index: int,
    request: SendMessageRequest,
    sent: Reported[SendMessageResponse],
    latency: float,
    key: str | None,
) -> BulkResult:
    """The result of one send, from its value or error and the state its call ended in."""
    error = sent.error
    state = sent.state
    return BulkResult(
        index,
        request,
        Outcome.SENT if error is None else classify_error(error),
        response=sent.value,
        error=error,
        latency=latency,
        attempts=state.attempts,
        maybe_processed=state.maybe_processed,
        key=key,
    )


def _settled(index: int, request: SendMessageRequest, row: Row) -> BulkResult | None:
    """The result of a journaled row that needs no send this run, or None to send it."""
    if row.doubt is not None:
        return BulkResult(
            index,
            request,
            Outcome.AMBIGUOUS,
            error=row.doubt,
            attempts=0,
            maybe_processed=True,
            key=row.key,
        )
    known = row.outcome
    if known is None:
        return None
    accepted = _serde.parse_timestamp(known.accepted_time) if known.accepted_time else None
    response = SendMessageResponse(message_id=known.message_id or "", accepted_time=accepted)
    return BulkResult(
        index, request, Outcome.SENT, response=response, attempts=0, key=row.key, resumed=True
    )


async def _give_up(queue: asyncio.Queue[Any] | None, error: BaseException) -> None:
    """Stop the batch with ``error``: raised at once by ``run``, else by the consumer."""
    if queue is None:
        raise error
    await queue.put(_Misuse(error))


class BulkMessagesResource(MessagesResource):
    """``client.messages``: every call of :class:`MessagesResource`, plus :meth:`send_many`."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        super().__init__(transport, config)
        self._deadline = config.deadline
        self._batches = BatchesResource(transport, config)

    @overload
    def send_many(
        self,
        requests: Requests,
        *,
        via: Literal["messages"] = ...,
        concurrency: int = ...,
        rate_limit: float | None = ...,
        progress: ProgressCallback | None = ...,
        journal: Journal | str | PathLike[str] | None = ...,
        key: RowKey | None = ...,
        reconcile: Reconcile | None = ...,
    ) -> BulkSend: ...

    @overload
    def send_many(
        self,
        requests: BatchRows,
        *,
        via: Literal["batch"],
        concurrency: int = ...,
        rate_limit: float | None = ...,
        progress: ProgressCallback | None = ...,
        journal: BatchJournal | str | PathLike[str] | None = ...,
        key: RowKey | None = ...,
        reconcile: Reconcile | None = ...,
    ) -> BatchBulkSend: ...

    def send_many(
        self,
        requests: Requests | BatchRows,
        *,
        via: Literal["messages", "batch"] = "messages",
        concurrency: int = 64,
        rate_limit: float | None = None,
        progress: ProgressCallback | None = None,
        journal: Journal | BatchJournal | str | PathLike[str] | None = None,
        key: RowKey | None = None,
        reconcile: Reconcile | None = None,
    ) -> BulkSend | BatchBulkSend:
        """Send many prepared requests; iterate the result for one :class:`BulkResult` each.

        ``requests`` may be any (async) iterable, consumed lazily; at most ``concurrency``
        sends run at once; ``rate_limit`` caps this batch's sends per second (the client's
        own shared limit applies too); ``progress`` gets counts about ten times a second.

        ``journal`` (a path for a SQLite journal, or a :class:`Journal`) makes it a
        resumable campaign: every row is journaled before it is sent, and running the same
        campaign again sends only what certainly was not sent, after looking for rows in
        doubt as ``reconcile`` says. ``key(index, request)`` names each row (default: its
        index). See :mod:`conversation_async.bulk`.

        ``via="batch"`` sends through the Batch API instead (rows: :class:`BatchRow` or
        ``SendMessageRequest``; ``concurrency`` and ``rate_limit`` then count batch
        requests; a ``journal`` is a path or a :class:`BatchJournal`, and of ``reconcile``
        only ``settle`` applies): see :mod:`conversation_async._batch_bulk`.
        """
        if via == "batch":
            return batch_send_many(
                self._batches,
                requests,
                concurrency=concurrency,
                rate_limit=rate_limit,
                progress=progress,
                journal=journal,  # type: ignore[arg-type] # checked by as_batch_journal
                key=key,
                reconcile=reconcile,
            )
        if via != "messages":
            raise ValueError(f"via must be 'messages' or 'batch', got {via!r}")
        campaign = None
        if journal is not None:
            campaign = Campaign(
                as_journal(journal),  # type: ignore[arg-type] # checked by as_journal
                self,
                key=key,
                reconcile=reconcile if reconcile is not None else Reconcile(),
                longest_call=self._deadline,
            )
        elif key is not None or reconcile is not None:
            raise ValueError("key and reconcile need a journal")
        return BulkSend(
            self._send_reported,
            requests,  # type: ignore[arg-type] # checked input by input
            concurrency=concurrency,
            rate_limit=rate_limit,
            progress=progress,
            campaign=campaign,
        )


# Bulk sends through the Batch API; imported last: they build on BulkResult above.
from ._batch_bulk import BatchBulkSend, BatchRows, batch_send_many  # noqa: E402
from ._batch_journal import BatchJournal  # noqa: E402
