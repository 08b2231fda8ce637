"""``python -m benchmarks``: run the suite, print a markdown table, write JSON results.

Each scenario starts an emulator process, then alternates raw aiohttp and SDK runs (best of
``--rounds``) so that both see the same machine noise. Figures are ratios, never targets
checked by tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
from pathlib import Path
from typing import Any

from ._server import emulator_process
from .throughput import Run, raw_aiohttp, sdk_send

RESULTS = Path(__file__).resolve().parent / "results"


def best(runs: list[Run]) -> Run:
    return max(runs, key=lambda run: run.per_second)


def scenario(latency_ms: float, concurrency: int, requests: int, rounds: int) -> dict[str, Any]:
    with emulator_process(latency_ms) as server:
        raw: list[Run] = []
        sdk: list[Run] = []
        for _ in range(rounds):
            raw.append(asyncio.run(raw_aiohttp(server, requests, concurrency)))
            sdk.append(asyncio.run(sdk_send(server, requests, concurrency)))
    r, s = best(raw), best(sdk)
    return {
        "scenario": "messages.send",
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "requests": requests,
        "raw_per_s": round(r.per_second, 1),
        "sdk_per_s": round(s.per_second, 1),
        "ratio": round(s.per_second / r.per_second, 3),
        "raw_cpu_per_1000": round(r.cpu_per_1000, 4),
        "sdk_cpu_per_1000": round(s.cpu_per_1000, 4),
        "cpu_ratio": round(s.cpu_per_1000 / r.cpu_per_1000, 3),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | latency | concurrency | raw aiohttp /s | SDK /s | SDK/raw "
        "| raw CPU s/1k | SDK CPU s/1k | CPU SDK/raw |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['latency_ms']:g} ms | {row['concurrency']} "
            f"| {row['raw_per_s']:.0f} | {row['sdk_per_s']:.0f} | {row['ratio']:.2f} "
            f"| {row['raw_cpu_per_1000']:.3f} | {row['sdk_cpu_per_1000']:.3f} "
            f"| {row['cpu_ratio']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--requests", type=int, default=3000, help="sends per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side; best is kept")
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke check")
    args = parser.parse_args(argv)
    requests = 300 if args.quick else args.requests
    rounds = 1 if args.quick else args.rounds
    rows = [
        scenario(latency, concurrency, requests if concurrency > 1 else requests // 5, rounds)
        for latency in (0.0, 20.0)
        for concurrency in (1, 64, 256)
    ]
    print(table(rows))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(
        json.dumps({"python": platform.python_version(), "results": rows}, indent=2) + "\n"
    )
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
