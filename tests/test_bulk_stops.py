"""send_many stops early on errors that would fail every later send (issue 11, defect 14).

A refused credential, a 401, a 403 fail every input; a 404 fails the inputs of its app.
Attempting the rest is pointless (a wrong secret once made 313 token requests and 20,000
``TokenError`` results): they come back ``not_attempted`` with the stopping error, and the
summary says what stopped the batch. Errors another send may get past stop nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from conversation_async import (
    AuthenticationError,
    ConversationClient,
    NotFoundError,
    PermissionDeniedError,
    TokenError,
)
from conversation_async.bulk import BulkResult, BulkSend, Outcome
from conversation_async.testing import Emulator, ScriptedResponse
from tests.test_bulk import NO_RETRY, bulk_tasks, request, requests

GUARD = 30.0
"""Seconds a batch may take in these tests before it counts as hung."""

ROWS = 3_000
CONCURRENCY = 64


def wrong_secret_client(emulator: Emulator, **overrides: Any) -> ConversationClient:
    """A client for ``emulator`` whose client secret the emulator refuses."""
    return ConversationClient(
        emulator.project_id,
        emulator.client_id,
        "not-the-secret",
        conversation_url=emulator.base_url,
        templates_url=emulator.templates_url,
        auth_url=emulator.auth_url,
        **overrides,
    )


async def consume(bulk: BulkSend) -> list[BulkResult]:
    """Every result of ``bulk``, within the guard."""
    async with asyncio.timeout(GUARD), bulk:
        return [r async for r in bulk]


def not_attempted(results: list[BulkResult]) -> list[BulkResult]:
    return [r for r in results if r.outcome is Outcome.NOT_ATTEMPTED]


def assert_stopped_by(results: list[BulkResult], error_type: type[BaseException]) -> None:
    """One result per input; those attempted failed with ``error_type``; the others were
    not attempted, and carry the one error that stopped the batch."""
    assert sorted(r.index for r in results) == list(range(len(results)))
    skipped = not_attempted(results)
    attempted = [r for r in results if r.outcome is not Outcome.NOT_ATTEMPTED]
    assert len(skipped) >= len(results) - CONCURRENCY
    assert all(r.outcome is Outcome.FAILED for r in attempted)
    assert all(isinstance(r.error, error_type) for r in attempted)
    assert {id(r.error) for r in skipped} == {id(skipped[0].error)}
    assert isinstance(skipped[0].error, error_type)
    assert all(r.attempts == 0 and r.response is None for r in skipped)


# --- a refused credential -------------------------------------------------------------------


async def test_a_refused_client_secret_stops_the_batch_after_one_token_request(
    emulator: Emulator,
) -> None:
    """A wrong secret: a token request or so (not one per input), no send, and every input
    not attempted carries the stopping TokenError."""
    async with wrong_secret_client(emulator) as client:
        results = await consume(client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY))
    assert emulator.token_requests <= 3
    assert len(results) == ROWS
    assert_stopped_by(results, TokenError)
    error = not_attempted(results)[0].error
    assert isinstance(error, TokenError)
    assert error.status == 401
    assert emulator.requests_seen["SendMessage"] == 0
    assert emulator.ledger == []


async def test_the_summary_says_a_refused_credential_stopped_the_batch(
    emulator: Emulator,
) -> None:
    """summary().stopped_by names the TokenError, and format() says sending stopped and
    how many inputs were not attempted."""
    async with wrong_secret_client(emulator) as client:
        bulk = client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY)
        results = await consume(bulk)
    summary = bulk.summary()
    (line,) = summary.stopped_by
    assert line.startswith("all inputs: TokenError: token endpoint answered HTTP 401")
    text = summary.format()
    assert "stopped sending for all inputs: TokenError" in text
    assert f"{len(not_attempted(results)):,} not attempted" in text


async def test_summary_and_progress_count_the_inputs_not_attempted(emulator: Emulator) -> None:
    """The summary's and the progress's counts are those of the results yielded."""
    async with wrong_secret_client(emulator) as client:
        bulk = client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY)
        results = await consume(bulk)
    outcomes = Counter(r.outcome.value for r in results)
    summary = bulk.summary()
    progress = bulk.progress
    assert summary.total == progress.done == ROWS
    assert dict(summary.by_outcome) == {o.value: outcomes[o.value] for o in Outcome}
    assert summary.by_error == {"TokenError": ROWS}
    assert progress.not_attempted == outcomes["not_attempted"]
    assert progress.failed == outcomes["failed"]
    assert progress.in_flight == 0
    assert summary.not_attempted_from is None, "a stop is not a cancellation"


async def test_run_with_a_refused_credential_stops_early_and_counts_every_input(
    emulator: Emulator,
) -> None:
    """run() stops the same way: a token request or so, and a summary of every input."""
    async with wrong_secret_client(emulator) as client:
        bulk = client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY)
        async with asyncio.timeout(GUARD):
            summary = await bulk.run()
    assert emulator.token_requests <= 3
    assert summary.total == ROWS
    assert summary.by_outcome["not_attempted"] >= ROWS - CONCURRENCY
    assert summary.by_outcome["sent"] == 0
    assert summary.stopped_by[0].startswith("all inputs: TokenError")
    assert bulk_tasks() == []


async def test_a_stop_is_logged_once_not_once_per_send_in_flight(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole first wave fails with the refused credential; one warning says the batch
    stops (a CLI user would otherwise get a screenful of the same line)."""
    caplog.set_level(logging.WARNING, logger="conversation_async.bulk")
    async with wrong_secret_client(emulator) as client:
        results = await consume(client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY))
    assert sum(r.outcome is Outcome.FAILED for r in results) > 1, "a wave failed"
    stops = [r for r in caplog.records if "stops sending" in r.getMessage()]
    assert len(stops) == 1


