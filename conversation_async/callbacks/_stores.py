"""Where a callback receiver remembers what it has seen: the :class:`DedupeStore` protocol.

A receiver keeps two kinds of keys: the nonces of valid signatures (replay protection) and
the dedupe keys of events (see :func:`~conversation_async.callbacks.dedupe_key`). Both
live in a store with this protocol; the default keeps them in the process
(:class:`MemoryDedupeStore`), a shared one (``RedisDedupeStore``) makes the checks hold
across every worker behind one webhook URL.

A key is absent, :attr:`Mark.PENDING` (a receiver is handling it, for a short while) or
:attr:`Mark.DONE` (seen; remembered for the store's ``ttl``).
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["DedupeStore", "ExpiringMarks", "Mark", "MemoryDedupeStore"]


class Mark(enum.StrEnum):
    """What a store knows about a key."""

    PENDING = "pending"
    """A receiver claimed it and is running its handlers (``ack="after_handler"``)."""
    DONE = "done"
    """Seen: a nonce used, an event accepted or handled."""


class DedupeStore(Protocol):
    """Keys with a :class:`Mark` that expire; the receiver's replay and dedupe memory.

    ``claim`` must be atomic for every receiver sharing the store: of two concurrent
    claims of one key, exactly one gets None. A store may raise on an outage; the receiver
    then answers 503, so Sinch delivers the callback again later.
    """

    async def mark(self, key: str) -> Mark | None:
        """The key's current mark, or None if it is absent (or expired)."""
        ...

    async def claim(self, key: str, *, pending_for: float | None = None) -> Mark | None:
        """Mark an absent key, :attr:`Mark.PENDING` for ``pending_for`` seconds or (None)
        :attr:`Mark.DONE` for the store's ttl. None if this call marked it, otherwise the
        mark it already had (and nothing changes)."""
        ...

    async def finish(self, key: str) -> None:
        """Mark the key :attr:`Mark.DONE` for the store's ttl, whatever it was."""
        ...

    async def release(self, key: str) -> None:
        """Forget the key if it is still :attr:`Mark.PENDING` (handling failed: its next
        delivery is handled again); a :attr:`Mark.DONE` key stays, for another receiver may
        have re-claimed and handled it after this claim expired."""
        ...


class ExpiringMarks:
    """Keys with a mark and an expiry time, bounded in size: past ``max_size`` the oldest
    is forgotten first. Pure: every call is told the time."""

    def __init__(self, max_size: int) -> None:
        if max_size <= 0:
            raise ValueError("max_size must be positive")
        self._max_size = max_size
        self._entries: OrderedDict[str, tuple[float, Mark]] = OrderedDict()

    def get(self, key: str, now: float) -> Mark | None:
        """The mark of ``key`` if it has not expired at ``now``."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > now else None

    def add(self, key: str, mark: Mark, now: float, until: float) -> Mark | None:
        """Mark ``key`` until ``until`` unless it is marked at ``now``; None if it was
        added, else its current mark (unchanged)."""
        self._expire(now)
        current = self.get(key, now)
        if current is not None:
            return current
        self.put(key, mark, until)
        return None

    def put(self, key: str, mark: Mark, until: float) -> None:
        """Mark ``key`` until ``until``, whatever it was; it becomes the newest entry."""
        self._entries.pop(key, None)
        self._entries[key] = (until, mark)
        if len(self._entries) > self._max_size:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        """Forget ``key``."""
        self._entries.pop(key, None)

    def _expire(self, now: float) -> None:
        """Drop expired entries from the oldest end (entries behind a longer-lived one stay
        until it goes or the size bound drops them; ``get`` never returns them)."""
        entries = self._entries
        while entries:
            until, _mark = next(iter(entries.values()))
            if until > now:
                break
            entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class MemoryDedupeStore:
    """A :class:`DedupeStore` in this process (the receiver's default): bounded, and lost
    on restart. Keys are kept ``ttl`` seconds once done; past ``max_size`` keys the oldest
    is forgotten first."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._ttl = ttl
        self._marks = ExpiringMarks(max_size)
        self._clock = clock

    @property
    def ttl(self) -> float:
        """Seconds a key is remembered once done."""
        return self._ttl

    async def mark(self, key: str) -> Mark | None:
        """The key's current mark, or None."""
        return self._marks.get(key, self._clock())

    async def claim(self, key: str, *, pending_for: float | None = None) -> Mark | None:
        """Mark an absent key; None if this call marked it, else its current mark."""
        now = self._clock()
        if pending_for is None:
            return self._marks.add(key, Mark.DONE, now, now + self._ttl)
        return self._marks.add(key, Mark.PENDING, now, now + pending_for)

    async def finish(self, key: str) -> None:
        """Mark the key done for the store's ttl."""
        self._marks.put(key, Mark.DONE, self._clock() + self._ttl)

    async def release(self, key: str) -> None:
        """Forget the key if it is still pending."""
        if self._marks.get(key, self._clock()) is Mark.PENDING:
            self._marks.discard(key)

    def __repr__(self) -> str:
        return f"MemoryDedupeStore(ttl={self._ttl!r}, keys={len(self._marks)})"
