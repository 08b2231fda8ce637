"""Each FaultMode as a raw aiohttp client sees it, and whether the request was processed."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest

from conversation_async.testing import FaultMode

from .conftest import Api, always, contact_body, raw_send

DISCONNECTED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)

STATUS_MODES = {
    FaultMode.STATUS_429: (429, "RESOURCE_EXHAUSTED", False),
    FaultMode.STATUS_503: (503, "UNAVAILABLE", False),
    FaultMode.STATUS_500: (500, "INTERNAL_ERROR", True),
    FaultMode.STATUS_502: (502, "UNAVAILABLE", True),
    FaultMode.STATUS_504: (504, "DEADLINE_EXCEEDED", True),
}


@pytest.mark.parametrize("mode", list(STATUS_MODES))
async def test_status_modes_answer_their_status_in_sinchs_envelope(
    api: Api, mode: FaultMode
) -> None:
    """A status mode answers that status with a Sinch error envelope."""
    status, name, _ = STATUS_MODES[mode]
    api.emu.inject_faults("SendMessage", always(mode))
    reply = await raw_send(api)
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("application/json")
    error = json.loads(reply.body)["error"]
    assert (error["code"], error["status"]) == (status, name)


@pytest.mark.parametrize("mode", list(STATUS_MODES))
async def test_status_modes_process_the_send_only_after_processing_modes(
    api: Api, mode: FaultMode
) -> None:
    """429 and 503 come before processing; 500, 502 and 504 after the send was stored."""
    processed = STATUS_MODES[mode][2]
    api.emu.inject_faults("SendMessage", always(mode))
    await raw_send(api)
    assert len(api.emu.ledger) == len(api.emu.store.messages) == int(processed)


async def test_plain_429_has_no_retry_after(api: Api) -> None:
    """STATUS_429 carries no Retry-After header."""
    api.emu.inject_faults("SendMessage", always(FaultMode.STATUS_429))
    assert "Retry-After" not in (await raw_send(api)).headers


async def test_429_retry_after_sends_the_plans_value(api: Api) -> None:
    """STATUS_429_RETRY_AFTER answers 429 with ``Retry-After: plan.retry_after``, unprocessed."""
    api.emu.inject_faults(
        "SendMessage", always(FaultMode.STATUS_429_RETRY_AFTER, retry_after="0.25")
    )
    reply = await raw_send(api)
    assert (reply.status, reply.headers["Retry-After"]) == (429, "0.25")
    assert json.loads(reply.body)["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert api.emu.ledger == []


async def test_retry_after_defaults_to_a_twentieth_of_a_second(api: Api) -> None:
    """Without ``retry_after`` the header is ``0.05`` so tests stay fast."""
    api.emu.inject_faults("SendMessage", always(FaultMode.STATUS_429_RETRY_AFTER))
    assert (await raw_send(api)).headers["Retry-After"] == "0.05"


async def test_slow_processes_first_then_answers_late(api: Api) -> None:
    """SLOW stores the send at once and answers the real 200 ``slow_seconds`` later."""
    api.emu.inject_faults("SendMessage", always(FaultMode.SLOW, slow_seconds=0.3))
    started = time.monotonic()
    pending = asyncio.create_task(raw_send(api))
    await asyncio.sleep(0.1)
    assert len(api.emu.ledger) == 1
    reply = await pending
    assert time.monotonic() - started >= 0.3
    assert reply.status == 200
    assert json.loads(reply.body)["message_id"] == api.emu.ledger[0].message_id


async def test_slow_send_abandoned_by_the_client_stays_processed(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A client timing out on SLOW does not undo the send, and nothing is logged as an error."""
    caplog.set_level(logging.DEBUG)
    api.emu.inject_faults("SendMessage", always(FaultMode.SLOW, slow_seconds=5.0))
    with pytest.raises(asyncio.TimeoutError):
        await raw_send(api, give_up_after=0.2)
    await asyncio.sleep(0.05)  # let the server notice the disconnect
    assert len(api.emu.ledger) == len(api.emu.store.messages) == 1
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_reset_before_drops_the_connection_without_processing(api: Api) -> None:
    """RESET_BEFORE aborts the connection with no response and stores nothing."""
    api.emu.inject_faults("SendMessage", always(FaultMode.RESET_BEFORE))
    with pytest.raises(DISCONNECTED):
        await raw_send(api)
    assert api.emu.ledger == []
    assert not api.emu.store.messages


