"""The rules of a journaled campaign, without I/O: next step per row, tags, time windows."""

from __future__ import annotations

import pytest

from conversation_async._core.campaign import (
    MAX_METADATA_LENGTH,
    CampaignMismatch,
    JournalEntry,
    JournalState,
    Next,
    campaign_tag,
    check_key,
    fingerprint,
    has_tag,
    next_step,
    reconcile_window,
    settle_wait,
    split_tag,
    tagged_metadata,
)


def entry(state: JournalState, *, run: int = 1, digest: str = "f") -> JournalEntry:
    return JournalEntry("7", digest, state, run, attempted_at=100.0, attempts=1)


def test_a_row_never_journaled_is_sent() -> None:
    """No entry: the row was never attempted, so it is sent."""
    assert next_step(None, "f", 2) is Next.SEND


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (JournalState.SENT, Next.SKIP),
        (JournalState.FAILED, Next.SEND),
        (JournalState.NOT_ATTEMPTED, Next.SEND),
        (JournalState.IN_FLIGHT, Next.RECONCILE),
        (JournalState.AMBIGUOUS, Next.RECONCILE),
        (JournalState.INTERRUPTED, Next.RECONCILE),
    ],
)
def test_an_earlier_runs_state_decides_the_next_step(state: JournalState, step: Next) -> None:
    """Sent rows are skipped, certain failures sent again, rows in doubt reconciled."""
    assert next_step(entry(state), "f", 2) is step


def test_a_changed_request_under_a_journaled_key_is_refused() -> None:
    """A fingerprint that differs means another campaign or changed input: refuse."""
    with pytest.raises(CampaignMismatch, match="differs"):
        next_step(entry(JournalState.FAILED, digest="other"), "f", 2)


def test_a_key_seen_twice_in_one_run_is_refused() -> None:
    """An entry stamped with this run means two inputs share the key."""
    with pytest.raises(CampaignMismatch, match="keys must be unique"):
        next_step(entry(JournalState.SENT, run=2), "f", 2)


def test_the_fingerprint_depends_only_on_the_bytes() -> None:
    """Equal bodies give equal fingerprints, different bodies different ones."""
    assert fingerprint(b'{"a":1}') == fingerprint(b'{"a":1}')
    assert fingerprint(b'{"a":1}') != fingerprint(b'{"a":2}')


@pytest.mark.parametrize("bad", ["", "a b", "x" * 201, 7, None])
def test_a_key_must_be_a_short_string_without_whitespace(bad: object) -> None:
    """Keys go into the tag inside message_metadata: no spaces, bounded, strings."""
    with pytest.raises(ValueError, match="key"):
        check_key(bad)


def test_the_tag_follows_the_callers_metadata_which_is_kept() -> None:
    """The caller's own metadata survives, and the tag can be split off again."""
    tag = campaign_tag("abc123", "42")
    combined = tagged_metadata("order=9 ref=x", tag)
    assert split_tag(combined) == ("order=9 ref=x", tag)
    assert split_tag(tagged_metadata(None, tag)) == ("", tag)
    assert split_tag("plain") == ("plain", None)


def test_a_tag_matches_only_its_own_row() -> None:
    """Row 4's tag is not found in row 42's metadata (no prefix matches)."""
    assert has_tag(tagged_metadata("x", campaign_tag("c", "42")), campaign_tag("c", "42"))
    assert not has_tag(tagged_metadata("x", campaign_tag("c", "42")), campaign_tag("c", "4"))
    assert not has_tag(None, campaign_tag("c", "4"))


def test_metadata_too_long_for_the_tag_is_refused_before_sending() -> None:
    """The API limit is 1024 characters: the tag must fit beside the caller's metadata."""
    with pytest.raises(ValueError, match="1024"):
        tagged_metadata("m" * (MAX_METADATA_LENGTH - 5), campaign_tag("c", "1"))


def test_the_search_window_covers_the_call_and_the_clock_skew() -> None:
    """Acceptance lies between the attempt and its deadline, give or take the skew."""
    assert reconcile_window(1000.0, longest_call=120.0, clock_skew=300.0) == (700.0, 1420.0)


def test_not_found_is_trusted_only_after_the_settle_delay() -> None:
    """Waits the rest of the settle delay, nothing once it has passed."""
    assert settle_wait(100.0, 130.0, 60.0) == 30.0
    assert settle_wait(100.0, 200.0, 60.0) == 0.0
