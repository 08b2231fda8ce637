"""A journaled worker pulls its next row while it sends one, so the row's in-flight record
is written during the send. Over loopback: stops, cuts, blocked apps and errors of the row
pulled ahead still give every input one result (or a place in the summary), and a row is
never sent before its record is durable."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from conversation_async import CampaignMismatchError, ConversationClient, NotFoundError
from conversation_async.bulk import BulkResult, BulkSend, Outcome, Reconcile
from conversation_async.models import SendMessageRequest
from conversation_async.testing import Emulator, FaultMode, FaultPlan, ScriptedResponse
from tests.test_campaign import NO_RETRY, QUICK, campaign, request, rows, sends_per_recipient

GUARD = 10.0
"""Seconds a campaign may take here before it counts as hung (a settle wait is 60)."""

SLOW_SENDS = FaultPlan(1.0, modes={FaultMode.SLOW: 1}, slow_seconds=5)
CONSUMERS = pytest.mark.parametrize("how", ["iterate", "run"])


def by_recipient(index: int, row: SendMessageRequest) -> str:
    """A key that does not depend on the row's place in the input."""
    return row.recipient.identified_by.channel_identities[0].identity  # type: ignore[union-attr]


def states(path: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, state FROM rows"))


def key(i: int) -> str:
    return by_recipient(i, request(i))


async def drain(bulk: BulkSend, how: str) -> list[BulkResult]:
    """Every result, iterating or with ``run()`` (then results are not returned)."""
    async with asyncio.timeout(GUARD):
        if how == "run":
            await bulk.run()
            return []
        async with bulk:
            return [r async for r in bulk]


@pytest.fixture
def no_lost_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if a task's error was never retrieved (logged when it is collected)."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    yield
    gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


async def doubt_rows_4_to_7(client: ConversationClient, emulator: Emulator, journal: Path) -> None:
    """An earlier run leaves rows 4-7 in doubt, with nothing to find: a plan for them
    waits out the settle delay."""
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.RESET_BEFORE: 1}))
    earlier = await campaign(client, [request(i) for i in range(4, 8)], journal, key=by_recipient)
    assert {r.outcome for r in earlier} == {Outcome.AMBIGUOUS}
    emulator.inject_faults("SendMessage", SLOW_SENDS)


async def test_a_stop_leaves_the_rows_pulled_ahead_not_attempted_and_a_resume_sends_them_at_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    """stop(grace) lets the 4 sends in flight finish; the row each worker pulled ahead is
    not sent: ``not_attempted``, journaled so, and a resume sends it without looking it
    up first (no settle wait)."""
    journal = tmp_path / "c.journal"
    emulator.inject_faults(
        "SendMessage", FaultPlan(1.0, modes={FaultMode.SLOW: 1}, slow_seconds=0.5)
    )
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(rows(20), journal=journal, concurrency=4)
        asyncio.get_running_loop().call_later(0.2, bulk.stop, 5.0)
        got = await drain(bulk, "iterate")
        assert {r.index: r.outcome for r in got} == dict.fromkeys(
            range(4), Outcome.SENT
        ) | dict.fromkeys(range(4, 8), Outcome.NOT_ATTEMPTED)
        assert all(r.attempts == 0 and r.error is None for r in got if r.index >= 4)
        assert bulk.summary().not_attempted_from == 8
        assert states(journal) == {str(i): "sent" for i in range(4)} | {
            str(i): "not_attempted" for i in range(4, 8)
        }
        emulator.clear_faults()
        resumed = client.messages.send_many(
            rows(20), journal=journal, reconcile=Reconcile(settle=60.0)
        )
        again = await drain(resumed, "iterate")
    assert sum(r.resumed for r in again) == 4
    assert all(r.ok for r in again)
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(20)}


