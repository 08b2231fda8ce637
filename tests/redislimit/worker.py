"""One worker process of a multi-process run: its own ConversationClient, paced by a
RedisRateLimiter on a shared key (or, with ``--limiter local``, by its own in-process
limiter at the same limit), sends as fast as it can for ``--seconds``.

The client comes from the ``SINCH_*`` environment (credentials stay out of the command
line). The worker prints ``ready`` after a first send (token fetched, connections open),
waits for ``go`` on stdin, sends, then prints one JSON line: sends that succeeded and
failed, the seconds it sent for, and whether its turns still came from Redis at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from conversation_async import ConversationClient, ConversationError
from conversation_async.models import IdentifiedRecipient, TextMessage

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
MESSAGE = TextMessage(text="shared budget")


async def run(args: argparse.Namespace) -> dict[str, object]:
    redis = None
    if args.limiter == "redis":
        import redis.asyncio as aioredis

        from conversation_async.redis import RedisRateLimiter

        redis = aioredis.Redis.from_url(args.redis_url)
        limiter = RedisRateLimiter(
            redis, key=args.key, limit=args.limit, timeout=args.redis_timeout
        )
        client = ConversationClient.from_env(rate_limiter=limiter)
    else:
        limiter = None
        client = ConversationClient.from_env(rate_limit=args.limit)
    sent = failed = 0
    try:
        async with client:
            # a first send fetches the token and opens the connections (and loads the script)
            await client.messages.send(app_id="app", recipient=RECIPIENT, message=MESSAGE)
            loop = asyncio.get_running_loop()
            print("ready", flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)
            started = time.monotonic()
            stop_at = started + args.seconds

            async def sender() -> None:
                nonlocal sent, failed
                while time.monotonic() < stop_at:
                    try:
                        await client.messages.send(
                            app_id="app", recipient=RECIPIENT, message=MESSAGE
                        )
                        sent += 1
                    except ConversationError:
                        failed += 1

            await asyncio.gather(*(sender() for _ in range(args.concurrency)))
            elapsed = time.monotonic() - started
    finally:
        if redis is not None:
            await redis.aclose()
    shared = getattr(limiter, "shared", None)
    return {"sent": sent, "failed": failed, "seconds": elapsed, "shared": shared}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limiter", choices=("redis", "local"), default="redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--key", default="")
    parser.add_argument("--redis-timeout", type=float, default=0.1)
    parser.add_argument("--limit", type=float, default=800.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
