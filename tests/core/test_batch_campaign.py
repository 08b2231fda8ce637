"""The rules of a journaled campaign through batches, without I/O: tags, fingerprints,
what a row needs next, how a batch lookup is read."""

from __future__ import annotations

import pytest

from conversation_async._core.batch_campaign import (
    BATCH_TAG_KEY,
    BatchMark,
    Seen,
    Verdict,
    batch_fingerprint,
    batch_next_step,
    batch_tag,
    judge_batches,
    verdict,
)
from conversation_async._core.campaign import (
    CampaignMismatch,
    JournalEntry,
    JournalState,
    Next,
    fingerprint,
)
from conversation_async.models import Batch

TAG = batch_tag("c1", 1, ["0", "1"])


def entry(state: JournalState, digest: str = "d", run: int = 1) -> JournalEntry:
    return JournalEntry("0", digest, state, run, attempted_at=100.0, attempts=1)


def batch(status: str | None, tag: str | None = TAG) -> Batch:
    metadata = None if tag is None else {BATCH_TAG_KEY: tag}
    return Batch(batch_id=f"B-{status}", meta_data=metadata, status=status)


def test_a_batch_tag_names_one_request_of_one_campaign_run() -> None:
    """The same campaign, run and keys give the same tag; any other key list, run or
    campaign another one."""
    assert batch_tag("c1", 1, ["0", "1"]) == TAG
    others = {
        batch_tag("c1", 1, ["1", "0"]),
        batch_tag("c1", 1, ["0"]),
        batch_tag("c1", 1, ["0", "1", "2"]),
        batch_tag("c1", 2, ["0", "1"]),
        batch_tag("c2", 1, ["0", "1"]),
    }
    assert TAG not in others
    assert len(others) == 5
    assert TAG.startswith("c1:1:")


def test_a_batch_row_fingerprint_differs_from_the_same_per_message_row() -> None:
    """A journal of a per-message campaign cannot be resumed through batches, or back."""
    body = b'{"app_id":"a"}'
    assert batch_fingerprint(body) != fingerprint(body)
    assert batch_fingerprint(body) == batch_fingerprint(body)


@pytest.mark.parametrize("state", [JournalState.IN_FLIGHT, JournalState.AMBIGUOUS])
def test_a_row_in_doubt_that_was_never_in_a_request_is_sent(state: JournalState) -> None:
    """No mark: its batch tag was never journaled, so no request carried it."""
    assert batch_next_step(entry(state), None, "d", 2) is Next.SEND


@pytest.mark.parametrize(
    "state", [JournalState.IN_FLIGHT, JournalState.AMBIGUOUS, JournalState.INTERRUPTED]
)
def test_a_row_in_doubt_whose_request_went_out_is_reconciled(state: JournalState) -> None:
    """A mark says which batch request carried it: that batch is looked up."""
    assert batch_next_step(entry(state), BatchMark(TAG, 0), "d", 2) is Next.RECONCILE


def test_sent_rows_are_skipped_and_certainly_unsent_ones_sent() -> None:
    """sent: skipped; failed and not_attempted: sent (whatever their mark); new: sent."""
    mark = BatchMark(TAG, 3, "B1")
    assert batch_next_step(entry(JournalState.SENT), mark, "d", 2) is Next.SKIP
    assert batch_next_step(entry(JournalState.FAILED), mark, "d", 2) is Next.SEND
    assert batch_next_step(entry(JournalState.NOT_ATTEMPTED), None, "d", 2) is Next.SEND
    assert batch_next_step(None, None, "d", 2) is Next.SEND


def test_a_changed_row_or_a_repeated_key_is_a_mismatch() -> None:
    """Another fingerprint, or a key seen already in this run, raises."""
    with pytest.raises(CampaignMismatch, match="differs"):
        batch_next_step(entry(JournalState.SENT), None, "other", 2)
    with pytest.raises(CampaignMismatch, match="unique"):
        batch_next_step(entry(JournalState.SENT, run=2), None, "d", 2)


@pytest.mark.parametrize("status", ["READY", "SCHEDULED", "PROCESSED", "SOMETHING_NEW", None])
def test_a_batch_found_and_not_cancelled_was_accepted(status: str | None) -> None:
    """Any status but CANCELLED (an unknown one, or none, included) means accepted."""
    assert judge_batches([batch(status)], TAG) == (Seen.ACCEPTED, f"B-{status}")


def test_a_batch_found_only_cancelled_was_not_sent() -> None:
    """Every match cancelled: cancelled; one of them not: accepted."""
    assert judge_batches([batch("CANCELLED")], TAG) == (Seen.CANCELLED, None)
    both = [batch("CANCELLED"), batch("PROCESSED")]
    assert judge_batches(both, TAG) == (Seen.ACCEPTED, "B-PROCESSED")


def test_a_lookup_that_found_nothing_of_ours_is_absent() -> None:
    """No batch, or only batches tagged for another request (a server ignoring the
    filter): absent. A batch without metadata is trusted to match the filter."""
    assert judge_batches([], TAG) == (Seen.ABSENT, None)
    assert judge_batches([batch("PROCESSED", tag="c1:1:other")], TAG) == (Seen.ABSENT, None)
    assert judge_batches([batch("READY", tag=None)], TAG) == (Seen.ACCEPTED, "B-READY")
    assert judge_batches([batch("READY", tag="x")], None) == (Seen.ACCEPTED, "B-READY")


def test_absent_is_trusted_only_after_the_settle_delay() -> None:
    """Before attempted_at + settle: look again after the rest of it; after: resend.
    Accepted is sent, cancelled resent, at once."""
    assert verdict(Seen.ABSENT, attempted_at=100.0, now=130.0, settle=60.0) == (
        Verdict.LOOK_AGAIN,
        30.0,
    )
    assert verdict(Seen.ABSENT, attempted_at=100.0, now=160.0, settle=60.0) == (
        Verdict.RESEND,
        0.0,
    )
    assert verdict(Seen.ACCEPTED, attempted_at=100.0, now=100.0, settle=60.0)[0] is Verdict.SENT
    assert verdict(Seen.CANCELLED, attempted_at=100.0, now=100.0, settle=60.0)[0] is Verdict.RESEND
