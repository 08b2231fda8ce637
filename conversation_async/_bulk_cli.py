"""``python -m conversation_async send-bulk``: a CSV of recipients, one message each.

CSV columns: ``channel``, ``identity`` and any others, which fill ``{column}`` placeholders
of ``--text`` or become the parameters of ``--template-id``. ``--via batch`` sends up to
1,000 rows per Batch API request. Rows are read lazily, so the
file can be as long as you like. Sends to the real API when the ``SINCH_*`` credentials are
all set, to the embedded emulator only with ``--emulator``. A campaign journal beside the
CSV makes a crashed or interrupted run resumable (``--resume``).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import shlex
import signal
import string
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ._batch_bulk import BatchBulkSend
from ._batch_csv import CsvBatchRows
from ._bulk import BulkResult, BulkSend, Requests
from ._bulk_report import BulkProgress, BulkSummary
from ._campaign import Reconcile
from ._cli_target import add_emulator_argument, choose_target, connect
from ._client import ConversationClient
from ._errors import JournalError
from .models import (
    AppMessage,
    AppMessageContent,
    IdentifiedRecipient,
    SendMessageRequest,
    TemplateMessage,
    TemplateReference,
    TextMessage,
)

__all__ = [
    "CsvRequests",
    "ProgressBar",
    "add_arguments",
    "render_progress",
    "run",
    "send_with_progress",
]

REQUIRED_COLUMNS = ("channel", "identity")


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields used by a text template."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


class CsvRequests:
    """The rows of a recipients CSV as send requests: sized (for progress) and read lazily.

    Header problems (a missing ``channel``/``identity`` column, a ``{placeholder}`` of
    ``text`` the CSV lacks) raise ``ValueError`` here, before anything is sent.
    """

    def __init__(
        self,
        path: Path,
        *,
        app_id: str,
        text: str | None = None,
        template_id: str | None = None,
        template_version: str | None = None,
        language_code: str | None = None,
    ) -> None:
        if (text is None) == (template_id is None):
            raise ValueError("give exactly one of --text or --template-id")
        self._path = path
        self._app_id = app_id
        self._text = text
        self._template = (template_id, template_version, language_code)
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            self._rows = sum(1 for _ in reader)
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        unknown = sorted(placeholders(text) - set(columns)) if text is not None else []
        problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
        if unknown:
            problems.append(f"--text uses {', '.join(unknown)} which the CSV does not have")
        if problems:
            raise ValueError(f"{path}: {'; '.join(problems)}")

    def __len__(self) -> int:
        return self._rows

    def __iter__(self) -> Iterator[SendMessageRequest]:
        with self._path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield self._request({k: v or "" for k, v in row.items() if k is not None})

    def _request(self, values: dict[str, str]) -> SendMessageRequest:
        content: AppMessageContent
        if self._text is not None:
            content = TextMessage(text=self._text.format_map(values))
        else:
            template_id, version, language_code = self._template
            parameters = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS}
            content = TemplateMessage(
                omni_template=TemplateReference(
                    template_id=template_id or "",
                    version=version,
                    language_code=language_code,
                    parameters=parameters or None,
                )
            )
        return SendMessageRequest(
            app_id=self._app_id,
            recipient=IdentifiedRecipient.of((values["channel"], values["identity"])),
            message=AppMessage(content=content),
        )


def render_progress(progress: BulkProgress, width: int = 24) -> str:
    """One status line: bar (when the total is known), counts, rate and ETA."""
    parts: list[str] = []
    if progress.total:
        share = min(1.0, progress.done / progress.total)
        filled = round(share * width)
        bar = "#" * filled + "." * (width - filled)
        parts.append(f"[{bar}] {progress.done:,}/{progress.total:,} {share:4.0%}")
    else:
        parts.append(f"{progress.done:,} done")
    counts = f"sent {progress.sent:,}  failed {progress.failed:,}  ambiguous {progress.ambiguous:,}"
    if progress.not_attempted:
        counts += f"  not attempted {progress.not_attempted:,}"
    if progress.interrupted:
        counts += f"  interrupted {progress.interrupted:,}"
    parts.append(f"{counts}  in flight {progress.in_flight:,}  {progress.rate:,.0f}/s")
    if progress.total and progress.rate > 0 and progress.done < progress.total:
        parts.append(f"eta {(progress.total - progress.done) / progress.rate:.0f}s")
    return "  ".join(parts)


class ProgressBar:
    """A progress callback drawing on a terminal (or a line a second when not a terminal)."""

    def __init__(self, stream: TextIO | None = None, *, line_interval: float = 1.0) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._line_interval = line_interval
        self._last_line = 0.0

    def __call__(self, progress: BulkProgress) -> None:
        line = render_progress(progress)
        if self._tty:
            self._stream.write("\r" + line + "\x1b[K")
        else:
            now = time.monotonic()
            finished = progress.total is not None and progress.done >= progress.total
            if now - self._last_line < self._line_interval and not finished:
                return
            self._last_line = now
            self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, required=True, help="recipients (channel,identity,...)")
    parser.add_argument(
        "--app-id", help="sending app (required with the real API; default: an emulator app)"
    )
    add_emulator_argument(parser)
    body = parser.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", help="message text; {column} is replaced per row")
    body.add_argument("--template-id", help="omni template; other columns are its parameters")
    parser.add_argument("--template-version")
    parser.add_argument("--language-code")
    parser.add_argument(
        "--via",
        choices=("messages", "batch"),
        default="messages",
        help="batch: up to 1,000 rows per Batch API request (beta)",
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate-limit", type=float, help="max sends per second")
    journal = parser.add_mutually_exclusive_group()
    journal.add_argument(
        "--journal", type=Path, help="campaign journal (default: the CSV's path + .journal)"
    )
    journal.add_argument(
        "--no-journal", action="store_true", help="no journal: a crash cannot be resumed"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the campaign of an existing journal"
    )
    parser.add_argument("--results", type=Path, help="write one CSV row per input row here")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds sends in flight may finish after Ctrl-C/SIGTERM (default 10)",
    )
    parser.add_argument(
        "--reconcile-settle",
        type=float,
        default=Reconcile().settle,
        help="seconds after an attempt before a send in doubt that is not found is resent",
    )


async def send_with_progress(
    client: ConversationClient,
    requests: Requests,
    *,
    concurrency: int = 64,
    rate_limit: float | None = None,
) -> BulkSummary:
    """``send_many`` with a progress bar on stderr; returns the summary."""
    bar = ProgressBar()
    bulk = client.messages.send_many(
        requests, concurrency=concurrency, rate_limit=rate_limit, progress=bar
    )
    try:
        return await bulk.run()
    finally:
        bar.close()


async def run(args: argparse.Namespace) -> int:
    """The send-bulk command; exit status 0 only when every message was sent."""
    target = choose_target("send-bulk", emulator=args.emulator)
    if isinstance(target, str):
        print(target, file=sys.stderr)
        return 2
    if target.config is not None and not args.app_id:
        print("send-bulk: --app-id is required with the real API", file=sys.stderr)
        return 2
    async with connect(target) as (client, where):
        return await _send(client, args, args.app_id or "bulk-demo", where)


EXIT_SENT = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_FATAL = 3
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit status of ``send-bulk``: all sent; some failed, ambiguous or interrupted; usage or
credentials; stopped on a fatal error (refused credentials, unknown app); interrupted by
SIGINT / SIGTERM (128 + the signal's number)."""

