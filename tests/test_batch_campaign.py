"""Journaled campaigns through the Batch API, over loopback: every row sent once across
failures, lost answers and resumes; batches in doubt found again by their metadata tag."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from conversation_async import CampaignMismatchError, ConversationClient, RetryPolicy
from conversation_async._core.batch_campaign import BATCH_TAG_KEY
from conversation_async.bulk import (
    BatchBulkResult,
    BatchRow,
    Outcome,
    Reconcile,
    SqliteBatchJournal,
    SqliteJournal,
    batch_text,
)
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TextMessage,
)
from conversation_async.testing import (
    BatchSettings,
    Emulator,
    FaultMode,
    FaultPlan,
    ScriptedResponse,
)
from tests.test_campaign import journal_states, sends_per_recipient

NO_RETRY = RetryPolicy(max_retries=0)
QUICK = Reconcile(settle=0.0)
HELLO = AppMessage(content=TextMessage(text=batch_text("Hi {name}")))


def identity(index: int) -> str:
    return f"+4670{index:07d}"


def row(index: int, message: AppMessage = HELLO) -> BatchRow:
    return BatchRow(
        request=SendMessageRequest(
            app_id="campaign-app",
            recipient=IdentifiedRecipient.of(("SMS", identity(index))),
            message=message,
        ),
        parameters={"name": f"n{index}"},
    )


def rows(n: int, message: AppMessage = HELLO) -> list[BatchRow]:
    return [row(i, message) for i in range(n)]


async def campaign(
    client: ConversationClient, inputs: object, journal: object, **options: object
) -> list[BatchBulkResult]:
    bulk = client.messages.send_many(inputs, via="batch", journal=journal, **options)  # type: ignore[call-overload]
    async with bulk as results:
        return [r async for r in results]


def exactly_once(emu: Emulator, n: int) -> bool:
    return sends_per_recipient(emu) == {identity(i): 1 for i in range(n)}


async def test_a_journaled_batch_campaign_records_each_row_with_its_batch_and_position(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Every row is sent and journaled sent with the batch id and position its result
    names; each batch request carried a tag of its own in its batch metadata."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        results = await campaign(client, rows(2500), journal, concurrency=2)
    assert Counter(r.outcome for r in results) == {Outcome.SENT: 2500}
    assert exactly_once(emulator, 2500)
    assert journal_states(journal) == {"sent": 2500}
    with contextlib.closing(sqlite3.connect(journal)) as db:
        marked = db.execute("SELECT key, batch_id, position FROM batch_marks")
        marks = {key: (batch_id, position) for key, batch_id, position in marked}
    assert marks == {r.key: (r.batch_id, r.batch_position) for r in results}
    tags = {b.meta_data[BATCH_TAG_KEY] for b in emulator.store.batches.values() if b.meta_data}
    assert len(tags) == len(emulator.store.batches) == 3


async def test_running_a_finished_batch_campaign_again_sends_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A second run reports every row sent from the journal, with its batch id and
    position, and makes no request."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(30), journal)
        again = await campaign(client, rows(30), journal)
    assert emulator.requests_seen["SendBatch"] == 1
    assert all(r.outcome is Outcome.SENT and r.resumed and r.attempts == 0 for r in again)
    before = {r.key: (r.batch_id, r.batch_position) for r in first}
    assert {r.key: (r.batch_id, r.batch_position) for r in again} == before


async def test_resume_sends_again_only_the_rows_of_a_batch_certainly_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A batch answered 400 is certainly not sent: resume sends its rows; the others are
    skipped."""
    journal = tmp_path / "c.journal"
    emulator.script("SendBatch", ScriptedResponse(200, passthrough=True), ScriptedResponse(400))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(1500), journal, concurrency=1)
        assert Counter(r.outcome for r in first) == {Outcome.SENT: 1000, Outcome.FAILED: 500}
        second = await campaign(client, rows(1500), journal, concurrency=1)
    assert Counter((r.outcome, r.resumed) for r in second) == {
        (Outcome.SENT, True): 1000,
        (Outcome.SENT, False): 500,
    }
    assert exactly_once(emulator, 1500)


async def test_a_batch_accepted_but_whose_answer_was_lost_is_found_and_not_sent_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The emulator processes the batch and drops the connection: its rows are ambiguous;
    resume finds the batch by its metadata tag, reports its rows sent with its id, and
    makes no second batch."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendBatch", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(40), journal, reconcile=QUICK)
        assert {r.outcome for r in first} == {Outcome.AMBIGUOUS}
        assert journal_states(journal) == {"ambiguous": 40}
        emulator.clear_faults()
        second = await campaign(client, rows(40), journal, reconcile=QUICK)
    assert emulator.requests_seen["SendBatch"] == 1  # the faulted one, nothing more
    assert exactly_once(emulator, 40)
    (batch_id,) = emulator.store.batches
    assert all(r.outcome is Outcome.SENT and r.resumed for r in second)
    assert {(r.batch_id, r.batch_position) for r in second} == {(batch_id, i) for i in range(40)}
    assert journal_states(journal) == {"sent": 40}