async def test_inputs_waiting_for_the_batch_rate_limit_are_not_sent_after_a_stop(
    emulator: Emulator,
) -> None:
    """Workers that were waiting for a turn of the batch's rate_limit when the batch stopped
    do not send once their turn comes."""
    async with wrong_secret_client(emulator, auth="basic", retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(200), concurrency=CONCURRENCY, rate_limit=10)
        results = await consume(bulk)
    assert emulator.requests_seen["SendMessage"] <= 3, "not one send per waiting worker"
    assert len(not_attempted(results)) >= 197
    assert bulk.progress.in_flight == 0


# --- 401 and 403 from the API ---------------------------------------------------------------


async def test_a_401_on_every_send_stops_the_batch(emulator: Emulator) -> None:
    """Basic auth with a wrong secret: at most one wave of sends, each refused with 401; the
    rest not attempted, with the AuthenticationError; nothing stored."""
    async with wrong_secret_client(emulator, auth="basic", retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY)
        results = await consume(bulk)
    assert emulator.requests_seen["SendMessage"] <= CONCURRENCY
    assert emulator.token_requests == 0
    assert_stopped_by(results, AuthenticationError)
    assert bulk.summary().stopped_by[0].startswith("all inputs: AuthenticationError")
    assert emulator.ledger == []


@pytest.mark.parametrize(
    ("status", "error_type"), [(401, AuthenticationError), (403, PermissionDeniedError)]
)
async def test_an_api_refusal_of_the_credentials_stops_the_batch(
    emulator: Emulator, status: int, error_type: type[BaseException]
) -> None:
    """With a fresh token, the API refusing every send (401 that is not "expired", 403):
    at most one wave of sends, the rest not attempted with that error."""
    refusal = ScriptedResponse(
        status=status, body={"error": {"code": status, "message": "no", "status": "DENIED"}}
    )
    emulator.script("SendMessage", *[refusal] * ROWS)
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(ROWS), concurrency=CONCURRENCY)
        results = await consume(bulk)
    assert emulator.requests_seen["SendMessage"] <= CONCURRENCY
    assert_stopped_by(results, error_type)
    assert bulk.summary().stopped_by[0].startswith(f"all inputs: {error_type.__name__}")
    assert emulator.ledger == []


