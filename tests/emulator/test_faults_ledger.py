"""The send ledger: what SendMessage accepted, kept through deletes and reset."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from conversation_async.testing import FaultMode, LedgerEntry

from .conftest import Api, always, raw_send, send_body


async def test_an_accepted_send_is_ledgered_with_its_request_and_time(api: Api) -> None:
    """The entry holds the message ID, correlation ID, decoded body and accept time."""
    body = send_body(correlation_id="order-1")
    message_id = await api.send(correlation_id="order-1")
    stored = api.emu.store.messages[message_id]
    assert api.emu.ledger == [LedgerEntry(message_id, "order-1", body, stored.accepted)]
    assert isinstance(api.emu.ledger[0].accepted, datetime)


async def test_a_send_without_correlation_id_is_ledgered_with_none(api: Api) -> None:
    """``correlation_id`` is None when the request had none."""
    await api.send()
    assert api.emu.ledger[0].correlation_id is None


async def test_rejected_sends_are_not_ledgered(api: Api) -> None:
    """An invalid send (400) leaves the ledger empty."""
    assert (await raw_send(api, {"app_id": ""})).status == 400
    assert api.emu.ledger == []


async def test_duplicates_show_per_correlation_id(api: Api) -> None:
    """A send repeated after an ambiguous failure shows twice under its correlation ID."""
    api.emu.inject_faults("SendMessage", always(FaultMode.STATUS_500))
    await raw_send(api, send_body(correlation_id="a"))
    api.emu.clear_faults()
    await api.send(correlation_id="a")
    await api.send(correlation_id="b")
    counts = Counter(entry.correlation_id for entry in api.emu.ledger)
    assert counts == {"a": 2, "b": 1}


async def test_ledger_survives_a_message_delete(api: Api) -> None:
    """Deleting the message leaves its ledger entry."""
    message_id = await api.send()
    assert (await api.call("DELETE", f"/{message_id}")).status == 200
    assert [entry.message_id for entry in api.emu.ledger] == [message_id]


async def test_ledger_survives_reset(api: Api) -> None:
    """``reset()`` (and ``POST /_emulator/reset``) keep the ledger."""
    await api.send()
    api.emu.reset()
    assert (await api.http.post(f"{api.emu.base_url}/_emulator/reset")).status == 200
    assert len(api.emu.ledger) == 1


async def test_clear_ledger_empties_it(api: Api) -> None:
    """``clear_ledger()`` is the one way to shrink the ledger."""
    await api.send()
    api.emu.clear_ledger()
    assert api.emu.ledger == []
    await api.send()
    assert len(api.emu.ledger) == 1


async def test_injected_and_inbound_messages_are_not_ledgered(api: Api) -> None:
    """Only SendMessage writes the ledger, not inbound simulation."""
    api.emu.inbound_message("app-1", ("SMS", "+46700000001"), text="hi")
    assert api.emu.ledger == []
