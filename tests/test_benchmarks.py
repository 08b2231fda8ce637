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
    assert "| messages.send_many |" in (bench.RESULTS / "quick.md").read_text()
    batches = results["batches"]
    assert (batches["batch_rows"], batches["batch_requests"]) == (2_000, 2)
    assert batches["message_requests"] == batches["message_rows"] == 200
    assert batches["ratio"] > 0
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
