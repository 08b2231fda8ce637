"""`send-bulk --via batch`: CSV rows through the Batch API, end to end and row by row."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

from conversation_async._batch_csv import CsvBatchRows, placeholder_names
from conversation_async.models import TemplateMessage, TextMessage
from tests.test_cli import no_credentials, write_csv

__all__ = ["no_credentials"]  # the fixture, shared with test_cli


def test_text_rows_share_one_message_and_carry_their_columns(tmp_path: Path) -> None:
    """--text 'Hi {name}' becomes one message 'Hi ${name}'; each row brings its name."""
    path = write_csv(tmp_path, "channel,identity,name,unused\nSMS,+1,Åsa,x\nSMS,+2,Bo,y\n")
    rows = list(CsvBatchRows(path, app_id="app", rows=2, text="Hi {name}"))
    assert len(rows) == 2
    assert rows[0].request.message is rows[1].request.message
    assert rows[0].request.message.content == TextMessage(text="Hi ${name}")
    assert [r.parameters for r in rows] == [{"name": "Åsa"}, {"name": "Bo"}]
    assert placeholder_names("${a} ${b} ${a}") == ["a", "b"]


def test_template_rows_map_extra_columns_to_parameters(tmp_path: Path) -> None:
    """--template-id: every extra column is a ${column} template parameter."""
    path = write_csv(tmp_path, "channel,identity,name,code\nSMS,+1,A,7\n")
    (row,) = CsvBatchRows(path, app_id="app", rows=1, template_id="t", template_version="2")
    content = row.request.message.content
    assert isinstance(content, TemplateMessage)
    assert content.omni_template is not None
    assert content.omni_template.parameters == {"name": "${name}", "code": "${code}"}
    assert row.parameters == {"name": "A", "code": "7"}


def test_send_bulk_via_batch_sends_2500_rows_in_3_batches_to_the_emulator(
    tmp_path: Path, no_credentials: None
) -> None:
    """End to end against the embedded emulator: every row sent, one result row each with
    its batch id, three batch ids for 2,500 rows."""
    rows = "".join(f"SMS,+4670{i:07d},P{i}\n" for i in range(2500))
    path = write_csv(tmp_path, "channel,identity,name\n" + rows)
    results = tmp_path / "results.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conversation_async",
            "send-bulk",
            "--csv",
            str(path),
            "--text",
            "Hi {name}",
            "--via",
            "batch",
            "--results",
            str(results),
            "--emulator",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "2,500 sent, 0 failed, 0 ambiguous" in done.stdout
    with results.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert sorted(int(r["row"]) for r in written) == list(range(1, 2501))
    assert {r["outcome"] for r in written} == {"sent"}
    assert sorted(Counter(r["batch_id"] for r in written).values()) == [500, 1000, 1000]
    assert (tmp_path / "recipients.csv.journal").exists()  # journaled by default


def send_bulk_via_batch(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "conversation_async",
            "send-bulk",
            "--csv",
            str(path),
            "--text",
            "x",
            "--via",
            "batch",
            "--emulator",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_send_bulk_via_batch_journals_and_resumes_like_per_message_sends(
    tmp_path: Path, no_credentials: None
) -> None:
    """The journal beside the CSV: a second run without --resume is a usage error; with
    --resume a finished campaign sends nothing and exits 0, with each row's batch id."""
    path = write_csv(tmp_path, "channel,identity\nSMS,+1\nSMS,+2\n")
    first = send_bulk_via_batch(path)
    assert first.returncode == 0, first.stderr
    again = send_bulk_via_batch(path)
    assert again.returncode == 2
    assert "--resume" in again.stderr
    results = tmp_path / "results.csv"
    resumed = send_bulk_via_batch(path, "--resume", "--results", str(results))
    assert resumed.returncode == 0, resumed.stderr
    with results.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert {r["outcome"] for r in written} == {"sent"}
    assert len({r["batch_id"] for r in written}) == 1
    assert "" not in {r["batch_id"] for r in written}