RESULT_COLUMNS = ("row", "channel", "identity", "outcome", "message_id", "error")


def exit_status(summary: BulkSummary, rows: int, signalled: signal.Signals | None) -> int:
    """The exit status for a finished (or stopped) send-bulk run."""
    if signalled is not None:
        return EXIT_SIGNAL[signalled]
    if summary.stopped_by:
        return EXIT_FATAL
    return EXIT_SENT if summary.by_outcome.get("sent", 0) == rows else EXIT_INCOMPLETE


def journal_path(args: argparse.Namespace) -> Path | None:
    """Where the campaign's journal lives (None with ``--no-journal``)."""
    if args.no_journal:
        return None
    return args.journal if args.journal is not None else Path(f"{args.csv}.journal")


def journal_problem(path: Path | None, *, resume: bool) -> str | None:
    """Why the journal cannot be used as asked, or None."""
    if path is None:
        return "--resume needs a journal" if resume else None
    if path.exists() and not resume:
        return (
            f"{path} holds a campaign already: pass --resume to continue it, "
            "or remove the file to start over"
        )
    if resume and not path.exists():
        return f"--resume: no journal at {path}"
    return None


def resume_command(argv: list[str]) -> str:
    """The command that continues this campaign."""
    again = [a for a in argv if a != "--resume"]
    return shlex.join([Path(sys.executable).name, "-m", "conversation_async", *again, "--resume"])


