"""SqliteJournal on real files: batched begins, outcomes queued without waiting, and write
failures that surface at the next step instead of being lost."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from conversation_async import JournalError, _journal
from conversation_async.bulk import JournalEntry, JournalState, SqliteJournal

FINGERPRINT = "0" * 32


def sent(key: str, run: int = 1) -> JournalEntry:
    return JournalEntry(key, FINGERPRINT, JournalState.SENT, run, 1.0, f"id-{key}", None, None, 1)


def states(path: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, state FROM rows"))


def refuse_outcomes(path: Path) -> None:
    """Make every outcome write of the journal at ``path`` fail (rows may still begin)."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TRIGGER no_outcomes BEFORE UPDATE ON rows WHEN NEW.state = 'sent' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )


async def begin_until_refused(
    journal: SqliteJournal, keys: str, pause: float = 0.0
) -> tuple[list[str], str]:
    """Begin ``keys`` one by one (``pause`` seconds apart) until the journal raises: those
    begun, and its message."""
    begun: list[str] = []
    for key in keys:
        await asyncio.sleep(pause)
        try:
            await journal.begin(key, FINGERPRINT, 1.0)
        except JournalError as exc:
            return begun, str(exc)
        begun.append(key)
    return begun, "every begin was accepted"


async def new_journal(path: Path) -> None:
    """Create the journal file at ``path`` (a run that journals nothing)."""
    journal = SqliteJournal(path)
    await journal.open()
    await journal.aclose()


async def test_outcomes_queued_without_waiting_are_durable_at_close(tmp_path: Path) -> None:
    """record_later returns at once; aclose writes every queued outcome."""
    journal = SqliteJournal(tmp_path / "j")
    await journal.open()
    for key in "abc":
        assert await journal.begin(key, FINGERPRINT, 1.0) is None
        journal.record_later(sent(key))
    await journal.aclose()
    assert states(tmp_path / "j") == {"a": "sent", "b": "sent", "c": "sent"}


async def test_rows_begun_together_each_get_their_own_earlier_entry(tmp_path: Path) -> None:
    """Begins of one event-loop pass that mix new rows, rows of an earlier run and a key
    repeated in this run get what one begin at a time would give."""
    path = tmp_path / "j"
    first = SqliteJournal(path)
    await first.open()
    await first.begin("old", FINGERPRINT, 1.0)
    await first.record(sent("old"))
    await first.aclose()
    second = SqliteJournal(path)
    assert (await second.open()).run == 2
    old, new, again = await asyncio.gather(
        second.begin("old", FINGERPRINT, 2.0),
        second.begin("new", FINGERPRINT, 2.0),
        second.begin("new", FINGERPRINT, 2.0),
    )
    await second.aclose()
    assert old == sent("old")
    assert new is None
    assert again is not None
    assert (again.state, again.run, again.attempted_at) == (JournalState.IN_FLIGHT, 2, 2.0)
    assert states(path) == {"old": "sent", "new": "in_flight"}


