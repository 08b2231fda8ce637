"""send-bulk --via batch as a campaign: killed with SIGKILL mid-campaign and resumed until
done, every row sent exactly once. The CLI and the standalone emulator run as real
processes on loopback, the client pointed at the emulator as at the real API."""

from __future__ import annotations

import contextlib
import csv
import json
import random
import signal
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from benchmarks._server import ServerInfo, emulator_process
from tests.test_campaign_cli import (
    DEADLINE,
    command,
    environment,
    run_until_done,
    stored_messages,
    wait_for_sends,
    write_csv,
)

ROWS = 20_000
"""20 batch requests of 1,000 rows."""


def start(csv_path: Path, server: ServerInfo, *extra: str) -> subprocess.Popen[str]:
    env = environment(server)
    env["SINCH_BATCH_URL"] = f"{server.base_url}/batch"
    return subprocess.Popen(
        # two batch requests at a time, four a second: a kill finds some in flight
        command(csv_path, "--via", "batch", "--concurrency", "2", "--rate-limit", "4", *extra),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def in_doubt_with_a_batch(journal: Path) -> int:
    """Rows journaled in doubt whose batch request may have gone out (they carry a tag)."""
    with contextlib.closing(sqlite3.connect(journal)) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM rows JOIN batch_marks USING (key) "
            "WHERE state IN ('in_flight', 'ambiguous', 'interrupted')"
        ).fetchone()
    return int(count)


@pytest.mark.slow
def test_a_batch_campaign_killed_four_times_sends_every_row_exactly_once(
    tmp_path: Path,
) -> None:
    """SIGKILL at random points, four times, then resume until done: the emulator's ledger
    holds one message per row, each row's result names the batch its message came from."""
    csv_path = write_csv(tmp_path / "recipients.csv", ROWS)
    results = tmp_path / "results.csv"
    journal = Path(f"{csv_path}.journal")
    chance = random.Random(7)  # noqa: S311 - reproducible kill points
    doubted = 0
    with emulator_process(100.0) as server:
        for _ in range(4):
            extra = ("--resume",) if journal.exists() else ()
            process = start(csv_path, server, *extra)
            wait_for_sends(server, process, chance.randint(1, 3) * 1000)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=DEADLINE)
            assert process.returncode == -signal.SIGKILL
            doubted += in_doubt_with_a_batch(journal)
        assert doubted > 0  # killed with batches in flight: these were reconciled
        run_until_done(csv_path, server, results, start)
        stored = list(stored_messages(server))
        assert server.stats()["ledger_size"] == ROWS
    per_identity = Counter(m["channel_identity"]["identity"] for m in stored)
    assert set(per_identity) == {f"+4670{i:07d}" for i in range(ROWS)}
    assert max(per_identity.values()) == 1
    batch_of = {
        m["channel_identity"]["identity"]: json.loads(m["metadata"])["_batch_id"] for m in stored
    }
    with results.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == ROWS
    assert {r["outcome"] for r in written} == {"sent"}
    assert {r["identity"]: r["batch_id"] for r in written} == batch_of
