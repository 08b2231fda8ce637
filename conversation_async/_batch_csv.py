"""``send-bulk --via batch``: the rows of a recipients CSV as Batch API rows.

One message definition for the whole file, built once: ``--text`` with its ``{column}``
placeholders turned into ``${column}`` parameters, or ``--template-id`` whose parameters are
``${column}`` for every column besides ``channel`` and ``identity``. Each row brings its
recipient and its values. Header problems are :class:`~conversation_async._bulk_cli.
CsvRequests`' (checked before anything is sent).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ._batch_bulk import BatchRow, batch_text
from .models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TemplateMessage,
    TemplateReference,
    TextMessage,
)

__all__ = ["CsvBatchRows"]

REQUIRED_COLUMNS = ("channel", "identity")


def placeholder_names(text: str) -> list[str]:
    """The column names a batch text uses, in order of first use."""
    names: list[str] = []
    start = 0
    while (begin := text.find("${", start)) >= 0:
        end = text.find("}", begin)
        if end < 0:
            break
        if text[begin + 2 : end] not in names:
            names.append(text[begin + 2 : end])
        start = end + 1
    return names


class CsvBatchRows:
    """The rows of a recipients CSV (read lazily) as :class:`BatchRow` s sharing one
    message; ``len()`` is the number of rows."""

    def __init__(
        self,
        path: Path,
        *,
        app_id: str,
        rows: int,
        text: str | None = None,
        template_id: str | None = None,
        template_version: str | None = None,
        language_code: str | None = None,
    ) -> None:
        if (text is None) == (template_id is None):
            raise ValueError("give exactly one of --text or --template-id")
        self._path = path
        self._app_id = app_id
        self._rows = rows
        self._used: list[str] | None = None
        if text is not None:
            converted = batch_text(text)
            self._used = placeholder_names(converted)
            self._message = AppMessage(content=TextMessage(text=converted))
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                columns = csv.DictReader(handle).fieldnames or []
            parameters = {c: "${" + c + "}" for c in columns if c not in REQUIRED_COLUMNS}
            self._message = AppMessage(
                content=TemplateMessage(
                    omni_template=TemplateReference(
                        template_id=template_id or "",
                        version=template_version,
                        language_code=language_code,
                        parameters=parameters or None,
                    )
                )
            )

    def __len__(self) -> int:
        return self._rows

    def __iter__(self) -> Iterator[BatchRow]:
        with self._path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values = {k: v or "" for k, v in row.items() if k is not None}
                yield self._row(values)

    def _row(self, values: dict[str, str]) -> BatchRow:
        if self._used is not None:
            parameters = {name: values[name] for name in self._used}
        else:
            parameters = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS}
        request = SendMessageRequest(
            app_id=self._app_id,
            recipient=IdentifiedRecipient.of((values["channel"], values["identity"])),
            message=self._message,
        )
        return BatchRow(request=request, parameters=parameters or None)
