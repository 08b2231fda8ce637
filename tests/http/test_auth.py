"""Token caching, refresh timing, single flight and invalidation, without sockets."""

from __future__ import annotations

import asyncio
import logging

import pytest

from conversation_async._core.call import CallState, Reported
from conversation_async._core.retry import RetryPolicy
from conversation_async._core.tokens import (
    AccessToken,
    TokenState,
    basic_header,
    refresh_margin,
    token_state,
)
from conversation_async._errors import (
    ClientStateError,
    ConversationError,
    TokenError,
    TransportError,
    api_error_from_response,
)
from conversation_async._http.auth import BasicAuthenticator, TokenEndpoint, TokenManager
from conversation_async._http.response import RawResponse

_FORM = b"grant_type=client_credentials"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeEndpoint:
    """Hands out numbered tokens; can be slowed down or made to fail."""

    def __init__(self, expires_in: float = 3600) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.gate: asyncio.Event | None = None
        self.fail: TokenError | None = None

    async def fetch(self) -> tuple[str, float]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return f"token-{self.calls}", self.expires_in


def test_refresh_margin_is_half_the_lifetime_for_short_tokens() -> None:
    """A 2-second token is refreshed after 1 second."""
    assert refresh_margin(2) == 1


def test_refresh_margin_is_capped_at_five_minutes() -> None:
    """A one-hour token is refreshed five minutes before expiry."""
    assert refresh_margin(3600) == 300


def test_token_state_follows_refresh_and_expiry_times() -> None:
    """Fresh until refresh_at, stale until expires_at, then expired."""
    token = AccessToken(value="t", obtained_at=0.0, expires_in=3600)
    assert token_state(token, 0) is TokenState.FRESH
    assert token_state(token, 3299.9) is TokenState.FRESH
    assert token_state(token, 3300) is TokenState.STALE
    assert token_state(token, 3600) is TokenState.EXPIRED
    assert token_state(None, 0) is TokenState.EXPIRED


def test_token_repr_hides_the_value() -> None:
    """Logging a token never shows it."""
    token = AccessToken(value="very-secret-token", obtained_at=0, expires_in=60)
    assert "very-secret-token" not in repr(token)
    assert "very-secret-token" not in str(token)


def test_basic_header_encodes_id_and_secret() -> None:
    """Basic credentials are base64 of id:secret."""
    assert basic_header("user", "pass") == "Basic dXNlcjpwYXNz"


async def test_basic_authenticator_never_replays_and_hides_secret() -> None:
    """Basic auth has nothing to renew, and its repr shows no credential."""
    auth = BasicAuthenticator("user", "pass")
    credential = await auth.current()
    assert credential.header == "Basic dXNlcjpwYXNz"
    assert auth.invalidate(credential) is False
    assert "dXNlcjpwYXNz" not in repr(auth) + repr(credential)


async def test_concurrent_first_calls_share_one_fetch() -> None:
    """A thousand callers without a token cause exactly one token request."""
    endpoint = FakeEndpoint()
    endpoint.gate = asyncio.Event()
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    waiters = [asyncio.create_task(manager.current()) for _ in range(1000)]
    await asyncio.sleep(0)
    endpoint.gate.set()
    tokens = await asyncio.gather(*waiters)
    assert endpoint.calls == 1
    assert {t.header for t in tokens} == {"Bearer token-1"}


async def test_cached_token_is_reused_while_fresh() -> None:
    """No second fetch before the refresh time."""
    endpoint = FakeEndpoint(expires_in=3600)
    clock = FakeClock()
    manager = TokenManager(endpoint.fetch, clock=clock)
    first = await manager.current()
    clock.now += 3299
    assert await manager.current() is first
    assert endpoint.calls == 1


