"""What several processes share through Redis (the ``conversation-async[redis]`` extra).

:class:`RedisRateLimiter` gives every process and host that uses the same key one request
budget, so N workers of a web app do not overshoot the project's rate limit together::

    import redis.asyncio as redis
    from conversation_async.redis import RedisRateLimiter

    limiter = RedisRateLimiter(redis.Redis(), key="sinch:budget:my-project", limit=800)
    client = ConversationClient(..., rate_limiter=limiter)

:class:`RedisDedupeStore` lets every callback receiver behind one webhook URL reject a
replayed signature and skip a redelivery another worker handled; :class:`RedisStreamInbox`
makes callbacks durable: the receiver appends each verified event to a Redis stream, and
:class:`InboxWorker` processes in any process handle and acknowledge them.
"""

from ._dedupe import RedisDedupeStore
from ._inbox import InboxStats, InboxWorker, RedisStreamInbox
from ._ratelimit import RedisRateLimiter

__all__ = [
    "InboxStats",
    "InboxWorker",
    "RedisDedupeStore",
    "RedisRateLimiter",
    "RedisStreamInbox",
]
