"""One durable-inbox worker process, for tests/callbacks/test_inbox_durability.py.

    python -m tests.inbox_worker REDIS_URL PREFIX CONSUMER [--concurrency N] [--freeze-at N]

Runs ``inbox.worker(receiver, consumer=CONSUMER)`` with its own Redis client until SIGTERM.
The handler appends ``"CONSUMER ID"`` to ``PREFIX + "started"``, sleeps a little, then
appends ``"ID CONSUMER"`` to ``PREFIX + "completed"``: an id there was handled to
completion. With ``--freeze-at N`` the N-th handler prints ``frozen ID`` and freezes the
whole process between the two records, so a kill lands mid-handling; run that worker one
handler at a time (the default), so no other handler of it is caught between its end and
its done mark. Prints ``ready`` once the worker is built.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time

import redis.asyncio as aioredis

from conversation_async.callbacks import CallbackReceiver, MessageInboundEvent
from conversation_async.redis import RedisDedupeStore, RedisStreamInbox

SECRET = "durability-secret"
GROUP = "workers"
MIN_IDLE = 2.0
HANDLER_TIMEOUT = 1.0


def inbox_for(client: aioredis.Redis, prefix: str) -> RedisStreamInbox:
    """The inbox every process of the test uses (the receiver's too)."""
    store = RedisDedupeStore(client, prefix=prefix + "dedupe:", ttl=600)
    return RedisStreamInbox(
        client,
        stream=prefix + "inbox",
        group=GROUP,
        dedupe_store=store,
        min_idle=MIN_IDLE,
        handler_timeout=HANDLER_TIMEOUT,
    )


async def main(url: str, prefix: str, consumer: str, concurrency: int, freeze_at: int) -> None:
    client = aioredis.Redis.from_url(url)
    receiver = CallbackReceiver(SECRET, inbox=inbox_for(client, prefix))
    calls = 0

    @receiver.on(MessageInboundEvent)
    async def record(event: MessageInboundEvent) -> None:
        nonlocal calls
        calls += 1
        message_id = event.message.id
        await client.rpush(prefix + "started", f"{consumer} {message_id}")
        if calls == freeze_at:
            print(f"frozen {message_id}", flush=True)
            time.sleep(60)  # noqa: ASYNC251 - freeze the process mid-handler until killed
        await asyncio.sleep(0.002)
        await client.rpush(prefix + "completed", f"{message_id} {consumer}")

    worker = inbox_for(client, prefix).worker(receiver, consumer=consumer, concurrency=concurrency)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.stop)
    print("ready", flush=True)
    try:
        await worker.run()
    finally:
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("consumer")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--freeze-at", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.prefix, args.consumer, args.concurrency, args.freeze_at))
