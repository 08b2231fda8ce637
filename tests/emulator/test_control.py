"""The control API under ``/_emulator/``: driving an emulator from another process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from conversation_async.callbacks import MessageInboundEvent
from conversation_async.testing import (
    BatchSettings,
    Emulator,
    FaultMode,
    FaultPlan,
    LedgerEntry,
    ManualClock,
)
from conversation_async.testing._control import (
    ControlError,
    ledger_json,
    parse_fault,
    parse_inbound,
    parse_page,
    parse_rate_limit,
)
from conversation_async.testing._control_batch import (
    ClockMove,
    parse_clock_move,
    parse_settings_update,
    settings_json,
)

from .callback_receiver import Receiver
from .conftest import Api, Reply, batch_body, fetch, get_token, send_body

SECRET = "control-secret"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A started emulator with millisecond callback delays."""
    async with Emulator() as emulator:
        emulator.delivery_delay = 0.001
        yield emulator


async def control(
    http: aiohttp.ClientSession, emu: Emulator, method: str, path: str, body: Any = None
) -> Reply:
    """One request to ``/_emulator/{path}``, without credentials, as another process sends it."""
    return await fetch(http, method, f"{emu.base_url}/_emulator/{path}", json_body=body)


def problem_fields(reply: Reply) -> list[str]:
    """The violated fields of a 400 INVALID_ARGUMENT answer (asserting it is one)."""
    assert reply.status == 400, reply.body
    assert reply.body["error"]["status"] == "INVALID_ARGUMENT"
    return reply.violations()


# -- pure checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"app_id": "a", "channel": "SMS", "identity": "+1"}, ["text"]),
        ({"app_id": "a", "channel": "SMS", "identity": "+1", "txt": "hi"}, ["txt", "text"]),
        ({"channel": "SMS", "identity": "+1", "text": "hi"}, ["app_id"]),
        ({"app_id": "a", "channel": "", "identity": 5, "text": "hi"}, ["channel", "identity"]),
        ({"app_id": "a", "channel": "SMS", "identity": "+1", "text": 3}, ["text"]),
        (
            {"app_id": "a", "channel": "SMS", "identity": "+1", "contact_message": "hi"},
            ["contact_message"],
        ),
    ],
)
def test_inbound_request_problems_name_their_fields(
    body: dict[str, Any], fields: list[str]
) -> None:
    """A malformed inbound request names every wrong field (typos included)."""
    with pytest.raises(ControlError) as raised:
        parse_inbound(body)
    assert [field for field, _ in raised.value.problems] == fields


def test_ledger_pages_follow_offset_and_limit() -> None:
    """Pages are oldest first; next_offset is null on the last page; no limit is all."""
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    entries = [LedgerEntry(f"m{i}", f"c{i}" if i else None, {"n": i}, moment) for i in range(5)]
    first = ledger_json(entries, 0, 2)
    assert [e["message_id"] for e in first["entries"]] == ["m0", "m1"]
    assert (first["total"], first["next_offset"]) == (5, 2)
    assert first["entries"][0] == {
        "message_id": "m0",
        "correlation_id": None,
        "request": {"n": 0},
        "accepted_time": "2024-05-01T12:00:00.000000Z",
    }
    last = ledger_json(entries, 4, 2)
    assert ([e["message_id"] for e in last["entries"]], last["next_offset"]) == (["m4"], None)
    assert len(ledger_json(entries, 0, None)["entries"]) == 5
    assert ledger_json(entries, 5, None)["entries"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [({"offset": "-1"}, "offset"), ({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit")],
)
def test_ledger_page_bounds_are_checked(query: dict[str, str], field: str) -> None:
    """Offsets are whole numbers >= 0, limits >= 1."""
    with pytest.raises(ControlError) as raised:
        parse_page(query)
    assert [name for name, _ in raised.value.problems] == [field]


def test_fault_request_becomes_a_fault_plan() -> None:
    """route, rate, modes (by name, any case) and the timing options make one FaultPlan."""
    route, plan = parse_fault(
        {"route": "SendMessage", "rate": 0.5, "modes": {"STATUS_500": 2}, "slow_seconds": 3}
    )
    assert route == "SendMessage"
    assert plan == FaultPlan(0.5, modes={FaultMode.STATUS_500: 2.0}, slow_seconds=3)
    _, same = parse_fault({"route": "SendMessage", "rate": 0.5, "modes": {"status_500": 2}})
    assert same.modes == plan.modes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"route": "SendMessage", "rate": 1.5}, "rate"),
        ({"route": "SendMessage", "rate": True}, "rate"),
        ({"route": "SendMessage", "rate": 0.1, "modes": {"STATUS_418": 1}}, "modes"),
        ({"route": "SendMessage", "rate": 0.1, "modes": {"STATUS_500": 0}}, "modes"),
        ({"route": "SendMessage", "rate": 0.1, "slow_seconds": -1}, "slow_seconds"),
        ({"rate": 0.1}, "route"),
    ],
)
def test_fault_request_problems_name_their_fields(body: dict[str, Any], field: str) -> None:
    """Rates outside 0..1, unknown or all-zero modes and bad timings are refused."""
    with pytest.raises(ControlError) as raised:
        parse_fault(body)
    assert [name for name, _ in raised.value.problems] == [field]


