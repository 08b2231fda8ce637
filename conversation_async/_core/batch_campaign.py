"""The rules of a journaled campaign sent through the Batch API. Pure.

Rows are journaled as in a per-message campaign (:mod:`._core.campaign`), plus a
:class:`BatchMark`: the tag of the batch request that carried the row (journaled with the
row *in flight*, before that request goes out), the row's position in it and, once known,
the batch's id. The tag goes into the request's ``batch_metadata`` under
:data:`BATCH_TAG_KEY`, so ``list_by_metadata`` can find the batch again.

On a later run a row in doubt without a mark was never part of a request that went out: it
is sent. A row in doubt with a mark is decided by its batch, looked up once for all its
rows *before* any of them is grouped again (a resumed run may group rows differently):
found and not cancelled, its rows were sent; cancelled, or not found once the settle delay
has passed, they are sent again.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence

import attrs

from ..models import Batch, BatchStatus
from .campaign import JournalEntry, Next, fingerprint, next_step, settle_wait

__all__ = [
    "BATCH_TAG_KEY",
    "BatchMark",
    "Seen",
    "Verdict",
    "batch_fingerprint",
    "batch_next_step",
    "batch_tag",
    "judge_batches",
    "verdict",
]

BATCH_TAG_KEY = "ca1_batch"
"""The ``batch_metadata`` key of a journaled campaign's batch requests."""


@attrs.frozen
class BatchMark:
    """Where a row went: the ``tag`` of its batch request, its 0-based ``position`` there
    and the ``batch_id`` the API answered (None until then)."""

    tag: str
    position: int
    batch_id: str | None = None


def batch_tag(campaign_id: str, run: int, keys: Iterable[str]) -> str:
    """The tag of one batch request: unique to (campaign, run, the row keys it carries),
    and the same for the same inputs. Keys hold no whitespace, so a newline joins them
    without ambiguity."""
    digest = hashlib.blake2b("\n".join(keys).encode(), digest_size=10).hexdigest()
    return f"{campaign_id}:{run}:{digest}"


def batch_fingerprint(body: bytes) -> str:
    """A batch row's fingerprint: another than the same request's per-message one, so a
    journal of a per-message campaign cannot be resumed through batches (or back)."""
    return fingerprint(b"batch\n" + body)


def batch_next_step(
    entry: JournalEntry | None, mark: BatchMark | None, digest: str, run: int
) -> Next:
    """:func:`~._core.campaign.next_step` for a batch row: a row in doubt whose batch tag
    was never journaled was never in a request that went out, so it is sent."""
    step = next_step(entry, digest, run)
    if step is Next.RECONCILE and mark is None:
        return Next.SEND
    return step


class Seen(enum.Enum):
    """What a lookup of a batch in doubt showed."""

    ACCEPTED = "accepted"
    """The API holds the batch and it was not cancelled: its rows are (or will be) sent."""
    CANCELLED = "cancelled"
    """Every batch found was cancelled: none of its messages was generated."""
    ABSENT = "absent"
    """No such batch."""


def judge_batches(batches: Sequence[Batch], tag: str | None) -> tuple[Seen, str | None]:
    """``(what was seen, the id of an accepted batch)`` from the batches a lookup returned.

    With ``tag`` (a lookup by metadata) a batch whose ``meta_data`` names another value
    for :data:`BATCH_TAG_KEY` is not one of ours (a server that ignored the filter); one
    without ``meta_data`` is trusted to match the filter. Any status but CANCELLED (an
    unknown one included) counts as accepted: a resend would send every row twice.
    """
    ours = [batch for batch in batches if tag is None or _carries(batch, tag)]
    for batch in ours:
        if batch.status != BatchStatus.CANCELLED:
            return Seen.ACCEPTED, batch.batch_id
    return (Seen.CANCELLED, None) if ours else (Seen.ABSENT, None)


def _carries(batch: Batch, tag: str) -> bool:
    metadata = batch.meta_data
    if not metadata:
        return True
    return BATCH_TAG_KEY not in metadata or str(metadata[BATCH_TAG_KEY]) == tag


class Verdict(enum.Enum):
    """What to do with the rows of a batch in doubt after one lookup."""

    SENT = "sent"
    RESEND = "resend"
    LOOK_AGAIN = "look_again"
    """Not found yet, but the settle delay has not passed: wait, then look again."""


def verdict(seen: Seen, *, attempted_at: float, now: float, settle: float) -> tuple[Verdict, float]:
    """``(verdict, seconds to wait before looking again)`` for a batch sent at
    ``attempted_at`` that a lookup at ``now`` showed as ``seen``."""
    if seen is Seen.ACCEPTED:
        return Verdict.SENT, 0.0
    if seen is Seen.CANCELLED:
        return Verdict.RESEND, 0.0
    wait = settle_wait(attempted_at, now, settle)
    return (Verdict.LOOK_AGAIN, wait) if wait > 0 else (Verdict.RESEND, 0.0)