async def test_reset_after_drops_the_connection_after_processing(api: Api) -> None:
    """RESET_AFTER stores the send, then aborts the connection with no response."""
    api.emu.inject_faults("SendMessage", always(FaultMode.RESET_AFTER))
    with pytest.raises(DISCONNECTED):
        await raw_send(api)
    assert len(api.emu.ledger) == len(api.emu.store.messages) == 1


async def test_cut_body_announces_the_full_length_then_breaks_off(api: Api) -> None:
    """CUT_BODY sends 200 and the full Content-Length, then half the body: a payload error."""
    api.emu.inject_faults("SendMessage", always(FaultMode.CUT_BODY))
    async with api.http.post(
        api.url(":send"),
        json=raw_body(),
        headers={"Authorization": f"Bearer {api.token}"},
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert int(response.headers["Content-Length"]) == len(real_answer(api))
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert len(api.emu.ledger) == 1


async def test_bad_json_answers_200_with_an_html_body_after_processing(api: Api) -> None:
    """BAD_JSON stores the send and answers 200 with a body that is not JSON."""
    api.emu.inject_faults("SendMessage", always(FaultMode.BAD_JSON))
    reply = await raw_send(api)
    assert reply.status == 200
    assert reply.body.startswith(b"<html>")
    with pytest.raises(ValueError):  # noqa: PT011 - json.JSONDecodeError is a ValueError
        json.loads(reply.body)
    assert len(api.emu.ledger) == 1


async def test_truncated_json_is_the_first_half_of_the_real_answer(api: Api) -> None:
    """TRUNCATED_JSON stores the send and answers 200 with half its real JSON, consistently."""
    api.emu.inject_faults("SendMessage", always(FaultMode.TRUNCATED_JSON))
    reply = await raw_send(api)
    full = real_answer(api)
    assert reply.status == 200
    assert reply.body == full[: len(full) // 2]
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    with pytest.raises(ValueError):  # noqa: PT011 - json.JSONDecodeError is a ValueError
        json.loads(reply.body)


async def test_other_routes_run_their_handler_before_an_after_processing_fault(
    api: Api,
) -> None:
    """On CreateContact, STATUS_500 comes after the contact was created."""
    api.emu.inject_faults("CreateContact", always(FaultMode.STATUS_500))
    reply = await api.v1("POST", "contacts", json_body=contact_body())
    assert reply.status == 500
    assert len(api.emu.store.contacts) == 1


async def test_other_routes_change_nothing_before_a_before_processing_fault(api: Api) -> None:
    """On DeleteMessage, RESET_BEFORE leaves the message in place."""
    message_id = await api.send()
    api.emu.inject_faults("DeleteMessage", always(FaultMode.RESET_BEFORE))
    with pytest.raises(DISCONNECTED):
        await api.call("DELETE", f"/{message_id}")
    assert message_id in api.emu.store.messages


async def test_after_processing_faults_hide_the_real_error_status(api: Api) -> None:
    """An invalid send under STATUS_500 is still rejected (not stored), answered 500."""
    api.emu.inject_faults("SendMessage", always(FaultMode.STATUS_500))
    assert (await raw_send(api, {"app_id": ""})).status == 500
    assert api.emu.ledger == []


async def test_body_faults_keep_the_real_status_of_a_failed_request(api: Api) -> None:
    """TRUNCATED_JSON on a rejected send keeps its 400 and truncates the envelope."""
    api.emu.inject_faults("SendMessage", always(FaultMode.TRUNCATED_JSON))
    reply = await raw_send(api, {"app_id": ""})
    assert reply.status == 400
    assert reply.body.startswith(b'{"error":')


async def test_token_route_faults_like_any_route(api: Api) -> None:
    """A Token plan aborts token requests; other routes keep working with issued tokens."""
    api.emu.inject_faults("Token", always(FaultMode.RESET_BEFORE))
    with pytest.raises(DISCONNECTED):
        await api.http.post(api.emu.auth_url, data={"grant_type": "client_credentials"})
    assert (await api.list()).status == 200


SMS = {"channel": "SMS", "identity": "+46700000009"}


def raw_body() -> dict[str, object]:
    """The send used by the body-fault tests."""
    return {
        "app_id": "app-1",
        "recipient": {"identified_by": {"channel_identities": [SMS]}},
        "message": {"text_message": {"text": "hello"}},
    }


def real_answer(api: Api) -> bytes:
    """The exact JSON bytes the one ledgered send was (or would have been) answered with."""
    entry = api.emu.ledger[0]
    accept_time = api.emu.store.messages[entry.message_id].message["accept_time"]
    return json.dumps(
        {"message_id": entry.message_id, "accepted_time": accept_time}, separators=(",", ":")
    ).encode()