# --- 404: one app ----------------------------------------------------------------------------


@pytest.fixture
async def api_without_app_gone() -> AsyncIterator[tuple[TestServer, Counter[str]]]:
    """A loopback stand-in for the API (token endpoint and messages:send) that knows every
    app but ``gone``, which it answers 404; counts the sends per app."""
    sends: Counter[str] = Counter()

    async def token(_: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "expires_in": 3600, "token_type": "bearer"})

    async def send(request: web.Request) -> web.Response:
        app_id = json.loads(await request.read())["app_id"]
        sends[app_id] += 1
        await asyncio.sleep(0.01)  # sends overlap
        if app_id == "gone":
            body = {"error": {"code": 404, "message": "app not found", "status": "NOT_FOUND"}}
            return web.json_response(body, status=404)
        return web.json_response({"message_id": f"m-{sends.total()}"})

    app = web.Application()
    app.router.add_post("/oauth2/token", token)
    app.router.add_post("/v1/projects/p/messages:send", send)
    async with TestServer(app) as server:
        yield server, sends


async def test_a_404_for_one_app_stops_only_that_apps_inputs(
    api_without_app_gone: tuple[TestServer, Counter[str]],
) -> None:
    """Inputs of two apps interleaved, one unknown: the known app's are all sent; the
    unknown app's get at most one wave of sends, the rest not attempted with its 404."""
    server, sends = api_without_app_gone
    inputs = [request(i, app_id="gone" if i % 2 else "live") for i in range(1_000)]
    async with ConversationClient(
        "p",
        "id",
        "secret",
        conversation_url=str(server.make_url("")),
        auth_url=str(server.make_url("/oauth2/token")),
        retry=NO_RETRY,
    ) as client:
        bulk = client.messages.send_many(inputs, concurrency=16)
        results = await consume(bulk)
    assert sorted(r.index for r in results) == list(range(1_000))
    live = [r for r in results if r.request.app_id == "live"]
    gone = [r for r in results if r.request.app_id == "gone"]
    assert all(r.ok for r in live)
    assert sends["live"] == 500
    assert sends["gone"] <= 16
    assert len(not_attempted(gone)) == 500 - sends["gone"]
    assert all(isinstance(r.error, NotFoundError) for r in gone)
    (line,) = bulk.summary().stopped_by
    assert line.startswith("app 'gone': NotFoundError")
    assert "stopped sending for app 'gone'" in bulk.summary().format()


# --- errors that stop nothing ----------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 429, 500, 503])
async def test_an_error_another_send_may_get_past_does_not_stop_the_batch(
    emulator: Emulator, status: int
) -> None:
    """A 400, 429, 500 or 503 for one input fails (or leaves ambiguous) that input only:
    every other input is sent, nothing is left not attempted."""
    # After 20 sends: a 429 first thing would slow the client's adaptive rate to a crawl.
    emulator.script("SendMessage", *[ScriptedResponse(passthrough=True)] * 20)
    emulator.script("SendMessage", ScriptedResponse(status=status))
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(50), concurrency=1)
        results = await consume(bulk)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SENT] == 49
    assert outcomes[Outcome.NOT_ATTEMPTED] == 0
    assert bulk.summary().stopped_by == ()


async def test_a_token_endpoint_outage_does_not_stop_the_batch(emulator: Emulator) -> None:
    """The token endpoint failing with 503 (retried once, then given up) fails the inputs
    waiting for that token only; the next token request succeeds and the rest are sent."""
    unavailable = ScriptedResponse(status=503)
    emulator.script("Token", unavailable, unavailable)
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(200), concurrency=8)
        results = await consume(bulk)
    outcomes = Counter(r.outcome for r in results)
    assert 1 <= outcomes[Outcome.FAILED] <= 8
    assert all(isinstance(r.error, TokenError) for r in results if not r.ok)
    assert outcomes[Outcome.SENT] == 200 - outcomes[Outcome.FAILED]
    assert bulk.summary().stopped_by == ()
