"""The rules of a journaled campaign: what a row's journal entry says to do next, how a
send is tagged so that it can be found again, and when a row in doubt may be sent. Pure.

A row's journal entry moves through these states::

    (none) ──begin──▶ in_flight ──▶ sent | failed | ambiguous | interrupted | not_attempted

On a later run of the same campaign a row is skipped when ``sent``, sent again when
``failed`` or ``not_attempted`` (certainly not accepted), and *reconciled* when
``in_flight``, ``ambiguous`` or ``interrupted`` (it may have been accepted): the messages
of its recipient are listed around the journaled attempt and searched for the row's tag.
"""

from __future__ import annotations

import enum
import hashlib

import attrs

__all__ = [
    "IN_DOUBT",
    "MAX_KEY_LENGTH",
    "MAX_METADATA_LENGTH",
    "TAG_MARK",
    "JournalEntry",
    "JournalState",
    "Next",
    "campaign_tag",
    "check_key",
    "fingerprint",
    "has_tag",
    "next_step",
    "reconcile_window",
    "settle_wait",
    "split_tag",
    "tagged_metadata",
]

TAG_MARK = "#ca1:"
"""Starts the campaign tag at the end of a journaled send's ``message_metadata``."""

MAX_METADATA_LENGTH = 1024
"""``message_metadata`` limit of the API (catalog §3.1)."""

MAX_KEY_LENGTH = 200


class JournalState(enum.StrEnum):
    """What the journal knows of one row."""

    IN_FLIGHT = "in_flight"
    """Its request may be on its way: recorded before it goes out."""
    SENT = "sent"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"
    INTERRUPTED = "interrupted"
    NOT_ATTEMPTED = "not_attempted"


IN_DOUBT = frozenset({JournalState.IN_FLIGHT, JournalState.AMBIGUOUS, JournalState.INTERRUPTED})
"""States in which the API may have accepted the row's message."""


@attrs.frozen
class JournalEntry:
    """One row of a campaign journal. Times are seconds since the epoch (wall clock: a
    later run, maybe on another machine, compares them with the API's ``accept_time``)."""

    key: str
    fingerprint: str
    state: JournalState
    run: int
    """The run (1 for the first, then one more per resume) that wrote this entry last."""
    attempted_at: float | None = None
    """When the last request for this row went out (None: never)."""
    message_id: str | None = None
    accepted_time: str | None = None
    error: str | None = None
    attempts: int = 0
    """Requests made for this row over every run."""


class Next(enum.Enum):
    """What to do with a row, given its journal entry."""

    SEND = "send"
    SKIP = "skip"
    RECONCILE = "reconcile"


class CampaignMismatch(ValueError):
    """This run's input does not match the journal's campaign."""


def next_step(entry: JournalEntry | None, fingerprint: str, run: int) -> Next:
    """What to do with a row this run (``run``), whose earlier entry is ``entry``.

    Raises :class:`CampaignMismatch` when the row's request differs from the journaled one
    (the journal belongs to another campaign or the input changed) or when this run already
    saw the row's key (two inputs with one key).
    """
    if entry is None:
        return Next.SEND
    if entry.run == run:
        raise CampaignMismatch(f"two inputs have the key {entry.key!r}: keys must be unique")
    if entry.fingerprint != fingerprint:
        raise CampaignMismatch(
            f"row {entry.key!r} differs from the request the journal recorded for it: "
            "this journal belongs to another campaign, or the input changed"
        )
    if entry.state is JournalState.SENT:
        return Next.SKIP
    if entry.state in IN_DOUBT:
        return Next.RECONCILE
    return Next.SEND


def fingerprint(body: bytes) -> str:
    """A short digest of a request's JSON body (without the campaign tag)."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def check_key(key: object) -> str:
    """``key`` if it can identify a row (a short non-empty string without whitespace)."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"a row key must be a non-empty str of at most {MAX_KEY_LENGTH} chars")
    if any(c.isspace() for c in key):
        raise ValueError(f"a row key must not contain whitespace: {key!r}")
    return key


def campaign_tag(campaign_id: str, key: str) -> str:
    """The tag unique to one row of one campaign."""
    return f"{TAG_MARK}{campaign_id}:{key}"


def tagged_metadata(metadata: str | None, tag: str) -> str:
    """``message_metadata`` carrying ``tag`` after the caller's own ``metadata`` (kept)."""
    combined = f"{metadata} {tag}" if metadata else tag
    if len(combined) > MAX_METADATA_LENGTH:
        raise ValueError(
            f"message_metadata is {len(metadata or '')} characters: with the campaign tag "
            f"({len(tag) + 1}) it would pass the API's limit of {MAX_METADATA_LENGTH}"
        )
    return combined


def split_tag(metadata: str | None) -> tuple[str, str | None]:
    """``(caller's metadata, campaign tag or None)`` of a stored or echoed ``metadata``."""
    if not metadata:
        return "", None
    if metadata.startswith(TAG_MARK):
        return "", metadata
    own, found, rest = metadata.rpartition(" " + TAG_MARK)
    if not found:
        return metadata, None
    return own, TAG_MARK + rest


def has_tag(metadata: str | None, tag: str) -> bool:
    """Whether ``metadata`` (as the API stores it) carries exactly ``tag``."""
    return split_tag(metadata)[1] == tag


def reconcile_window(
    attempted_at: float, *, longest_call: float, clock_skew: float
) -> tuple[float, float]:
    """``(start, end)`` of the ``accept_time`` window to search for a send made at
    ``attempted_at``: acceptance comes after the request went out and before the call's
    deadline ran out; ``clock_skew`` widens both sides for clocks that disagree."""
    return attempted_at - clock_skew, attempted_at + longest_call + clock_skew


def settle_wait(attempted_at: float, now: float, settle: float) -> float:
    """Seconds to wait before "not found" may be trusted: a message accepted at the last
    moment must have had ``settle`` seconds to show up in the listing."""
    return max(0.0, attempted_at + settle - now)
