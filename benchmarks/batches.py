"""A campaign through the Batch API against the same campaign through ``messages:send``.

Both sides run in the same process against one emulator process whose project rate limit
is 800 requests/s (Sinch's documented default), with default client settings and one
distinct recipient per row: ``send_many(rows, via="batch")`` turns 1,000 rows into one
request, ``send_many(requests)`` makes one request per row (and its adaptive limiter meets
the 800/s limit). Reported: recipients per second for each, their ratio, and the client's
CPU per 1,000 recipients. The per-message side may run over fewer rows (at 800/s, 100,000
rows take over two minutes); the table says how many each side sent, and how many rows the
per-message side lost to 429s after the client's default retries (rates count rows sent).
The batch side runs again with a campaign journal (a SQLite file in a temporary folder):
its rate over the unjournaled one is the journal's cost.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conversation_async import ConversationClient
from conversation_async.bulk import BatchRow, batch_text
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TextMessage,
)

from ._server import ServerInfo, emulator_process
from .throughput import Run


def client_for(server: ServerInfo) -> ConversationClient:
    """A default-configured client for the emulator process, Batch host included."""
    return ConversationClient(
        server.project_id,
        server.client_id,
        server.client_secret,
        conversation_url=server.base_url,
        batch_url=f"{server.base_url}/batch",
        auth_url=server.auth_url,
    )


RATE_LIMIT = 800.0
"""The emulator's project rate limit, requests per second."""
RATIO_TARGET = 20.0
"""Batch recipients per second over per-message recipients per second, at least (x)."""
TEXT = "Hi {name}, your code is {code}"


def identity(index: int) -> str:
    return f"+4671{index:07d}"


def batch_rows(count: int) -> Iterator[BatchRow]:
    """``count`` rows of one message with ``${name}``/``${code}``, one recipient each."""
    message = AppMessage(content=TextMessage(text=batch_text(TEXT)))
    for index in range(count):
        yield BatchRow(
            request=SendMessageRequest(
                app_id="bench-app",
                recipient=IdentifiedRecipient.of(("SMS", identity(index))),
                message=message,
            ),
            parameters={"name": f"P{index}", "code": str(index)},
        )


def message_requests(count: int) -> Iterator[SendMessageRequest]:
    """The same campaign as per-message requests, each with its text filled in."""
    for index in range(count):
        yield SendMessageRequest(
            app_id="bench-app",
            recipient=IdentifiedRecipient.of(("SMS", identity(index))),
            message=AppMessage(content=TextMessage(text=TEXT.format(name=f"P{index}", code=index))),
        )


async def via_batches(
    server: ServerInfo, rows: int, concurrency: int, journal: Path | None = None
) -> Run:
    """``send_many(..., via="batch")`` over a generator, consuming every result; journaled
    when ``journal`` is given."""
    async with client_for(server) as client:
        await client.batches.list_by_metadata(key="warm", value="up")  # token, connection
        wall, cpu = time.perf_counter(), time.process_time()
        summary = await client.messages.send_many(
            batch_rows(rows), via="batch", concurrency=concurrency, journal=journal
        ).run()
        run = Run(rows, time.perf_counter() - wall, time.process_time() - cpu)
    if summary.by_outcome.get("sent") != rows:
        raise RuntimeError(f"batch send lost rows: {summary.format()}")
    return run


async def via_messages(server: ServerInfo, rows: int, concurrency: int) -> tuple[Run, int]:
    """``send_many`` of one request per row; the run counts the rows sent, and the rows
    that failed (a 429 after the default retries: the limit is hard) come second."""
    async with client_for(server) as client:
        await client.batches.list_by_metadata(key="warm", value="up")
        wall, cpu = time.perf_counter(), time.process_time()
        summary = await client.messages.send_many(
            message_requests(rows), concurrency=concurrency
        ).run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sent = summary.by_outcome.get("sent", 0)
    if sent + summary.by_outcome.get("failed", 0) != rows or not sent:
        raise RuntimeError(f"per-message send lost rows: {summary.format()}")
    return Run(sent, wall, cpu), rows - sent


def run(batch_rows_count: int, message_rows_count: int) -> dict[str, Any]:
    """Both sides in one emulator process (reset in between), batches first."""
    with emulator_process(0.0, "--rate-limit", str(RATE_LIMIT)) as server:
        server.reset()
        batches = asyncio.run(via_batches(server, batch_rows_count, concurrency=4))
        batch_stats = server.stats()
        server.reset()
        with tempfile.TemporaryDirectory() as folder:
            journaled = asyncio.run(
                via_batches(server, batch_rows_count, 4, journal=Path(folder) / "c.journal")
            )
        server.reset()
        messages, failed = asyncio.run(via_messages(server, message_rows_count, concurrency=64))
        message_stats = server.stats()
    return {
        "rate_limit": RATE_LIMIT,
        "batch_rows": batch_rows_count,
        "batch_requests": batch_stats["requests_seen"].get("SendBatch", 0),
        "batch_per_s": round(batches.per_second, 1),
        "batch_cpu_per_1000": round(batches.cpu_per_1000, 4),
        "journaled_per_s": round(journaled.per_second, 1),
        "journaled_cpu_per_1000": round(journaled.cpu_per_1000, 4),
        "journal_ratio": round(journaled.per_second / batches.per_second, 2),
        "message_rows": message_rows_count,
        "message_requests": message_stats["requests_seen"].get("SendMessage", 0),
        "message_rate_limited": message_stats["rate_limited"],
        "message_failed": failed,
        "message_per_s": round(messages.per_second, 1),
        "message_cpu_per_1000": round(messages.cpu_per_1000, 4),
        "ratio": round(batches.per_second / messages.per_second, 1),
        "ratio_to_limit": round(batches.per_second / RATE_LIMIT, 1),
        "ratio_target": RATIO_TARGET,
    }


def markdown(result: dict[str, Any]) -> list[str]:
    """The section's table rows."""
    met = "yes" if result["ratio"] >= result["ratio_target"] else "**no**"
    limit = f"{result['rate_limit']:,.0f}"
    return [
        f"| campaign at a project limit of {limit} requests/s | rows | requests "
        "| recipients /s | client CPU s/1k recipients |",
        "|---|---:|---:|---:|---:|",
        f"| send_many via batches | {result['batch_rows']:,} | {result['batch_requests']:,} "
        f"| {result['batch_per_s']:,.0f} | {result['batch_cpu_per_1000']:.3f} |",
        f"| send_many via batches, journaled ({result['journal_ratio']:.2f}x unjournaled) "
        f"| {result['batch_rows']:,} | {result['batch_requests']:,} "
        f"| {result['journaled_per_s']:,.0f} | {result['journaled_cpu_per_1000']:.3f} |",
        f"| send_many via messages:send (429s: {result['message_rate_limited']:,}, rows failed: "
        f"{result['message_failed']:,}) "
        f"| {result['message_rows']:,} | {result['message_requests']:,} "
        f"| {result['message_per_s']:,.0f} | {result['message_cpu_per_1000']:.3f} |",
        f"| batches / messages | | | {result['ratio']:,.1f}x (≥ {result['ratio_target']:g}x "
        f"{met}) | {result['batch_cpu_per_1000'] / result['message_cpu_per_1000']:.2f}x |",
        f"| batches / the limit ({limit}/s, the most per-message sends can reach) | | "
        f"| {result['ratio_to_limit']:,.1f}x | |",
    ]
