"""One rate budget across processes: what RedisRateLimiter costs a send, and what it buys.

``limiter_cost``: ``messages.send`` at concurrency 64 with the in-process limiter and with
a RedisRateLimiter on loopback Redis (its limit far above what the machine reaches, so only
the cost shows), in turn, against the same emulator process: the ratio of their rates.

``processes``: four worker processes (``tests/redislimit/worker.py``, the multi-process
test's), each with its own client, send as fast as they can for a few seconds against ONE
emulator process with a project limit (400 requests/s, which this machine can overrun):
once with a limiter per process at that limit, once with one RedisRateLimiter budget of
it; the rates the emulator saw and accepted, and the share of attempts it answered 429.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import attrs

from conversation_async import ConversationClient

from ._server import ServerInfo, emulator_process
from .throughput import MESSAGE, RECIPIENT, Run, _drive, client_for

WORKER = Path(__file__).resolve().parents[1] / "tests" / "redislimit" / "worker.py"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_reachable(url: str = REDIS_URL) -> str | None:
    """None if Redis answers a PING at ``url`` within a second, else why not."""
    try:
        import redis.asyncio as aioredis
    except ImportError:
        return "redis-py is not installed (pip install 'conversation-async[redis]')"
    redis = aioredis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        await redis.ping()
    except Exception as exc:  # any failure means no usable Redis
        return f"no Redis answers at {url} ({type(exc).__name__})"
    finally:
        await redis.aclose()
    return None


async def _delete(url: str, key: str) -> None:
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url(url)
    try:
        await redis.delete(key)
    finally:
        await redis.aclose()


async def _send_with(
    server: ServerInfo, requests: int, concurrency: int, redis_url: str | None
) -> Run:
    """``messages.send`` paced by the default limiter, or by a RedisRateLimiter."""
    redis: Any = None
    key = f"ca-bench:{uuid.uuid4().hex[:12]}:budget"
    if redis_url is None:
        client = client_for(server)
    else:
        import redis.asyncio as aioredis

        from conversation_async.redis import RedisRateLimiter

        redis = aioredis.Redis.from_url(redis_url)
        client = ConversationClient(
            server.project_id,
            server.client_id,
            server.client_secret,
            conversation_url=server.base_url,
            auth_url=server.auth_url,
            rate_limiter=RedisRateLimiter(redis, key=key, limit=1_000_000),
        )
    try:
        async with client:

            async def send() -> None:
                await client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)

            await send()
            return await _drive(send, requests, concurrency)
    finally:
        if redis is not None:
            await redis.delete(key)
            await redis.aclose()


def limiter_cost(requests: int, rounds: int, concurrency: int = 64) -> dict[str, Any]:
    """In-process vs Redis limiter, ``rounds`` times each in alternating order; medians."""
    local: list[Run] = []
    shared: list[Run] = []
    with emulator_process() as server:
        for index in range(rounds):
            order = [(local, None), (shared, REDIS_URL)]
            for runs, url in order if index % 2 == 0 else order[::-1]:
                server.reset()
                runs.append(asyncio.run(_send_with(server, requests, concurrency, url)))
    ratios = [s.per_second / m.per_second for s, m in zip(shared, local, strict=True)]
    return {
        "concurrency": concurrency,
        "requests": requests,
        "rounds": rounds,
        "local_per_s": round(statistics.median(r.per_second for r in local), 1),
        "redis_per_s": round(statistics.median(r.per_second for r in shared), 1),
        "ratio": round(statistics.median(ratios), 3),
        "local_cpu_per_1000": round(statistics.median(r.cpu_per_1000 for r in local), 4),
        "redis_cpu_per_1000": round(statistics.median(r.cpu_per_1000 for r in shared), 4),
        "extra_cpu_us_per_send": round(
            statistics.median(
                (s.cpu_per_1000 - m.cpu_per_1000) * 1000 for s, m in zip(shared, local, strict=True)
            ),
            1,
        ),
    }


@attrs.frozen
class Outcome:
    """A multi-process run as the emulator saw it, and as the workers told it."""

    processes: int
    seconds: float
    attempts: int
    refused: int
    sent: list[int]
    failed: list[int]
    shared: list[bool | None]

    @property
    def accepted_per_s(self) -> float:
        return (self.attempts - self.refused) / self.seconds

    @property
    def attempts_per_s(self) -> float:
        return self.attempts / self.seconds

    @property
    def refused_share(self) -> float:
        return self.refused / max(self.attempts, 1)


async def run_workers(
    server: ServerInfo,
    *,
    limiter: str,
    key: str = "",
    redis_url: str = REDIS_URL,
    processes: int = 4,
    limit: float = 800.0,
    seconds: float = 3.0,
    concurrency: int = 16,
    redis_timeout: float = 0.1,
    time_limit: float = 90.0,
) -> Outcome:
    """Start ``processes`` workers (``limiter``: "redis" on ``key``, or "local"), let them
    send together for ``seconds`` once all are ready, and count; all within ``time_limit``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SINCH_")}
    env.update(
        SINCH_PROJECT_ID=server.project_id,
        SINCH_CLIENT_ID=server.client_id,
        SINCH_CLIENT_SECRET=server.client_secret,
        SINCH_CONVERSATION_URL=server.base_url,
        SINCH_AUTH_URL=server.auth_url,
    )
    command = [
        sys.executable,
        str(WORKER),
        *("--limiter", limiter, "--redis-url", redis_url, "--key", key),
        *("--limit", str(limit), "--seconds", str(seconds), "--concurrency", str(concurrency)),
        *("--redis-timeout", str(redis_timeout)),
    ]
    pipe = asyncio.subprocess.PIPE
    workers: list[asyncio.subprocess.Process] = []
    try:
        async with asyncio.timeout(time_limit):
            for _ in range(processes):
                workers.append(
                    await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe, env=env)
                )
            for worker in workers:
                assert worker.stdout is not None
                line = await worker.stdout.readline()
                if line.strip() != b"ready":
                    raise RuntimeError(f"a worker did not start: {line!r}")
            await asyncio.to_thread(server.reset)
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            outputs = await asyncio.gather(*(worker.communicate() for worker in workers))
        stats = await asyncio.to_thread(server.stats)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    reports = [_report(stdout) for stdout, _ in outputs]
    if any(worker.returncode for worker in workers):
        raise RuntimeError(f"a worker failed: {[worker.returncode for worker in workers]}")
    return Outcome(
        processes=processes,
        seconds=max(report["seconds"] for report in reports),
        attempts=stats["requests_seen"].get("SendMessage", 0),
        refused=stats["rate_limited"],
        sent=[report["sent"] for report in reports],
        failed=[report["failed"] for report in reports],
        shared=[report["shared"] for report in reports],
    )


