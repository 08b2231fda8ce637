"""The HTTP driver: the only code that talks to aiohttp's client.

Each call gets a :class:`~conversation_async._core.call.CallState`, and each attempt runs
the same steps: a turn from the client's rate limiter, one of ``connection_limit``
connection slots (so nothing queues inside aiohttp's pool), a credential, then one request,
whose outcome goes to the call state; the driver does what the state answers (return,
replay with a fresh token, retry after a wait, or fail). Waiting for the turn, the slot or
the token counts against the call's deadline only; the attempt's own timeout starts once
all three are held. Token requests bypass the limiter and the slots (one spare pooled
connection is reserved for them), so callers waiting for a token never starve the refresh.

What the driver guarantees on every request: redirects are never followed; an error status
is an answer, even through a borrowed session with ``raise_for_status``; a certificate-
verifying SSL context goes with every request, the token request included, even through a
borrowed session; no answer is read past ``max_response_size``; nothing is sent once the
client is closed; and no error it raises holds a credential, in its message, its arguments
or its cause.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import platform
import ssl
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import _jsoncodec
from .._checked import as_object
from .._config import AuthMethod, ClientConfig
from .._core.call import Action, CallState, Reported
from .._core.retry import Failure, RetryBudget, RetryPolicy
from .._errors import (
    ClientStateError,
    ConfigurationError,
    ConversationError,
    InvalidResponseError,
    TransportError,
)
from .._version import __version__
from .auth import Authenticator, BasicAuthenticator, TokenEndpoint, TokenManager
from .deadlines import Deadlines
from .ratelimit import LocalRateLimiter, RateLimiter
from .response import RawResponse
from .slots import Slots
from .tracing import CallObserver, hook

__all__ = ["Transport", "attempt_failure", "redact_headers"]

logger = logging.getLogger("conversation_async.transport")

T = TypeVar("T")

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

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` for logs: credential-carrying values replaced by ``<redacted>``."""
    return {
        name: "<redacted>" if name.lower() in CREDENTIAL_HEADERS else value
        for name, value in headers.items()
    }