async def test_a_batch_in_doubt_that_never_arrived_is_sent_after_the_settle_delay(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A reset before processing looks the same as one after; nothing carries the tag, so
    once the settle delay has passed the rows are sent, in one new batch."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendBatch", FaultPlan(1.0, modes={FaultMode.RESET_BEFORE: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(10), journal)
        assert {r.outcome for r in first} == {Outcome.AMBIGUOUS}
        emulator.clear_faults()
        loop = asyncio.get_running_loop()
        started = loop.time()
        second = await campaign(client, rows(10), journal, reconcile=Reconcile(settle=0.5))
        waited = loop.time() - started
    assert all(r.outcome is Outcome.SENT and not r.resumed for r in second)
    assert exactly_once(emulator, 10)
    assert waited >= 0.3  # "not found" was trusted only after the settle delay


def by_phone(index: int, request: SendMessageRequest) -> str:
    """A key that does not depend on the row's place in the input."""
    assert isinstance(request.recipient, IdentifiedRecipient)
    return request.recipient.identified_by.channel_identities[0].identity


async def test_rows_in_doubt_are_decided_before_they_are_grouped_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A resume whose input groups differently (new rows first, the rest reversed) still
    skips every row of the lost batch that was found, and sends only the new rows."""
    journal = tmp_path / "c.journal"
    emulator.script("SendBatch", ScriptedResponse(200, passthrough=True))
    emulator.inject_faults("SendBatch", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(
            client, rows(1500), journal, concurrency=1, reconcile=QUICK, key=by_phone
        )
        assert Counter(r.outcome for r in first) == {Outcome.SENT: 1000, Outcome.AMBIGUOUS: 500}
        emulator.clear_faults()
        regrouped = [row(i) for i in range(1500, 1600)] + rows(1500)[::-1]
        second = await campaign(client, regrouped, journal, reconcile=QUICK, key=by_phone)
    assert Counter((r.outcome, r.resumed) for r in second) == {
        (Outcome.SENT, True): 1500,
        (Outcome.SENT, False): 100,
    }
    assert exactly_once(emulator, 1600)
    assert emulator.requests_seen["SendBatch"] == 3


async def test_a_cancelled_batch_in_doubt_is_sent_again(emulator: Emulator, tmp_path: Path) -> None:
    """A lost answer, then the batch found cancelled (none of its messages generated):
    its rows are sent again."""
    journal = tmp_path / "c.journal"
    emulator.batch_settings = BatchSettings(processing_delay=30.0)  # stays READY meanwhile
    emulator.inject_faults("SendBatch", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(5), journal, reconcile=QUICK)
        emulator.clear_faults()
        (stored,) = emulator.store.batches.values()
        stored.status = "CANCELLED"  # as if cancelled before it ran
        emulator.batch_settings = BatchSettings()
        second = await campaign(client, rows(5), journal, reconcile=QUICK)
    assert all(r.outcome is Outcome.SENT and not r.resumed for r in second)
    assert emulator.requests_seen["SendBatch"] == 2


async def test_a_lookup_that_fails_leaves_the_rows_in_doubt_unsent(
    emulator: Emulator, tmp_path: Path
) -> None:
    """If the batch cannot be looked up, its rows are ambiguous again, nothing is sent, and
    a later run decides them."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendBatch", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(5), journal, reconcile=QUICK)
        emulator.clear_faults()
        emulator.script("GetBatchStatusesByMetadata", ScriptedResponse(500))
        second = await campaign(client, rows(5), journal, reconcile=QUICK)
        assert {r.outcome for r in second} == {Outcome.AMBIGUOUS}
        third = await campaign(client, rows(5), journal, reconcile=QUICK)
    assert all(r.outcome is Outcome.SENT and r.resumed for r in third)
    assert emulator.requests_seen["SendBatch"] == 1
    assert exactly_once(emulator, 5)


async def test_resuming_a_batch_campaign_with_different_input_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Another text, other parameters, or the same rows sent per message: each stops with
    CampaignMismatchError before anything of the mismatching row is sent."""
    journal = tmp_path / "c.journal"
    other = AppMessage(content=TextMessage(text=batch_text("Bye {name}")))
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(5), journal)
        with pytest.raises(CampaignMismatchError, match="differs"):
            await campaign(client, rows(5, other), journal)
        changed = [*rows(4), BatchRow(request=row(4).request, parameters={"name": "x"})]
        with pytest.raises(CampaignMismatchError, match="differs"):
            await campaign(client, changed, journal)
        plain = [r.request for r in rows(5)]
        with pytest.raises(CampaignMismatchError):
            async with client.messages.send_many(plain, journal=journal) as results:
                [r async for r in results]
    assert emulator.requests_seen["SendBatch"] == 1
    assert len(emulator.ledger) == 5


async def test_two_rows_with_one_key_are_refused(emulator: Emulator, tmp_path: Path) -> None:
    """Keys name rows: a repeated key stops the campaign with CampaignMismatchError."""
    async with emulator.client(retry=NO_RETRY) as client:
        with pytest.raises(CampaignMismatchError, match="unique"):
            await campaign(client, rows(3), tmp_path / "j", key=lambda i, r: "same")


async def test_a_per_message_journal_object_is_refused_with_batches(
    emulator: Emulator, tmp_path: Path
) -> None:
    """via='batch' needs a path or a BatchJournal: a per-message SqliteJournal is a
    TypeError naming SqliteBatchJournal; key and reconcile without a journal are refused."""
    async with emulator.client() as client:
        per_message = SqliteJournal(tmp_path / "j")
        with pytest.raises(TypeError, match="SqliteBatchJournal"):
            client.messages.send_many(rows(1), via="batch", journal=per_message)  # type: ignore[call-overload]
        with pytest.raises(ValueError, match="need a journal"):
            client.messages.send_many(rows(1), via="batch", key=lambda i, r: str(i))
        results = await campaign(client, rows(2), SqliteBatchJournal(tmp_path / "k"))
    assert {r.outcome for r in results} == {Outcome.SENT}
