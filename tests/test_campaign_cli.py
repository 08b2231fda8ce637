"""send-bulk as a campaign: killed, interrupted and resumed, every row sent exactly once.

These run the CLI and the standalone emulator as real processes on loopback, with the
client pointed at the emulator as at the real API (``SINCH_*`` variables)."""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks._server import ServerInfo, emulator_process
from conversation_async._bulk_cli import (
    EXIT_FATAL,
    EXIT_INCOMPLETE,
    EXIT_SENT,
    exit_status,
    journal_problem,
    resume_command,
)
from conversation_async.bulk import BulkSummary

ROWS = 5_000
DEADLINE = 120.0
"""Seconds any one CLI run may take before the test gives up on it."""


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["channel", "identity", "name"])
        writer.writerows(("SMS", f"+4670{i:07d}", f"n{i}") for i in range(rows))
    return path


def environment(server: ServerInfo) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env.update(
        SINCH_PROJECT_ID=server.project_id,
        SINCH_CLIENT_ID=server.client_id,
        SINCH_CLIENT_SECRET=server.client_secret,
        SINCH_CONVERSATION_URL=server.base_url,
        SINCH_AUTH_URL=server.auth_url,
    )
    return env


def command(csv_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "conversation_async",
        "send-bulk",
        "--csv",
        str(csv_path),
        "--app-id",
        "campaign-app",
        "--text",
        "Hello {name}",
        "--reconcile-settle",  # a request cut by a kill may be processed late under load
        "3",
        *extra,
    ]