def _report(stdout: bytes) -> dict[str, Any]:
    import json

    report: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return report


PROJECT_LIMIT = 400.0
"""The emulated project's limit: half the API's 800/s, so that four processes on a 2-core
machine (the emulator's included) can overrun it, as many workers on many cores overrun
the real one."""


def processes(seconds: float, count: int = 4, limit: float = PROJECT_LIMIT) -> list[dict[str, Any]]:
    """The two multi-process rows: a limiter per process, then one budget in Redis, each
    limiter at the project's ``limit``."""
    rows = []
    with emulator_process(0.0, "--rate-limit", str(limit)) as server:
        for limiter in ("local", "redis"):
            key = f"ca-bench:{uuid.uuid4().hex[:12]}:budget"
            started = time.monotonic()
            try:
                outcome = asyncio.run(
                    run_workers(
                        server,
                        limiter=limiter,
                        key=key,
                        processes=count,
                        limit=limit,
                        seconds=seconds,
                    )
                )
            finally:
                if limiter == "redis":
                    asyncio.run(_delete(REDIS_URL, key))
            rows.append(
                {
                    "limiter": "one RedisRateLimiter budget"
                    if limiter == "redis"
                    else "a limiter per process",
                    "processes": count,
                    "limit_per_s": limit,
                    "seconds": round(outcome.seconds, 2),
                    "run_seconds": round(time.monotonic() - started, 1),
                    "attempts_per_s": round(outcome.attempts_per_s, 1),
                    "accepted_per_s": round(outcome.accepted_per_s, 1),
                    "refused_share": round(outcome.refused_share, 4),
                    "failed_sends": sum(outcome.failed),
                }
            )
    return rows


def run(quick: bool, requests: int, rounds: int) -> dict[str, Any]:
    """Both parts, or why they were skipped (no Redis)."""
    reason = asyncio.run(redis_reachable())
    if reason is not None:
        return {"skipped": reason}
    return {
        "limiter_cost": limiter_cost(requests, rounds),
        "processes": processes(0.5, count=2) if quick else processes(5.0),
    }


def markdown(results: dict[str, Any]) -> list[str]:
    """The section's tables (or the line saying why it was skipped)."""
    if "skipped" in results:
        return [f"Redis rows skipped: {results['skipped']}."]
    cost = results["limiter_cost"]
    lines = [
        "| limiter | concurrency | in-process /s | Redis /s | Redis/in-process "
        "| in-process CPU s/1k | Redis CPU s/1k | extra CPU µs/send |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| messages.send, RedisRateLimiter vs default | {cost['concurrency']} "
        f"| {cost['local_per_s']:,.0f} | {cost['redis_per_s']:,.0f} | {cost['ratio']:.2f} "
        f"| {cost['local_cpu_per_1000']:.3f} | {cost['redis_cpu_per_1000']:.3f} "
        f"| {cost['extra_cpu_us_per_send']:.0f} |",
        "",
        f"| {results['processes'][0]['processes']} processes, project limit "
        f"{results['processes'][0]['limit_per_s']:g}/s "
        "| attempts /s | accepted /s | 429 share | failed sends |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results["processes"]:
        lines.append(
            f"| {row['limiter']} | {row['attempts_per_s']:,.0f} | {row['accepted_per_s']:,.0f} "
            f"| {row['refused_share']:.1%} | {row['failed_sends']} |"
        )
    return lines
