"""What several processes share through Redis (the ``conversation-async[redis]`` extra).

:class:`RedisRateLimiter` gives every process and host that uses the same key one request
budget, so N workers of a web app do not overshoot the project's rate limit together::

    import redis.asyncio as redis
    from conversation_async.redis import RedisRateLimiter

    limiter = RedisRateLimiter(redis.Redis(), key="sinch:budget:my-project", limit=800)
    client = ConversationClient(..., rate_limiter=limiter)
"""

from ._ratelimit import RedisRateLimiter

__all__ = ["RedisRateLimiter"]
