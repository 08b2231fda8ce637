"""``python -m benchmarks``: the whole suite as markdown tables, plus JSON and markdown files.

Every figure is a ratio or a count measured in the same run against the same emulator
process (the machine is shared and noisy): throughput runs raw aiohttp, ``send`` and
``send_many`` in turn, in a rotating order, on an emulator reset before every run, and
reports medians over rounds; so does the campaign journal's cost (``send_many`` journaled
next to plain ``send_many``). Targets are printed next to the figures; nothing here fails
a build. ``--only SECTION`` (repeatable) runs a part of the suite. The shared rate
budget's rows (:mod:`.shared_budget`) need Redis (``REDIS_URL``, default loopback): without
it they are skipped, and the table says so.
The Batch API campaign (:mod:`.batches`: 100,000 rows through batches, 10,000 through
``messages:send``, at a project limit of 800 requests/s) is section ``batches``, also left
out with ``--skip-batches``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

from . import batches, campaign, serialization, shared_budget, tracing_cost
from ._server import emulator_process
from .memory import peak_rss_mb
from .throughput import (
    Side,
    cpu_per_1000,
    median_ratio,
    per_second,
    raw_aiohttp,
    rotate,
    sdk_send,
    sdk_send_many,
)
from .tokens import first_sends

RESULTS = Path(__file__).resolve().parent / "results"


SECTIONS = (
    "throughput",
    "memory",
    "tokens",
    "serialization",
    "journal",
    "journal-memory",
    "tracing",
    "shared-budget",
    "batches",
)


def median(values: list[float]) -> float:
    return statistics.median(values)


def throughput(
    latency_ms: float, concurrency: int, requests: int, rounds: int
) -> list[dict[str, Any]]:
    """Two rows (send, send_many) for one latency and concurrency.

    Each round runs raw aiohttp, ``send`` and ``send_many`` once, in a rotating order, on an
    emulator reset before every run; a round gives one SDK/raw ratio per side, and the
    median over rounds is reported (robust to the bursts of noise of a shared machine).
    """
    sides: dict[str, Side] = {"raw": raw_aiohttp, "send": sdk_send, "send_many": sdk_send_many}
    runs = rotate(sides, latency_ms, requests, concurrency, rounds)
    raw = runs["raw"]
    rows = []
    for name in ("send", "send_many"):
        mine = runs[name]
        target = ratio_target(latency_ms, concurrency)
        rows.append(
            {
                "scenario": f"messages.{name}",
                "latency_ms": latency_ms,
                "concurrency": concurrency,
                "requests": requests,
                "rounds": rounds,
                "raw_per_s": round(median([r.per_second for r in raw]), 1),
                "sdk_per_s": round(median([r.per_second for r in mine]), 1),
                "ratio": round(median_ratio(mine, raw, per_second), 3),
                "ratio_target": target,
                "raw_cpu_per_1000": round(median([r.cpu_per_1000 for r in raw]), 4),
                "sdk_cpu_per_1000": round(median([r.cpu_per_1000 for r in mine]), 4),
                "cpu_ratio": round(median_ratio(mine, raw, cpu_per_1000), 3),
            }
        )
    return rows


def memory(small: int, large: int) -> dict[str, Any]:
    with emulator_process() as server:
        low = peak_rss_mb(server, small)
        high = peak_rss_mb(server, large)
    return {
        "small_messages": small,
        "small_peak_rss_mb": round(low["peak_rss_mb"], 1),
        "large_messages": large,
        "large_peak_rss_mb": round(high["peak_rss_mb"], 1),
        "growth_mb": round(high["peak_rss_mb"] - low["peak_rss_mb"], 1),
        "growth_target_mb": 20,
    }


def tokens(sends: int) -> dict[str, Any]:
    with emulator_process() as server:
        requested = asyncio.run(first_sends(server, sends))
    return {"concurrent_first_sends": sends, "token_requests": requested, "target": 1}


CPU_TARGET = 1.20
"""Client CPU per message, SDK over raw aiohttp, at most."""


def ratio_target(latency_ms: float, concurrency: int) -> float | None:
    """The least SDK/raw throughput ratio: 0.95 with server latency, where the SDK's own work
    hides behind the wait; CPU-bound (0 ms), 0.90 at concurrency 64 and 0.85 beyond."""
    if concurrency == 1:
        return None
    if latency_ms > 0:
        return 0.95
    return 0.90 if concurrency <= 64 else 0.85


def met(value: float, target: float | None, *, most: bool) -> str:
    if target is None:
        return ""
    return "yes" if (value <= target if most else value >= target) else "**no**"


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if results.get("throughput"):
        lines += [
            "| scenario | latency | concurrency | raw aiohttp /s | SDK /s | SDK/raw (target) "
            f"| raw CPU s/1k | SDK CPU s/1k | CPU SDK/raw (target {CPU_TARGET}) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
    for row in results.get("throughput", []):
        target = row["ratio_target"]
        shown = f"{row['ratio']:.2f}" + (
            f" (≥{target}) {met(row['ratio'], target, most=False)}" if target else ""
        )
        cpu_target = CPU_TARGET if row["concurrency"] > 1 else None
        lines.append(
            f"| {row['scenario']} | {row['latency_ms']:g} ms | {row['concurrency']} "
            f"| {row['raw_per_s']:,.0f} | {row['sdk_per_s']:,.0f} | {shown} "
            f"| {row['raw_cpu_per_1000']:.3f} | {row['sdk_cpu_per_1000']:.3f} "
            f"| {row['cpu_ratio']:.2f} {met(row['cpu_ratio'], cpu_target, most=True)} |"
        )
    if results.get("journal"):
        lines += [
            *([""] if lines else []),
            "| scenario | latency | concurrency | journal off /s | journal on /s "
            "| on/off (target) | off CPU s/1k | on CPU s/1k | CPU on/off |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
    for row in results.get("journal", []):
        target = row["ratio_target"]
        lines.append(
            f"| {row['scenario']} | {row['latency_ms']:g} ms | {row['concurrency']} "
            f"| {row['off_per_s']:,.0f} | {row['on_per_s']:,.0f} "
            f"| {row['ratio']:.2f} (≥{target}) {met(row['ratio'], target, most=False)} "
            f"| {row['off_cpu_per_1000']:.3f} | {row['on_cpu_per_1000']:.3f} "
            f"| {row['cpu_ratio']:.2f} |"
        )
    mem = results.get("memory")
    jmem = results.get("journal_memory")
    tok = results.get("tokens")
    serde = results.get("serialization")
    measures: list[str] = []
    if mem:
        measures += [
            f"| peak RSS, {mem['small_messages']:,} streamed send_many messages "
            f"| {mem['small_peak_rss_mb']:.1f} MB | |",
            f"| peak RSS, {mem['large_messages']:,} streamed send_many messages "
            f"| {mem['large_peak_rss_mb']:.1f} MB | |",
            f"| RSS growth between the two | {mem['growth_mb']:.1f} MB "
            f"| ≤ 20 MB {met(mem['growth_mb'], 20, most=True)} |",
        ]
    if jmem:
        growth_target = jmem["growth_target_mb"]
        measures += [
            f"| peak RSS, {jmem['small_rows']:,}-row journaled campaign "
            f"({jmem['small_seconds']:.1f} s, CPU {jmem['small_cpu_seconds']:.1f} s) "
            f"| {jmem['small_peak_rss_mb']:.1f} MB | |",
            f"| peak RSS, {jmem['large_rows']:,}-row journaled campaign "
            f"({jmem['large_seconds']:.1f} s, CPU {jmem['large_cpu_seconds']:.1f} s, "
            f"journal {jmem['large_journal_mb']:.0f} MB) "
            f"| {jmem['large_peak_rss_mb']:.1f} MB | |",
            f"| RSS growth between the two campaigns | {jmem['growth_mb']:.1f} MB "
            f"| ≤ {growth_target} MB {met(jmem['growth_mb'], growth_target, most=True)} |",
        ]
    if tok:
        measures.append(
            f"| token requests for {tok['concurrent_first_sends']:,} concurrent first sends "
            f"| {tok['token_requests']} | 1 {met(tok['token_requests'], 1, most=True)} |"
        )
    if serde:
        dec, enc = serde["decode"], serde["encode"]
        measures += [
            f"| decode 100-message list: SDK / json.loads ({dec['sdk_us']:.0f} / "
            f"{dec['baseline_us']:.0f} µs) | {dec['ratio']:.2f} "
            f"| ≤ 3 {met(dec['ratio'], 3, most=True)} |",
            f"| encode SendMessageRequest: SDK / json.dumps ({enc['sdk_us']:.1f} / "
            f"{enc['baseline_us']:.1f} µs) | {enc['ratio']:.2f} "
            f"| ≤ 2 {met(enc['ratio'], 2, most=True)} |",
        ]
    if measures:
        lines += [
            *([""] if lines else []),
            "| measure | value | target |",
            "|---|---:|---|",
            *measures,
        ]
    if "tracing" in results:
        lines += tracing_cost.markdown(results["tracing"])
    if "shared_budget" in results:
        lines += ["", *shared_budget.markdown(results["shared_budget"])]
    if "batches" in results:
        lines += ["", *batches.markdown(results["batches"])]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--requests", type=int, default=2000, help="sends per run")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; medians are reported")
    parser.add_argument(
        "--campaign-rows",
        type=int,
        default=1_000_000,
        help="rows of the large journaled campaign of journal-memory (the small one: 10,000)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run this section only (repeatable); results go to latest-SECTION... files",
    )
    parser.add_argument("--quick", action="store_true", help="tiny runs: a smoke check only")
    parser.add_argument(
        "--skip-batches",
        action="store_true",
        help="leave out the Batch API campaign (100,000 rows; ~1 min)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    requests = 200 if quick else args.requests
    rounds = 1 if quick else args.rounds
    wanted = set(args.only or SECTIONS)
    results: dict[str, Any] = {"machine": machine(), "quick": quick}
    if "throughput" in wanted:
        results["throughput"] = []
        for latency in (0.0, 20.0):
            for concurrency in (1, 64, 256):
                n = (
                    requests
                    if concurrency > 1
                    else (requests // 10 if latency == 0 else requests // 30)
                )
                results["throughput"] += throughput(latency, concurrency, max(n, 20), rounds)
    if "journal" in wanted:
        results["journal"] = [
            campaign.journal_throughput(latency, 64, requests, rounds) for latency in (0.0, 20.0)
        ]
    if "memory" in wanted:
        results["memory"] = memory(1_000, 5_000) if quick else memory(10_000, 100_000)
    if "journal-memory" in wanted:
        results["journal_memory"] = (
            campaign.journal_memory(1_000, 5_000)
            if quick
            else campaign.journal_memory(10_000, args.campaign_rows)
        )
    if "tokens" in wanted:
        results["tokens"] = tokens(500 if quick else 10_000)
    if "serialization" in wanted:
        rounds_serde = 3 if quick else 30
        results["serialization"] = {
            "decode": serialization.decode(rounds_serde),
            "encode": serialization.encode(rounds_serde),
        }
    if "tracing" in wanted:
        results["tracing"] = tracing_cost.run(requests, 3 if quick else rounds)
    if "shared-budget" in wanted:
        results["shared_budget"] = shared_budget.run(quick, requests, rounds)
    if "batches" in wanted and not args.skip_batches:
        results["batches"] = batches.run(2_000, 200) if quick else batches.run(100_000, 10_000)
    table = markdown(results)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    stem = "quick" if quick else "latest"
    if args.only:
        stem += "-" + "-".join(section for section in SECTIONS if section in wanted)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(table + "\n")
    print(f"\nresults written to {RESULTS / stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
