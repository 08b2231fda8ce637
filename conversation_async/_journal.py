"""Campaign journals: the :class:`Journal` protocol and its embedded default, SQLite.

A journal records every row of one campaign durably: *in flight* before its request goes
out, then its outcome. ``send_many(..., journal=...)`` uses it to resume a campaign after a
crash with nothing lost and nothing sent twice (see :mod:`conversation_async.bulk`).

:class:`SqliteJournal` keeps the event loop free: one worker thread owns the connection and
commits whatever operations have queued up since its last commit in one transaction, so a
campaign at concurrency 64 costs a commit per batch of rows, not one per row.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import secrets
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from ._core.campaign import JournalEntry, JournalState
from ._errors import JournalError

__all__ = ["Journal", "JournalInfo", "SqliteJournal"]


@attrs.frozen
class JournalInfo:
    """What :meth:`Journal.open` returns: the campaign's id (stable across runs; it goes
    into every row's tag) and this run's number (1 for a new journal)."""

    campaign_id: str
    run: int


@runtime_checkable
class Journal(Protocol):
    """Where a campaign keeps its rows. Implement these four coroutines to plug in another
    store; every write must be durable when its coroutine returns."""

    async def open(self) -> JournalInfo:
        """Open (creating if needed) and start a new run of the campaign."""
        ...

    async def begin(self, key: str, fingerprint: str, attempted_at: float) -> JournalEntry | None:
        """Atomically: return the row's entry from an earlier run, stamped with this run
        (only its ``run`` changes); or, for a row never seen, record it ``in_flight`` with
        ``attempted_at`` and one attempt, and return None."""

    async def record(self, entry: JournalEntry) -> None:
        """Store ``entry`` as the row's state (insert or replace)."""

    async def aclose(self) -> None:
        """Write what is pending and release the store."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaign (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    run INTEGER NOT NULL,
    attempted_at REAL,
    message_id TEXT,
    accepted_time TEXT,
    error TEXT,
    attempts INTEGER NOT NULL
);
"""

_COLUMNS = "key, fingerprint, state, run, attempted_at, message_id, accepted_time, error, attempts"
_SELECT = f"SELECT {_COLUMNS} FROM rows WHERE key = ?"  # noqa: S608 - constant column list
_UPSERT = f"INSERT OR REPLACE INTO rows ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_STOP = object()

Operation = Callable[[sqlite3.Connection], Any]


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    key, fingerprint, state, run, attempted_at, message_id, accepted_time, error, attempts = row
    return JournalEntry(
        key,
        fingerprint,
        JournalState(state),
        run,
        attempted_at,
        message_id,
        accepted_time,
        error,
        attempts,
    )


def _row(entry: JournalEntry) -> tuple[Any, ...]:
    return (
        entry.key,
        entry.fingerprint,
        entry.state.value,
        entry.run,
        entry.attempted_at,
        entry.message_id,
        entry.accepted_time,
        entry.error,
        entry.attempts,
    )


