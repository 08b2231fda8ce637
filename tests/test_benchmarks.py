"""The benchmark suite runs end to end (tiny sizes): its figures are not asserted here."""

from __future__ import annotations

import json

from benchmarks import __main__ as bench


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