@pytest.mark.parametrize("value", [0, -5, "800", float("nan"), float("inf"), False])
def test_rate_limit_must_be_a_positive_number_or_null(value: object) -> None:
    """Only a finite number above 0 (or null, no limit) is a rate limit."""
    assert parse_rate_limit({"rate_limit": None}) is None
    assert parse_rate_limit({"rate_limit": 800}) == 800.0
    with pytest.raises(ControlError):
        parse_rate_limit({"rate_limit": value})


def test_every_batch_setting_survives_its_json_form() -> None:
    """settings_json names every setting, durations in seconds and shapes as a list, and
    an update from that JSON rebuilds the same settings."""
    custom = BatchSettings(
        enabled=False,
        missing_parameter="reject",
        send_after_rounding=None,
        rounding_threshold=timedelta(seconds=30),
        send_after_max=timedelta(days=2),
        cancel_metadata_shapes=frozenset({"snake", "camel"}),
        processing_delay=0.25,
        message_index_base=1,
        max_consent_records=10,
    )
    as_json = settings_json(custom)
    assert as_json["send_after_max"] == 172800.0
    assert as_json["send_after_rounding"] is None
    assert as_json["cancel_metadata_shapes"] == ["camel", "snake"]
    assert parse_settings_update(as_json, BatchSettings()) == custom


def test_a_settings_update_changes_only_what_it_names() -> None:
    """The settings not named keep their current values."""
    current = BatchSettings(list_response="object")
    updated = parse_settings_update({"processing_delay": 1}, current)
    assert (updated.processing_delay, updated.list_response) == (1.0, "object")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"missing_parametr": "reject"}, ["missing_parametr"]),
        ({"missing_parameter": "strict"}, ["missing_parameter"]),
        ({"enabled": "false"}, ["enabled"]),
        ({"send_after_max": -60}, ["send_after_max"]),
        ({"processing_delay": float("nan")}, ["processing_delay"]),
        ({"message_index_base": 1.5}, ["message_index_base"]),
        ({"cancel_metadata_shapes": ["camel", "kebab"]}, ["cancel_metadata_shapes"]),
        ({"rounding_threshold": None}, ["rounding_threshold"]),
        ({"enabled": False, "list_response": "dict", "bogus": 1}, ["list_response", "bogus"]),
    ],
)
def test_refused_settings_updates_name_every_bad_setting(
    body: dict[str, Any], fields: list[str]
) -> None:
    """Unknown names, values of the wrong type and values the settings' own validators
    refuse are each named, all at once."""
    with pytest.raises(ControlError) as raised:
        parse_settings_update(body, BatchSettings())
    assert [name for name, _ in raised.value.problems] == fields


