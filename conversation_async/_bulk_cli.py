"""``python -m conversation_async send-bulk``: a CSV of recipients, one message each.

CSV columns: ``channel``, ``identity`` and any others, which fill ``{column}`` placeholders
of ``--text`` or become the parameters of ``--template-id``. Rows are read lazily, so the
file can be as long as you like. Runs against the embedded emulator unless the ``SINCH_*``
credentials are set.
"""

from __future__ import annotations

import argparse
import csv
import string
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ._cli_target import add_emulator_argument, choose_target, connect
from .bulk import Requests
from .bulk_report import BulkProgress, BulkSummary
from .client import ConversationClient
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
    parts = []
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
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate-limit", type=float, help="max sends per second")


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


async def _send(
    client: ConversationClient, args: argparse.Namespace, app_id: str, target: str
) -> int:
    try:
        requests = CsvRequests(
            args.csv,
            app_id=app_id,
            text=args.text,
            template_id=args.template_id,
            template_version=args.template_version,
            language_code=args.language_code,
        )
    except (OSError, ValueError) as exc:
        await client.aclose()
        print(f"send-bulk: {exc}", file=sys.stderr)
        return 2
    print(f"sending {args.csv} to {target} (app {app_id})", file=sys.stderr)
    async with client:
        summary = await send_with_progress(
            client, requests, concurrency=args.concurrency, rate_limit=args.rate_limit
        )
    print(summary.format())
    return 0 if summary.by_outcome.get("sent", 0) == summary.total else 1
