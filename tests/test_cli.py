"""The command line: the demo, send-bulk from a CSV, and the progress line."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conversation_async import _demo
from conversation_async._bulk_cli import CsvRequests, ProgressBar, render_progress
from conversation_async.bulk import BulkProgress
from conversation_async.models import TemplateMessage, TextMessage
from conversation_async.testing import Emulator

CREDENTIAL_VARS = ("SINCH_PROJECT_ID", "SINCH_CLIENT_ID", "SINCH_CLIENT_SECRET")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_requests_with_the_text_filled_in(tmp_path: Path) -> None:
    """Each row is one request; {column} placeholders take the row's values."""
    path = write_csv(tmp_path, "channel,identity,name\nSMS,+4611,Ada\nWHATSAPP,+4622,Bob\n")
    rows = CsvRequests(path, app_id="app", text="Hi {name}")
    requests = list(rows)
    assert len(rows) == 2
    assert [r.message.content for r in requests] == [
        TextMessage(text="Hi Ada"),
        TextMessage(text="Hi Bob"),
    ]
    assert requests[1].recipient.identified_by.channel_identities[0].channel == "WHATSAPP"  # type: ignore[union-attr]


def test_csv_extra_columns_become_template_parameters(tmp_path: Path) -> None:
    """With --template-id, the other columns are the template's parameters."""
    path = write_csv(tmp_path, "channel,identity,name,code\nSMS,+4611,Ada,42\n")
    (request,) = CsvRequests(path, app_id="app", template_id="otp", template_version="1")
    content = request.message.content
    assert isinstance(content, TemplateMessage)
    assert content.omni_template is not None
    assert content.omni_template.parameters == {"name": "Ada", "code": "42"}


@pytest.mark.parametrize(
    ("csv_text", "match"),
    [
        ("phone,name\n+46,Ada\n", "missing column"),
        ("channel,identity\nSMS,+46\n", "uses name"),
    ],
)
def test_csv_header_problems_are_reported_before_sending(
    tmp_path: Path, csv_text: str, match: str
) -> None:
    """A CSV the command cannot use fails at once, naming the problem."""
    with pytest.raises(ValueError, match=match):
        CsvRequests(write_csv(tmp_path, csv_text), app_id="app", text="Hi {name}")


def test_progress_line_shows_bar_counts_rate_and_eta() -> None:
    """The status line has the bar, the counts, the rate and the time left."""
    progress = BulkProgress(
        done=500, sent=490, failed=6, ambiguous=4, in_flight=64, elapsed=0.5, total=1000
    )
    line = render_progress(progress, width=10)
    assert line.startswith("[#####.....] 500/1,000  50%")
    assert "sent 490  failed 6  ambiguous 4  in flight 64  1,000/s" in line
    assert line.endswith("eta 0s")


def test_progress_without_total_counts_only() -> None:
    """A generator input has no total: no bar, no ETA."""
    line = render_progress(
        BulkProgress(done=7, sent=7, failed=0, ambiguous=0, in_flight=1, elapsed=1)
    )
    assert line.startswith("7 done")
    assert "eta" not in line


def test_progress_line_counts_inputs_not_attempted() -> None:
    """Once a batch stops, the line says how many inputs were not attempted."""
    progress = BulkProgress(
        done=2_000, sent=0, failed=64, ambiguous=0, in_flight=0, elapsed=1, not_attempted=1_936
    )
    assert "failed 64  ambiguous 0  not attempted 1,936  in flight 0" in render_progress(progress)


def test_progress_bar_writes_lines_when_not_a_terminal() -> None:
    """Redirected output gets whole lines, the final one always."""
    stream = io.StringIO()
    bar = ProgressBar(stream, line_interval=60)
    bar(BulkProgress(done=1, sent=1, failed=0, ambiguous=0, in_flight=0, elapsed=1, total=2))
    bar(BulkProgress(done=1, sent=1, failed=0, ambiguous=0, in_flight=0, elapsed=1, total=2))
    bar(BulkProgress(done=2, sent=2, failed=0, ambiguous=0, in_flight=0, elapsed=1, total=2))
    assert stream.getvalue().count("\n") == 2


def test_send_bulk_command_sends_every_row_to_the_embedded_emulator(
    tmp_path: Path, no_credentials: None
) -> None:
    """`python -m conversation_async send-bulk --emulator` runs end to end with a summary."""
    rows = "".join(f"SMS,+4670{i:07d},P{i}\n" for i in range(300))
    path = write_csv(tmp_path, "channel,identity,name\n" + rows)
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
            "--emulator",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "300 messages in" in done.stdout
    assert "300 sent, 0 failed, 0 ambiguous" in done.stdout
    assert "300/300" in done.stderr


def test_send_bulk_refuses_a_bad_csv_with_status_2(tmp_path: Path, no_credentials: None) -> None:
    """A CSV without the needed columns stops before sending, exit status 2."""
    path = write_csv(tmp_path, "phone\n+46\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conversation_async",
            "send-bulk",
            "--csv",
            str(path),
            "--text",
            "x",
            "--emulator",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "missing column" in done.stderr


async def test_demo_sends_every_content_type_lists_them_and_bulk_sends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_credentials: None
) -> None:
    """The README's main job succeeds against the embedded emulator (with a smaller bulk),
    and the first line of its output names that target."""
    monkeypatch.setattr(_demo, "BULK_MESSAGES", 500)
    assert await _demo.run_demo() == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("conversation-async ")
    assert "demo, target: embedded emulator at http://127.0.0.1:" in out.splitlines()[0]
    assert "sent 9, listed back 9" in out
    assert "500 messages in" in out
    assert "500 sent, 0 failed, 0 ambiguous" in out


async def test_send_bulk_with_a_wrong_secret_stops_early_and_exits_non_zero(
    tmp_path: Path, emulator: Emulator
) -> None:
    """`send-bulk` against an API refusing the secret: a token request or so instead of one
    per row, exit status 3 (stopped on a fatal error), and the summary says it stopped and
    left the rows not attempted."""
    rows = "".join(f"SMS,+4670{i:07d},P{i}\n" for i in range(2_000))
    path = write_csv(tmp_path, "channel,identity,name\n" + rows)
    env = {
        **os.environ,
        "SINCH_PROJECT_ID": emulator.project_id,
        "SINCH_CLIENT_ID": emulator.client_id,
        "SINCH_CLIENT_SECRET": "not-the-secret",
        "SINCH_CONVERSATION_URL": emulator.base_url,
        "SINCH_TEMPLATES_URL": emulator.templates_url,
        "SINCH_AUTH_URL": emulator.auth_url,
    }
    command = [sys.executable, "-m", "conversation_async", "send-bulk", "--csv", str(path)]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--text",
        "Hi {name}",
        "--app-id",
        "app",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(120):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stdout = out.decode()
    assert process.returncode == 3, err.decode()
    assert "2,000 messages in" in stdout
    assert "not attempted" in stdout
    assert "stopped sending for all inputs: TokenError" in stdout
    assert emulator.token_requests <= 3
    assert emulator.requests_seen["SendMessage"] == 0


@pytest.mark.parametrize("command", [[], ["send"], ["send-bulk"]])
def test_help_texts_show_examples_and_exit_statuses(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--help`` of the program and of each sending command has examples and the exit
    statuses a script can rely on."""
    from conversation_async.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert "exit status: 0" in text
