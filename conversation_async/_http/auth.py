"""Credentials for each call: cached OAuth2 tokens, or a fixed Basic header.

Token policy (DESIGN.md "Token manager policy"): a token is cached with a monotonic deadline
and refreshed once ``expires_in - min(300 s, expires_in / 2)`` has passed. Until the hard
expiry, callers keep using the current token while one background task refreshes it.
Exactly one fetch runs at a time and callers await it through ``asyncio.shield``, so a
cancelled caller cannot cancel the fetch for the others. A 401 drops the token only if it is
still the cached one (compare-and-invalidate), so N concurrent 401s cause one fetch.

The HTTP call itself is injected: :class:`TokenEndpoint` builds the token request and reads
its answer, and is handed the function that sends it; this module does no I/O of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from .._core.call import Reported
from .._core.tokens import (
    AccessToken,
    BasicCredential,
    Credential,
    TokenState,
    basic_header,
    parse_token_answer,
    refresh_margin,
    token_state,
)
from .._errors import ApiError, ClientStateError, TokenError, token_error_from_response
from .response import RawResponse

__all__ = ["Authenticator", "BasicAuthenticator", "TokenEndpoint", "TokenManager"]

logger = logging.getLogger("conversation_async.auth")


class Authenticator(Protocol):
    """Gives each attempt its ``Authorization`` value; takes back ones the API refused."""

    def usable(self) -> Credential | None:
        """The credential to use now without waiting, or None if one must be fetched."""
        ...

    async def current(self) -> Credential: ...

    def invalidate(self, credential: Credential) -> bool:
        """Drop ``credential`` if it can be renewed; True when a replay may succeed."""
        ...

    async def aclose(self) -> None: ...


class BasicAuthenticator:
    """``auth="basic"``: the same header on every call, never a token request."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._credential = BasicCredential(basic_header(client_id, client_secret))

    def usable(self) -> Credential | None:
        return self._credential

    async def current(self) -> Credential:
        return self._credential

    def invalidate(self, credential: Credential) -> bool:
        return False

    async def aclose(self) -> None:
        return None

    def __repr__(self) -> str:
        return "BasicAuthenticator(<redacted>)"


TokenFetch = Callable[[], Awaitable[tuple[str, float]]]
"""Fetches a token from the endpoint; returns ``(access_token, expires_in)``."""


class Send(Protocol):
    """Sends one unauthenticated request through the client's session (with the token
    request's own retry policy) and returns its result as a value."""

    def __call__(
        self, method: str, url: str, *, body: bytes, headers: dict[str, str]
    ) -> Awaitable[Reported[RawResponse]]: ...


class TokenEndpoint:
    """The OAuth2 ``client_credentials`` request (a :data:`TokenFetch`), sent through the
    function it is handed: it never calls back into the transport."""

    def __init__(self, url: str, client_id: str, client_secret: str, send: Send) -> None:
        self._url = url
        self._send = send
        self._headers = {
            "Authorization": basic_header(client_id, client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }

    async def __call__(self) -> tuple[str, float]:
        """A new token; ``TokenError`` when the endpoint refuses, fails or answers nonsense."""
        result = await self._send("POST", self._url, body=_TOKEN_BODY, headers=dict(self._headers))
        error = result.error
        if isinstance(error, ApiError):
            raise token_error_from_response(error.status, error.body)
        if error is not None:
            raise TokenError(f"token request failed: {error}") from error
        assert result.value is not None  # noqa: S101 - no error means an answer
        return parse_token_answer(result.value.body)

    def __repr__(self) -> str:
        return f"TokenEndpoint({self._url!r}, <redacted>)"


_TOKEN_BODY = b"grant_type=client_credentials"


class TokenManager:
    """Caches one OAuth2 token and refreshes it ahead of expiry, single-flight."""

    def __init__(self, fetch: TokenFetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: AccessToken | None = None
        self._refresh: asyncio.Task[AccessToken] | None = None
        self._retry_refresh_at = 0.0
        self._closed = False
        self.fetch_count = 0
        """Token requests made so far (successful or not)."""

    def usable(self) -> Credential | None:
        """The cached token while valid (starting a background refresh once it is due)."""
        token = self._token
        now = self._clock()
        if token is not None and now < token.refresh_at:  # fresh: the hot path
            return token
        state = token_state(token, now)
        if state is TokenState.EXPIRED:
            return None
        if state is TokenState.STALE and now >= self._retry_refresh_at and not self._closed:
            self._start_refresh()
        return token

    async def current(self) -> Credential:
        """A usable token: the cached one, or a new one fetched once for all waiters.

        Each waiter gets its own ``TokenError`` (a copy of the fetch's, with the same cause:
        one exception raised in many tasks would gather their tracebacks), and
        ``ClientStateError`` when the client is closed while it waits.
        """
        token = self.usable()
        if token is not None:
            return token
        if self._closed:
            raise ClientStateError(_CLOSED)
        task = self._start_refresh()
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            waiter = asyncio.current_task()
            if self._closed and task.cancelled() and waiter is not None and not waiter.cancelling():
                raise ClientStateError(_CLOSED) from None
            raise
        except TokenError as shared:
            own = TokenError(
                str(shared),
                status=shared.status,
                error=shared.error,
                error_description=shared.error_description,
            )
            raise own from shared.__cause__
        except ClientStateError:  # the client closed as the fetch began: each its own error
            raise ClientStateError(_CLOSED) from None

    def invalidate(self, credential: Credential) -> bool:
        """Drop ``credential`` if it is still the cached token; a replay may then succeed."""
        if credential is self._token:
            self._token = None
            logger.debug("access token rejected by the API; dropped")
        return isinstance(credential, AccessToken)

    async def aclose(self) -> None:
        """Cancel a refresh in flight; callers waiting for it get ``ClientStateError``."""
        self._closed = True
        task, self._refresh = self._refresh, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._token = None

    def _start_refresh(self) -> asyncio.Task[AccessToken]:
        task = self._refresh
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._do_refresh())
            task.add_done_callback(_consume_exception)
            self._refresh = task
        return task

    async def _do_refresh(self) -> AccessToken:
        started = self._clock()
        self.fetch_count += 1
        try:
            value, expires_in = await self._fetch()
        except TokenError as exc:
            margin = refresh_margin(self._token.expires_in) if self._token else 0.0
            self._retry_refresh_at = self._clock() + min(5.0, margin / 4)
            logger.debug("token refresh failed: %s", exc)
            raise
        token = AccessToken(value=value, obtained_at=started, expires_in=expires_in)
        self._token = token
        logger.debug("fetched access token, expires in %gs", expires_in)
        return token

    def __repr__(self) -> str:
        state = token_state(self._token, self._clock()).value
        return f"TokenManager(token={state}, fetches={self.fetch_count})"


_CLOSED = "this ConversationClient was closed while the call waited for an access token"


def _consume_exception(task: asyncio.Task[AccessToken]) -> None:
    """Background refreshes may fail with nobody awaiting; mark the error as seen."""
    if not task.cancelled():
        task.exception()
