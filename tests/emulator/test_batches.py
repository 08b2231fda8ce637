"""The emulator's Batch API routes over plain HTTP: its base URL, error envelopes, settings
that change answers, scripts and the control API."""

from __future__ import annotations

from typing import Any

import aiohttp

from conversation_async.testing import BatchSettings, Emulator, ScriptedResponse

from .conftest import Reply, basic, batch_body, fetch, get_token


async def call(
    http: aiohttp.ClientSession,
    emu: Emulator,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    params: dict[str, str] | None = None,
    authorization: str | None = None,
) -> Reply:
    token = authorization or f"Bearer {await get_token(http, emu)}"
    return await fetch(
        http,
        method,
        f"{emu.batch_url}/v1/projects/{emu.project_id}/{path}",
        json_body=json_body,
        params=params,
        headers={"Authorization": token},
    )


async def test_batch_routes_live_below_batch_url_only(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """batch_url is {base_url}/batch; the Conversation host's /messages is not a batch send."""
    assert emu.batch_url == emu.base_url + "/batch"
    sent = await call(http, emu, "POST", "messages", json_body=batch_body())
    assert sent.status == 200, sent.body
    assert set(sent.body) == {"batch_id", "send_after"}
    token = await get_token(http, emu)
    plain = await fetch(
        http,
        "POST",
        f"{emu.base_url}/v1/projects/{emu.project_id}/messages",
        json_body=batch_body(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert plain.status == 405
    assert emu.requests_seen["SendBatch"] == 1


async def test_validation_errors_come_in_the_api_envelope(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """1,001 recipients is a 400 INVALID_ARGUMENT naming recipient_and_params, the catalog's
    envelope with a BadRequest detail; nothing is stored."""
    reply = await call(http, emu, "POST", "messages", json_body=batch_body(1001))
    assert reply.status == 400
    error = reply.body["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert reply.violations() == ["recipient_and_params"]
    missing = await call(http, emu, "POST", "messages", json_body={"recipient_and_params": []})
    assert sorted(missing.violations()) == ["app_id", "message", "recipient_and_params"]
    assert emu.store.batches == {}
    assert emu.ledger == []


async def test_status_by_metadata_needs_both_query_parameters(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """Without metadataKey or metadataValue: a 400 naming each missing one."""
    reply = await call(http, emu, "GET", "messages", params={"metadataKey": "k"})
    assert reply.status == 400
    assert reply.violations() == ["metadataValue"]


async def test_unknown_send_fields_are_refused_in_strict_mode(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """A messages:send-only field (queue) is ignored by default, refused when strict."""
    ok = await call(http, emu, "POST", "messages", json_body=batch_body(queue="HIGH_PRIORITY"))
    assert ok.status == 200
    emu.batch_settings = BatchSettings(unknown_fields="reject")
    strict = await call(http, emu, "POST", "messages", json_body=batch_body(queue="HIGH"))
    assert strict.status == 400
    assert strict.violations() == ["queue"]


async def test_basic_credentials_work_unless_switched_off(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """Basic auth is accepted on the batch host by default; accept_basic_auth=False is 401."""
    credentials = basic(emu.client_id, emu.client_secret)
    ok = await call(http, emu, "GET", "messages/unknown", authorization=credentials)
    assert ok.status == 404
    emu.batch_settings = BatchSettings(accept_basic_auth=False)
    refused = await call(http, emu, "GET", "messages/unknown", authorization=credentials)
    assert refused.status == 401
    assert refused.body["error"]["status"] == "UNAUTHENTICATED"


async def test_a_disabled_project_answers_the_official_403_sample(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """enabled=False: 403 PERMISSION_DENIED with an empty message, on every batch route."""
    emu.batch_settings = BatchSettings(enabled=False)
    for method, path in (("POST", "messages"), ("POST", "contacts"), ("POST", "consents")):
        reply = await call(http, emu, method, path, json_body=batch_body())
        assert reply.status == 403
        assert reply.body == {"error": {"code": 403, "message": "", "status": "PERMISSION_DENIED"}}


async def test_scripts_and_route_names_cover_the_batch_routes(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """A scripted 503 for SendBatch is answered before anything is stored."""
    emu.script("SendBatch", ScriptedResponse(503))
    reply = await call(http, emu, "POST", "messages", json_body=batch_body())
    assert reply.status == 503
    assert emu.store.batches == {}


async def test_reset_forgets_batches_but_the_ledger_keeps_their_messages(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """reset() clears the batches; the ledger (with batch ids) stays, and the control API
    shows each entry's batch_id."""
    sent = await call(http, emu, "POST", "messages", json_body=batch_body(2))
    batch_id = sent.body["batch_id"]
    assert emu.stats()["batches_stored"] == 1
    emu.reset()
    assert emu.store.batches == {}
    ledger = await fetch(http, "GET", f"{emu.base_url}/_emulator/ledger")
    assert [entry["batch_id"] for entry in ledger.body["entries"]] == [batch_id, batch_id]
