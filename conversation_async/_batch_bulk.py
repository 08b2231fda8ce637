"""Bulk sends through the Batch API: ``client.messages.send_many(rows, via="batch")``.

Rows that share one message definition (app, message, and the send options a batch
carries) are grouped into requests of up to 1,000 recipients; each row's own values for the
message's ``${name}`` placeholders travel as its recipient's ``parameters``. Results stay
one per input row, as :class:`BatchBulkResult` (a :class:`~conversation_async.bulk.
BulkResult` with the row's ``batch_id`` and its ``batch_position`` in that request): a
refused batch fails all its rows with the batch's error; a 401/403 (a project not enabled
for the Batch API answers 403) stops the whole send and every later row is
``not_attempted`` with that error. There is never a silent switch to per-message sends.

A row is a :class:`BatchRow` (a ``SendMessageRequest`` plus its parameters and message
metadata) or a bare ``SendMessageRequest`` (no parameters). Fields a batch cannot carry per
message (``queue``, ``message_content_type``, ``conversation_metadata_update_strategy``, a
string ``message_metadata`` or ``conversation_metadata``) fail that row before any
request. With a campaign journal (:mod:`._batch_campaign`) each row is journaled before its
batch request goes out, and a resumed run sends only what certainly was not sent.

Sending a batch is a POST that is never retried after an answer that leaves open whether it
was processed: such a failure makes every row of the batch ``ambiguous``.

``stop(grace)`` keeps "one result per row" for every row pulled: rows grouped but not sent
come back ``not_attempted``. Leaving the ``async with`` block early (or cancelling) does
not: batches in flight are cancelled (their rows are listed in ``summary().interrupted``),
rows never pulled start at ``summary().not_attempted_from``, and rows grouped but not sent
get no result.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import string
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any

import attrs

from . import _serde
from ._batch_campaign import BatchCampaign, BatchPlan, as_batch_journal
from ._batch_journal import BatchJournal
from ._bulk import BulkResult, StreamingSend
from ._bulk_report import (
    BulkProgress,
    Outcome,
    classify_error,
)
from ._campaign import Reconcile, RowKey
from ._checked import as_object, is_any_dict
from ._core.batch_campaign import BATCH_TAG_KEY
from ._core.call import Reported
from ._errors import ClientStateError, PermissionDeniedError
from ._http.ratelimit import LocalRateLimiter
from ._resources._batches import MAX_RECIPIENTS, BatchesResource
from .models import (
    AppMessage,
    RecipientAndParam,
    SendBatchRequest,
    SendBatchResponse,
    SendMessageRequest,
)

__all__ = [
    "BatchBulkResult",
    "BatchBulkSend",
    "BatchRow",
    "BatchRows",
    "Group",
    "Grouper",
    "batch_request",
    "batch_send_many",
    "batch_text",
    "row_recipient",
]

logger = logging.getLogger("conversation_async.bulk")

SendBatch = Callable[[SendBatchRequest], Awaitable[Reported[SendBatchResponse]]]
ProgressCallback = Callable[[BulkProgress], None]

NOT_ENABLED_HINT = (
    "the project may not be enabled for the Batch API (ask your Sinch account manager); "
    "nothing was sent per message instead"
)


# --- rows and their mapping -------------------------------------------------------------


@attrs.frozen
class BatchRow:
    """One row of a bulk send through the Batch API.

    ``request`` is what a per-message send would send, except that its message may hold
    ``${name}`` placeholders; ``parameters`` are this row's values for them, and
    ``message_metadata`` this row's message metadata (merged over nothing: a batch's
    request-level metadata is not used by bulk sends).
    """

    request: SendMessageRequest
    parameters: Mapping[str, str] | None = None
    message_metadata: Mapping[str, str] | None = None


@attrs.frozen
class BatchBulkResult(BulkResult):
    """One row's result of a bulk send through batches: ``batch_id`` (None when its batch
    was not accepted) and ``batch_position``, its 0-based place in that batch request (the
    ``message_index`` of its FAILED delivery report, if any; None when never sent)."""

    batch_id: str | None = None
    batch_position: int | None = None


def batch_text(text: str) -> str:
    """A ``{column}`` text template (``str.format`` syntax, ``{{`` for a brace) as a batch
    message text with ``${column}`` placeholders.

    ``ValueError`` for what the Batch API cannot express: format specs or conversions
    (``{n:>3}``, ``{n!r}``), attribute or index lookups, positional fields, and a literal
    ``${`` (the API has no escape for it).
    """
    parts: list[str] = []
    for literal, field, spec, conversion in string.Formatter().parse(text):
        if "${" in literal:
            raise ValueError("the text holds a literal '${', which the Batch API cannot escape")
        parts.append(literal)
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"{{{field}}}: format specs and conversions have no batch form")
        if not field.isidentifier():
            raise ValueError(f"{{{field}}}: only plain column names can be batch parameters")
        parts.append("${" + field + "}")
    return "".join(parts)


_PER_MESSAGE_ONLY = ("queue", "message_content_type", "conversation_metadata_update_strategy")


def row_recipient(row: BatchRow | SendMessageRequest) -> RecipientAndParam:
    """The recipient entry of ``row`` in its batch request; ``ValueError`` for a row that
    uses what a batch cannot carry per message, ``TypeError`` for one that is not a row."""
    if isinstance(row, SendMessageRequest):
        request, parameters, metadata = row, None, None
    elif isinstance(as_object(row), BatchRow):
        request, parameters, metadata = row.request, row.parameters, row.message_metadata
        if not isinstance(as_object(request), SendMessageRequest):
            raise TypeError(
                f"BatchRow.request must be a SendMessageRequest, got {type(request).__name__}"
            )
    else:
        raise TypeError(f"expected a BatchRow or a SendMessageRequest, got {type(row).__name__}")
    used = [name for name in _PER_MESSAGE_ONLY if getattr(request, name) is not None]
    if request.message_metadata is not None:
        used.append("message_metadata (a string; give BatchRow.message_metadata instead)")
    conversation = request.conversation_metadata
    if conversation is not None and not _string_map(conversation):
        used.append("conversation_metadata (only a map of strings)")
    if used:
        raise ValueError(f"the Batch API cannot send this row: it sets {', '.join(used)}")
    return RecipientAndParam(
        recipient=request.recipient,
        parameters=dict(parameters) if parameters else None,
        message_metadata=dict(metadata) if metadata else None,
        conversation_metadata=dict(conversation) if conversation else None,  # type: ignore[arg-type]
    )


def _string_map(value: object) -> bool:
    return is_any_dict(value) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _request_of(row: BatchRow | SendMessageRequest) -> SendMessageRequest:
    return row.request if isinstance(row, BatchRow) else row


@attrs.define
class Group:
    """Rows headed for one batch request: their input ``indices``, their requests (for the
    results) and their recipient entries, in order; ``definition`` is the first row's."""

    key: Hashable
    definition: SendMessageRequest
    indices: list[int] = attrs.Factory(list[int])
    requests: list[SendMessageRequest] = attrs.Factory(list[SendMessageRequest])
    recipients: list[RecipientAndParam] = attrs.Factory(list[RecipientAndParam])

    def __len__(self) -> int:
        return len(self.indices)


class Grouper:
    """Collects rows into :class:`Group` s by message definition. Pure: it hands back the
    groups to send, full ones (``size`` rows) as they fill, and the oldest open group when
    a new definition would open more than ``max_open``; :meth:`drain` gives the rest."""

    def __init__(self, *, size: int = MAX_RECIPIENTS, max_open: int = 64) -> None:
        if not 1 <= size <= MAX_RECIPIENTS:
            raise ValueError(f"size must be 1..{MAX_RECIPIENTS}, got {size}")
        if max_open < 1:
            raise ValueError(f"max_open must be >= 1, got {max_open}")
        self._size = size
        self._max_open = max_open
        self._open: dict[Hashable, Group] = {}
        self._messages: dict[int, tuple[AppMessage, str]] = {}

    @property
    def held(self) -> int:
        """Rows added and not handed back yet."""
        return sum(len(group) for group in self._open.values())

    def add(
        self, index: int, request: SendMessageRequest, recipient: RecipientAndParam
    ) -> list[Group]:
        """Add one row; the groups now ready to send (none, one or two)."""
        key = self.key(request)
        ready: list[Group] = []
        group = self._open.get(key)
        if group is None:
            if len(self._open) >= self._max_open:
                ready.append(self._open.pop(next(iter(self._open))))
            group = self._open[key] = Group(key, request)
        group.indices.append(index)
        group.requests.append(request)
        group.recipients.append(recipient)
        if len(group) >= self._size:
            ready.append(self._open.pop(key))
        return ready

    def drain(self) -> list[Group]:
        """Every open group, oldest first; the grouper is empty afterwards."""
        groups = list(self._open.values())
        self._open.clear()
        return groups

    def key(self, request: SendMessageRequest) -> Hashable:
        """What rows must share to go in one batch: app, message and batch-wide options."""
        order = request.channel_priority_order
        properties = request.channel_properties
        return (
            request.app_id,
            self._message_key(request.message),
            request.callback_url,
            tuple(order) if order else None,
            tuple(sorted(properties.items())) if properties else None,
            request.ttl,
            None if request.processing_strategy is None else str(request.processing_strategy),
            request.correlation_id,
        )

    def _message_key(self, message: AppMessage) -> str:
        """The message's canonical JSON, computed once per message object (rows built from
        one template usually share it)."""
        known = self._messages.get(id(message))
        if known is not None and known[0] is message:
            return known[1]
        text = json.dumps(_serde.unstructure(message), sort_keys=True, separators=(",", ":"))
        if len(self._messages) >= 1024:
            self._messages.clear()
        self._messages[id(message)] = (message, text)
        return text


def batch_request(group: Group) -> SendBatchRequest:
    """The batch request of ``group``: its definition's message and options, its rows'
    recipients."""
    first = group.definition
    return SendBatchRequest(
        app_id=first.app_id,
        message=first.message,
        recipient_and_params=group.recipients,
        processing_strategy=first.processing_strategy,
        callback_url=first.callback_url,
        channel_priority_order=first.channel_priority_order,
        ttl=first.ttl,
        channel_properties=first.channel_properties,
        correlation_id=first.correlation_id,
    )


def group_results(
    group: Group,
    *,
    outcome: Outcome,
    response: SendBatchResponse | None = None,
    error: BaseException | None = None,
    latency: float = 0.0,
    attempts: int = 1,
    maybe_processed: bool = False,
) -> list[BatchBulkResult]:
    """One result per row of ``group``, in order. Pure."""
    batch_id = response.batch_id if response is not None else None
    return [
        BatchBulkResult(
            index,
            request,
            outcome,
            error=error,
            latency=latency,
            attempts=attempts,
            maybe_processed=maybe_processed,
            batch_id=batch_id,
            batch_position=position if attempts else None,
        )
        for position, (index, request) in enumerate(zip(group.indices, group.requests, strict=True))
    ]


# --- the runner -------------------------------------------------------------------------


def batch_send_many(
    batches: BatchesResource,
    rows: BatchRows,
    *,
    concurrency: int = 64,
    rate_limit: float | None = None,
    progress: ProgressCallback | None = None,
    journal: BatchJournal | str | os.PathLike[str] | None = None,
    key: RowKey | None = None,
    reconcile: Reconcile | None = None,
) -> BatchBulkSend:
    """``send_many(rows, via="batch", ...)``: a :class:`BatchBulkSend`, journaled as a
    campaign when ``journal`` is given."""
    campaign = None
    if journal is not None:
        campaign = BatchCampaign(
            as_batch_journal(journal),
            batches,
            key=key,
            reconcile=reconcile if reconcile is not None else Reconcile(),
        )
    elif key is not None or reconcile is not None:
        raise ValueError("key and reconcile need a journal")
    return BatchBulkSend(
        # package-internal: the reported send, which the public resource does not offer
        batches._send_reported,  # pyright: ignore[reportPrivateUsage]
        rows,
        concurrency=concurrency,
        rate_limit=rate_limit,
        progress=progress,
        campaign=campaign,
    )


BatchRows = Iterable[BatchRow | SendMessageRequest] | AsyncIterable[BatchRow | SendMessageRequest]
"""What ``send_many(..., via="batch")`` takes."""
Rows = BatchRows
_DONE = object()
_PLAN_CHUNK = 256
"""Rows journaled together (one journal transaction) when a campaign journal is used."""


class _Misuse:
    """An error that ends the whole send, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Rows:
    """The input, one row at a time with its index (a plain or an async iterable)."""

    def __init__(self, rows: Rows) -> None:
        self._async: AsyncIterator[Any] | None = None
        self._sync: Iterator[Any] | None = None
        if isinstance(rows, AsyncIterable):
            self._async = aiter(rows)
        else:
            self._sync = iter(rows)
        self.next_index = 0
        self.exhausted = False

    async def pull(self) -> tuple[int, Any] | None:
        try:
            if self._sync is not None:
                row = next(self._sync)
            else:
                assert self._async is not None  # noqa: S101 - one of the two is set
                row = await anext(self._async)
        except (StopIteration, StopAsyncIteration):
            self.exhausted = True
            return None
        index = self.next_index
        self.next_index += 1
        return index, row

    async def aclose(self) -> None:
        closer = getattr(self._async if self._async is not None else self._sync, "aclose", None)
        if closer is not None:
            await closer()
        elif (close := getattr(self._sync, "close", None)) is not None:
            close()


class BatchBulkSend(StreamingSend[BatchBulkResult]):
    """One streaming bulk send through batches; iterate it once (inside ``async with``),
    or :meth:`run` it. The same surface as :class:`~conversation_async.bulk.BulkSend`:
    ``stop(grace)``, ``progress``, ``summary()``; results come in completion order, a
    batch's rows together. A stop leaves rows grouped but not sent ``not_attempted``;
    ``progress.in_flight`` counts rows, not requests; ``summary().stopped_by`` names a
    403 as the Batch API not being enabled."""

    def __init__(
        self,
        send: SendBatch,
        rows: Rows,
        *,
        concurrency: int = 64,
        rate_limit: float | None = None,
        progress: ProgressCallback | None = None,
        progress_interval: float = 0.1,
        group_size: int = MAX_RECIPIENTS,
        max_open_groups: int = 64,
        campaign: BatchCampaign | None = None,
    ) -> None:
        self._in_flight: dict[int, Group] = {}
        super().__init__(
            rows,
            concurrency=concurrency,
            progress=progress,
            progress_interval=progress_interval,
            in_flight=lambda: sum(len(group) for group in self._in_flight.values()),
            items="rows",
            item="BatchRow",
        )
        self._send = send
        self._rows = rows
        self._limiter = LocalRateLimiter(rate_limit) if rate_limit is not None else None
        self._grouper = Grouper(size=group_size, max_open=max_open_groups)
        self._sending: dict[int, asyncio.Future[Reported[SendBatchResponse]]] = {}
        self._campaign = campaign
        self._plans: dict[int, BatchPlan] = {}
        """The journaled rows waiting in a group, by input index."""
        self.requests_sent = 0
        """Batch requests made (each attempt's retries not counted)."""

    # --- the machinery ----------------------------------------------------------------

    def _cancellable(self) -> Iterable[asyncio.Future[Any]]:
        return self._sending.values()

    def _stopped_by(self) -> tuple[str, ...]:
        return tuple(
            f"{line} ({NOT_ENABLED_HINT})" if "PermissionDeniedError" in line else line
            for line in self._stops.describe()
        )

    async def _results(self) -> AsyncGenerator[BatchBulkResult, None]:
        ready: asyncio.Queue[Any] = asyncio.Queue(maxsize=self._concurrency)
        done: asyncio.Queue[Any] = asyncio.Queue()
        source = _Rows(self._rows)
        campaign = self._campaign
        if campaign is not None:
            await campaign.open()
        tasks = [asyncio.create_task(self._feed(source, ready, done))]
        tasks += [asyncio.create_task(self._worker(ready, done)) for _ in range(self._concurrency)]
        finished = False
        try:
            running = len(tasks)
            while running:
                item = await done.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, _Misuse):
                    raise item.error
                else:
                    for result in item:
                        self._record(result)
                        yield result
            finished = True
        finally:
            self._cancel_grace()
            if not finished:
                self._interrupted = tuple(
                    sorted(i for g in self._in_flight.values() for i in g.indices)
                )
            if not source.exhausted and (not finished or self._stopping):
                self._not_attempted_from = source.next_index
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await source.aclose()
            finally:
                self._in_flight.clear()
                self._plans.clear()
                self._tally.end()
                if campaign is not None:
                    await campaign.aclose()

    async def _feed(
        self, source: _Rows, ready: asyncio.Queue[Any], done: asyncio.Queue[Any]
    ) -> None:
        """Pull rows, group them, hand full groups to the workers; then the rest."""
        grouper = self._grouper
        pending: list[tuple[int, BatchRow | SendMessageRequest, RecipientAndParam]] = []
        try:
            while not self._stopping:
                pulled = await source.pull()
                if pulled is None:
                    break
                index, row = pulled
                request = (
                    _request_of(row) if isinstance(row, BatchRow | SendMessageRequest) else None
                )
                if request is None:
                    raise TypeError(f"input #{index} is a {type(row).__name__}, not a BatchRow")
                blocked = self._stops.blocking(request.app_id) if self._stops.stopped else None
                if blocked is not None:
                    await done.put([_not_attempted(index, request, blocked)])
                    continue
                try:
                    recipient = row_recipient(row)
                except (ValueError, TypeError) as exc:
                    await done.put(
                        [BatchBulkResult(index, request, Outcome.FAILED, error=exc, attempts=0)]
                    )
                    continue
                if self._campaign is not None:
                    pending.append((index, row, recipient))
                    if len(pending) >= _PLAN_CHUNK:
                        await self._plan(pending, ready, done)
                        pending = []
                    continue
                for group in grouper.add(index, request, recipient):
                    await ready.put(group)
            if pending and not self._stopping:
                await self._plan(pending, ready, done)
            elif pending:  # pulled, never journaled: sent by a later run
                await done.put([_not_attempted(i, _request_of(row), None) for i, row, _ in pending])
            groups = grouper.drain()
            if self._stopping:
                for group in groups:
                    unsent = group_results(group, outcome=Outcome.NOT_ATTEMPTED, attempts=0)
                    await done.put(await self._finish(group, unsent, None))
            else:
                for group in groups:
                    await ready.put(group)
            for _ in range(self._concurrency):
                await ready.put(_DONE)
            await done.put(_DONE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the caller's iterator, or a row that is no row
            await done.put(_Misuse(exc))

    async def _plan(
        self,
        rows: list[tuple[int, BatchRow | SendMessageRequest, RecipientAndParam]],
        ready: asyncio.Queue[Any],
        done: asyncio.Queue[Any],
    ) -> None:
        """Journal ``rows`` together (one journal transaction for all), then group those to
        send; rows known sent, or still in doubt, get their results at once. A row in doubt
        is decided here, before it is grouped again."""
        campaign = self._campaign
        assert campaign is not None  # noqa: S101 - only called with a campaign
        plans = await campaign.plan(
            [
                (index, row.request, row.parameters, row.message_metadata)
                if isinstance(row, BatchRow)
                else (index, row, None, None)
                for index, row, _ in rows
            ]
        )
        settled: list[BatchBulkResult] = []
        for (index, row, recipient), plan in zip(rows, plans, strict=True):
            request = _request_of(row)
            if plan.doubt is not None:
                settled.append(
                    BatchBulkResult(
                        index,
                        request,
                        Outcome.AMBIGUOUS,
                        error=plan.doubt,
                        attempts=0,
                        maybe_processed=True,
                        key=plan.key,
                    )
                )
            elif plan.sent:
                mark = plan.mark
                settled.append(
                    BatchBulkResult(
                        index,
                        request,
                        Outcome.SENT,
                        attempts=0,
                        key=plan.key,
                        resumed=True,
                        batch_id=mark.batch_id if mark is not None else None,
                        batch_position=mark.position if mark is not None else None,
                    )
                )
            else:
                self._plans[index] = plan
                for group in self._grouper.add(index, request, recipient):
                    await ready.put(group)
        if settled:
            await done.put(settled)

    async def _finish(
        self, group: Group, results: list[BatchBulkResult], tag: str | None
    ) -> list[BatchBulkResult]:
        """Journal the outcome of ``group``'s rows (no-op without a campaign)."""
        campaign = self._campaign
        if campaign is None:
            return results
        plans = [self._plans.pop(index) for index in group.indices]
        return await campaign.finish(plans, results, tag)

    async def _worker(self, ready: asyncio.Queue[Any], done: asyncio.Queue[Any]) -> None:
        """Send groups until told there are no more."""
        try:
            while True:
                group = await ready.get()
                if group is _DONE:
                    break
                await done.put(await self._send_group(group))
            await done.put(_DONE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await done.put(_Misuse(exc))

    async def _send_group(self, group: Group) -> list[BatchBulkResult]:
        """Send one batch request; its rows' results (journaled, with a campaign)."""
        campaign = self._campaign
        tag = None
        if campaign is not None:
            tag = campaign.tag([self._plans[index] for index in group.indices])
        results = await self._send_tagged(group, tag)
        sent = results[0].attempts > 0 if results else False
        return await self._finish(group, results, tag if sent else None)

    async def _send_tagged(self, group: Group, tag: str | None) -> list[BatchBulkResult]:
        """Send one batch request, carrying ``tag`` in its batch metadata and journaled in
        flight first when given; its rows' results."""
        app_id = group.definition.app_id
        blocked = self._stops.blocking(app_id) if self._stops.stopped else None
        if blocked is not None or self._stopping:
            return group_results(group, outcome=Outcome.NOT_ATTEMPTED, error=blocked, attempts=0)
        started = time.monotonic()
        try:
            request = batch_request(group)
            if tag is not None:
                request = attrs.evolve(request, batch_metadata={BATCH_TAG_KEY: tag})
            if self._limiter is not None:
                await self._limiter.acquire()
            sending = self._send(request)
        except (ValueError, TypeError) as exc:  # refused before any request
            return group_results(group, outcome=Outcome.FAILED, error=exc, attempts=0)
        if tag is not None and self._campaign is not None:
            try:  # durable before the request goes out
                await self._campaign.launch([self._plans[i] for i in group.indices], tag)
            except BaseException:
                if asyncio.iscoroutine(sending):
                    sending.close()  # never sent: no "never awaited" warning
                raise
        key = id(group)
        task = asyncio.ensure_future(sending)
        self._in_flight[key] = group
        self._sending[key] = task
        self.requests_sent += 1
        try:
            sent = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the whole send is being torn down
            return group_results(  # stop() cut this batch short
                group,
                outcome=Outcome.INTERRUPTED,
                latency=time.monotonic() - started,
                maybe_processed=True,
            )
        finally:
            self._in_flight.pop(key, None)
            self._sending.pop(key, None)
        latency = time.monotonic() - started
        report = sent.report()
        error = sent.error
        if error is None:
            return group_results(
                group,
                outcome=Outcome.SENT,
                response=sent.value,
                latency=latency,
                attempts=report.attempts,
                maybe_processed=report.maybe_processed,
            )
        if isinstance(error, ClientStateError):
            raise error
        if self._stops.record(error, app_id):
            hint = f" ({NOT_ENABLED_HINT})" if isinstance(error, PermissionDeniedError) else ""
            logger.warning("send_many via batches stops sending: %s%s", error, hint)
        return group_results(
            group,
            outcome=classify_error(error),
            error=error,
            latency=latency,
            attempts=report.attempts,
            maybe_processed=report.maybe_processed,
        )


def _not_attempted(
    index: int, request: SendMessageRequest, error: BaseException | None
) -> BatchBulkResult:
    return BatchBulkResult(index, request, Outcome.NOT_ATTEMPTED, error=error, attempts=0)
