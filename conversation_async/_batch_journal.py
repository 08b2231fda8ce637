"""Campaign journals for bulk sends through the Batch API.

A batch row is journaled like a per-message row (:class:`~._journal.Journal`) plus a
:class:`~._core.batch_campaign.BatchMark` (its batch request's tag, its position there,
the batch id once known), written in the same transaction as the row's state.
:class:`SqliteBatchJournal` keeps the marks in a second table of the same SQLite file.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ._core.batch_campaign import BatchMark
from ._core.campaign import JournalEntry
from ._journal import (
    IN_FLIGHT,
    UPSERT,
    JournalInfo,
    SqliteJournal,
    begin_all,
    in_transaction,
    row_values,
    write_rows,
)

__all__ = ["BatchJournal", "BeginRow", "Known", "SqliteBatchJournal"]


BeginRow = tuple[str, str, float]
"""``(key, fingerprint, attempted_at)`` of a row to begin."""
Known = tuple[JournalEntry | None, BatchMark | None]
"""A row's entry and mark from an earlier run (None, None: a new row)."""


@runtime_checkable
class BatchJournal(Protocol):
    """Where a campaign sent through batches keeps its rows. Calls take many rows at once
    (a batch request's, or a chunk of input); each call's writes must be durable, all
    together, when its coroutine returns."""

    async def open(self) -> JournalInfo:
        """Open (creating if needed) and start a new run of the campaign."""
        ...

    async def begin_batch(self, rows: Sequence[BeginRow]) -> list[Known]:
        """:meth:`~._journal.Journal.begin` for each row, plus its mark from an earlier run
        (None for a row never seen, or never put in a batch request)."""
        ...

    async def record_batch(self, rows: Sequence[tuple[JournalEntry, BatchMark | None]]) -> None:
        """Store each entry and mark (None: no mark) as its row's state."""
        ...

    async def aclose(self) -> None:
        """Write what is pending and release the store."""
        ...


_MARKS = """CREATE TABLE IF NOT EXISTS batch_marks (
    key TEXT PRIMARY KEY, tag TEXT NOT NULL, position INTEGER NOT NULL, batch_id TEXT
)"""
_SELECT_MARK = "SELECT tag, position, batch_id FROM batch_marks WHERE key = ?"
_UPSERT_MARK = (
    "INSERT OR REPLACE INTO batch_marks (key, tag, position, batch_id) VALUES (?, ?, ?, ?)"
)
_DELETE_MARK = "DELETE FROM batch_marks WHERE key = ?"


class SqliteBatchJournal(SqliteJournal):
    """A :class:`~._journal.SqliteJournal` that also keeps each row's batch mark (in a
    second table of the same file); what ``send_many(..., via="batch", journal=PATH)``
    opens."""

    def _connect(self) -> tuple[sqlite3.Connection, JournalInfo]:
        db, info = super()._connect()
        try:
            db.execute(_MARKS)
        except BaseException:
            db.close()
            raise
        return db, info

    async def begin_batch(self, rows: Sequence[BeginRow]) -> list[Known]:
        run = self._run
        begins = [(key, digest, IN_FLIGHT, run, attempted_at) for key, digest, attempted_at in rows]

        def begin(db: sqlite3.Connection) -> list[Known]:
            found = begin_all(db, begins)  # durable when it returns
            if found is None:  # all new: the usual case
                return [(None, None)] * len(begins)
            known: list[Known] = []
            for (key, *_), earlier in zip(begins, found, strict=True):
                mark = None
                if earlier is not None:
                    row = db.execute(_SELECT_MARK, (key,)).fetchone()
                    mark = None if row is None else BatchMark(*row)
                known.append((earlier, mark))
            return known

        return await self._submit(begin)

    async def record_batch(self, rows: Sequence[tuple[JournalEntry, BatchMark | None]]) -> None:
        entries = [row_values(entry) for entry, _ in rows]
        marks = [
            (entry.key, mark.tag, mark.position, mark.batch_id)
            for entry, mark in rows
            if mark is not None
        ]
        unmarked = [(entry.key,) for entry, mark in rows if mark is None]

        def write(db: sqlite3.Connection) -> None:
            write_rows(db, UPSERT, entries)
            db.executemany(_UPSERT_MARK, marks)
            db.executemany(_DELETE_MARK, unmarked)

        # a row's state and its mark, durable together
        await self._submit(functools.partial(in_transaction, work=write))