async def test_rows_begun_together_but_not_taken_come_back_not_attempted_on_a_stop(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Journaled inputs are pulled and begun ``concurrency`` at a time: when one worker is
    fast and three are slow, a stop finds rows begun but taken by no worker; each comes back
    ``not_attempted`` (journaled so), the summary starts the untouched rest after them, and
    a resume sends every row once."""
    journal = tmp_path / "c.journal"
    fast = ScriptedResponse(passthrough=True)
    slow = ScriptedResponse(passthrough=True, delay=1.0)
    emulator.script("SendMessage", fast, slow, slow, slow)
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(rows(20), journal=journal, concurrency=4)
        got: list[BulkResult] = []
        async with asyncio.timeout(GUARD), bulk:
            async for result in bulk:
                got.append(result)
                bulk.stop(5.0)
        # the fast worker sent its next row (4) and began the next four (8-11) for itself
        # and the others; 5-7 were the slow workers' next rows
        assert {r.index: r.outcome for r in got} == dict.fromkeys(
            range(5), Outcome.SENT
        ) | dict.fromkeys(range(5, 12), Outcome.NOT_ATTEMPTED)
        assert bulk.summary().not_attempted_from == 12
        assert states(journal) == {str(i): "sent" for i in range(5)} | {
            str(i): "not_attempted" for i in range(5, 12)
        }
        again = await campaign(client, rows(20), journal)
    assert sum(r.resumed for r in again) == 5
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(20)}


async def test_a_row_pulled_ahead_that_an_earlier_run_sent_keeps_its_sent_result_on_stop(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A row pulled ahead whose plan found it sent in an earlier run comes back sent
    (resumed), not ``not_attempted``, when the batch is stopped."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, [request(i) for i in range(4, 8)], journal, key=by_recipient)
        emulator.inject_faults("SendMessage", SLOW_SENDS)
        bulk = client.messages.send_many(rows(20), journal=journal, concurrency=4, key=by_recipient)
        asyncio.get_running_loop().call_later(0.3, bulk.stop, 0)
        got = await drain(bulk, "iterate")
    assert {r.index: (r.outcome, r.resumed) for r in got} == dict.fromkeys(
        range(4), (Outcome.INTERRUPTED, False)
    ) | dict.fromkeys(range(4, 8), (Outcome.SENT, True))
    assert bulk.summary().not_attempted_from == 8
    assert {states(journal)[key(i)] for i in range(4, 8)} == {"sent"}


async def test_the_grace_expiring_cuts_short_the_plans_of_rows_pulled_ahead(
    emulator: Emulator, tmp_path: Path, no_lost_errors: None
) -> None:
    """Rows pulled ahead whose plans wait out a 60 s settle delay: when the grace ends the
    plans are cancelled with the sends, the rows come back ``not_attempted`` at once, and
    a resume sends every row once."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await doubt_rows_4_to_7(client, emulator, journal)
        bulk = client.messages.send_many(
            rows(20),
            journal=journal,
            concurrency=4,
            key=by_recipient,
            reconcile=Reconcile(settle=60.0, clock_skew=5.0),
        )
        asyncio.get_running_loop().call_later(0.2, bulk.stop, 0.3)
        got = await drain(bulk, "iterate")
        assert {r.index: r.outcome for r in got} == dict.fromkeys(
            range(4), Outcome.INTERRUPTED
        ) | dict.fromkeys(range(4, 8), Outcome.NOT_ATTEMPTED)
        assert bulk.summary().not_attempted_from == 8
        emulator.clear_faults()
        again = await campaign(client, rows(20), journal, key=by_recipient, reconcile=QUICK)
    assert all(r.ok for r in again)
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(20)}


