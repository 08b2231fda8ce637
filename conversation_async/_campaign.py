"""A journaled campaign: the I/O around :mod:`._core.campaign` for ``send_many``.

Before a row's request goes out it is journaled *in flight*; after, its outcome. A row the
journal shows may have been accepted (in flight, ambiguous, interrupted) is reconciled
first: its recipient's messages are listed around the journaled attempt and searched for
the row's tag, carried at the end of ``message_metadata``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import attrs

from . import _jsoncodec, _serde
from ._bulk_report import Outcome
from ._checked import as_object
from ._core.call import Reported
from ._core.campaign import (
    CampaignMismatch,
    JournalEntry,
    JournalState,
    Next,
    campaign_tag,
    check_key,
    fingerprint,
    has_tag,
    next_step,
    reconcile_window,
    settle_wait,
    tagged_metadata,
)
from ._errors import CampaignMismatchError, ConversationError, JournalError
from ._journal import Journal, QueuedJournal, SqliteJournal
from ._resources._base import require
from ._resources._messages import MessagesResource
from .models import (
    ContactRecipient,
    ConversationChannel,
    ConversationDirection,
    ConversationMessage,
    IdentifiedRecipient,
    MessageSource,
    SendMessageRequest,
    SendMessageResponse,
)

__all__ = ["JOURNAL_STATE", "Campaign", "Reconcile", "RowKey", "as_journal"]

JOURNAL_STATE = {
    Outcome.SENT: JournalState.SENT,
    Outcome.FAILED: JournalState.FAILED,
    Outcome.AMBIGUOUS: JournalState.AMBIGUOUS,
    Outcome.INTERRUPTED: JournalState.INTERRUPTED,
    Outcome.NOT_ATTEMPTED: JournalState.NOT_ATTEMPTED,
}
"""The journal state a row's result leaves it in (per message or through batches)."""

RowKey = Callable[[int, SendMessageRequest], str]
"""Gives an input's key from its index and request (default: the index)."""


@attrs.frozen
class Reconcile:
    """How a row in doubt is looked for before it is sent again.

    ``settle``: seconds after the journaled attempt before "not found" is trusted (a
    message the API accepted must be listed by then). ``clock_skew``: seconds by which
    this machine's clock and the API's may disagree (widens the searched window).
    ``messages_source``: where the app's messages are stored, ``CONVERSATION_SOURCE``
    or ``DISPATCH_SOURCE`` (apps in DISPATCH mode, or ``processing_strategy=DISPATCH_ONLY``);
    None (default) looks in both, the conversation store first.
    """

    settle: float = 60.0
    clock_skew: float = 300.0
    messages_source: MessageSource | str | None = None


def as_journal(journal: Journal | str | os.PathLike[str]) -> Journal:
    """A journal object, or a :class:`SqliteJournal` on a path."""
    if isinstance(journal, str | os.PathLike):
        return SqliteJournal(journal)
    if not isinstance(as_object(journal), Journal):
        raise TypeError(f"journal must be a path or a Journal, got {type(journal).__name__}")
    return journal


@attrs.define(slots=True)
class Row:
    """One input's journaled send in progress."""

    key: str
    fingerprint: str
    body: bytes
    """What is sent: the input's JSON body with the row's tag in ``message_metadata``,
    encoded (so that no dict of it stays alive, to be scanned by the garbage collector,
    while the row waits its turn)."""
    attempted_at: float
    attempts: int
    outcome: JournalEntry | None = None
    """Set when the row needs no send: known sent, or found by reconciliation."""
    doubt: ConversationError | None = None
    """Set when reconciliation could not decide (the row stays in doubt)."""


