"""The receiver's decisions as pure functions: no server, no loop, no store."""

from __future__ import annotations

import pytest

from conversation_async.callbacks import Mark, Verdict
from conversation_async.callbacks._rules import (
    Outcome,
    answer,
    declared_length,
    known_refusal,
    media_type,
    nonce_key,
    pending_for,
    screen,
    signature_refusal,
)


@pytest.mark.parametrize(
    ("content_type", "content_length", "closing", "expected"),
    [
        ("application/json", "10", False, None),
        ("Application/JSON; charset=utf-8", None, False, None),
        ("application/json", "11", False, 413),
        ("application/json", "not-a-number", False, None),
        ("text/plain", "10", False, 415),
        (None, "10", False, 415),
        ("application/json", "10", True, 503),
        ("text/plain", "99", True, 503),
    ],
)
def test_screen_refuses_before_reading_in_the_documented_order(
    content_type: str | None, content_length: str | None, closing: bool, expected: int | None
) -> None:
    """Shutting down beats content type, which beats a declared length over the cap."""
    refusal = screen(content_type, content_length, max_body_size=10, closing=closing)
    assert (refusal.status if refusal else None) == expected


def test_media_type_and_declared_length_read_their_headers_loosely() -> None:
    """Parameters and case are ignored; a length that is not a number is unknown."""
    assert media_type(" application/json ;charset=utf-8") == "application/json"
    assert media_type(None) == ""
    assert declared_length("42") == 42
    assert declared_length("-1") is None
    assert declared_length(None) is None


def test_every_verdict_but_valid_is_a_401_naming_its_reason() -> None:
    """The reason is logged and counted under "signature"; VALID is no refusal."""
    assert signature_refusal(Verdict.VALID) is None
    for verdict in set(Verdict) - {Verdict.VALID}:
        refusal = signature_refusal(verdict)
        assert refusal is not None
        assert refusal.status == 401
        assert refusal.reason == f"signature: {verdict.value}"


def test_a_done_key_is_a_duplicate_and_a_pending_one_is_retried_later() -> None:
    """Redelivery of a handled event: 200 without running; one being handled: 503."""
    assert known_refusal(Mark.DONE) is None
    refusal = known_refusal(Mark.PENDING)
    assert refusal is not None
    assert refusal.status == 503


def test_only_after_handler_claims_are_pending_and_they_outlive_the_handler_timeout() -> None:
    """immediately marks done at once; after_handler's pending mark outlives the timeout."""
    assert pending_for("immediately", 30) is None
    pending = pending_for("after_handler", 30)
    assert pending is not None
    assert 30 < pending <= 60


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.ACCEPTED, 200),
        (Outcome.HANDLED, 200),
        (Outcome.DUPLICATE, 200),
        (Outcome.FAILED, 500),
        (Outcome.IN_PROGRESS, 503),
        (Outcome.STORE_DOWN, 503),
        (Outcome.CANCELLED, 503),
    ],
)
def test_each_outcome_has_its_status(outcome: Outcome, status: int) -> None:
    """A failure is a 500 (Sinch retries); what may work later is a 503."""
    assert answer(outcome) == status


def test_nonce_keys_never_collide_with_event_keys() -> None:
    """Nonces and events can share one store."""
    assert nonce_key("MESSAGE_INBOUND:x") == "nonce:MESSAGE_INBOUND:x"