class SqliteJournal:
    """A campaign journal in one SQLite file (WAL mode), written by a worker thread.

    ``synchronous="NORMAL"`` (default) survives a crash or kill of the process; ``"FULL"``
    also a power loss, at the cost of an fsync per commit. While open, the file is locked:
    a second process (or journal object) opening it gets :class:`JournalError`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = Path(path)
        self._synchronous = synchronous
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed: asyncio.Future[None] | None = None
        self._run = 0
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []

    def __repr__(self) -> str:
        return f"SqliteJournal({str(self.path)!r})"

    async def open(self) -> JournalInfo:
        if self._thread is not None:
            raise JournalError(f"{self!r} is already open")
        self._loop = asyncio.get_running_loop()
        self._closed = self._loop.create_future()
        ready: asyncio.Future[Any] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="conversation-async-journal", daemon=True
        )
        self._thread.start()
        info: JournalInfo = await ready
        self._run = info.run
        return info

    async def begin(self, key: str, fingerprint: str, attempted_at: float) -> JournalEntry | None:
        run = self._run
        return await self._submit(lambda db: _begin(db, run, key, fingerprint, attempted_at))  # type: ignore[no-any-return]

    async def record(self, entry: JournalEntry) -> None:
        row = _row(entry)
        await self._submit(lambda db: db.execute(_UPSERT, row))

    async def aclose(self) -> None:
        if self._thread is None or self._closed is None:
            return
        if not self._closed.done() and self._thread.is_alive():
            if self._pending:
                self._hand_over()  # what was submitted goes before the stop
            self._queue.put(_STOP)
        await asyncio.shield(self._closed)
        self._thread = None

    def _submit(self, operation: Operation) -> asyncio.Future[Any]:
        """Queue ``operation``; the worker thread is woken once per event-loop pass, with
        everything submitted during it (a wake-up per row made the thread contend with the
        loop for the GIL)."""
        loop = self._loop
        if loop is None or self._closed is None or self._closed.done():
            raise JournalError(f"{self!r} is not open")
        future = loop.create_future()
        pending = self._pending
        pending.append((operation, future))
        if len(pending) == 1:
            loop.call_soon(self._hand_over)
        return future

    def _hand_over(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self._queue.put(batch)

    # --- the worker thread -----------------------------------------------------------------

    def _serve(self, ready: asyncio.Future[Any]) -> None:
        try:
            db, info = self._connect()
        except Exception as exc:
            self._settle([(ready, None, JournalError(f"cannot open {self.path}: {exc}"))])
            self._settle([(self._closed, None, None)])
            return
        self._settle([(ready, info, None)])
        try:
            self._work(db)
        finally:
            db.close()
            self._settle([(self._closed, None, None)])

    def _connect(self) -> tuple[sqlite3.Connection, JournalInfo]:
        db = sqlite3.connect(self.path, timeout=0.5, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.execute("BEGIN EXCLUSIVE")  # takes the lock now: a second opener fails here
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            values = dict(db.execute("SELECT name, value FROM campaign").fetchall())
            campaign_id = values.get("id") or secrets.token_hex(6)
            run = int(values.get("runs", "0")) + 1
            db.execute("INSERT OR REPLACE INTO campaign VALUES ('id', ?)", (campaign_id,))
            db.execute("INSERT OR REPLACE INTO campaign VALUES ('runs', ?)", (str(run),))
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            db.close()
            if "locked" in str(exc):
                raise JournalError(f"{self.path} is in use by another campaign run") from None
            raise
        except BaseException:
            db.close()
            raise
        return db, JournalInfo(campaign_id, run)

    def _work(self, db: sqlite3.Connection) -> None:
        """Run queued operations, each batch in one transaction, until told to stop."""
        stopping = False
        while not stopping:
            handed = [self._queue.get()]
            while True:
                try:
                    handed.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done: list[tuple[Any, Any, BaseException | None]] = []
            operations = [op for item in handed if item is not _STOP for op in item]
            stopping = any(item is _STOP for item in handed)
            try:
                db.execute("BEGIN")
                for operation, future in operations:
                    try:
                        done.append((future, operation(db), None))
                    except Exception as exc:
                        done.append((future, None, JournalError(f"journal write failed: {exc}")))
                db.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk, a lost file: nothing of it is durable
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                error = JournalError(f"journal commit failed: {exc}")
                done = [(future, None, error) for _, future in operations]
            self._settle(done)

    def _settle(self, done: list[tuple[Any, Any, BaseException | None]]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(_resolve, done)


def _begin(
    db: sqlite3.Connection, run: int, key: str, fingerprint: str, attempted_at: float
) -> JournalEntry | None:
    found = db.execute(_SELECT, (key,)).fetchone()
    if found is not None:
        db.execute("UPDATE rows SET run = ? WHERE key = ?", (run, key))
        return _entry(found)
    entry = JournalEntry(key, fingerprint, JournalState.IN_FLIGHT, run, attempted_at, attempts=1)
    db.execute(_UPSERT, _row(entry))
    return None


def _resolve(done: list[tuple[asyncio.Future[Any] | None, Any, BaseException | None]]) -> None:
    for future, value, error in done:
        if future is None or future.done():
            continue  # a waiter that was cancelled
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
