"""A long faulty run leaves nothing behind: tasks, file descriptors and memory return."""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path

from benchmarks._server import ServerInfo, emulator_process
from benchmarks.throughput import bulk_requests
from conversation_async import ConversationClient, RetryPolicy

RETRY = RetryPolicy(max_retries=3, backoff_base=0.005, backoff_max=0.05)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def stream(server: ServerInfo, messages: int) -> int:
    """Send ``messages`` through send_many on a fresh client, closed afterwards."""
    client = ConversationClient(
        server.project_id,
        server.client_id,
        server.client_secret,
        conversation_url=server.base_url,
        auth_url=server.auth_url,
        timeout=0.5,
        deadline=10,
        retry=RETRY,
    )
    async with client:
        summary = await client.messages.send_many(bulk_requests(messages), concurrency=64).run()
    assert summary.total == messages
    return summary.by_outcome.get("sent", 0)


async def settled_state() -> tuple[int, int, float]:
    await asyncio.sleep(0.2)  # closed connections finish closing
    gc.collect()
    return len(asyncio.all_tasks()), open_fds(), rss_mb()


async def test_fifty_thousand_faulty_sends_return_to_baseline() -> None:
    """After 50,000 sends with 10% faults, tasks and fds are back and RSS has not grown."""
    with emulator_process(0.0, "--fault", "SendMessage:0.1", "--seed", "11") as server:
        await stream(server, 5_000)  # warm-up: imports, generated hooks, allocator pools
        tasks, fds, rss = await settled_state()
        sent = await stream(server, 50_000)
        tasks_after, fds_after, rss_after = await settled_state()
    assert sent > 40_000
    assert tasks_after == tasks
    assert fds_after == fds
    assert rss_after - rss < 15, (rss, rss_after)