async def test_stale_token_is_served_while_one_background_refresh_runs() -> None:
    """In the refresh window callers keep going with the old token; one fetch starts."""
    endpoint = FakeEndpoint(expires_in=3600)
    clock = FakeClock()
    manager = TokenManager(endpoint.fetch, clock=clock)
    old = await manager.current()
    endpoint.gate = asyncio.Event()
    clock.now += 3400
    served = [await manager.current() for _ in range(50)]
    await asyncio.sleep(0)
    assert all(t is old for t in served)
    assert endpoint.calls == 2
    endpoint.gate.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    new = await manager.current()
    assert new.header == "Bearer token-2"
    assert endpoint.calls == 2
    await manager.aclose()


async def test_expired_token_makes_callers_wait_for_the_new_one() -> None:
    """Past the hard expiry, callers get the fresh token, never the expired one."""
    endpoint = FakeEndpoint(expires_in=60)
    clock = FakeClock()
    manager = TokenManager(endpoint.fetch, clock=clock)
    await manager.current()
    clock.now += 61
    token = await manager.current()
    assert token.header == "Bearer token-2"


async def test_cancelled_first_waiter_does_not_cancel_the_fetch_for_others() -> None:
    """The fetch is shielded: cancelling one caller leaves the others served."""
    endpoint = FakeEndpoint()
    endpoint.gate = asyncio.Event()
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    first = asyncio.create_task(manager.current())
    others = [asyncio.create_task(manager.current()) for _ in range(10)]
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    endpoint.gate.set()
    tokens = await asyncio.gather(*others)
    assert first.cancelled()
    assert {t.header for t in tokens} == {"Bearer token-1"}
    assert endpoint.calls == 1


async def test_invalidate_drops_only_the_cached_token() -> None:
    """Compare-and-invalidate: an old token's 401 does not discard a newer token."""
    endpoint = FakeEndpoint()
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    first = await manager.current()
    assert manager.invalidate(first) is True
    second = await manager.current()
    assert second.header == "Bearer token-2"
    assert manager.invalidate(first) is True  # replay may still succeed with token-2
    assert await manager.current() is second
    assert endpoint.calls == 2


async def test_many_401s_for_the_same_token_cause_one_fetch() -> None:
    """N callers rejected with the same token share one new token."""
    endpoint = FakeEndpoint()
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    first = await manager.current()
    for _ in range(20):
        manager.invalidate(first)
    tokens = await asyncio.gather(*(manager.current() for _ in range(20)))
    assert {t.header for t in tokens} == {"Bearer token-2"}
    assert endpoint.calls == 2


async def test_failed_fetch_raises_token_error_for_callers_without_a_token() -> None:
    """No usable token and the endpoint failing: callers get TokenError."""
    endpoint = FakeEndpoint()
    endpoint.fail = TokenError("down", status=503)
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    with pytest.raises(TokenError, match="down"):
        await manager.current()


async def test_failed_background_refresh_keeps_the_still_valid_token() -> None:
    """A refresh failure in the early window does not hurt callers with a valid token."""
    endpoint = FakeEndpoint(expires_in=3600)
    clock = FakeClock()
    manager = TokenManager(endpoint.fetch, clock=clock)
    old = await manager.current()
    endpoint.fail = TokenError("down", status=503)
    clock.now += 3400
    assert await manager.current() is old
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await manager.current() is old
    assert endpoint.calls == 2  # no refresh storm right after a failure


async def test_recovers_after_the_endpoint_returns() -> None:
    """Once the endpoint works again a new token is fetched without restarting."""
    endpoint = FakeEndpoint(expires_in=60)
    endpoint.fail = TokenError("down", status=503)
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    with pytest.raises(TokenError):
        await manager.current()
    endpoint.fail = None
    token = await manager.current()
    assert token.header.startswith("Bearer token-")


