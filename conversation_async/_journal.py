"""Campaign journals: the :class:`Journal` protocol and its embedded default, SQLite.

A journal records every row of one campaign durably: *in flight* before its request goes
out, then its outcome. ``send_many(..., journal=...)`` uses it to resume a campaign after a
crash with nothing lost and nothing sent twice (see :mod:`conversation_async.bulk`).

:class:`SqliteJournal` keeps the event loop free: one worker thread owns the connection and
takes what was submitted at once: the rows begun, in one statement and commit, answered
at once (begins submitted while others are out go with their answer). Outcomes nobody
waits for (:meth:`SqliteJournal.record_later`) gather in the loop and go to the thread a
few hundred at a time, or :data:`LATER_DELAY` seconds after the first, written in one
transaction. Few hand-overs, SQLite calls and commits per row: the thread shares the GIL
with the loop and must take it back after every call, and SQLite's cost per row falls
steeply with rows per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import queue
import secrets
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import attrs

from ._core.campaign import JournalEntry, JournalState
from ._errors import JournalError

__all__ = ["Journal", "JournalInfo", "QueuedJournal", "SqliteJournal"]


@attrs.frozen
class JournalInfo:
    """What :meth:`Journal.open` returns: the campaign's id (stable across runs; it goes
    into every row's tag) and this run's number (1 for a new journal)."""

    campaign_id: str
    run: int


@runtime_checkable
class Journal(Protocol):
    """Where a campaign keeps its rows. Implement these four methods (coroutines, or
    methods returning an awaitable) to plug in another store; every write must be durable
    when its awaitable is done."""

    async def open(self) -> JournalInfo:
        """Open (creating if needed) and start a new run of the campaign."""
        ...

    def begin(
        self, key: str, fingerprint: str, attempted_at: float
    ) -> Awaitable[JournalEntry | None]:
        """Atomically: return the row's entry from an earlier run, stamped with this run
        (only its ``run`` changes); or, for a row never seen, record it ``in_flight`` with
        ``attempted_at`` and one attempt, and return None."""
        ...

    def record(self, entry: JournalEntry) -> Awaitable[None]:
        """Store ``entry`` as the row's state (insert or replace)."""
        ...

    async def aclose(self) -> None:
        """Write what is pending and release the store."""


@runtime_checkable
class QueuedJournal(Journal, Protocol):
    """A :class:`Journal` that can also take an outcome without being waited for."""

    def record_later(self, entry: JournalEntry) -> None:
        """Queue ``entry`` for :meth:`record` without waiting for it: it is durable when
        ``aclose`` returns (a crash before leaves the row as it was, in flight: to be
        reconciled). If it cannot be written, a later ``begin``, ``record`` or ``aclose``
        raises :class:`JournalError`."""


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
) WITHOUT ROWID;
"""
# WITHOUT ROWID: the rows live in the key's b-tree, so a write touches one b-tree, not a
# table and its key index (journals made before keep their rowid table; the SQL is the same).

_COLUMNS = "key, fingerprint, state, run, attempted_at, message_id, accepted_time, error, attempts"
_WIDTH = _COLUMNS.count(",") + 1
_SELECT = f"SELECT {_COLUMNS} FROM rows WHERE key = ?"  # noqa: S608 - constant column list
UPSERT = (
    f"INSERT INTO rows ({_COLUMNS}) VALUES {{}} "  # noqa: S608 - constant column list
    "ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "state = excluded.state, run = excluded.run, attempted_at = excluded.attempted_at, "
    "message_id = excluded.message_id, accepted_time = excluded.accepted_time, "
    "error = excluded.error, attempts = excluded.attempts",
    "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
)
_INSERT_NEW = (
    "WITH new (key, fingerprint, state, run, attempted_at) AS (VALUES {}) "
    "INSERT INTO rows (key, fingerprint, state, run, attempted_at, attempts) "
    "SELECT key, fingerprint, state, run, attempted_at, 1 FROM new "
    "WHERE NOT EXISTS (SELECT 1 FROM rows JOIN new USING (key)) "
    "ON CONFLICT (key) DO NOTHING",
    "(?, ?, ?, ?, ?)",
)
"""Insert rows never seen, all of them (a key repeated among them: once) or, when one was
seen before, none: one statement, so the fast case needs no transaction around it."""
_SIZES = (1, 2, 4, 8, 16, 32, 64, 100)
"""Rows per statement: a batch is padded to one of these (with copies of its last row,
which change nothing more), so that the few statements stay prepared in the connection's
cache (preparing one for 10 rows costs 50 µs); 100 rows of 9 values fit the oldest
SQLite's 999 parameters."""
_CHUNK = _SIZES[-1]
LATER_ROWS = 4 * _CHUNK
"""Outcomes nobody waits for go to the writer once this many gathered (one transaction)..."""
LATER_DELAY = 0.2
"""...or this many seconds after the first of them came: a crash loses (leaves in flight,
to be reconciled on resume) at most what came in that time."""
IN_FLIGHT = JournalState.IN_FLIGHT.value
_STOP = object()
T = TypeVar("T")

