"""Bulk sends and resumable campaigns: the public names of ``client.messages.send_many``.

``client.messages.send_many(requests, concurrency=64)`` gives a :class:`BulkSend`, which
yields exactly one :class:`BulkResult` per input, with an :class:`Outcome`; ``via="batch"``
goes through the Batch API and yields :class:`BatchBulkResult`. ``journal=`` (a path or a
:class:`Journal`, :class:`SqliteJournal` by default) makes the campaign resumable after a
crash, with :class:`Reconcile` settings for the rows left in doubt.
"""

from ._batch_bulk import BatchBulkResult, BatchBulkSend, BatchRow, batch_text
from ._batch_journal import BatchJournal, SqliteBatchJournal
from ._bulk import BulkMessagesResource, BulkResult, BulkSend, Requests
from ._bulk_report import (
    BulkProgress,
    BulkSummary,
    LatencyHistogram,
    Outcome,
    Stops,
    StopScope,
    classify_error,
    error_label,
    stop_scope,
)
from ._campaign import Reconcile, RowKey
from ._core.campaign import JournalEntry, JournalState, split_tag
from ._journal import Journal, JournalInfo, QueuedJournal, SqliteJournal

__all__ = [
    "BatchBulkResult",
    "BatchBulkSend",
    "BatchJournal",
    "BatchRow",
    "BulkMessagesResource",
    "BulkProgress",
    "BulkResult",
    "BulkSend",
    "BulkSummary",
    "Journal",
    "JournalEntry",
    "JournalInfo",
    "JournalState",
    "LatencyHistogram",
    "Outcome",
    "QueuedJournal",
    "Reconcile",
    "Requests",
    "RowKey",
    "SqliteBatchJournal",
    "SqliteJournal",
    "StopScope",
    "Stops",
    "batch_text",
    "classify_error",
    "error_label",
    "split_tag",
    "stop_scope",
]
