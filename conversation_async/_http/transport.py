"""The only module that talks to aiohttp's client: one session, auth headers, JSON, retries.

Every call runs under one overall deadline (``ClientConfig.deadline``). An attempt first takes
a token from the client's shared rate limiter (:mod:`.ratelimit`; a 429 lowers its rate),
then one of ``connection_limit`` slots, so it never queues inside aiohttp's pool; only then
does its own timeout (``ClientConfig.timeout``) start. Retries follow :mod:`.retry`. A 401
whose ``WWW-Authenticate`` says ``expired`` drops the token (if still cached) and replays
the request once. Token requests bypass the slots (one spare pooled connection is reserved
for them), so callers waiting for a token can never starve the refresh.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import platform
import ssl
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import attrs
from yarl import URL

from .. import _jsoncodec
from .._core.retry import Failure, RetryBudget, RetryPolicy, decide_retry, parse_retry_after
from .._core.tokens import AccessToken, basic_header
from .._version import __version__
from ..config import AuthMethod, ClientConfig
from ..errors import (
    ApiError,
    ClientStateError,
    ConfigurationError,
    ConversationError,
    InvalidResponseError,
    RequestTimeoutError,
    TokenError,
    TransportError,
    api_error_from_response,
)
from .auth import Authenticator, BasicAuthenticator, TokenManager
from .deadlines import Deadlines
from .ratelimit import RateLimiter
from .slots import Slots

__all__ = [
    "CallReport",
    "RawResponse",
    "Transport",
    "attempt_failure",
    "call_report",
    "decode_json",
]

logger = logging.getLogger("conversation_async.transport")

USER_AGENT = " ".join(
    (
        f"conversation-async/{__version__}",
        f"python/{platform.python_version()}",
        f"aiohttp/{aiohttp.__version__}",
    )
)
_NO_AIOHTTP_TIMEOUT = aiohttp.ClientTimeout(total=None)
_TOKEN_RETRY = RetryPolicy(max_retries=1)
"""Token fetches retry once: callers without a token should learn of an outage quickly."""
_TOKEN_BODY = b"grant_type=client_credentials"


@attrs.frozen
class RawResponse:
    """A finished HTTP exchange: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@attrs.define
class CallReport:
    """What happened during one call, for callers that set :data:`call_report` first.

    ``possible_duplicate`` is True when an earlier attempt of the call may have been
    processed (a retried timeout, broken connection or 5xx), which only happens for POSTs
    with ``retry_non_idempotent``: after a success the message may have been sent twice,
    after a failure it may have been sent anyway. Both fields are set however the call ends.
    """

    attempts: int = 0
    possible_duplicate: bool = False


call_report: contextvars.ContextVar[CallReport | None] = contextvars.ContextVar(
    "conversation_async_call_report", default=None
)
"""Set it to a :class:`CallReport` around a call to learn how that call went."""


CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` for logs: credential-carrying values replaced by ``<redacted>``."""
    return {
        name: "<redacted>" if name.lower() in CREDENTIAL_HEADERS else value
        for name, value in headers.items()
    }


def encode_json(payload: Any) -> bytes:
    return _jsoncodec.dumps(payload)


class Transport:
    """Sends requests for one client: lazily opens (or borrows) the session, inside the loop."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ConfigurationError(
                "ssl_context must be an ssl.SSLContext (certificate checks cannot be turned off)"
            )
        self._config = config
        self._borrowed = session
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: Slots | None = None
        self._deadlines: Deadlines | None = None
        self._auth: Authenticator | None = None
        self._closed = False
        self.rate_limiter = RateLimiter(config.rate_limit)
        """The client-wide request rate, shared by every call (see :mod:`.ratelimit`)."""
        self._budget = RetryBudget.from_policy(config.retry)
        self._base_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def authenticator(self) -> Authenticator | None:
        """The credential source, once the first call has opened the transport."""
        return self._auth

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Any = None,
    ) -> Coroutine[Any, Any, RawResponse]:
        """An authenticated API request with ``payload`` as its JSON body, with retries; await
        it for the successful answer (:func:`decode_json` reads its body).

        The payload is encoded at once, so it is not kept alive (and scanned by the garbage
        collector) while the request is in flight. Awaiting raises the matching
        :mod:`~conversation_async.errors` exception for an error answer.
        """
        session = self._open()
        headers = dict(self._base_headers)
        body = None
        if payload is not None:
            body = encode_json(payload)
            headers["Content-Type"] = "application/json"
        return self._exchange(
            session, method, url, params=params, body=body, headers=headers, authorize=True
        )

    async def aclose(self) -> None:
        """Close what this transport owns (never a borrowed session); idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._auth is not None:
            await self._auth.aclose()
        if self._deadlines is not None:
            self._deadlines.close()
        if self._session is not None and self._borrowed is None:
            await self._session.close()
        self._session = None

    # --- lifecycle --------------------------------------------------------------------

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientStateError("this ConversationClient is closed; create a new one")
        loop = asyncio.get_running_loop()
        if self._session is not None:
            if loop is not self._loop:
                raise ClientStateError(
                    "this ConversationClient is bound to another event loop; "
                    "create one client per event loop"
                )
            return self._session
        self._loop = loop
        limit = self._config.connection_limit
        if self._borrowed is not None:
            session = self._borrowed
            connector = session.connector
            for pool_limit in (connector.limit, connector.limit_per_host) if connector else ():
                if pool_limit:
                    limit = min(limit, pool_limit)
        else:
            connector = aiohttp.TCPConnector(limit=limit + 1, ssl=self._ssl)
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=_NO_AIOHTTP_TIMEOUT,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        self._slots = Slots(limit)
        self._deadlines = Deadlines(loop)
        self._auth = self._make_authenticator()
        self._session = session
        return session

    def _make_authenticator(self) -> Authenticator:
        config = self._config
        if config.auth is AuthMethod.BASIC:
            return BasicAuthenticator(config.client_id, config.client_secret)
        return TokenManager(self._fetch_token)

    # --- token endpoint ---------------------------------------------------------------

    async def _fetch_token(self) -> tuple[str, float]:
        """POST client_credentials to the token URL; ``(access_token, expires_in)``."""
        config = self._config
        session = self._open()
        headers = {
            **self._base_headers,
            "Authorization": basic_header(config.client_id, config.client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            response = await self._exchange(
                session,
                "POST",
                config.token_url,
                body=_TOKEN_BODY,
                headers=headers,
                authorize=False,
                policy=_TOKEN_RETRY,
                repeatable=True,
            )
        except ApiError as exc:
            raise _token_error(exc.http_status, exc.body) from None
        except (TransportError, RequestTimeoutError) as exc:
            raise TokenError(f"token request failed: {exc}") from exc
        data = _decode_or_none(response.body)
        token = data.get("access_token") if isinstance(data, dict) else None
        expires_in = data.get("expires_in", 3600) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenError("token endpoint answered without an access_token", status=200)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise TokenError("token endpoint answered with an invalid expires_in", status=200)
        if expires_in <= 0:
            raise TokenError("token endpoint answered with a non-positive expires_in", status=200)
        return token, float(expires_in)

    # --- the attempt loop -------------------------------------------------------------

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None,
        headers: dict[str, str],
        authorize: bool,
        policy: RetryPolicy | None = None,
        repeatable: bool = False,
    ) -> RawResponse:
        """Attempts until success, a final error, or the deadline. Token fetches skip the slots."""
        config = self._config
        policy = policy or config.retry
        retry_method = "GET" if repeatable else method
        loop = asyncio.get_running_loop()
        deadline = loop.time() + config.deadline
        target = URL(url)
        slots = self._slots if authorize else None
        limiter = self.rate_limiter if authorize else None
        auth = self._auth if authorize else None
        budget = self._budget if authorize else None
        if budget is not None:
            budget.record_call(loop.time())
        debug = logger.isEnabledFor(logging.DEBUG)
        retries = 0
        replayed = False
        maybe_sent = False
        duplicate_risk = False
        report = call_report.get() if authorize else None
        deadlines = self._deadlines
        assert deadlines is not None  # noqa: S101 - set by _open, which the caller ran
        while True:
            in_attempt = False
            throttled = False
            error: ConversationError
            # Take a rate token, a connection slot and a credential without waiting when we
            # can: then one deadline serves the attempt. Whatever must be waited for is waited
            # for under the call's deadline only, and the attempt's own timeout starts after.
            now = loop.time()
            rate_wait = limiter is not None and not limiter.try_acquire()
            holding = slots is None or (not rate_wait and slots.try_acquire())
            credential = auth.usable() if auth is not None and holding else None
            ready = not rate_wait and holding and (auth is None or credential is not None)
            scope = deadlines.scope(min(deadline, now + config.timeout) if ready else deadline)
            try:
                with scope:
                    if not ready:
                        if rate_wait:
                            assert limiter is not None  # noqa: S101 - waiting means a limiter
                            await limiter.acquire()
                        if not holding:
                            assert slots is not None  # noqa: S101 - not holding means slots
                            await slots.acquire()
                            holding = True
                        if auth is not None and credential is None:
                            credential = auth.usable() or await auth.current()
                        attempt_ends = loop.time() + config.timeout
                        if attempt_ends < deadline:
                            scope.reschedule(attempt_ends)
                    if credential is not None:
                        headers["Authorization"] = credential.header
                    if debug:
                        logger.debug(
                            "%s %s attempt %d headers=%s",
                            method,
                            target.path,
                            retries + 1,
                            redact_headers(headers),
                        )
                    in_attempt = True
                    async with session.request(
                        method,
                        target,
                        params=params,
                        data=body,
                        headers=headers,
                        timeout=_NO_AIOHTTP_TIMEOUT,
                        ssl=self._ssl,
                    ) as resp:
                        response = RawResponse(resp.status, resp.headers, await resp.read())
            except aiohttp.ClientError as exc:
                failure, failed = attempt_failure(exc, method, target.path)
                if failure is None:
                    raise _final(failed, report, retries + 1, duplicate_risk) from exc
                maybe_sent = maybe_sent or failed.request_sent
                error = failed
                decision = decide_retry(
                    policy, method=retry_method, retries_done=retries, failure=failure
                )
            except ConversationError as exc:  # no token: final
                _final(exc, report, retries + 1, duplicate_risk)
                raise
            except TimeoutError:
                if scope.when >= deadline:
                    late = RequestTimeoutError(
                        f"{method} {target.path}: deadline of {config.deadline:g}s passed",
                        request_sent=maybe_sent or in_attempt,
                    )
                    raise _final(late, report, retries + 1, duplicate_risk) from None
                maybe_sent = True
                error = RequestTimeoutError(
                    f"{method} {target.path}: no answer within {config.timeout:g}s",
                    request_sent=True,
                )
                decision = decide_retry(
                    policy, method=retry_method, retries_done=retries, failure=Failure.TIMEOUT
                )
            else:
                maybe_sent = True
                status = response.status
                if limiter is not None and status != 429:
                    limiter.accepted()
                if debug:
                    logger.debug("%s %s -> %d", method, target.path, status)
                if status < 300:
                    _report(report, retries + 1, duplicate_risk)
                    return response
                if (
                    status == 401
                    and isinstance(credential, AccessToken)
                    and not replayed
                    and "expired" in response.headers.get("WWW-Authenticate", "").lower()
                ):
                    replayed = True
                    if self._auth is not None and self._auth.invalidate(credential):
                        logger.debug("%s %s: token expired, replaying once", method, target.path)
                        continue
                if status == 429 and limiter is not None:
                    throttled = True
                    limit = limiter.throttled()
                    logger.debug("%s %s: 429, client rate now %.0f/s", method, target.path, limit)
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), datetime.now(UTC)
                )
                error = api_error_from_response(
                    status, response.headers, response.body, retry_after=retry_after
                )
                decision = decide_retry(
                    policy,
                    method=retry_method,
                    retries_done=retries,
                    status=status,
                    retry_after=retry_after,
                )
            finally:
                if holding and slots is not None:
                    slots.release()
            if decision is None or loop.time() + decision.delay >= deadline:
                raise _final(error, report, retries + 1, duplicate_risk)
            # A 429's retry is paced by the shared limiter, so it spends no retry budget.
            if budget is not None and not throttled and not budget.try_spend(loop.time()):
                logger.debug("%s %s: not retried, client retry budget spent", method, target.path)
                raise _final(error, report, retries + 1, duplicate_risk)
            if decision.may_duplicate:
                duplicate_risk = True
            logger.debug(
                "%s %s: retry %d in %.3fs (%s)",
                method,
                target.path,
                retries + 1,
                decision.delay,
                decision.reason,
            )
            retries += 1
            await asyncio.sleep(decision.delay)


def attempt_failure(
    exc: aiohttp.ClientError, method: str, path: str
) -> tuple[Failure | None, TransportError]:
    """How an attempt that raised ``exc`` failed, for the retry policy (None: final), and the
    error to raise for it, caused by ``exc``."""
    failure: Failure | None
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerFingerprintMismatch):
        failure = Failure.NOT_SENT
        error = TransportError(f"{method} {path}: cannot connect: {exc}", request_sent=False)
    elif isinstance(exc, aiohttp.InvalidURL):
        failure = None
        error = TransportError(f"invalid URL {path!r}", request_sent=False)
    else:
        failure = Failure.BROKEN
        error = TransportError(
            f"{method} {path}: connection failed: {type(exc).__name__}", request_sent=True
        )
    error.__cause__ = exc
    return failure, error


_E = TypeVar("_E", bound=ConversationError)


def _report(report: CallReport | None, attempts: int, retried_unsafely: bool) -> None:
    if report is not None:
        report.attempts = attempts
        report.possible_duplicate = retried_unsafely


def _final(error: _E, report: CallReport | None, attempts: int, retried_unsafely: bool) -> _E:
    """``error`` as the call's outcome, reported, and marked when an earlier, retried
    attempt may have been processed."""
    _report(report, attempts, retried_unsafely)
    if retried_unsafely:
        error.earlier_attempt_processed = True
    return error


def decode_json(response: RawResponse) -> Any:
    """The decoded JSON body of a successful answer (None for an empty body)."""
    if not response.body:
        return None
    try:
        return _jsoncodec.loads(response.body)
    except ValueError:
        raise InvalidResponseError(
            f"HTTP {response.status} answer is not valid JSON",
            status=response.status,
            body=response.body,
        ) from None


def _decode_or_none(body: bytes) -> Any:
    try:
        return _jsoncodec.loads(body) if body else None
    except ValueError:
        return None


def _token_error(status: int, body: bytes) -> TokenError:
    data = _decode_or_none(body)
    fields = data if isinstance(data, dict) else {}
    error = fields.get("error") if isinstance(fields.get("error"), str) else None
    description = fields.get("error_description")
    description = description if isinstance(description, str) else None
    text = f"token endpoint answered HTTP {status}"
    if error:
        text += f" {error}"
    if description:
        text += f": {description}"
    return TokenError(text, status=status, error=error, error_description=description)