def start(csv_path: Path, server: ServerInfo, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(csv_path, *extra),
        env=environment(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_messages(server: ServerInfo) -> Iterator[dict[str, Any]]:
    """Every message the emulator stores, through the API's own listing."""
    token_request = urllib.request.Request(  # noqa: S310 - loopback http
        server.auth_url,
        data=b"grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    token_request.add_header("Authorization", f"Basic {basic}")
    with urllib.request.urlopen(token_request, timeout=10) as answer:  # noqa: S310 - loopback
        token = json.loads(answer.read())["access_token"]
    page_token = ""
    while True:
        url = (
            f"{server.base_url}/v1/projects/{server.project_id}/messages"
            f"?page_size=1000&app_id=campaign-app&page_token={page_token}"
        )
        headers = {"Authorization": f"Bearer {token}"}
        listing = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback http
        with urllib.request.urlopen(listing, timeout=30) as answer:  # noqa: S310 - loopback
            page = json.loads(answer.read())
        yield from page["messages"]
        page_token = page.get("next_page_token") or ""
        if not page_token:
            return


def run_until_done(
    csv_path: Path,
    server: ServerInfo,
    results: Path,
    starter: Callable[..., subprocess.Popen[str]] | None = None,
) -> list[int]:
    """Resume (with ``starter``, default :func:`start`) until a run exits 0; returns the
    exit statuses (bounded)."""
    statuses = []
    for _ in range(10):
        process = (starter or start)(csv_path, server, "--resume", "--results", str(results))
        _, stderr = process.communicate(timeout=DEADLINE)
        assert "Traceback" not in stderr, stderr
        statuses.append(process.returncode)
        if process.returncode == EXIT_SENT:
            return statuses
        assert process.returncode == EXIT_INCOMPLETE, stderr
    raise AssertionError(f"not done after 10 resumes: {statuses}")


def check_exactly_once(server: ServerInfo, results: Path, rows: int) -> None:
    """The emulator holds one message per row, and the results file says the same."""
    stored = list(stored_messages(server))
    per_identity = Counter(m["channel_identity"]["identity"] for m in stored)
    expected = {f"+4670{i:07d}" for i in range(rows)}
    assert set(per_identity) == expected
    twice = {k: n for k, n in per_identity.items() if n > 1}
    assert not twice, f"{len(twice)} recipients got more than one message"
    assert server.stats()["ledger_size"] == rows
    with results.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == rows
    assert {r["outcome"] for r in written} == {"sent"}
    by_identity = {m["channel_identity"]["identity"]: m["id"] for m in stored}
    assert {r["identity"]: r["message_id"] for r in written} == by_identity


def wait_for_sends(server: ServerInfo, process: subprocess.Popen[str], sends: int) -> None:
    """Until the emulator accepted ``sends`` more messages (however loaded the machine)."""
    target = server.stats()["ledger_size"] + sends
    give_up = time.monotonic() + DEADLINE
    while server.stats()["ledger_size"] < target:
        assert process.poll() is None, "the campaign ended before it could be stopped"
        assert time.monotonic() < give_up, "the campaign made no progress"
        time.sleep(0.02)


def kill_and_resume(tmp_path: Path, server: ServerInfo, kills: int, seed: int) -> None:
    csv_path = write_csv(tmp_path / "recipients.csv", ROWS)
    results = tmp_path / "results.csv"
    chance = random.Random(seed)  # noqa: S311 - reproducible kill points
    journal = Path(f"{csv_path}.journal")
    for _ in range(kills):
        # 1,000 sends/s: each run gets through a few hundred rows before its kill.
        extra = ("--resume",) if journal.exists() else ()
        process = start(csv_path, server, "--rate-limit", "1000", *extra)
        wait_for_sends(server, process, chance.randint(100, 700))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=DEADLINE)
        assert process.returncode == -signal.SIGKILL
    with contextlib.closing(sqlite3.connect(journal)) as db:
        states = Counter(state for (state,) in db.execute("SELECT state FROM rows"))
    assert states["in_flight"] > 0  # killed mid-request: these must be reconciled
    assert 0 < states["sent"] < ROWS
    run_until_done(csv_path, server, results)
    check_exactly_once(server, results, ROWS)


@pytest.mark.slow
def test_a_campaign_killed_five_times_sends_every_row_exactly_once(tmp_path: Path) -> None:
    """SIGKILL at random points, five times, then resume: one message per row, no more."""
    with emulator_process(0.0) as server:
        kill_and_resume(tmp_path, server, kills=5, seed=11)


@pytest.mark.slow
def test_a_killed_campaign_under_faults_sends_every_row_exactly_once(tmp_path: Path) -> None:
    """The same with 20% of sends faulted, resets after processing included."""
    with emulator_process(0.0, "--fault", "SendMessage:0.2", "--seed", "5") as server:
        kill_and_resume(tmp_path, server, kills=5, seed=12)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_campaign_with_a_summary_results_and_a_resume_command(
    tmp_path: Path, signum: signal.Signals, status: int
) -> None:
    """SIGINT/SIGTERM: no traceback, the summary, a results row for every input, the
    command that resumes, exit 130/143; resuming then finishes the campaign."""
    csv_path = write_csv(tmp_path / "r.csv", 3_000)
    results = tmp_path / "out.csv"
    with emulator_process(20.0) as server:
        process = start(csv_path, server, "--results", str(results), "--concurrency", "16")
        wait_for_sends(server, process, 300)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=DEADLINE)
        assert process.returncode == status, stderr
        assert "Traceback" not in stderr
        assert "messages in" in stdout  # the summary
        assert "to resume:" in stderr
        assert "--resume" in stderr
        with results.open(newline="", encoding="utf-8") as handle:
            written = list(csv.DictReader(handle))
        assert sorted(int(r["row"]) for r in written) == list(range(1, 3_001))
        outcomes = Counter(r["outcome"] for r in written)
        assert outcomes["sent"] > 0
        assert outcomes["not_attempted"] > 0
        run_until_done(csv_path, server, results)
        check_exactly_once(server, results, 3_000)


def test_exit_status_table() -> None:
    """0 all sent, 1 incomplete, 3 stopped on a fatal error, 130/143 by signal."""

    def summary(sent: int, stopped: tuple[str, ...] = ()) -> BulkSummary:
        return BulkSummary(10, {"sent": sent}, {}, None, None, 1.0, stopped_by=stopped)

    assert exit_status(summary(10), 10, None) == EXIT_SENT
    assert exit_status(summary(9), 10, None) == EXIT_INCOMPLETE
    assert exit_status(summary(0, ("all inputs: 401",)), 10, None) == EXIT_FATAL
    assert exit_status(summary(10), 10, signal.SIGINT) == 130
    assert exit_status(summary(3), 10, signal.SIGTERM) == 143


def test_an_existing_journal_needs_resume_and_resume_needs_a_journal(tmp_path: Path) -> None:
    """Starting over an existing campaign, or resuming none, is a usage error."""
    journal = tmp_path / "x.journal"
    assert journal_problem(journal, resume=False) is None
    assert "no journal" in (journal_problem(journal, resume=True) or "")
    journal.touch()
    assert "--resume" in (journal_problem(journal, resume=False) or "")
    assert journal_problem(journal, resume=True) is None
    assert journal_problem(None, resume=True) == "--resume needs a journal"


def test_the_resume_command_repeats_the_arguments_with_resume() -> None:
    """Printed after an incomplete run: the same command, with --resume once."""
    line = resume_command(["send-bulk", "--csv", "my file.csv", "--resume", "--text", "hi"])
    assert line.endswith("send-bulk --csv 'my file.csv' --text hi --resume")