class Transport:
    """Sends requests for one client: lazily opens (or borrows) the session, inside the loop."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if ssl_context is not None and not isinstance(as_object(ssl_context), ssl.SSLContext):
            raise ConfigurationError(
                "ssl_context must be an ssl.SSLContext (certificate checks cannot be turned off)"
            )
        if ssl_context is not None and (
            ssl_context.verify_mode == ssl.CERT_NONE or not ssl_context.check_hostname
        ):
            raise ConfigurationError(
                "ssl_context must verify the server's certificate and host name "
                "(verify_mode=CERT_NONE and check_hostname=False are refused)"
            )
        self._config = config
        self._borrowed = session
        self._ssl = ssl_context or _default_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: Slots | None = None
        self._deadlines: Deadlines | None = None
        self._auth: Authenticator | None = None
        self._closed = False
        if rate_limiter is None:
            rate_limiter = LocalRateLimiter(config.rate_limit)
        elif config.rate_limit is not None:
            raise ConfigurationError(
                "pass either rate_limit= or rate_limiter=, not both "
                "(configure the rate of your own limiter where you create it)"
            )
        elif not isinstance(as_object(rate_limiter), RateLimiter):
            raise ConfigurationError(
                "rate_limiter must implement conversation_async.RateLimiter "
                "(limit, try_acquire, acquire, throttled, accepted)"
            )
        self.rate_limiter: RateLimiter = rate_limiter
        """The request rate shared by every call (see :mod:`.ratelimit`): the client's own,
        or one lent to it."""
        self._budget = RetryBudget.from_policy(config.retry)
        self._base_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._observe = hook()
        """OpenTelemetry's per-call hook (:mod:`.tracing`); None without opentelemetry."""

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def authenticator(self) -> Authenticator | None:
        """The credential source, once the first call has opened the transport."""
        return self._auth

    def request(
        self,
        method: str,
        url: str,
        *,
        decode: Callable[[RawResponse], T],
        params: Mapping[str, str] | None = None,
        payload: Any = None,
        config: ClientConfig | None = None,
    ) -> Coroutine[Any, Any, Reported[T]]:
        """An authenticated API call with ``payload`` as its JSON body; await it for its
        result as a value: the successful answer read by ``decode`` (which raises
        ``InvalidResponseError`` for an unreadable one), or the error to raise, and the report.

        ``config`` gives this call its timeout, deadline and retry policy (a
        ``with_options`` view's); without it, the transport's own apply. A ``bytes``
        payload is taken as JSON already encoded.

        The payload is encoded at once, so it is not kept alive (and scanned by the garbage
        collector) while the request is in flight. Misuse raises at once: a closed client,
        a closed borrowed session, another event loop.
        """
        session = self._open()
        headers = dict(self._base_headers)
        body = None
        if payload is not None:
            body = payload if isinstance(payload, bytes) else _jsoncodec.dumps(payload)
            headers["Content-Type"] = "application/json"
        config = self._config if config is None else config
        target = URL(url)
        assert self._loop is not None  # noqa: S101 - set by _open
        state = CallState(
            method,
            target.path,
            policy=config.retry,
            now=self._loop.time(),
            timeout=config.timeout,
            deadline=config.deadline,
            budget=self._budget,
            renewable=config.auth is AuthMethod.OAUTH,
        )
        return self._traced(state, session, target, params, body, headers, decode, True)

    async def aclose(self) -> None:
        """Close what this transport owns (never a borrowed session); idempotent.

        Must run in the event loop the client used. Calls still in flight keep their
        deadlines, and fail with ``ClientStateError`` instead of retrying.
        """
        if self._closed:
            return
        if self._loop is not None and asyncio.get_running_loop() is not self._loop:
            raise ClientStateError(
                "this ConversationClient was used in another event loop; "
                "close it in the loop that used it"
            )
        self._closed = True
        if self._auth is not None:
            await self._auth.aclose()
        if self._session is not None and self._borrowed is None:
            await self._session.close()
        self._session = None

    # --- lifecycle --------------------------------------------------------------------

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientStateError("this ConversationClient is closed; create a new one")
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None:
            if loop is not self._loop:
                raise ClientStateError(
                    "this ConversationClient is bound to another event loop; "
                    "create one client per event loop"
                )
            if self._borrowed is not None and session.closed:
                raise ClientStateError(_BORROWED_CLOSED)
            return session
        if self._borrowed is not None and self._borrowed.closed:
            raise ClientStateError(_BORROWED_CLOSED)
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
        endpoint = TokenEndpoint(
            config.auth_url, config.client_id, config.client_secret, self._send_token_request
        )
        return TokenManager(endpoint)

    def _send_token_request(
        self, method: str, url: str, *, body: bytes, headers: dict[str, str]
    ) -> Coroutine[Any, Any, Reported[RawResponse]]:
        """One unauthenticated request outside the limiter and slots, retried once."""
        session = self._open()
        target = URL(url)
        assert self._loop is not None  # noqa: S101 - set by _open
        state = CallState(
            method,
            target.path,
            policy=_TOKEN_RETRY,
            now=self._loop.time(),
            timeout=self._config.timeout,
            deadline=self._config.deadline,
            repeatable=True,
        )
        headers.update(self._base_headers)
        return self._traced(state, session, target, None, body, headers, None, False)

    def _traced(
        self,
        state: CallState,
        session: aiohttp.ClientSession,
        target: URL,
        params: Mapping[str, str] | None,
        body: bytes | None,
        headers: dict[str, str],
        decode: Callable[[RawResponse], T] | None,
        propagate: bool,
    ) -> Coroutine[Any, Any, Reported[Any]]:
        """The driver's coroutine, inside a call span when tracing (:mod:`.tracing`);
        otherwise the driver itself, with nothing allocated. ``propagate``: send the trace
        context (not to the token endpoint)."""
        observe = self._observe
        observer = None if observe is None else observe(state.method, target, propagate)
        run = self._run(session, state, target, params, body, headers, decode, observer)
        return run if observer is None else observer.traced(run)

    # --- the driver -------------------------------------------------------------------

    async def _run(
        self,
        session: aiohttp.ClientSession,
        state: CallState,
        target: URL,
        params: Mapping[str, str] | None,
        body: bytes | None,
        headers: dict[str, str],
        decode: Callable[[RawResponse], T] | None,
        observer: CallObserver | None,
    ) -> Reported[Any]:
        """Attempts until the call state says return or raise. With ``decode`` it is an API
        call, which takes a rate turn, a connection slot and a credential first, and whose
        answer ``decode`` reads; without, a token request, whose raw answer is returned."""
        loop = self._loop
        assert loop is not None  # noqa: S101 - set by _open, which the caller ran
        gated = decode is not None
        deadlines = self._deadlines
        assert deadlines is not None  # noqa: S101 - set by _open, which the caller ran
        slots = self._slots if gated else None
        limiter = self.rate_limiter if gated else None
        auth = self._auth if gated else None
        ssl_context = self._ssl
        limit = self._config.max_response_size
        method = state.method
        debug = logger.isEnabledFor(logging.DEBUG)
        call_id = next(_CALL_IDS)
        status = 0
        while True:
            if self._closed:
                state.stopped(ClientStateError(_CLOSED_DURING_CALL))
                break
            # Take a rate turn, a connection slot and a credential without waiting when we
            # can: then one deadline serves the attempt. Whatever must be waited for is waited
            # for under the call's deadline only, and the attempt's own timeout starts after.
            now = loop.time()
            turn = limiter is None or limiter.try_acquire()
            holding = slots is None or (turn and slots.try_acquire())
            credential = auth.usable() if auth is not None and holding else None
            ready = turn and holding and (auth is None or credential is not None)
            scope = deadlines.scope(state.attempt_deadline(now) if ready else state.deadline)
            sent = False
            status = 0
            answer: bytes | None = None
            try:
                with scope:
                    if not ready:
                        if not turn:
                            assert limiter is not None  # noqa: S101 - no turn means a limiter
                            await limiter.acquire()
                        if not holding:
                            assert slots is not None  # noqa: S101 - not holding means slots
                            await slots.acquire()
                            holding = True
                        if auth is not None and credential is None:
                            credential = auth.usable() or await auth.current()
                        if self._closed:  # closed while this call waited: send nothing
                            raise ClientStateError(_CLOSED_DURING_CALL)
                        attempt_ends = state.attempt_deadline(loop.time())
                        if attempt_ends < scope.when:
                            scope.reschedule(attempt_ends)
                    if credential is not None:
                        headers["Authorization"] = credential.header
                    if debug:
                        logger.debug(
                            "%s %s attempt %d headers=%s",
                            method,
                            state.path,
                            state.attempts + 1,
                            redact_headers(headers),
                            extra=_log_fields(call_id, state, attempt=state.attempts + 1),
                        )
                    if observer is not None:
                        observer.sending(headers, state)
                    sent = True
                    async with session.request(
                        method,
                        target,
                        params=params,
                        data=body,
                        headers=headers,
                        timeout=_NO_AIOHTTP_TIMEOUT,
                        ssl=ssl_context,
                        allow_redirects=False,
                        raise_for_status=False,
                    ) as resp:
                        status = resp.status
                        answer = await _read(resp, limit)
                        answer_headers = resp.headers
            except aiohttp.ClientError as exc:
                failure, error = attempt_failure(exc, method, state.path)
                if failure is None:
                    action = state.stopped(error)
                else:
                    action = state.failed(failure, error, loop.time())
            except TimeoutError:
                if not scope.expired:
                    raise
                action = state.timed_out(sent=sent, expired_at=scope.when, now=loop.time())
            except ConversationError as exc:  # no credential: the token endpoint failed
                action = state.stopped(exc)
            except RuntimeError:
                if not session.closed:
                    raise
                action = state.stopped(ClientStateError(_BORROWED_CLOSED))
            else:
                if answer is None:
                    action = state.too_large(status, limit)
                else:
                    if limiter is not None:
                        if status == 429:
                            rate = limiter.throttled()
                            logger.debug(
                                "%s %s: 429, client rate %s",
                                method,
                                state.path,
                                rate,
                                extra=_log_fields(call_id, state, status=status),
                            )
                        else:
                            limiter.accepted()
                    wall = datetime.now(UTC) if status >= 300 else None
                    action = state.answered(status, answer_headers, answer, loop.time(), wall)
                    if action is Action.RETURN:
                        response = RawResponse(status, answer_headers, answer)
                        if decode is None:
                            return Reported(response, None, state)
                        try:
                            return Reported(decode(response), None, state)
                        except InvalidResponseError as exc:
                            return Reported(None, state.unreadable(exc), state)
                    if debug:
                        logger.debug(
                            "%s %s -> %d",
                            method,
                            state.path,
                            status,
                            extra=_log_fields(call_id, state, status=status),
                        )
            finally:
                if holding and slots is not None:
                    slots.release()
                if observer is not None:
                    observer.ended(state, status)
            if action is Action.REPLAY:
                assert auth is not None  # noqa: S101 - only gated calls replay
                assert credential is not None  # noqa: S101 - a replay follows an answer
                auth.invalidate(credential)
                logger.debug(
                    "%s %s: token expired, replaying once",
                    method,
                    state.path,
                    extra=_log_fields(call_id, state, status=status),
                )
                continue
            if action is Action.RAISE:
                break
            logger.debug(
                "%s %s: retry %d in %.3fs (%s)",
                method,
                state.path,
                state.attempts,
                state.wait,
                state.reason,
                extra=_log_fields(call_id, state, status=status, wait=state.wait),
            )
            await asyncio.sleep(state.wait)
        if state.reason:
            logger.debug(
                "%s %s: %s",
                method,
                state.path,
                state.reason,
                extra=_log_fields(call_id, state, status=status),
            )
        return Reported(None, state.error, state)