def test_clock_moves_are_an_advance_or_a_time() -> None:
    """advance is seconds from now, to an RFC 3339 time; exactly one, checked."""
    assert parse_clock_move({"advance": 90}) == ClockMove(advance=timedelta(seconds=90))
    moment = datetime(2030, 1, 2, tzinfo=UTC)
    assert parse_clock_move({"to": "2030-01-02T00:00:00Z"}) == ClockMove(to=moment)
    for body in ({}, {"advance": 1, "to": "2030-01-02T00:00:00Z"}, {"advance": -1},
                 {"advance": None}, {"to": "tomorrow"}, {"advance": 1, "by": 2}):  # fmt: skip
        with pytest.raises(ControlError):
            parse_clock_move(body)


# -- over HTTP -------------------------------------------------------------------------


async def test_inbound_reaches_webhooks_as_a_signed_message_inbound(
    http: aiohttp.ClientSession, emu: Emulator, receiver: Receiver
) -> None:
    """POST /_emulator/inbound is inbound_message: the app's webhooks get a signed
    MESSAGE_INBOUND carrying the stored message the call answered."""
    await control(
        http,
        emu,
        "POST",
        "webhooks",
        {
            "app_id": "bot",
            "target": receiver.url(),
            "triggers": ["MESSAGE_INBOUND"],
            "secret": SECRET,
        },
    )
    body = {"app_id": "bot", "channel": "WHATSAPP", "identity": "+46700000001", "text": "hi"}
    reply = await control(http, emu, "POST", "inbound", body)
    assert reply.status == 200, reply.body
    message = reply.body["message"]
    assert message["direction"] == "TO_APP"
    assert message["contact_message"] == {"text_message": {"text": "hi"}}
    assert message["channel_identity"] == {
        "channel": "WHATSAPP",
        "identity": "+46700000001",
        "app_id": "",
    }
    await emu.callbacks_settled(timeout=2)
    (item,) = receiver.received
    assert item.verifies(SECRET)
    event = item.event()
    assert isinstance(event, MessageInboundEvent)
    assert event.app_id == "bot"
    assert item.json()["message"] == message
    assert emu.store.messages[message["id"]].message == message