async def test_an_outcome_that_cannot_be_written_fails_a_following_begin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queued outcome whose write fails (here due at once) makes a begin raise by the
    writer's next batch, and every later call too; its row stays in flight (a resume
    reconciles it)."""
    monkeypatch.setattr(_journal, "LATER_DELAY", 0.0)
    path = tmp_path / "j"
    await new_journal(path)
    refuse_outcomes(path)
    journal = SqliteJournal(path)
    await journal.open()
    await journal.begin("a", FINGERPRINT, 1.0)
    journal.record_later(sent("a", run=2))
    begun, refusal = await begin_until_refused(journal, "bcdefgh")
    assert "disk full" in refusal
    assert len(begun) <= 2  # written with the outcome (before it), or in the next batch
    with pytest.raises(JournalError, match="disk full"):
        await journal.begin("z", FINGERPRINT, 1.0)
    await journal.aclose()  # already told: does not raise it again
    assert states(path) == dict.fromkeys(["a", *begun], "in_flight")


async def test_queued_outcomes_are_written_when_due_without_more_calls(tmp_path: Path) -> None:
    """Queued outcomes gather in the writer, but are written once LATER_DELAY has passed
    even when nothing else comes: a failed write then fails the very next call."""
    path = tmp_path / "j"
    await new_journal(path)
    refuse_outcomes(path)
    journal = SqliteJournal(path)
    await journal.open()
    await journal.begin("a", FINGERPRINT, 1.0)
    journal.record_later(sent("a", run=2))
    await asyncio.sleep(_journal.LATER_DELAY)
    begun, refusal = await begin_until_refused(journal, "b", pause=1.0)
    await journal.aclose()
    assert "disk full" in refusal
    assert begun == []  # the timer wrote it, not a following batch
    assert states(path) == {"a": "in_flight"}


async def test_queued_outcomes_are_written_once_enough_gathered_before_they_are_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LATER_ROWS queued outcomes are handed to the writer at once, not at LATER_DELAY
    (here an hour): a failed write fails the next call within seconds."""
    monkeypatch.setattr(_journal, "LATER_DELAY", 3600.0)
    path = tmp_path / "j"
    await new_journal(path)
    refuse_outcomes(path)
    journal = SqliteJournal(path)
    await journal.open()
    keys = [f"k{i}" for i in range(_journal.LATER_ROWS)]
    await asyncio.gather(*(journal.begin(key, FINGERPRINT, 1.0) for key in keys))
    for key in keys:
        journal.record_later(sent(key, run=2))
    begun, refusal = await begin_until_refused(journal, "abcdefghij", pause=1.0)
    await journal.aclose()
    assert "disk full" in refusal
    assert len(begun) <= 2  # the writer's next turn, not the hour
    assert set(states(path).values()) == {"in_flight"}


async def test_an_outcome_that_cannot_be_written_fails_the_close(tmp_path: Path) -> None:
    """When no later begin learns of it, aclose raises the failed outcome write."""
    path = tmp_path / "j"
    await new_journal(path)
    refuse_outcomes(path)
    journal = SqliteJournal(path)
    await journal.open()
    await journal.begin("a", FINGERPRINT, 1.0)
    journal.record_later(sent("a", run=2))
    with pytest.raises(JournalError, match="disk full"):
        await journal.aclose()
    assert states(path) == {"a": "in_flight"}


async def test_a_journal_made_by_an_earlier_version_is_resumed(tmp_path: Path) -> None:
    """A journal whose rows table has a rowid (as earlier versions made it) still works."""
    path = tmp_path / "j"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE campaign (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE rows (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "state TEXT NOT NULL, run INTEGER NOT NULL, attempted_at REAL, message_id TEXT, "
            "accepted_time TEXT, error TEXT, attempts INTEGER NOT NULL)"
        )
        db.execute("INSERT INTO campaign VALUES ('id', 'c0ffee'), ('runs', '1')")
        db.execute(
            "INSERT INTO rows VALUES ('a', ?, 'sent', 1, 1.0, 'id-a', NULL, NULL, 1)",
            (FINGERPRINT,),
        )
    journal = SqliteJournal(path)
    info = await journal.open()
    earlier = await journal.begin("a", FINGERPRINT, 2.0)
    assert await journal.begin("b", FINGERPRINT, 2.0) is None
    journal.record_later(sent("b", run=2))
    await journal.aclose()
    assert (info.campaign_id, info.run) == ("c0ffee", 2)
    assert earlier == sent("a")
    assert states(path) == {"a": "sent", "b": "sent"}


async def test_a_key_repeated_among_new_rows_begun_together_is_found_the_second_time(
    tmp_path: Path,
) -> None:
    """Of two begins of one new key in one event-loop pass, the first records the row and
    the second gets its entry (so the campaign refuses the repeated key)."""
    journal = SqliteJournal(tmp_path / "j")
    await journal.open()
    first, other, second = await asyncio.gather(
        journal.begin("k", FINGERPRINT, 1.0),
        journal.begin("other", FINGERPRINT, 1.0),
        journal.begin("k", FINGERPRINT, 1.0),
    )
    await journal.aclose()
    assert (first, other) == (None, None)
    assert second is not None
    assert (second.key, second.state, second.run) == ("k", JournalState.IN_FLIGHT, 1)