_CALL_IDS = itertools.count(1)
"""Numbers the calls of the process, so the log records of one call can be told apart."""


def _log_fields(
    call_id: int, state: CallState, *, attempt: int = 0, status: int = 0, wait: float | None = None
) -> dict[str, Any]:
    """The structured fields (``extra=``) of a DEBUG record about a call: README "Logging".

    ``sinch_`` names cannot clash with ``LogRecord`` attributes; no header or body goes here.
    """
    return {
        "sinch_call": f"{state.method} {state.path}",
        "sinch_call_id": call_id,
        "sinch_attempt": attempt or state.attempts,
        "sinch_status": status or None,
        "sinch_wait": wait,
    }


_BORROWED_CLOSED = "the aiohttp session lent to this ConversationClient is closed"
_CLOSED_DURING_CALL = "this ConversationClient was closed during the call"


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The system trust store with hostname checks, built once per process (loading the
    store takes milliseconds); passed explicitly on every request, so a borrowed session's
    connector settings cannot turn verification off."""
    return ssl.create_default_context()


async def _read(resp: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The (decoded) body, or None once it passes ``limit`` bytes: reading stops there, and
    the connection is not reused."""
    length = resp.content_length
    if length is not None and "Content-Encoding" not in resp.headers:
        return await resp.read() if length <= limit else None
    size = 0
    chunks: list[bytes] = []
    while chunk := await resp.content.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def attempt_failure(
    exc: aiohttp.ClientError, method: str, path: str
) -> tuple[Failure | None, TransportError]:
    """How an attempt that raised ``exc`` failed (None: no retry can help), and the error to
    raise for it; its cause is ``exc`` with every credential taken out."""
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerFingerprintMismatch):
        failure = Failure.NOT_SENT
        error = TransportError(f"{method} {path}: cannot connect: {exc}")
    elif isinstance(exc, aiohttp.InvalidURL):
        failure = None
        error = TransportError(f"{method}: invalid URL {path!r}")
    else:
        failure = Failure.BROKEN
        error = TransportError(f"{method} {path}: connection failed: {type(exc).__name__}")
    error.__cause__ = scrub(exc)
    error.__suppress_context__ = True
    return failure, error


