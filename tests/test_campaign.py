"""Journaled campaigns over loopback: every row sent once, across failures, losses and resumes."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from pathlib import Path

import attrs
import pytest

from conversation_async import CampaignMismatchError, ConversationClient, RetryPolicy
from conversation_async.bulk import BulkResult, Outcome, Reconcile, SqliteJournal
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TextMessage,
)
from conversation_async.testing import Emulator, FaultMode, FaultPlan, ScriptedResponse

NO_RETRY = RetryPolicy(max_retries=0)
QUICK = Reconcile(settle=0.0, clock_skew=5.0)


def request(i: int, *, metadata: str | None = None, text: str = "hello") -> SendMessageRequest:
    return SendMessageRequest(
        app_id="campaign-app",
        recipient=IdentifiedRecipient.of(("SMS", f"+4670{i:07d}")),
        message=AppMessage(content=TextMessage(text=f"{text} {i}")),
        message_metadata=metadata,
    )


def rows(n: int, **kwargs: object) -> list[SendMessageRequest]:
    return [request(i, **kwargs) for i in range(n)]  # type: ignore[arg-type]


async def campaign(
    client: ConversationClient, inputs: object, journal: Path, **kwargs: object
) -> list[BulkResult]:
    bulk = client.messages.send_many(inputs, journal=journal, **kwargs)  # type: ignore[call-overload]
    async with bulk as results:
        return [r async for r in results]


def sends_per_recipient(emu: Emulator) -> Counter[str]:
    return Counter(
        e.request["recipient"]["identified_by"]["channel_identities"][0]["identity"]
        for e in emu.ledger
    )


def journal_states(path: Path) -> Counter[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM rows"))


async def test_a_journaled_campaign_sends_each_row_once_and_journals_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Every row is sent, and the journal records each as sent with its message id."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        results = await campaign(client, rows(50), journal)
    assert Counter(r.outcome for r in results) == {Outcome.SENT: 50}
    assert sorted(r.key for r in results if r.key) == sorted(str(i) for i in range(50))
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(50)}
    assert journal_states(journal) == {"sent": 50}
    with contextlib.closing(sqlite3.connect(journal)) as db:
        ids = dict(db.execute("SELECT key, message_id FROM rows"))
    assert ids == {r.key: r.response.message_id for r in results if r.response}


async def test_running_a_finished_campaign_again_sends_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A second run of a completed campaign reports every row sent, from the journal."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(20), journal)
        again = await campaign(client, rows(20), journal)
    assert len(emulator.ledger) == 20
    assert all(r.outcome is Outcome.SENT and r.resumed and r.attempts == 0 for r in again)
    by_key = {r.key: r.response for r in first}
    assert all(by_key[r.key] == r.response for r in again)


async def test_resume_sends_again_only_rows_that_certainly_failed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Rows refused with a 4xx are sent on resume; the rest are not sent twice."""
    journal = tmp_path / "c.journal"
    emulator.script("SendMessage", ScriptedResponse(400), ScriptedResponse(400))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(10), journal, concurrency=1)
        assert Counter(r.outcome for r in first) == {Outcome.SENT: 8, Outcome.FAILED: 2}
        second = await campaign(client, rows(10), journal, concurrency=1)
    assert Counter((r.outcome, r.resumed) for r in second) == {
        (Outcome.SENT, True): 8,
        (Outcome.SENT, False): 2,
    }
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(10)}


