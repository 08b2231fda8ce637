"""What a campaign journal costs: ``send_many(..., journal=PATH)`` next to plain ``send_many``.

Throughput: both sides run as in :mod:`.throughput` (same emulator process, rounds in a
rotating order, an emulator reset before every run); the journaled side journals into a
fresh SQLite file in a new temporary directory per run (a second run on one journal would
resume and send nothing), and afterwards checks that the journal holds every row as sent.

Memory: the peak RSS of a fresh client process running a journaled campaign of N rows
(see :mod:`.memory`), small and large, on an emulator at 0 ms latency without faults.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path
from statistics import median
from typing import Any

from ._server import ServerInfo, emulator_process
from .memory import peak_rss_mb
from .throughput import (
    Run,
    Side,
    cpu_per_1000,
    median_ratio,
    per_second,
    rotate,
    sdk_send_many,
)

RATIO_TARGET = 0.85
"""The least journaled/unjournaled ``send_many`` throughput ratio."""
GROWTH_TARGET_MB = 20
"""The most peak RSS may grow from a small journaled campaign to a large one."""


async def journaled_send_many(server: ServerInfo, requests: int, concurrency: int) -> Run:
    """:func:`.throughput.sdk_send_many` as a campaign journaled in a fresh temporary file."""
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as directory:
        journal = Path(directory) / "campaign.sqlite"
        run = await sdk_send_many(server, requests, concurrency, journal=journal)
        with contextlib.closing(sqlite3.connect(journal)) as db:
            states = dict(db.execute("SELECT state, count(*) FROM rows GROUP BY state"))
    if states != {"sent": requests}:
        raise RuntimeError(f"the journal does not hold every row as sent: {states}")
    return run


def journal_throughput(
    latency_ms: float, concurrency: int, requests: int, rounds: int
) -> dict[str, Any]:
    """One row: ``send_many`` journaled vs not, per second and CPU, median over rounds."""
    sides: dict[str, Side] = {"off": sdk_send_many, "on": journaled_send_many}
    runs = rotate(sides, latency_ms, requests, concurrency, rounds)
    off, on = runs["off"], runs["on"]
    return {
        "scenario": "send_many journal on/off",
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "requests": requests,
        "rounds": rounds,
        "off_per_s": round(median([per_second(r) for r in off]), 1),
        "on_per_s": round(median([per_second(r) for r in on]), 1),
        "ratio": round(median_ratio(on, off, per_second), 3),
        "ratio_target": RATIO_TARGET,
        "off_cpu_per_1000": round(median([cpu_per_1000(r) for r in off]), 4),
        "on_cpu_per_1000": round(median([cpu_per_1000(r) for r in on]), 4),
        "cpu_ratio": round(median_ratio(on, off, cpu_per_1000), 3),
        "per_round": {
            "off_per_s": [round(per_second(r), 1) for r in off],
            "on_per_s": [round(per_second(r), 1) for r in on],
        },
    }


def journal_memory(small: int, large: int) -> dict[str, Any]:
    """Peak RSS of journaled campaigns of ``small`` and ``large`` rows, each in a fresh
    client process, against one emulator (0 ms latency, no faults) reset before each."""
    with emulator_process() as server:
        server.reset()
        low = peak_rss_mb(server, small, journal=True)
        server.reset()
        high = peak_rss_mb(server, large, journal=True)
    return {
        "small_rows": small,
        "small_peak_rss_mb": round(low["peak_rss_mb"], 1),
        "small_seconds": round(low["seconds"], 1),
        "small_cpu_seconds": round(low["cpu_seconds"], 1),
        "large_rows": large,
        "large_peak_rss_mb": round(high["peak_rss_mb"], 1),
        "large_seconds": round(high["seconds"], 1),
        "large_cpu_seconds": round(high["cpu_seconds"], 1),
        "large_journal_mb": round(high["journal_mb"], 1),
        "growth_mb": round(high["peak_rss_mb"] - low["peak_rss_mb"], 1),
        "growth_target_mb": GROWTH_TARGET_MB,
    }