Begin = tuple[str, str, str, int, float]
"""A row of :data:`_INSERT_NEW`: key, fingerprint, ``in_flight``, run, attempted_at."""


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


def row_values(entry: JournalEntry) -> tuple[Any, ...]:
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


@attrs.define(slots=True)
class _Batch:
    """What one event-loop pass (or several) submitted: the begins are written (and
    answered, one result each) first, then the outcomes."""

    records: list[tuple[Any, ...]] = attrs.Factory(list[tuple[Any, ...]])
    record_waiters: list[asyncio.Future[Any]] = attrs.Factory(list[asyncio.Future[Any]])
    later: list[Any] = attrs.Factory(list[Any])
    """Outcomes nobody waits for (:meth:`SqliteJournal.record_later`), their values one
    row after another (one list: no object per row for the garbage collector to count)."""
    begins: list[Begin] = attrs.Factory(list[Begin])
    begin_waiters: list[asyncio.Future[Any]] = attrs.Factory(list[asyncio.Future[Any]])

    def absorb(self, other: _Batch) -> None:
        self.records += other.records
        self.record_waiters += other.record_waiters
        self.later += other.later
        self.begins += other.begins
        self.begin_waiters += other.begin_waiters


@attrs.define(slots=True)
class _Work(Generic[T]):
    """Work for the writer thread, in its turn (see :meth:`SqliteJournal._submit`)."""

    work: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]