async def test_token_refreshes_and_failures_are_logged_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG each fetch and each failed refresh is logged; the token value never is."""
    caplog.set_level(logging.DEBUG, logger="conversation_async")
    endpoint = FakeEndpoint(expires_in=60)
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    await manager.current()
    manager.invalidate(await manager.current())
    endpoint.fail = TokenError("down", status=503)
    with pytest.raises(TokenError):
        await manager.current()
    messages = [r.getMessage() for r in caplog.records]
    assert any("fetched access token, expires in 60s" in m for m in messages), messages
    assert any("rejected by the API" in m for m in messages)
    assert any("token refresh failed: down" in m for m in messages)
    assert not any("token-1" in m for m in messages)


async def test_aclose_cancels_a_refresh_in_flight() -> None:
    """Closing does not leave a pending fetch task behind; its waiters learn the client
    was closed (ClientStateError), not a cancellation nobody asked for."""
    endpoint = FakeEndpoint()
    endpoint.gate = asyncio.Event()
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    waiters = [asyncio.create_task(manager.current()) for _ in range(50)]
    await asyncio.sleep(0)
    await manager.aclose()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(o, ClientStateError) for o in outcomes), outcomes
    assert manager._refresh is None
    with pytest.raises(ClientStateError):
        await manager.current()


class RecordingSend:
    """A send function for the token endpoint: records each request, answers as told."""

    def __init__(self, answer: Reported[RawResponse]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []

    async def __call__(
        self, method: str, url: str, *, body: bytes, headers: dict[str, str]
    ) -> Reported[RawResponse]:
        self.requests.append((method, url, body, headers))
        return self.answer


def _state() -> CallState:
    return CallState("POST", "/oauth2/token", policy=RetryPolicy(), now=0, timeout=1, deadline=1)


def _answer(status: int, body: bytes) -> Reported[RawResponse]:
    return Reported(RawResponse(status, {}, body), None, _state())


def _failure(error: ConversationError) -> Reported[RawResponse]:
    return Reported(None, error, _state())


async def test_the_token_endpoint_posts_client_credentials_through_the_send_it_is_given() -> None:
    """One form POST with Basic credentials, through the function handed in: the
    endpoint never calls back into the transport."""
    send = RecordingSend(_answer(200, b'{"access_token": "t-1", "expires_in": 60}'))
    endpoint = TokenEndpoint("https://auth.example/oauth2/token", "id", "secret", send)
    assert await endpoint() == ("t-1", 60.0)
    ((method, url, body, headers),) = send.requests
    assert (method, url, body) == ("POST", "https://auth.example/oauth2/token", _FORM)
    assert headers["Authorization"] == basic_header("id", "secret")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "secret" not in repr(endpoint)


async def test_the_token_endpoints_refusal_becomes_a_token_error_with_its_fields() -> None:
    """An error answer is read as OAuth2's {error, error_description}."""
    refusal = api_error_from_response(
        401, {}, b'{"error": "invalid_client", "error_description": "unknown key"}'
    )
    endpoint = TokenEndpoint("https://a/t", "id", "secret", RecordingSend(_failure(refusal)))
    with pytest.raises(TokenError) as caught:
        await endpoint()
    assert (caught.value.status, caught.value.error) == (401, "invalid_client")
    assert caught.value.error_description == "unknown key"


async def test_no_answer_from_the_token_endpoint_is_a_token_error_caused_by_it() -> None:
    """A transport failure keeps its cause; the status stays None."""
    down = TransportError("POST /oauth2/token: cannot connect")
    endpoint = TokenEndpoint("https://a/t", "id", "secret", RecordingSend(_failure(down)))
    with pytest.raises(TokenError) as caught:
        await endpoint()
    assert caught.value.status is None
    assert caught.value.__cause__ is down


async def test_each_waiter_gets_its_own_token_error() -> None:
    """Fifty callers waiting for one failed fetch each raise their own TokenError (one
    exception raised in many tasks would gather all their tracebacks)."""
    endpoint = FakeEndpoint()
    endpoint.gate = asyncio.Event()
    endpoint.fail = TokenError("refused", status=401, error="invalid_client")
    manager = TokenManager(endpoint.fetch, clock=FakeClock())
    waiters = [asyncio.create_task(manager.current()) for _ in range(50)]
    await asyncio.sleep(0)
    endpoint.gate.set()
    errors = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(e, TokenError) and e.error == "invalid_client" for e in errors)
    assert len({id(e) for e in errors}) == 50
    assert endpoint.calls == 1
