"""Retries, timeouts, deadlines, auth replay and error mapping, over loopback HTTP."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from conversation_async import (
    AuthenticationError,
    BadRequestError,
    ConversationClient,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TokenError,
    TransportError,
)
from conversation_async._core.retry import Failure
from conversation_async._http.transport import attempt_failure, redact_headers
from conversation_async._serde import UnknownVariant
from conversation_async.models import AppMessage, IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse
from tests.conftest import FAST_RETRY, unused_port

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}


async def send(client: ConversationClient) -> str:
    response = await client.messages.send(
        app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi")
    )
    return response.message_id


async def test_503_then_success_is_retried(emulator: Emulator, client: ConversationClient) -> None:
    """A send that first gets 503 succeeds on the retry."""
    emulator.script("SendMessage", ScriptedResponse(status=503))
    await send(client)
    assert emulator.requests_seen["SendMessage"] == 2
    assert len(emulator.store.messages) == 1


async def test_429_with_retry_after_is_waited_and_retried(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Retry-After on a 429 is honoured before the next attempt."""
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "0.3"}))
    started = time.monotonic()
    await send(client)
    assert time.monotonic() - started >= 0.3
    assert emulator.requests_seen["SendMessage"] == 2


async def test_post_500_is_not_retried_by_default(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A send answered 500 may have been processed: raised after one attempt."""
    emulator.script("SendMessage", ScriptedResponse(status=500))
    with pytest.raises(ServerError) as caught:
        await send(client)
    assert caught.value.status == 500
    assert caught.value.maybe_processed
    assert emulator.requests_seen["SendMessage"] == 1


async def test_post_500_is_retried_when_opted_in(emulator: Emulator) -> None:
    """retry_non_idempotent=True repeats a send after a 500."""
    emulator.script("SendMessage", ScriptedResponse(status=500))
    retry = RetryPolicy(backoff_base=0.01, retry_non_idempotent=True)
    async with emulator.client(retry=retry) as client:
        await send(client)
    assert emulator.requests_seen["SendMessage"] == 2


async def test_error_after_an_unsafe_retry_says_an_earlier_attempt_may_have_been_processed(
    emulator: Emulator,
) -> None:
    """A send retried after a 500 that then fails with 503 is marked: the message may have
    been sent; a send failing with two 503s is not."""
    retry = RetryPolicy(max_retries=1, backoff_base=0.01, retry_non_idempotent=True)
    emulator.script("SendMessage", ScriptedResponse(status=500), ScriptedResponse(status=503))
    async with emulator.client(retry=retry) as client:
        with pytest.raises(ServerError) as caught:
            await send(client)
        assert caught.value.status == 503
        assert caught.value.maybe_processed

        emulator.script("SendMessage", ScriptedResponse(status=503), ScriptedResponse(status=503))
        with pytest.raises(ServerError) as plain:
            await send(client)
        assert not plain.value.maybe_processed


async def test_get_500_is_retried(emulator: Emulator, client: ConversationClient) -> None:
    """An idempotent GET is repeated after 502."""
    message_id = await send(client)
    emulator.script("GetMessage", ScriptedResponse(status=502))
    message = await client.messages.get(message_id=message_id)
    assert message.id == message_id
    assert emulator.requests_seen["GetMessage"] == 2


async def test_retries_stop_after_max_retries(emulator: Emulator) -> None:
    """After max_retries repeats the last error is raised."""
    emulator.script("SendMessage", *[ScriptedResponse(status=503)] * 5)
    async with emulator.client(retry=RetryPolicy(max_retries=2, backoff_base=0.01)) as client:
        with pytest.raises(ServerError):
            await send(client)
    assert emulator.requests_seen["SendMessage"] == 3


async def test_rate_limit_error_exposes_retry_after(emulator: Emulator) -> None:
    """When retries are exhausted a 429 raises RateLimitError with the hint."""
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "7"}))
    async with emulator.client(max_retries=0) as client:
        with pytest.raises(RateLimitError) as caught:
            await send(client)
    assert caught.value.retry_after == 7.0


async def test_400_raises_bad_request_with_the_envelope(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The API's validation error arrives as BadRequestError with field violations."""
    with pytest.raises(BadRequestError) as caught:
        await client.messages.send(
            app_id="app", recipient=RECIPIENT, message=AppMessage(content=UnknownVariant({}))
        )
    error = caught.value
    assert error.status == 400
    assert error.api_status == "INVALID_ARGUMENT"
    assert error.details
    assert emulator.requests_seen["SendMessage"] == 1


async def test_an_api_error_message_names_the_field_violations(
    emulator: Emulator, client: ConversationClient
) -> None:
    """str(error) carries the useful part of the envelope's details, not only its generic
    message: what a log line or a traceback shows is enough to act on."""
    with pytest.raises(BadRequestError) as caught:
        await client.messages.send(
            app_id="app", recipient=RECIPIENT, message=AppMessage(content=UnknownVariant({}))
        )
    violation = caught.value.details[0]["field_violations"][0]
    assert f"{violation['field']}: {violation['description']}" in str(caught.value)


async def test_404_raises_not_found(emulator: Emulator, client: ConversationClient) -> None:
    """An unknown id raises NotFoundError without retrying."""
    with pytest.raises(NotFoundError):
        await client.messages.get(message_id="nope")
    assert emulator.requests_seen["GetMessage"] == 1


async def test_invalid_json_on_success_raises_invalid_response(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A 200 whose body is not JSON is reported, not silently accepted."""
    emulator.script("SendMessage", ScriptedResponse(status=200, body="<html>"))
    with pytest.raises(InvalidResponseError):
        await send(client)


async def test_attempt_timeout_raises_request_timeout(emulator: Emulator) -> None:
    """An answer slower than the per-attempt timeout raises RequestTimeoutError."""
    emulator.script("SendMessage", ScriptedResponse(delay=2.0, passthrough=True))
    async with emulator.client(timeout=0.2, retry=FAST_RETRY) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            await send(client)
    assert time.monotonic() - started < 1.0
    assert caught.value.maybe_processed is True
    assert emulator.requests_seen["SendMessage"] == 1  # a POST is not repeated after a timeout


async def test_get_timeout_is_retried(emulator: Emulator, client: ConversationClient) -> None:
    """A GET that timed out is repeated and can then succeed."""
    message_id = await send(client)
    emulator.script("GetMessage", ScriptedResponse(delay=2.0, passthrough=True))
    async with emulator.client(timeout=0.2, retry=FAST_RETRY) as fast_client:
        message = await fast_client.messages.get(message_id=message_id)
    assert message.id == message_id
    assert emulator.requests_seen["GetMessage"] == 2


async def test_overall_deadline_bounds_a_call_with_retries(emulator: Emulator) -> None:
    """Retries never carry a call past its deadline (small tolerance)."""
    emulator.script("GetMessage", *[ScriptedResponse(status=503, delay=0.1)] * 50)
    retry = RetryPolicy(max_retries=50, backoff_base=0.05, backoff_max=0.05)
    async with emulator.client(deadline=0.5, retry=retry) as client:
        started = time.monotonic()
        with pytest.raises((RequestTimeoutError, ServerError)):
            await client.messages.get(message_id="any")
    assert time.monotonic() - started < 0.5 + 0.2


async def test_deadline_interrupts_a_slow_attempt(emulator: Emulator) -> None:
    """A deadline shorter than the attempt timeout ends the call at the deadline."""
    emulator.script("SendMessage", ScriptedResponse(delay=3.0, passthrough=True))
    async with emulator.client(timeout=30, deadline=0.3) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="deadline") as caught:
            await send(client)
    assert 0.3 <= time.monotonic() - started < 0.3 + 0.2
    assert caught.value.maybe_processed is True


async def test_waiting_for_a_connection_slot_does_not_use_the_attempt_timeout(
    emulator: Emulator,
) -> None:
    """With one connection, queued calls wait longer than the timeout yet succeed."""
    async with emulator.client(connection_limit=1, timeout=0.5, max_retries=0) as client:
        await send(client)  # token fetched, connection warm
        emulator.latency = 0.2
        started = time.monotonic()
        await asyncio.gather(*(send(client) for _ in range(5)))
    assert time.monotonic() - started >= 1.0  # five 0.2 s calls, one at a time
    assert emulator.requests_seen["SendMessage"] == 6  # no attempt timed out and retried


async def test_unreachable_host_raises_transport_error_after_retrying(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused connection is retried (nothing was sent), then raised as not sent."""
    port = unused_port()
    client = ConversationClient(
        "p",
        "id",
        "secret",
        conversation_url=f"http://127.0.0.1:{port}",
        auth="basic",
        retry=RetryPolicy(max_retries=2, backoff_base=0.01),
    )
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    async with client:
        with pytest.raises(TransportError) as caught:
            await send(client)
    assert caught.value.maybe_processed is False
    assert sum("retry" in r.getMessage() for r in caplog.records) == 2


async def test_expired_401_refreshes_the_token_and_replays_once(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A 401 "expired" gets a new token and the call succeeds."""
    await send(client)
    emulator.script("SendMessage", ScriptedResponse(status=401, headers=EXPIRED))
    await send(client)
    assert emulator.token_requests == 2
    assert emulator.requests_seen["SendMessage"] == 3


async def test_second_401_raises_authentication_error(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The replay happens once: a second 401 is raised."""
    emulator.script("SendMessage", *[ScriptedResponse(status=401, headers=EXPIRED)] * 2)
    with pytest.raises(AuthenticationError):
        await send(client)
    assert emulator.requests_seen["SendMessage"] == 2


async def test_401_without_expired_is_not_replayed(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A plain 401 (not an expired token) is raised at once, keeping the token."""
    emulator.script("SendMessage", ScriptedResponse(status=401))
    with pytest.raises(AuthenticationError):
        await send(client)
    assert emulator.requests_seen["SendMessage"] == 1
    assert emulator.token_requests == 1


async def test_server_side_expiry_is_recovered_transparently(
    emulator: Emulator, client: ConversationClient
) -> None:
    """When the server expires every token, calls refresh and carry on."""
    await send(client)
    emulator.expire_tokens()
    await asyncio.gather(*(send(client) for _ in range(20)))
    assert emulator.token_requests == 2
    assert emulator.expired_token_rejections >= 1


async def test_token_endpoint_error_raises_token_error_with_its_fields(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The endpoint's error and error_description are kept; the secret is not shown."""
    emulator.script(
        "Token",
        ScriptedResponse(
            status=401, body={"error": "invalid_client", "error_description": "unknown key"}
        ),
    )
    with pytest.raises(TokenError) as caught:
        await send(client)
    error = caught.value
    assert (error.status, error.error, error.error_description) == (
        401,
        "invalid_client",
        "unknown key",
    )
    assert emulator.client_secret not in str(error)
    assert emulator.client_secret not in repr(error)


async def test_wrong_credentials_raise_token_error(emulator: Emulator) -> None:
    """A wrong secret fails at the token endpoint with TokenError."""
    async with ConversationClient(
        emulator.project_id,
        emulator.client_id,
        "wrong-secret",
        conversation_url=emulator.base_url,
        auth_url=emulator.auth_url,
    ) as client:
        with pytest.raises(TokenError) as caught:
            await send(client)
    assert caught.value.error == "invalid_client"
    assert "wrong-secret" not in str(caught.value)


async def test_basic_auth_never_requests_a_token(emulator: Emulator) -> None:
    """auth="basic" sends Basic credentials on each call."""
    async with emulator.client(auth="basic") as client:
        await send(client)
        await send(client)
    assert emulator.token_requests == 0
    assert len(emulator.store.messages) == 2


async def test_429_puts_the_whole_client_on_an_adaptive_rate(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Without a configured limit the client is open until 429s come back to a busy
    client, then rate-limited."""
    await asyncio.gather(*(send(client) for _ in range(20)))
    assert client.rate_limit is None
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "0"}))
    await send(client)
    assert client.rate_limit is not None
    assert client.rate_limit >= 1


async def test_a_429_to_a_new_clients_first_send_does_not_slow_it_down(
    emulator: Emulator, client: ConversationClient
) -> None:
    """One 429 says nothing about the rate of a client that has sent one request (another
    process spent the budget): its retry waits, and the next sends go at full speed."""
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "0"}))
    started = time.monotonic()
    for _ in range(50):
        await send(client)
    assert client.rate_limit is None
    assert time.monotonic() - started < 3.0  # pinned at the 1/s floor this took 9 s


async def test_configured_rate_limit_paces_every_call(emulator: Emulator) -> None:
    """rate_limit=20 spreads 12 sends over about half a second (burst of 2 aside)."""
    async with emulator.client(rate_limit=20) as client:
        await send(client)
        started = time.monotonic()
        await asyncio.gather(*(send(client) for _ in range(12)))
    assert time.monotonic() - started >= 0.4
    assert client.rate_limit == 20


async def test_retry_budget_caps_retries_for_the_whole_client(emulator: Emulator) -> None:
    """With a budget of 2 retries per window, 10 failing calls make 12 requests, not 40."""
    emulator.script("GetMessage", *[ScriptedResponse(status=503)] * 100)
    retry = RetryPolicy(
        max_retries=3, backoff_base=0.001, budget_ratio=0.0, budget_minimum=2, budget_window=60
    )
    async with emulator.client(retry=retry) as client:
        for _ in range(10):
            with pytest.raises(ServerError):
                await client.messages.get(message_id="m")
    assert emulator.requests_seen["GetMessage"] == 12


async def test_429_retries_spend_no_retry_budget(emulator: Emulator) -> None:
    """Retries after a 429 are paced by the shared rate limiter instead: with an empty
    budget a 429 is still retried, a 503 is not."""
    retry = RetryPolicy(max_retries=3, backoff_base=0.001, budget_ratio=0.0, budget_minimum=0)
    async with emulator.client(retry=retry) as client:
        emulator.script("GetMessage", ScriptedResponse(status=429, headers={"Retry-After": "0"}))
        with pytest.raises(NotFoundError):
            await client.messages.get(message_id="m")
        assert emulator.requests_seen["GetMessage"] == 2
        emulator.script("GetMessage", ScriptedResponse(status=503))
        with pytest.raises(ServerError):
            await client.messages.get(message_id="m")
        assert emulator.requests_seen["GetMessage"] == 3


def test_credential_headers_are_redacted_for_logs() -> None:
    """Authorization (any case) is replaced; other headers stay readable."""
    headers = {"authorization": "Bearer abc", "Accept": "application/json"}
    assert redact_headers(headers) == {"authorization": "<redacted>", "Accept": "application/json"}


async def test_debug_log_shows_each_attempt_without_the_token(
    emulator: Emulator, client: ConversationClient, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG every attempt and retry is logged, and the bearer token never is."""
    emulator.script("GetMessage", ScriptedResponse(status=503))
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    with pytest.raises(NotFoundError):
        await client.messages.get(message_id="nope")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("attempt" in m and "/messages/nope" in m for m in messages) == 2
    assert any(re.search(r"retry 1 in \d+\.\d{3}s \(.*HTTP 503", m) for m in messages), messages
    assert any("'Authorization': '<redacted>'" in m for m in messages)
    assert not any("Bearer " in m for m in messages)


def test_a_refused_connection_is_a_failure_before_sending() -> None:
    """Connecting failed: nothing went out, so even a POST may be retried."""
    key = ConnectionKey("api.example", 443, True, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, OSError(111, "Connection refused"))
    failure, error = attempt_failure(refused, "POST", "/v1/x")
    assert failure is Failure.NOT_SENT
    assert error.__cause__ is refused


def test_a_connection_lost_mid_exchange_may_have_been_processed() -> None:
    """A broken connection after sending counts as sent (a POST is not repeated)."""
    lost = aiohttp.ServerDisconnectedError()
    failure, error = attempt_failure(lost, "POST", "/v1/x")
    assert failure is Failure.BROKEN
    assert "ServerDisconnectedError" in str(error)


def test_a_url_aiohttp_refuses_is_final() -> None:
    """An invalid URL is not retried."""
    failure, _ = attempt_failure(aiohttp.InvalidURL("bad"), "GET", "/v1/x")
    assert failure is None