async def test_a_send_accepted_but_whose_answer_was_lost_is_found_not_resent(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The emulator processes the send and drops the connection: the row is ambiguous;
    resume finds the row's tag in the recipient's messages and does not send again."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(5), journal, reconcile=QUICK)
        assert {r.outcome for r in first} == {Outcome.AMBIGUOUS}
        assert journal_states(journal) == {"ambiguous": 5}
        emulator.clear_faults()
        second = await campaign(client, rows(5), journal, reconcile=QUICK)
    assert len(emulator.ledger) == 5
    assert all(r.outcome is Outcome.SENT and r.resumed for r in second)
    ledger_ids = {e.message_id for e in emulator.ledger}
    assert {r.response.message_id for r in second if r.response} == ledger_ids
    assert journal_states(journal) == {"sent": 5}


async def test_a_row_in_doubt_that_never_arrived_is_sent_after_the_settle_delay(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A connection reset before processing looks the same as one after: the rows are in
    doubt. Nothing carries their tags, so once the settle delay has passed each is sent."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.RESET_BEFORE: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, rows(3), journal)
        assert {r.outcome for r in first} == {Outcome.AMBIGUOUS}
        assert len(emulator.ledger) == 0
        emulator.clear_faults()
        loop = asyncio.get_running_loop()
        started = loop.time()
        second = await campaign(client, rows(3), journal, reconcile=Reconcile(settle=0.5))
        waited = loop.time() - started
    assert all(r.outcome is Outcome.SENT and not r.resumed for r in second)
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(3)}
    assert waited >= 0.3  # "not found" was trusted only after the settle delay


async def test_the_callers_metadata_is_kept_beside_the_tag(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The stored metadata starts with the caller's own, and results keep the caller's request."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        results = await campaign(client, rows(2, metadata="order=17"), journal)
    assert all(r.request.message_metadata == "order=17" for r in results)
    stored = [e.request["message_metadata"] for e in emulator.ledger]
    assert all(m.startswith("order=17 #ca1:") for m in stored)


async def test_resuming_against_different_input_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Changed text under the same keys: CampaignMismatchError, nothing more is sent."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(3), journal)
        with pytest.raises(CampaignMismatchError, match="differs"):
            await campaign(client, rows(3, text="changed"), journal)
    assert len(emulator.ledger) == 3


async def test_two_inputs_with_one_key_are_refused(emulator: Emulator, tmp_path: Path) -> None:
    """Keys must be unique: the second input with a key stops the campaign unsent."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        with pytest.raises(CampaignMismatchError, match="unique"):
            await campaign(client, rows(4), journal, key=lambda i, r: "same", concurrency=1)
    assert len(emulator.ledger) == 1


async def test_caller_keys_name_the_rows(emulator: Emulator, tmp_path: Path) -> None:
    """With ``key=``, rows are journaled (and tagged) under the caller's keys."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        results = await campaign(client, rows(3), journal, key=lambda i, r: f"user-{i}")
    assert {r.key for r in results} == {"user-0", "user-1", "user-2"}
    assert {e.request["message_metadata"].rsplit(":", 1)[1] for e in emulator.ledger} == {
        "user-0",
        "user-1",
        "user-2",
    }


async def test_a_journal_in_use_cannot_be_opened_by_a_second_run(tmp_path: Path) -> None:
    """Two runs of one campaign at once would send rows twice: the second is refused."""
    from conversation_async import JournalError

    first = SqliteJournal(tmp_path / "j")
    await first.open()
    try:
        with pytest.raises(JournalError, match="in use"):
            await SqliteJournal(tmp_path / "j").open()
    finally:
        await first.aclose()


async def test_stop_interrupts_sends_in_flight_as_results_and_resume_reconciles_them(
    emulator: Emulator, tmp_path: Path
) -> None:
    """stop(grace=0) cuts slow sends short: each comes back ``interrupted`` (the row each
    worker had pulled ahead, never sent, ``not_attempted``); the next run finds the ones the
    emulator accepted and sends only the rest."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.SLOW: 1}, slow_seconds=5))
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(rows(20), journal=journal, concurrency=4)
        got: list[BulkResult] = []
        async with bulk as results:
            asyncio.get_running_loop().call_later(0.3, bulk.stop, 0)
            got = [r async for r in results]
        outcomes = {r.index: r.outcome for r in got}
        assert outcomes == dict.fromkeys(range(4), Outcome.INTERRUPTED) | dict.fromkeys(
            range(4, 8), Outcome.NOT_ATTEMPTED
        )
        assert bulk.summary().not_attempted_from == 8
        assert journal_states(journal) == {"interrupted": 4, "not_attempted": 4}
        emulator.clear_faults()
        second = await campaign(client, rows(20), journal, reconcile=QUICK)
    assert Counter(r.outcome for r in second) == {Outcome.SENT: 20}
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(20)}


async def test_a_lost_answer_of_a_dispatch_mode_send_is_found_in_the_dispatch_store(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Messages sent with DISPATCH_ONLY are stored apart; reconciliation looks there too."""
    journal = tmp_path / "c.journal"
    inputs = [attrs.evolve(r, processing_strategy="DISPATCH_ONLY") for r in rows(4)]
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1}))
    async with emulator.client(retry=NO_RETRY) as client:
        first = await campaign(client, inputs, journal, reconcile=QUICK)
        assert {r.outcome for r in first} == {Outcome.AMBIGUOUS}
        emulator.clear_faults()
        second = await campaign(client, inputs, journal, reconcile=QUICK)
    assert all(r.outcome is Outcome.SENT and r.resumed for r in second)
    assert len(emulator.ledger) == 4