async def test_inbound_takes_a_full_contact_message(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """Any ContactMessage can be injected, not only text."""
    location = {"location_message": {"coordinates": {"latitude": 59.3, "longitude": 18.1}}}
    body = {"app_id": "bot", "channel": "SMS", "identity": "+46700000002"}
    reply = await control(http, emu, "POST", "inbound", {**body, "contact_message": location})
    assert reply.status == 200, reply.body
    assert reply.body["message"]["contact_message"] == location


async def test_bad_inbound_is_a_400_naming_the_problem(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """A malformed body, an invalid ContactMessage or a non-JSON body is a 400 whose
    message says what is wrong; nothing is stored."""
    body = {"app_id": "bot", "channel": "SMS", "identity": "+1"}
    assert problem_fields(await control(http, emu, "POST", "inbound", body)) == ["text"]
    reply = await control(http, emu, "POST", "inbound", {**body, "contact_message": {}})
    assert reply.status == 400
    assert "contact_message" in reply.body["error"]["message"]
    async with http.post(f"{emu.base_url}/_emulator/inbound", data=b"hi") as response:
        assert response.status == 400
        assert (await response.json())["error"]["status"] == "INVALID_ARGUMENT"
    assert not emu.store.messages


async def test_webhooks_of_every_app_are_listed_and_registered_without_an_app(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """POST registers a webhook for an app the emulator does not know (the API refuses);
    GET lists every app's webhooks (the API lists one app's)."""
    for app_id in ("a", "b"):
        hook = {"app_id": app_id, "target": f"http://127.0.0.1:1/{app_id}", "triggers": []}
        reply = await control(http, emu, "POST", "webhooks", hook)
        assert reply.status == 200, reply.body
        assert reply.body["target_type"] == "HTTP"
    listed = (await control(http, emu, "GET", "webhooks")).body["webhooks"]
    assert [(w["app_id"], w["target"]) for w in listed] == [
        ("a", "http://127.0.0.1:1/a"),
        ("b", "http://127.0.0.1:1/b"),
    ]
    bad = {"app_id": "a", "target": "http://x", "triggers": ["NOPE"]}
    reply = await control(http, emu, "POST", "webhooks", bad)
    assert reply.status == 400
    assert "NOPE" in reply.body["error"]["message"]


async def test_ledger_lists_accepted_sends_in_pages_and_can_be_emptied(
    api: Api, emu: Emulator
) -> None:
    """GET /_emulator/ledger answers every accepted send (id, correlation id, request,
    accepted time), or a page of them; polling from ``total`` gets only new sends."""
    ids = [await api.send(correlation_id=f"c{i}") for i in range(3)]
    everything = (await control(api.http, emu, "GET", "ledger")).body
    assert [e["message_id"] for e in everything["entries"]] == ids
    assert [e["correlation_id"] for e in everything["entries"]] == ["c0", "c1", "c2"]
    assert everything["entries"][0]["request"] == send_body(correlation_id="c0")
    assert everything["entries"][0]["accepted_time"].endswith("Z")
    page = (await control(api.http, emu, "GET", "ledger?offset=1&limit=1")).body
    assert ([e["message_id"] for e in page["entries"]], page["next_offset"]) == (ids[1:2], 2)
    newer = await api.send()
    since = (await control(api.http, emu, "GET", f"ledger?offset={everything['total']}")).body
    assert [e["message_id"] for e in since["entries"]] == [newer]
    assert problem_fields(await control(api.http, emu, "GET", "ledger?limit=0")) == ["limit"]
    assert (await control(api.http, emu, "DELETE", "ledger")).status == 200
    assert emu.ledger == []


async def test_fault_plans_are_set_listed_and_cleared(api: Api, emu: Emulator) -> None:
    """POST /_emulator/faults is inject_faults (sends then fail as planned), GET lists the
    plans, DELETE clears one route's or all; unknown routes are 400s."""
    plan = {"route": "SendMessage", "rate": 1, "modes": {"STATUS_503": 1}}
    reply = await control(api.http, emu, "POST", "faults", plan)
    assert reply.status == 200, reply.body
    expected = {"rate": 1.0, "modes": {"status_503": 1.0}, "slow_seconds": 1.0}
    assert reply.body["plans"]["SendMessage"] == {**expected, "retry_after": "0.05"}
    assert (await api.call("POST", ":send", json_body=send_body())).status == 503
    await control(api.http, emu, "POST", "faults", {"route": "ListMessages", "rate": 0.5})
    listed = (await control(api.http, emu, "GET", "faults")).body["plans"]
    assert sorted(listed) == ["ListMessages", "SendMessage"]
    assert listed["ListMessages"]["modes"] is None
    reply = await control(api.http, emu, "DELETE", "faults?route=SendMessage")
    assert sorted(reply.body["plans"]) == ["ListMessages"]
    assert (await api.call("POST", ":send", json_body=send_body())).status == 200
    assert (await control(api.http, emu, "DELETE", "faults")).body == {"plans": {}}
    reply = await control(api.http, emu, "POST", "faults", {"route": "Nope", "rate": 0.1})
    assert reply.status == 400
    assert "unknown route 'Nope'" in reply.body["error"]["message"]


async def test_rate_limit_is_set_read_and_lifted(api: Api, emu: Emulator) -> None:
    """PUT /_emulator/rate-limit sets the project's limit (requests beyond it get 429) and
    null lifts it; GET reads it; a bad value is a 400."""
    reply = await control(api.http, emu, "PUT", "rate-limit", {"rate_limit": 1})
    assert (reply.status, reply.body) == (200, {"rate_limit": 1.0})
    statuses = [(await api.list()).status for _ in range(3)]
    assert 429 in statuses
    assert emu.rate_limit == 1.0
    reply = await control(api.http, emu, "PUT", "rate-limit", {"rate_limit": None})
    assert reply.body == {"rate_limit": None}
    assert (await control(api.http, emu, "GET", "rate-limit")).body == {"rate_limit": None}
    assert (await api.list()).status == 200
    bad = await control(api.http, emu, "PUT", "rate-limit", {"rate_limit": -1})
    assert problem_fields(bad) == ["rate_limit"]


async def test_batch_settings_are_read_changed_and_put_back_to_defaults(
    api: Api, emu: Emulator
) -> None:
    """GET answers every setting; PATCH changes the named ones (the Batch API answers
    accordingly at once); DELETE restores the defaults."""
    listed = (await control(api.http, emu, "GET", "batch-settings")).body
    assert listed == settings_json(BatchSettings())
    reply = await control(api.http, emu, "PATCH", "batch-settings", {"enabled": False})
    assert (reply.status, reply.body["enabled"]) == (200, False), reply.body
    assert emu.batch_settings == BatchSettings(enabled=False)
    token = await get_token(api.http, emu)
    refused = await fetch(
        api.http,
        "POST",
        f"{emu.batch_url}/v1/projects/{emu.project_id}/messages",
        json_body=batch_body(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status == 403
    reply = await control(api.http, emu, "DELETE", "batch-settings")
    assert reply.body == settings_json(BatchSettings())
    assert emu.batch_settings == BatchSettings()


async def test_a_refused_settings_update_is_a_400_and_changes_nothing(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """One bad value among good ones: a 400 naming it, and no setting changed."""
    body = {"processing_delay": 2, "status_callbacks": "sometimes"}
    reply = await control(http, emu, "PATCH", "batch-settings", body)
    assert problem_fields(reply) == ["status_callbacks"]
    assert "'every', 'terminal', 'none'" in reply.body["error"]["message"]
    assert emu.batch_settings == BatchSettings()


async def test_advancing_a_manual_clock_processes_the_batches_it_makes_due(
    http: aiohttp.ClientSession,
) -> None:
    """POST /_emulator/clock moves a manual clock and answers once the scheduled batches
    now due are processed; GET reads the time."""
    async with Emulator(clock=ManualClock(datetime(2030, 1, 1, tzinfo=UTC))) as emu:
        token = await get_token(http, emu)
        sent = await fetch(
            http,
            "POST",
            f"{emu.batch_url}/v1/projects/{emu.project_id}/messages",
            json_body=batch_body(2, send_after="2030-01-01T00:10:00Z"),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status == 200, sent.body
        batch = emu.store.batches[sent.body["batch_id"]]
        reply = await control(http, emu, "POST", "clock", {"advance": 300})
        assert reply.body == {"now": "2030-01-01T00:05:00Z", "manual": True}
        assert batch.status == "SCHEDULED"
        reply = await control(http, emu, "POST", "clock", {"to": "2030-01-01T00:10:00Z"})
        assert (reply.status, batch.status, len(emu.ledger)) == (200, "PROCESSED", 2)
        assert (await control(http, emu, "GET", "clock")).body["now"] == "2030-01-01T00:10:00Z"
        backwards = await control(http, emu, "POST", "clock", {"to": "2030-01-01T00:00:00Z"})
        assert backwards.status == 400
        assert "only moves forward" in backwards.body["error"]["message"]


async def test_the_system_clock_is_read_but_not_moved(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """Without a manual clock, GET answers the real time and POST is a 400 saying how to
    start an emulator whose clock can be moved."""
    before = datetime.now(UTC)
    reply = await control(http, emu, "GET", "clock")
    assert reply.body["manual"] is False
    assert datetime.fromisoformat(reply.body["now"]) >= before
    moved = await control(http, emu, "POST", "clock", {"advance": 60})
    assert moved.status == 400
    assert "--manual-clock" in moved.body["error"]["message"]
