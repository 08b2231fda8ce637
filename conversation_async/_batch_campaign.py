"""A journaled campaign sent through the Batch API: the I/O around
:mod:`._core.batch_campaign` for ``send_many(..., via="batch", journal=...)``.

Each row is planned as it is pulled (journaled, compared with the journal, a row in doubt
decided by looking up its batch); the rows to send are then grouped; before a group's
request goes out every row of it is journaled *in flight* with the request's batch tag
(which the request carries in ``batch_metadata``) and its position; afterwards with its
outcome and the batch id.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import _jsoncodec, _serde
from ._batch_journal import BatchJournal, SqliteBatchJournal
from ._campaign import JOURNAL_STATE, Reconcile, RowKey, describe_error
from ._checked import as_object
from ._core.batch_campaign import (
    BATCH_TAG_KEY,
    BatchMark,
    Seen,
    Verdict,
    batch_fingerprint,
    batch_next_step,
    batch_tag,
    judge_batches,
    verdict,
)
from ._core.campaign import CampaignMismatch, JournalEntry, JournalState, Next, check_key
from ._errors import CampaignMismatchError, ConversationError, NotFoundError
from ._resources._batches import BatchesResource
from .models import SendMessageRequest

if TYPE_CHECKING:
    from ._batch_bulk import BatchBulkResult

__all__ = ["BatchCampaign", "BatchPlan", "as_batch_journal", "gather_all"]

T = TypeVar("T")
RowToPlan = tuple[int, SendMessageRequest, Mapping[str, str] | None, Mapping[str, str] | None]
"""``(index, request, parameters, message_metadata)`` of an input row."""


async def gather_all(*awaitables: Awaitable[T]) -> list[T]:
    """Await all of ``awaitables`` to the end, then raise the first error, if any (no task
    is left running, and no error unretrieved)."""
    done: list[Any] = await asyncio.gather(*awaitables, return_exceptions=True)
    for item in done:
        if isinstance(item, BaseException):
            raise item
    return done


def as_batch_journal(journal: BatchJournal | str | os.PathLike[str]) -> BatchJournal:
    """A batch journal object, or a :class:`SqliteBatchJournal` on a path."""
    if isinstance(journal, str | os.PathLike):
        return SqliteBatchJournal(journal)
    if not isinstance(as_object(journal), BatchJournal):
        raise TypeError(
            "journal= with via='batch' must be a path or a BatchJournal (such as "
            f"SqliteBatchJournal), got {type(journal).__name__}: a per-message journal has "
            "nowhere to keep the batch of each row"
        )
    return journal


@attrs.define(slots=True)
class BatchPlan:
    """One row of this run, journaled: what the batch send needs to know of it."""

    key: str
    fingerprint: str
    attempts: int
    """Requests made for the row in earlier runs."""
    sent: bool = False
    """Known sent (journaled so, or its batch was found): no request this run."""
    mark: BatchMark | None = None
    """Where it went last (for a row known sent: the batch id and position, if known)."""
    doubt: ConversationError | None = None
    """Its batch could not be looked up: it stays in doubt, unsent, for a later run."""


@attrs.frozen
class Undecided:
    """A batch whose lookup failed: its rows stay in doubt."""

    error: ConversationError


class BatchCampaign:
    """The journal side of one ``send_many(..., via="batch")`` run."""

    def __init__(
        self,
        journal: BatchJournal,
        batches: BatchesResource,
        *,
        key: RowKey | None,
        reconcile: Reconcile,
    ) -> None:
        self._journal = journal
        self._batches = batches
        self._key = key
        self._settle = reconcile.settle
        self._campaign_id = ""
        self._run = 0
        self._lookups: dict[str, asyncio.Future[tuple[bool, str | None]]] = {}
        self._sent_at: dict[str, float] = {}
        """When each batch request of this run went out, by tag."""

    async def open(self) -> None:
        info = await self._journal.open()
        self._campaign_id, self._run = info.campaign_id, info.run

    async def aclose(self) -> None:
        for lookup in self._lookups.values():
            lookup.cancel()
        await asyncio.gather(*self._lookups.values(), return_exceptions=True)
        self._lookups.clear()
        await self._journal.aclose()

    async def plan(self, rows: Sequence[RowToPlan]) -> list[BatchPlan]:
        """Journal ``rows`` (one journal call for all) and decide each: send it, or not
        (``sent`` or ``doubt`` set). A row in doubt is decided by looking up its batch, once
        per batch. Raises :class:`CampaignMismatchError` for input that does not fit the
        journal."""
        now = time.time()
        begun: list[tuple[str, str, float]] = []
        for index, request, parameters, metadata in rows:
            key = check_key(self._key(index, request) if self._key is not None else str(index))
            body = _jsoncodec.dumps_sorted(
                {
                    "request": _serde.unstructure(request),
                    "parameters": dict(parameters) if parameters else None,
                    "message_metadata": dict(metadata) if metadata else None,
                }
            )
            begun.append((key, batch_fingerprint(body), now))
        known = await self._journal.begin_batch(begun)
        plans: list[BatchPlan] = []
        doubtful: list[tuple[BatchPlan, JournalEntry, BatchMark]] = []
        for (key, digest, _), (earlier, mark) in zip(begun, known, strict=True):
            try:
                step = batch_next_step(earlier, mark, digest, self._run)
            except CampaignMismatch as exc:
                raise CampaignMismatchError(str(exc)) from None
            plan = BatchPlan(key, digest, earlier.attempts if earlier is not None else 0)
            plans.append(plan)
            if step is Next.SKIP:
                plan.sent, plan.mark = True, mark
            elif step is Next.RECONCILE:
                assert earlier is not None  # noqa: S101 - in doubt: journaled earlier
                assert mark is not None  # noqa: S101 - and in a request
                doubtful.append((plan, earlier, mark))
        if doubtful:
            await self._reconcile(doubtful)
        return plans

    async def _reconcile(self, doubtful: list[tuple[BatchPlan, JournalEntry, BatchMark]]) -> None:
        """Decide the rows in doubt, one lookup per batch; journal those found sent."""
        first = {mark.tag: (mark, earlier.attempted_at or 0.0) for _, earlier, mark in doubtful}
        decided = dict(
            zip(
                first,
                await gather_all(*(self._decide(mark, at) for mark, at in first.values())),
                strict=True,
            )
        )
        found: list[tuple[JournalEntry, BatchMark | None]] = []
        for plan, earlier, mark in doubtful:
            decision = decided[mark.tag]
            if isinstance(decision, Undecided):
                plan.doubt = decision.error
            elif decision[0]:
                plan.sent = True
                plan.mark = attrs.evolve(mark, batch_id=decision[1] or mark.batch_id)
                entry = attrs.evolve(earlier, state=JournalState.SENT, run=self._run, error=None)
                found.append((entry, plan.mark))
        if found:
            await self._journal.record_batch(found)

    def tag(self, plans: Sequence[BatchPlan]) -> str:
        """The batch tag of a request carrying ``plans``' rows."""
        return batch_tag(self._campaign_id, self._run, (plan.key for plan in plans))

    async def launch(self, plans: Sequence[BatchPlan], tag: str) -> None:
        """Journal every row of a request about to go out in flight, with its mark; returns
        once that is durable."""
        now = time.time()
        self._sent_at[tag] = now
        await self._journal.record_batch(
            [
                (
                    self._entry(plan, JournalState.IN_FLIGHT, now, attempts=plan.attempts + 1),
                    BatchMark(tag, position),
                )
                for position, plan in enumerate(plans)
            ]
        )

    async def finish(
        self,
        plans: Sequence[BatchPlan],
        results: Sequence[BatchBulkResult],
        tag: str | None,
    ) -> list[BatchBulkResult]:
        """Journal each row's outcome (with its mark when its request went out, ``tag``
        set); the results, with their keys."""
        sent_at = self._sent_at.pop(tag, None) if tag is not None else None
        attempted = 1 if tag is not None else 0
        writes: list[tuple[JournalEntry, BatchMark | None]] = []
        keyed: list[BatchBulkResult] = []
        for position, (plan, result) in enumerate(zip(plans, results, strict=True)):
            mark = None if tag is None else BatchMark(tag, position, result.batch_id)
            state = JOURNAL_STATE[result.outcome]
            entry = self._entry(
                plan, state, sent_at, attempts=plan.attempts + attempted, error=result.error
            )
            writes.append((entry, mark))
            keyed.append(attrs.evolve(result, key=plan.key))
        await self._journal.record_batch(writes)
        return keyed

    def _entry(
        self,
        plan: BatchPlan,
        state: JournalState,
        attempted_at: float | None,
        *,
        attempts: int,
        error: BaseException | None = None,
    ) -> JournalEntry:
        return JournalEntry(
            plan.key,
            plan.fingerprint,
            state,
            self._run,
            attempted_at,
            error=describe_error(error),
            attempts=attempts,
        )

    # --- rows in doubt --------------------------------------------------------------------

    async def _decide(
        self, mark: BatchMark, attempted_at: float
    ) -> tuple[bool, str | None] | Undecided:
        """``(sent, batch id)`` for the rows of the batch ``mark`` names, or why it is still
        undecided: looked up once per batch (its rows may come in several chunks)."""
        lookup = self._lookups.get(mark.tag)
        if lookup is None:
            lookup = self._lookups[mark.tag] = asyncio.ensure_future(
                self._look_until_sure(mark, attempted_at)
            )
        try:
            return await asyncio.shield(lookup)
        except ConversationError as exc:
            return Undecided(exc)

    async def _look_until_sure(
        self, mark: BatchMark, attempted_at: float
    ) -> tuple[bool, str | None]:
        """Look until the batch is found, or is certainly absent (the settle delay passed)."""
        while True:
            seen, batch_id = await self._look(mark)
            decided, wait = verdict(
                seen, attempted_at=attempted_at, now=time.time(), settle=self._settle
            )
            if decided is Verdict.SENT:
                return True, batch_id
            if decided is Verdict.RESEND:
                return False, None
            await asyncio.sleep(wait)

    async def _look(self, mark: BatchMark) -> tuple[Seen, str | None]:
        """One lookup: by the journaled batch id when there is one, else by the tag."""
        if mark.batch_id is not None:
            try:
                batch = await self._batches.get(batch_id=mark.batch_id)
            except NotFoundError:
                return judge_batches([], None)
            return judge_batches([batch], None)
        found = await self._batches.list_by_metadata(key=BATCH_TAG_KEY, value=mark.tag)
        return judge_batches(found, mark.tag)
