"""The callback receiver's replay and dedupe memory on Redis, shared by every worker.

Exported by :mod:`conversation_async.redis`. Needs redis-py (``pip install
'conversation-async[redis]'``) only to build the client handed in; this module imports
nothing from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..callbacks import Mark

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["RedisDedupeStore"]


class RedisDedupeStore:
    """A :class:`~conversation_async.callbacks.DedupeStore` on Redis: one string key per
    nonce or event under ``prefix``, claimed with ``SET NX PX`` (atomic for every worker),
    kept ``ttl`` seconds once done.

    Give the same store (same Redis, same prefix) to the receivers of every worker behind
    one webhook URL, as ``replay_store`` and ``dedupe_store``: a replayed signature is then
    refused by every worker, and a redelivery one worker already handled is skipped by the
    others. Keep ``ttl`` at least twice the signature window (600 s by default). Any
    ``redis.asyncio.Redis`` client works (bytes or decoded responses); the store never
    closes it.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "conversation_async:callbacks:",
        ttl: float = 3600.0,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._release_script: AsyncScript | None = None  # registered at the first release

    @property
    def ttl(self) -> float:
        """Seconds a key is remembered once done."""
        return self._ttl

    async def mark(self, key: str) -> Mark | None:
        """The key's current mark, or None."""
        return _mark(await self._redis.get(self._prefix + key))

    async def claim(self, key: str, *, pending_for: float | None = None) -> Mark | None:
        """``SET key mark NX PX ttl``; None if this call set it, else the mark it has."""
        name = self._prefix + key
        mark, ttl = (Mark.DONE, self._ttl) if pending_for is None else (Mark.PENDING, pending_for)
        if await self._redis.set(name, mark.value, px=_milliseconds(ttl), nx=True):
            return None
        # Taken: report its mark. Gone already (it expired in between): pending, so the
        # delivery is answered 503 and comes back, rather than risking a second run.
        return _mark(await self._redis.get(name)) or Mark.PENDING

    async def finish(self, key: str) -> None:
        """Mark the key done for ``ttl`` seconds."""
        await self._redis.set(self._prefix + key, Mark.DONE.value, px=_milliseconds(self._ttl))

    async def release(self, key: str) -> None:
        """Delete the key if it is still pending, atomically (a Lua script): a done mark,
        set by a receiver that re-claimed the key after this claim expired, stays."""
        if self._release_script is None:
            self._release_script = self._redis.register_script(_RELEASE_PENDING)
        await self._release_script(keys=[self._prefix + key], args=[Mark.PENDING.value])

    def __repr__(self) -> str:
        return f"RedisDedupeStore(prefix={self._prefix!r}, ttl={self._ttl!r})"


_RELEASE_PENDING = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _mark(value: bytes | str | None) -> Mark | None:
    """A stored value as a mark; anything unexpected counts as done (never run twice)."""
    if value is None:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    return Mark.PENDING if text == Mark.PENDING.value else Mark.DONE
