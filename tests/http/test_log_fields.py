"""DEBUG records of the transport carry structured ``sinch_*`` fields beside the message."""

from __future__ import annotations

import logging

import pytest

from conversation_async import ConversationClient
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
FIELDS = ("sinch_call", "sinch_call_id", "sinch_attempt", "sinch_status", "sinch_wait")


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi"))


def call_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records about API calls (the token request has its own)."""
    return [r for r in caplog.records if "/messages" in getattr(r, "sinch_call", "")]


async def test_retried_call_logs_attempt_status_and_wait_as_fields(
    caplog: pytest.LogCaptureFixture, emulator: Emulator, client: ConversationClient
) -> None:
    """A 503 then a success: attempt 1 with status 503, a retry with its wait, attempt 2."""
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    emulator.script("SendMessage", ScriptedResponse(status=503))
    await send(client)
    records = call_records(caplog)
    assert records, "the transport logs each call at DEBUG"
    for record in records:
        assert all(hasattr(record, name) for name in FIELDS)
    path = f"/v1/projects/{emulator.project_id}/messages:send"
    assert {r.sinch_call for r in records} == {f"POST {path}"}  # type: ignore[attr-defined]
    assert len({r.sinch_call_id for r in records}) == 1  # type: ignore[attr-defined]
    answered = [r for r in records if r.sinch_status == 503]  # type: ignore[attr-defined]
    assert answered[0].sinch_attempt == 1  # type: ignore[attr-defined]
    retry = next(r for r in records if r.sinch_wait is not None)  # type: ignore[attr-defined]
    assert retry.sinch_wait >= 0  # type: ignore[attr-defined]
    assert retry.sinch_status == 503  # type: ignore[attr-defined]
    assert max(r.sinch_attempt for r in records) == 2  # type: ignore[attr-defined]


async def test_each_call_has_its_own_call_id(
    caplog: pytest.LogCaptureFixture, client: ConversationClient
) -> None:
    """Records of two calls can be told apart by ``sinch_call_id``."""
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    await send(client)
    await send(client)
    assert len({r.sinch_call_id for r in call_records(caplog)}) == 2  # type: ignore[attr-defined]


async def test_log_records_hold_no_credential(
    caplog: pytest.LogCaptureFixture, emulator: Emulator, client: ConversationClient
) -> None:
    """No credential (secret, Bearer or Basic value) appears in a message or a field."""
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    emulator.script("SendMessage", ScriptedResponse(status=503))
    await send(client)
    assert call_records(caplog)
    for record in caplog.records:
        text = record.getMessage() + repr(
            {k: v for k, v in vars(record).items() if k.startswith("sinch_")}
        )
        assert emulator.client_secret not in text
        assert "Bearer " not in text
        assert "Basic " not in text
