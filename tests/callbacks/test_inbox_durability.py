"""Durability of the inbox: 2,000 signed callbacks posted to the receiver's HTTP endpoint on
loopback, three worker processes (tests/inbox_worker.py) consuming the stream, one of them
SIGKILLed in the middle of a handler: every callback is handled to completion exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections import Counter
from pathlib import Path

import aiohttp

from conversation_async.callbacks import CallbackReceiver, signature_headers
from tests import inbox_worker
from tests.callbacks.support import inbound, serve_aiohttp
from tests.redis_support import RedisTest

ROOT = Path(__file__).resolve().parents[2]
CALLBACKS = 2_000
DEADLINE = 55.0
"""Seconds for the whole test: start-up, posting, the take-over, draining, shutdown."""
DRAIN = 15.0
"""Seconds left after the last answer for the workers to finish (the take-over of the
killed worker's entry needs about two ``min_idle``: 4 s)."""


async def start_worker(
    redis_test: RedisTest, consumer: str, log: Path, *extra: str
) -> asyncio.subprocess.Process:
    with log.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.inbox_worker",
            redis_test.url,
            redis_test.prefix,
            consumer,
            *extra,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )


async def line_from(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await process.stdout.readline()).decode().strip()


async def kill_when_frozen(process: asyncio.subprocess.Process) -> str:
    """SIGKILL the worker once its handler is frozen mid-way; the id it was handling."""
    line = await line_from(process)
    assert line.startswith("frozen "), line
    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    return line.split()[1]


async def post_all(url: str, ids: list[str]) -> Counter[int]:
    """POST each signed inbound callback, 32 at a time; the statuses answered."""
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(32)
    timeout = aiohttp.ClientTimeout(total=20)

    async def post(session: aiohttp.ClientSession, message_id: str) -> None:
        body = inbound(message_id)
        headers = {
            **signature_headers(inbox_worker.SECRET, body),
            "Content-Type": "application/json",
        }
        async with slots, session.post(url, data=body, headers=headers) as response:
            statuses[response.status] += 1

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(post(session, message_id) for message_id in ids))
    return statuses


async def drained(redis_test: RedisTest, within: float) -> None:
    """Wait until every callback was completed and nothing is left pending, or ``within``
    seconds passed (the assertions then tell what is missing)."""
    redis = redis_test.redis
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                done = await redis.llen(redis_test.key("completed"))  # type: ignore[attr-defined]
                left = await redis.xpending(redis_test.key("inbox"), inbox_worker.GROUP)  # type: ignore[attr-defined]
                if done >= CALLBACKS and left["pending"] == 0:
                    return
                await asyncio.sleep(0.1)


async def test_every_callback_is_completed_exactly_once_when_a_worker_is_killed_mid_handler(
    redis_test: RedisTest, tmp_path: Path
) -> None:
    """2,000 callbacks, three worker processes, one SIGKILLed inside a handler: all 2,000
    are completed, none twice; the killed worker's entry is completed by another."""
    ids = [f"in-{i:04d}" for i in range(CALLBACKS)]
    workers: dict[str, asyncio.subprocess.Process] = {}
    try:
        async with asyncio.timeout(DEADLINE):
            for name, extra in (
                ("w0", ("--freeze-at", "25")),  # one handler at a time, frozen in its 25th
                ("w1", ("--concurrency", "8")),
                ("w2", ("--concurrency", "8")),
            ):
                log = tmp_path / f"{name}.log"
                workers[name] = await start_worker(redis_test, name, log, *extra)
            for process in workers.values():
                assert await line_from(process) == "ready"
            inbox = inbox_worker.inbox_for(redis_test.redis, redis_test.prefix)  # type: ignore[arg-type]
            receiver = CallbackReceiver(inbox_worker.SECRET, inbox=inbox)
            async with serve_aiohttp(receiver) as url:
                killed = asyncio.create_task(kill_when_frozen(workers["w0"]))
                statuses = await post_all(url, ids)
                frozen_id = await killed
            assert statuses == {200: CALLBACKS}
            await drained(redis_test, within=DRAIN)
            for name in ("w1", "w2"):
                workers[name].send_signal(signal.SIGTERM)
            for name in ("w1", "w2"):
                assert await workers[name].wait() == 0, (tmp_path / f"{name}.log").read_text()
    finally:
        for process in workers.values():
            if process.returncode is None:
                process.kill()
                await process.wait()

    redis = redis_test.redis
    completed = [
        item.decode().split()
        for item in await redis.lrange(redis_test.key("completed"), 0, -1)  # type: ignore[attr-defined]
    ]
    times = Counter(message_id for message_id, _consumer in completed)
    assert sorted(set(ids) - set(times)) == []  # every one handled
    assert {i: n for i, n in times.items() if n > 1} == {}  # none twice
    started = {item.decode() for item in await redis.lrange(redis_test.key("started"), 0, -1)}  # type: ignore[attr-defined]
    assert f"w0 {frozen_id}" in started  # the kill landed mid-handler...
    assert dict(completed)[frozen_id] in {"w1", "w2"}  # ...and another worker completed it
    assert await redis.xlen(redis_test.key("inbox:dead")) == 0  # type: ignore[attr-defined]