class ResultsFile:
    """``--results``: one CSV row per input row, written as results come."""

    def __init__(self, path: Path, *, batch: bool = False) -> None:
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._batch = batch  # one more column: the row's batch_id
        self._writer.writerow((*RESULT_COLUMNS, "batch_id") if batch else RESULT_COLUMNS)

    def write(self, result: BulkResult) -> None:
        identity = result.request.recipient
        channel, address = _first_identity(identity)
        error = result.error
        row = (
            result.index + 1,
            channel,
            address,
            result.outcome.value,
            result.response.message_id if result.response is not None else "",
            "" if error is None else f"{type(error).__name__}: {error}"[:500],
        )
        self._writer.writerow(
            (*row, getattr(result, "batch_id", None) or "") if self._batch else row
        )

    def write_unattempted(self, requests: CsvRequests, start: int) -> None:
        """Rows from index ``start`` on, never pulled: ``not_attempted``."""
        for index, request in enumerate(requests):
            if index >= start:
                channel, address = _first_identity(request.recipient)
                self._writer.writerow((index + 1, channel, address, "not_attempted", "", ""))

    def close(self) -> None:
        self._handle.close()


def _first_identity(recipient: object) -> tuple[str, str]:
    if isinstance(recipient, IdentifiedRecipient):
        first = recipient.identified_by.channel_identities[0]
        return str(first.channel), first.identity
    return "", ""


async def _send(
    client: ConversationClient, args: argparse.Namespace, app_id: str, target: str
) -> int:
    journal = journal_path(args)
    batch = args.via == "batch"
    problem = journal_problem(journal, resume=args.resume)
    try:
        if problem is not None:
            raise ValueError(problem)
        requests = CsvRequests(
            args.csv,
            app_id=app_id,
            text=args.text,
            template_id=args.template_id,
            template_version=args.template_version,
            language_code=args.language_code,
        )
        rows = (
            CsvBatchRows(
                args.csv,
                app_id=app_id,
                rows=len(requests),
                text=args.text,
                template_id=args.template_id,
                template_version=args.template_version,
                language_code=args.language_code,
            )
            if batch
            else None
        )
    except (OSError, ValueError) as exc:
        print(f"send-bulk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    resumed = " (resuming)" if args.resume else ""
    where = f", journal {journal}{resumed}" if journal is not None else ""
    print(f"sending {args.csv} to {target} (app {app_id}){where}", file=sys.stderr)
    results = ResultsFile(args.results, batch=batch) if args.results is not None else None
    bar = ProgressBar()
    signalled: list[signal.Signals] = []
    bulk: BulkSend | BatchBulkSend
    if rows is not None:
        bulk = client.messages.send_many(
            rows,
            via="batch",
            concurrency=args.concurrency,
            rate_limit=args.rate_limit,
            progress=bar,
            journal=journal,
            reconcile=Reconcile(settle=args.reconcile_settle) if journal is not None else None,
        )
    else:
        bulk = client.messages.send_many(
            requests,
            concurrency=args.concurrency,
            rate_limit=args.rate_limit,
            progress=bar,
            journal=journal,
            reconcile=Reconcile(settle=args.reconcile_settle) if journal is not None else None,
        )
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        first = not signalled
        signalled.append(signum)
        if first:
            bulk.stop(args.grace)
            print(
                f"\n{signum.name}: stopping; sends in flight have {args.grace:g} s to "
                "finish (again to cut them short)",
                file=sys.stderr,
            )
        else:
            bulk.stop(0)

    for signum in EXIT_SIGNAL:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        async with bulk as outcomes:
            async for result in outcomes:
                if results is not None:
                    results.write(result)
    except JournalError as exc:  # CampaignMismatchError included
        print(f"\nsend-bulk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        for signum in EXIT_SIGNAL:
            loop.remove_signal_handler(signum)
        bar.close()
        if results is not None:
            start = bulk.summary().not_attempted_from
            if start is not None:
                results.write_unattempted(requests, start)
            results.close()
    summary = bulk.summary()
    status = exit_status(summary, len(requests), signalled[0] if signalled else None)
    resume = resume_command(args.argv) if journal is not None and status != EXIT_SENT else None
    if args.json:
        print(json.dumps({**summary.as_dict(), "exit_status": status, "resume": resume}))
    else:
        print(summary.format())
    if resume is not None:
        print(f"to resume: {resume}", file=sys.stderr)
    return status