def scrub(exc: BaseException) -> BaseException:
    """``exc`` with the request headers (and proxy credentials) aiohttp keeps in its errors
    redacted, through its whole cause and context chain. Returns ``exc``."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        info = getattr(node, "request_info", None)
        if isinstance(info, aiohttp.RequestInfo):
            clean = _redacted_info(info)
            node.request_info = clean  # type: ignore[attr-defined]
            node.args = tuple(clean if arg is info else arg for arg in node.args)
        key = getattr(node, "_conn_key", None)
        if key is not None and getattr(key, "proxy_auth", None) is not None:
            clean_key = key._replace(proxy_auth=None)
            node._conn_key = clean_key  # type: ignore[attr-defined]
            node.args = tuple(clean_key if arg is key else arg for arg in node.args)
        todo.extend(e for e in (node.__cause__, node.__context__) if e is not None)
    return exc


def _redacted_info(info: aiohttp.RequestInfo) -> aiohttp.RequestInfo:
    headers = CIMultiDictProxy(CIMultiDict(redact_headers(info.headers)))
    replace = getattr(info, "_replace", None)
    if replace is not None:  # a NamedTuple in recent aiohttp
        return replace(headers=headers)  # type: ignore[no-any-return]
    return aiohttp.RequestInfo(info.url, info.method, headers, info.real_url)