class Campaign:
    """The journal side of one ``send_many`` run."""

    def __init__(
        self,
        journal: Journal,
        messages: MessagesResource,
        *,
        key: RowKey | None,
        reconcile: Reconcile,
        longest_call: float,
    ) -> None:
        self._journal = journal
        self._messages = messages
        self._key = key
        self._reconcile = reconcile
        self._longest_call = longest_call
        self._campaign_id = ""
        self._run = 0
        self._record_later = journal.record_later if isinstance(journal, QueuedJournal) else None
        self._queued: Awaitable[None] | None = None
        """Done: what :meth:`finish` returns for an outcome queued without waiting."""

    async def open(self) -> None:
        self._queued = asyncio.get_running_loop().create_future()
        self._queued.set_result(None)
        info = await self._journal.open()
        self._campaign_id, self._run = info.campaign_id, info.run

    async def aclose(self) -> None:
        await self._journal.aclose()

    def start(
        self, index: int, request: SendMessageRequest
    ) -> tuple[Row, Awaitable[JournalEntry | None]]:
        """Journal the row as begun (no await: the journal answers when the write is
        durable): the row to send, and the journal's answer; None means a row never seen,
        now in flight: send it; an earlier entry goes to :meth:`decide`. Raises
        ``ValueError`` for a bad key or a request without ``app_id`` (before it is
        journaled)."""
        key = check_key(self._key(index, request)) if self._key is not None else str(index)
        if not request.app_id:
            require(app_id=request.app_id)
        body = _serde.unstructure(request)
        digest = fingerprint(_jsoncodec.dumps_sorted(body))  # of the request as given
        body["message_metadata"] = tagged_metadata(
            request.message_metadata, campaign_tag(self._campaign_id, key)
        )
        now = time.time()
        row = Row(key, digest, _jsoncodec.dumps(body), now, 1)
        return row, self._journal.begin(key, digest, now)

    def recall(self, row: Row, earlier: JournalEntry) -> Next:
        """For a row an earlier run saw (``earlier``): what to do next; a row known sent
        gets its ``outcome`` (skip it); else :meth:`decide`. Raises
        :class:`CampaignMismatchError` for input that does not fit the journal."""
        try:
            step = next_step(earlier, row.fingerprint, self._run)
        except CampaignMismatch as exc:
            raise CampaignMismatchError(str(exc)) from None
        row.attempts = earlier.attempts + 1
        if step is Next.SKIP:
            row.outcome = earlier
        return step

    async def decide(
        self, row: Row, request: SendMessageRequest, earlier: JournalEntry, step: Next
    ) -> Row:
        """After :meth:`recall` said ``step`` (not skip): look for the row when it may have
        been sent (found: ``outcome``; undecided: ``doubt``), else journal it in flight,
        to send it again."""
        if step is Next.RECONCILE:
            assert earlier.attempted_at is not None  # noqa: S101 - in doubt means attempted
            tag = campaign_tag(self._campaign_id, row.key)
            try:
                found = await self._find(request, tag, earlier.attempted_at)
            except ConversationError as exc:
                row.doubt = exc
                return row
            if found is not None:
                row.outcome = attrs.evolve(
                    earlier,
                    state=JournalState.SENT,
                    run=self._run,
                    message_id=found.id,
                    accepted_time=_format_time(found.accept_time),
                    error=None,
                )
                await self._journal.record(row.outcome)
                return row
        # durable before the request goes out: the earlier state said "not sent"
        await self._journal.record(self._entry(row, JournalState.IN_FLIGHT))
        return row

    def send(self, row: Row) -> Coroutine[Any, Any, Reported[SendMessageResponse]]:
        """Send the row's tagged request."""
        # package-internal: the resource's reported send of a prepared body
        return self._messages._send_body_reported(row.body)  # pyright: ignore[reportPrivateUsage]

    def finish(
        self,
        row: Row,
        state: JournalState,
        response: SendMessageResponse | None,
        error: BaseException | None,
    ) -> Awaitable[None]:
        """Journal the row's outcome: queued without waiting when the journal can (a crash
        before it is written leaves the row in flight, to be reconciled; awaiting the
        result then costs nothing), else written."""
        entry = self._entry(row, state, response, error)
        if self._record_later is not None and self._queued is not None:
            self._record_later(entry)
            return self._queued
        return self._journal.record(entry)

    def _entry(
        self,
        row: Row,
        state: JournalState,
        response: SendMessageResponse | None = None,
        error: BaseException | None = None,
    ) -> JournalEntry:
        return JournalEntry(
            row.key,
            row.fingerprint,
            state,
            self._run,
            row.attempted_at,
            response.message_id if response is not None else None,
            _format_time(response.accepted_time) if response is not None else None,
            describe_error(error),
            row.attempts,
        )

    async def _find(
        self, request: SendMessageRequest, tag: str, attempted_at: float
    ) -> ConversationMessage | None:
        """The stored message carrying ``tag``, or None once ``settle`` has passed."""
        found = await self._search(request, tag, attempted_at)
        if found is not None:
            return found
        wait = settle_wait(attempted_at, time.time(), self._reconcile.settle)
        if wait <= 0:
            return None
        await asyncio.sleep(wait)
        return await self._search(request, tag, attempted_at)

    async def _search(
        self, request: SendMessageRequest, tag: str, attempted_at: float
    ) -> ConversationMessage | None:
        """Look for ``tag`` wherever the message can be stored: under each channel identity
        of the recipient (the API may fall back to any of them), or under the contact."""
        start, end = reconcile_window(
            attempted_at, longest_call=self._longest_call, clock_skew=self._reconcile.clock_skew
        )
        chosen = self._reconcile.messages_source
        sources = [chosen] if chosen is not None else list(MessageSource)
        recipient = request.recipient
        places: list[
            tuple[MessageSource | str, str | None, str | None, ConversationChannel | str | None]
        ]
        if isinstance(recipient, ContactRecipient):
            # contact_id is not a filter of the dispatch store
            places = [
                (source, recipient.contact_id, None, None)
                for source in sources
                if source != MessageSource.DISPATCH_SOURCE
            ]
            if not places:
                raise JournalError("a contact_id recipient cannot be looked up in DISPATCH_SOURCE")
        elif isinstance(recipient, IdentifiedRecipient):
            places = [
                (source, None, identity.identity, identity.channel)
                for source in sources
                for identity in recipient.identified_by.channel_identities
            ]
        else:
            raise JournalError(f"cannot reconcile a send to a {type(recipient).__name__}")
        for source, contact_id, identity, channel in places:
            listing = self._messages.list(
                app_id=request.app_id,
                contact_id=contact_id,
                channel_identity=identity,
                channel=channel,
                start_time=_utc(start),
                end_time=_utc(end),
                messages_source=source,
                direction=ConversationDirection.TO_CONTACT,
                page_size=100,
            )
            async for message in listing:
                if has_tag(message.metadata, tag):
                    return message
        return None


def describe_error(error: BaseException | None) -> str | None:
    if error is None:
        return None
    text = str(error)
    return f"{type(error).__name__}: {text}"[:500] if text else type(error).__name__


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _format_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