def in_transaction(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work(db)`` in one transaction: all of its writes are durable together, or none."""
    db.execute("BEGIN")
    try:
        result = work(db)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


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
        self._batch: _Batch | None = None
        self._begins_out = 0
        """Begins handed to the writer thread and not answered yet."""
        self._later: list[Any] = []
        """Outcomes nobody waits for, gathering (:data:`LATER_ROWS`, :data:`LATER_DELAY`)."""
        self._later_due: asyncio.TimerHandle | None = None
        self._failure: str | None = None
        """Why a write failed (sticky: every later call raises it)."""
        self._failure_told = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

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

    def begin(
        self, key: str, fingerprint: str, attempted_at: float
    ) -> asyncio.Future[JournalEntry | None]:
        batch = self._collecting()
        future: asyncio.Future[JournalEntry | None] = self._new_future()
        batch.begins.append((key, fingerprint, IN_FLIGHT, self._run, attempted_at))
        batch.begin_waiters.append(future)
        return future

    def record(self, entry: JournalEntry) -> asyncio.Future[None]:
        batch = self._collecting()
        future: asyncio.Future[None] = self._new_future()
        batch.records.append(row_values(entry))
        batch.record_waiters.append(future)
        return future

    def record_later(self, entry: JournalEntry) -> None:
        loop = self._usable()
        later = self._later
        later += row_values(entry)
        if len(later) >= LATER_ROWS * _WIDTH:
            self._hand_later()
        elif self._later_due is None:
            self._later_due = loop.call_later(LATER_DELAY, self._hand_later)

    async def aclose(self) -> None:
        if self._thread is None or self._closed is None:
            return
        if not self._closed.done() and self._thread.is_alive():
            self._hand_over()  # what was submitted goes before the stop
            self._hand_later()
            self._queue.put(_STOP)
        await asyncio.shield(self._closed)
        self._thread = None
        if self._failure is not None and not self._failure_told:
            self._raise_failure()

    def _collecting(self) -> _Batch:
        """The batch being gathered. The worker thread gets it at the end of this
        event-loop pass or, while begins handed to it are not answered yet, with their
        answer: begins come in as rows do, so a busy campaign gets fewer, larger batches
        (SQLite's cost per row falls steeply with rows per statement, and every wake-up
        makes the thread contend with the loop for the GIL), and a lone row no wait."""
        loop = self._usable()
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            if not self._begins_out:
                loop.call_soon(self._hand_over)
        return batch

    def _usable(self) -> asyncio.AbstractEventLoop:
        """The loop, when the journal is open and no write has failed (else raises)."""
        if self._failure is not None:
            self._raise_failure()
        loop = self._loop
        if loop is None or self._closed is None or self._closed.done():
            raise JournalError(f"{self!r} is not open")
        return loop

    def _new_future(self) -> asyncio.Future[Any]:
        return self._usable().create_future()

    def _hand_over(self) -> None:
        if self._batch is not None:
            self._begins_out += len(self._batch.begin_waiters)
            self._queue.put(self._batch)
            self._batch = None

    def _hand_later(self) -> None:
        """Hand the gathered outcomes over, on their own: the thread writes them at once."""
        if self._later_due is not None:
            self._later_due.cancel()
            self._later_due = None
        if self._later:
            self._queue.put(_Batch(later=self._later))
            self._later = []

    def _answer_begins(
        self,
        waiters: list[asyncio.Future[Any]],
        found: list[JournalEntry | None] | None,
        failure: str | None,
    ) -> None:
        """(In the loop) the writer thread's answer to begins; then what gathered while
        they were out goes to it."""
        if failure is None:
            _succeed(waiters, found)
        else:
            self._fail(waiters, failure)
        self._begins_out -= len(waiters)
        if not self._begins_out:
            self._hand_over()

    def _submit(self, work: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Run ``work(db)`` in the writer thread, after everything submitted before it; its
        result (for journals built on this one: the batch journal's many-row calls)."""
        future: asyncio.Future[T] = self._new_future()
        self._hand_over()  # what this pass collected goes first
        self._queue.put(_Work(work, future))
        return future

    def _raise_failure(self) -> None:
        self._failure_told = True
        raise JournalError(f"journal write failed: {self._failure}")

    def _fail(self, waiters: list[asyncio.Future[Any]], reason: str) -> None:
        """(In the loop) the worker could not write what ``waiters`` wait for: they get
        the error, and every later call raises it."""
        if self._failure is None:
            self._failure = reason
        for future in waiters:
            if not future.done():  # else a waiter that was cancelled
                self._failure_told = True
                future.set_exception(JournalError(f"journal write failed: {reason}"))

    # --- the worker thread -----------------------------------------------------------------

    def _serve(self, ready: asyncio.Future[Any]) -> None:
        try:
            db, info = self._connect()
        except Exception as exc:
            self._settle(_open_failed, ready, JournalError(f"cannot open {self.path}: {exc}"))
            self._settle(_resolve_one, self._closed, None)
            return
        self._settle(_resolve_one, ready, info)
        try:
            self._work(db)
        finally:
            db.close()
            self._settle(_resolve_one, self._closed, None)

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
        """Write what is handed over (all that queued up at once: batches merged, other
        work in its turn), until told to stop."""
        stopping = False
        while not stopping:
            handed = [self._queue.get()]
            while True:
                try:
                    handed.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch: _Batch | None = None
            for item in handed:
                if isinstance(item, _Batch):
                    if batch is None:
                        batch = item
                    else:
                        batch.absorb(item)
                    continue
                if batch is not None:
                    self._write_batch(db, batch)
                    batch = None
                if item is _STOP:
                    stopping = True
                else:
                    self._run_work(db, item)
            if batch is not None:
                self._write_batch(db, batch)

    def _write_batch(self, db: sqlite3.Connection, batch: _Batch) -> None:
        """The begins first, on their own: a worker waits for them (and the thread takes
        the GIL back after each SQLite call: as few calls as can be); then the records,
        and the outcomes nobody waits for, in one transaction."""
        if batch.begins:
            try:
                found = begin_all(db, batch.begins)
            except Exception as exc:  # a full disk, a lost file: nothing of it is durable
                self._settle(self._answer_begins, batch.begin_waiters, None, str(exc))
            else:
                self._settle(self._answer_begins, batch.begin_waiters, found, None)
        if batch.records:
            try:
                write_rows(db, UPSERT, batch.records)  # each statement committed on its own
            except Exception as exc:
                self._settle(self._fail, batch.record_waiters, str(exc))
            else:
                self._settle(_succeed, batch.record_waiters, None)
        if batch.later:
            try:
                in_transaction(
                    db,
                    functools.partial(
                        write_values, statement=UPSERT, values=batch.later, width=_WIDTH
                    ),
                )
            except Exception as exc:  # sticky: the next call in the loop raises it
                self._settle(self._fail, [], str(exc))

    def _run_work(self, db: sqlite3.Connection, work: _Work[Any]) -> None:
        try:
            result = work.work(db)
        except Exception as exc:
            self._settle(self._fail, [work.future], str(exc))
        else:
            self._settle(_resolve_one, work.future, result)

    def _settle(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` in the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(callback, *args)


def begin_all(db: sqlite3.Connection, begins: list[Begin]) -> list[JournalEntry | None] | None:
    """Begin ``begins``: None when every row was new (the usual case: one statement,
    committed on its own), else each row's earlier entry (None for a new one)."""
    found: list[JournalEntry | None] = []
    for start in range(0, len(begins), _CHUNK):
        chunk = begins[start : start + _CHUNK]
        inserted = write_rows(db, _INSERT_NEW, chunk)
        if inserted == len(chunk):  # all new
            found += [None] * len(chunk) if found else []
            continue
        if not found:
            found = [None] * start
        if inserted:  # all new, but a key came twice: the later ones find the first
            seen: set[str] = set()
            for key, *_ in chunk:
                found.append(
                    _entry(db.execute(_SELECT, (key,)).fetchone()) if key in seen else None
                )
                seen.add(key)
        else:  # some were seen before: none was inserted; one at a time, in order
            found += in_transaction(db, functools.partial(_begin_each, begins=chunk))
    return found or None


def write_rows(db: sqlite3.Connection, statement: tuple[str, str], rows: list[Any]) -> int:
    """Run ``statement`` (SQL with ``{}`` for its VALUES, and one row's placeholders) for
    all ``rows`` (tuples), many rows per statement; the number of rows changed."""
    if not rows:
        return 0
    return write_values(db, statement, list(itertools.chain.from_iterable(rows)), len(rows[0]))


def write_values(
    db: sqlite3.Connection, statement: tuple[str, str], values: list[Any], width: int
) -> int:
    """:func:`write_rows` for rows given as their values one after another, ``width``
    per row.

    One statement for many rows rather than ``executemany`` (a step per row): the thread
    takes the GIL back after every SQLite call, and while the loop runs that can take up
    to a thread switch interval (5 ms) each time.
    """
    before = db.total_changes
    step = _CHUNK * width
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        rows = len(chunk) // width
        size = next(size for size in _SIZES if size >= rows)
        chunk += chunk[-width:] * (size - rows)
        db.execute(_values(*statement, size), chunk)
    return db.total_changes - before


@functools.cache
def _values(sql: str, placeholders: str, count: int) -> str:
    return sql.format(", ".join([placeholders] * count))


def _begin_each(db: sqlite3.Connection, begins: list[Begin]) -> list[JournalEntry | None]:
    return [_begin(db, *begin) for begin in begins]


def _begin(
    db: sqlite3.Connection, key: str, fingerprint: str, state: str, run: int, attempted_at: float
) -> JournalEntry | None:
    """One row's begin, when rows of this batch were seen before."""
    found = db.execute(_SELECT, (key,)).fetchone()
    if found is not None:
        db.execute("UPDATE rows SET run = ? WHERE key = ?", (run, key))
        return _entry(found)
    write_rows(db, _INSERT_NEW, [(key, fingerprint, state, run, attempted_at)])
    return None


# --- in the loop, called from the worker thread -----------------------------------------


def _succeed(waiters: list[asyncio.Future[Any]], found: list[JournalEntry | None] | None) -> None:
    for i, future in enumerate(waiters):
        if not future.done():  # else a waiter that was cancelled
            future.set_result(None if found is None else found[i])


def _resolve_one(future: asyncio.Future[Any] | None, value: Any) -> None:
    if future is not None and not future.done():
        future.set_result(value)


def _open_failed(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
