"""The benchmark suite runs end to end (tiny sizes): its figures are not asserted here."""

from __future__ import annotations

import asyncio
import json

from benchmarks import __main__ as bench
from benchmarks import shared_budget


def test_quick_benchmark_run_produces_every_figure() -> None:
    """`python -m benchmarks --quick` measures every row and writes JSON and markdown."""
    assert bench.main(["--quick"]) == 0
    results = json.loads((bench.RESULTS / "quick.json").read_text())
    scenarios = {(r["scenario"], r["latency_ms"], r["concurrency"]) for r in results["throughput"]}
    assert len(scenarios) == 12
    assert all(r["sdk_per_s"] > 0 and r["raw_per_s"] > 0 for r in results["throughput"])
    assert results["tokens"]["token_requests"] == 1
    assert results["memory"]["large_peak_rss_mb"] > 0
    assert results["serialization"]["decode"]["ratio"] > 0
    journal = {(r["scenario"], r["latency_ms"], r["concurrency"]) for r in results["journal"]}
    assert journal == {
        ("send_many journal on/off", 0.0, 64),
        ("send_many journal on/off", 20.0, 64),
    }
    assert all(r["on_per_s"] > 0 and r["off_per_s"] > 0 for r in results["journal"])
    assert all(r["ratio"] > 0 and r["ratio_target"] == 0.85 for r in results["journal"])
    assert results["journal_memory"]["large_peak_rss_mb"] > 0
    assert results["journal_memory"]["large_rows"] > results["journal_memory"]["small_rows"]
    table = (bench.RESULTS / "quick.md").read_text()
    assert "| messages.send_many |" in table
    assert "| send_many journal on/off |" in table
    assert "-row journaled campaign" in table
    batches = results["batches"]
    assert (batches["batch_rows"], batches["batch_requests"]) == (2_000, 2)
    assert batches["message_requests"] == batches["message_rows"] == 200
    assert batches["ratio"] > 0
    assert batches["journal_ratio"] > 0
    assert "| send_many via batches |" in (bench.RESULTS / "quick.md").read_text()
    assert results["tracing"]["ratio"] > 0
    assert "tracing hook without a provider" in (bench.RESULTS / "quick.md").read_text()
    shared = results["shared_budget"]
    if "skipped" in shared:
        assert "Redis rows skipped" in (bench.RESULTS / "quick.md").read_text()
    else:
        assert shared["limiter_cost"]["ratio"] > 0
        assert [row["processes"] for row in shared["processes"]] == [2, 2]  # quick: two
        assert all(row["accepted_per_s"] > 0 for row in shared["processes"])


def test_without_redis_the_shared_budget_rows_say_they_were_skipped() -> None:
    """No Redis at the URL: the section is skipped with the reason, and the table says so."""
    reason = asyncio.run(shared_budget.redis_reachable("redis://127.0.0.1:1/0"))
    assert reason is not None
    assert "127.0.0.1:1" in reason
    lines = shared_budget.markdown({"skipped": reason})
    assert lines == [f"Redis rows skipped: {reason}."]


def test_markdown_of_a_partial_run_shows_only_its_sections() -> None:
    """`--only journal --only journal-memory` results: their tables, nothing else."""
    row = {
        "scenario": "send_many journal on/off",
        "latency_ms": 0.0,
        "concurrency": 64,
        "off_per_s": 7000.0,
        "on_per_s": 5600.0,
        "ratio": 0.8,
        "ratio_target": 0.85,
        "off_cpu_per_1000": 0.14,
        "on_cpu_per_1000": 0.2,
        "cpu_ratio": 1.43,
    }
    memory = {
        "small_rows": 10_000,
        "small_peak_rss_mb": 46.0,
        "small_seconds": 2.0,
        "small_cpu_seconds": 1.5,
        "large_rows": 1_000_000,
        "large_peak_rss_mb": 47.5,
        "large_seconds": 200.0,
        "large_cpu_seconds": 150.0,
        "large_journal_mb": 190.0,
        "growth_mb": 1.5,
        "growth_target_mb": 20,
    }
    table = bench.markdown({"journal": [row], "journal_memory": memory})
    assert "| send_many journal on/off | 0 ms | 64 | 7,000 | 5,600 | 0.80 (≥0.85) **no** |" in table
    assert "| RSS growth between the two campaigns | 1.5 MB | ≤ 20 MB yes |" in table
    assert (
        "1,000,000-row journaled campaign (200.0 s, CPU 150.0 s, journal 190 MB) | 47.5 MB" in table
    )
    assert "raw aiohttp" not in table
    assert "token requests" not in table
