"""Campaign journals for bulk sends through the Batch API.

A batch row is journaled like a per-message row (:class:`~._journal.Journal`) plus a
:class:`~._core.batch_campaign.BatchMark` (its batch request's tag, its position there,
the batch id once known), written in the same transaction as the row's state.
:class:`SqliteBatchJournal` keeps the marks in a second table of the same SQLite file.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol, runtime_checkable

from ._core.batch_campaign import BatchMark
from ._core.campaign import JournalEntry
from ._journal import _UPSERT, JournalInfo, SqliteJournal, _begin, _row

__all__ = ["BatchJournal", "SqliteBatchJournal"]


@runtime_checkable
class BatchJournal(Protocol):
    """Where a campaign sent through batches keeps its rows. Every write must be durable
    when its coroutine returns."""

    async def open(self) -> JournalInfo:
        """Open (creating if needed) and start a new run of the campaign."""

    async def begin_batch(
        self, key: str, fingerprint: str, attempted_at: float
    ) -> tuple[JournalEntry | None, BatchMark | None]:
        """As :meth:`~._journal.Journal.begin`, with the row's mark from an earlier run
        (None for a row never seen, or never put in a batch request)."""

    async def record_batch(self, entry: JournalEntry, mark: BatchMark | None) -> None:
        """Store ``entry`` and ``mark`` (None: no mark) as the row's state, atomically."""

    async def aclose(self) -> None:
        """Write what is pending and release the store."""


_MARKS = """CREATE TABLE IF NOT EXISTS batch_marks (
    key TEXT PRIMARY KEY, tag TEXT NOT NULL, position INTEGER NOT NULL, batch_id TEXT
)"""
_SELECT_MARK = "SELECT tag, position, batch_id FROM batch_marks WHERE key = ?"
_UPSERT_MARK = (
    "INSERT OR REPLACE INTO batch_marks (key, tag, position, batch_id) VALUES (?, ?, ?, ?)"
)
_DELETE_MARK = "DELETE FROM batch_marks WHERE key = ?"


class SqliteBatchJournal(SqliteJournal):
    """A :class:`~._journal.SqliteJournal` that also keeps each row's batch mark; what
    ``send_many(..., via="batch", journal=PATH)`` opens."""

    def __repr__(self) -> str:
        return f"SqliteBatchJournal({str(self.path)!r})"

    def _connect(self) -> tuple[sqlite3.Connection, JournalInfo]:
        db, info = super()._connect()
        try:
            db.execute(_MARKS)
        except BaseException:
            db.close()
            raise
        return db, info

    async def begin_batch(
        self, key: str, fingerprint: str, attempted_at: float
    ) -> tuple[JournalEntry | None, BatchMark | None]:
        run = self._run

        def begin(db: sqlite3.Connection) -> tuple[JournalEntry | None, BatchMark | None]:
            earlier = _begin(db, run, key, fingerprint, attempted_at)
            if earlier is None:
                return None, None
            found = db.execute(_SELECT_MARK, (key,)).fetchone()
            return earlier, None if found is None else BatchMark(*found)

        return await self._submit(begin)  # type: ignore[no-any-return]

    async def record_batch(self, entry: JournalEntry, mark: BatchMark | None) -> None:
        row = _row(entry)
        key = entry.key

        def record(db: sqlite3.Connection) -> None:
            db.execute(_UPSERT, row)
            if mark is None:
                db.execute(_DELETE_MARK, (key,))
            else:
                db.execute(_UPSERT_MARK, (key, mark.tag, mark.position, mark.batch_id))

        await self._submit(record)