@CONSUMERS
async def test_a_hard_cancel_counts_the_rows_pulled_ahead_as_interrupted(
    emulator: Emulator, tmp_path: Path, no_lost_errors: None, how: str
) -> None:
    """Cancelling the consumer while rows pulled ahead are still planned: the summary lists
    them with the sends in flight as interrupted (they may be journaled in flight), the
    rest from ``not_attempted_from``; a resume sends every row once."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await doubt_rows_4_to_7(client, emulator, journal)
        bulk = client.messages.send_many(
            rows(20),
            journal=journal,
            concurrency=4,
            key=by_recipient,
            reconcile=Reconcile(settle=60.0, clock_skew=5.0),
        )
        consuming = asyncio.create_task(drain(bulk, how))
        await asyncio.sleep(0.3)
        consuming.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consuming
        summary = bulk.summary()
        assert summary.interrupted == tuple(range(8))
        assert summary.not_attempted_from == 8
        emulator.clear_faults()
        again = await campaign(client, rows(20), journal, key=by_recipient, reconcile=QUICK)
    assert all(r.ok for r in again)
    assert sends_per_recipient(emulator) == {f"+4670{i:07d}": 1 for i in range(20)}


async def test_a_row_pulled_ahead_when_its_app_is_blocked_is_not_attempted_with_the_blocking_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A 404 for the app while the next row was pulled ahead (and journaled in flight):
    that row is not sent, comes back ``not_attempted`` with the 404, and is journaled
    ``not_attempted`` so a resume sends it at once."""
    journal = tmp_path / "c.journal"
    emulator.script("SendMessage", ScriptedResponse(404))
    async with emulator.client(retry=NO_RETRY) as client:
        got = sorted(await campaign(client, rows(5), journal, concurrency=1), key=lambda r: r.index)
    assert got[0].outcome is Outcome.FAILED
    assert isinstance(got[0].error, NotFoundError)
    assert [r.outcome for r in got[1:]] == [Outcome.NOT_ATTEMPTED] * 4
    assert all(r.error is got[0].error and r.attempts == 0 for r in got[1:])
    assert len(emulator.ledger) == 0
    assert states(journal) == {"0": "failed", "1": "not_attempted"}


@CONSUMERS
async def test_a_non_request_pulled_ahead_raises_after_the_row_before_it_is_sent(
    emulator: Emulator, tmp_path: Path, no_lost_errors: None, how: str
) -> None:
    """Misuse found while pulling ahead is raised at its turn, as without a journal: the
    row before it is sent first."""
    inputs: list[object] = [request(0), "not a request", request(2)]
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(
            inputs,  # type: ignore[arg-type]
            journal=tmp_path / "c.journal",
            concurrency=1,
        )
        with pytest.raises(TypeError, match="input #1"):
            await drain(bulk, how)
    assert len(emulator.ledger) == 1


def broken() -> Iterator[SendMessageRequest]:
    yield request(0)
    raise LookupError("csv row 2 is broken")


async def broken_async() -> AsyncIterator[SendMessageRequest]:
    yield request(0)
    raise LookupError("csv row 2 is broken")


@CONSUMERS
@pytest.mark.parametrize("source", [broken, broken_async])
async def test_an_input_error_pulled_ahead_raises_after_the_row_before_it_is_sent(
    emulator: Emulator, tmp_path: Path, no_lost_errors: None, how: str, source: object
) -> None:
    """The caller's (async) iterator failing while pulling ahead is raised, not lost, once
    the row before it is sent."""
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(
            source(),  # type: ignore[operator]
            journal=tmp_path / "c.journal",
            concurrency=1,
        )
        with pytest.raises(LookupError, match="csv row 2"):
            await drain(bulk, how)
    assert len(emulator.ledger) == 1


@CONSUMERS
async def test_a_mismatch_found_by_a_plan_pulled_ahead_is_raised_never_left_unretrieved(
    emulator: Emulator, tmp_path: Path, no_lost_errors: None, how: str
) -> None:
    """Resuming against changed input: the first row's CampaignMismatchError is raised;
    the same error of the row pulled ahead is not logged as never retrieved."""
    journal = tmp_path / "c.journal"
    async with emulator.client(retry=NO_RETRY) as client:
        await campaign(client, rows(3), journal)
        bulk = client.messages.send_many(rows(3, text="changed"), journal=journal, concurrency=1)
        with pytest.raises(CampaignMismatchError, match="differs"):
            await drain(bulk, how)
    assert len(emulator.ledger) == 3