async def test_a_journal_that_cannot_be_written_stops_the_campaign(
    emulator: Emulator, tmp_path: Path
) -> None:
    """When the journal file turns read-only mid-campaign, the campaign raises JournalError
    instead of sending rows it cannot record."""
    from conversation_async import JournalError

    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(2), journal)
        with contextlib.closing(sqlite3.connect(journal)) as db, db:
            db.execute(
                "CREATE TRIGGER no_more BEFORE INSERT ON rows "
                "BEGIN SELECT RAISE(ABORT, 'full'); END"
            )
        with pytest.raises(JournalError, match="full"):
            await campaign(client, rows(10), journal, concurrency=1)
    assert len(emulator.ledger) == 2


async def test_outcomes_that_cannot_be_written_stop_the_campaign_and_resume_sends_none_twice(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outcomes are not waited for: when they cannot be written (here written at once,
    not gathered), the campaign stops with JournalError at its next row, the rows sent stay
    in flight in the journal, and the resume finds them instead of sending them again."""
    from conversation_async import JournalError, _journal

    monkeypatch.setattr(_journal, "LATER_DELAY", 0.0)

    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(0), journal)
        with contextlib.closing(sqlite3.connect(journal)) as db, db:
            db.execute(
                "CREATE TRIGGER no_outcomes BEFORE UPDATE ON rows WHEN NEW.state = 'sent' "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        with pytest.raises(JournalError, match="disk full"):
            await campaign(client, rows(10), journal, concurrency=2)
        stopped_after = len(emulator.ledger)
        assert 0 < stopped_after < 10
        in_journal = journal_states(journal)
        assert set(in_journal) == {"in_flight"}
        assert in_journal["in_flight"] >= stopped_after  # a send cut short may not have arrived
        with contextlib.closing(sqlite3.connect(journal)) as db, db:
            db.execute("DROP TRIGGER no_outcomes")
        resumed = await campaign(client, rows(10), journal, reconcile=QUICK)
    assert Counter(r.outcome for r in resumed) == {Outcome.SENT: 10}
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(10)}
    assert journal_states(journal) == {"sent": 10}


async def test_a_journaled_row_without_app_id_fails_before_any_request(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A row whose request has no app_id is a failed result (ValueError, no attempt), as
    without a journal, and the other rows are sent."""
    inputs = rows(3)
    inputs[1] = attrs.evolve(inputs[1], app_id="")
    async with emulator.client(retry=NO_RETRY) as client:
        results = sorted(
            await campaign(client, inputs, tmp_path / "c.journal"), key=lambda r: r.index
        )
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.FAILED, Outcome.SENT]
    assert isinstance(results[1].error, ValueError)
    assert "app_id" in str(results[1].error)
    assert results[1].attempts == 0
    assert len(emulator.ledger) == 2


async def test_a_row_whose_key_cannot_name_it_fails_and_the_others_are_sent(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A caller key that is not a usable key (empty, here) fails that row before any request
    (ValueError, not journaled), with or without a lookahead; the other rows are sent."""
    async with emulator.client(retry=NO_RETRY) as client:
        results = sorted(
            await campaign(
                client,
                rows(4),
                tmp_path / "c.journal",
                key=lambda i, r: "" if i == 2 else f"user-{i}",
                concurrency=1,
            ),
            key=lambda r: r.index,
        )
    assert [r.outcome for r in results] == [Outcome.SENT] * 2 + [Outcome.FAILED, Outcome.SENT]
    assert isinstance(results[2].error, ValueError)
    assert results[2].attempts == 0
    assert len(emulator.ledger) == 3
    assert journal_states(tmp_path / "c.journal") == {"sent": 3}
