"""The transport at its edges, over loopback (issue 11, part 2): closing while calls are in
flight, closed borrowed sessions, answers too large to read, credentials in exception
causes, redirects, unusable tokens, and closing from the wrong event loop.

Servers are real: ``aiohttp.web`` apps, or raw ``asyncio`` servers where an answer must be
malformed or never come. Every wait is bounded, so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import struct
import time
import tracemalloc
import types
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from conversation_async import (
    BadRequestError,
    ClientStateError,
    ConversationClient,
    RequestTimeoutError,
    TokenError,
    TransportError,
)
from conversation_async._config import DEFAULT_MAX_RESPONSE_SIZE
from conversation_async._errors import MAX_ERROR_BODY, RedirectError, ResponseTooLargeError
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
CLIENT_ID = "edge-client"
CLIENT_SECRET = "Edge-s3cret-9f8e7d6c"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
SENT = {"message_id": "m-1", "accepted_time": "2024-01-01T00:00:00Z"}
SENT_JSON = json.dumps(SENT).encode()


def padded_answer(size: int) -> bytes:
    """A valid send answer of ``size`` bytes: whitespace, then the JSON object. Read to the
    end, it would be accepted as sent."""
    return b" " * (size - len(SENT_JSON)) + SENT_JSON


MALFORMED = b"HTTP/1.1 abc NOT-A-STATUS\r\nContent-Length: 0\r\n\r\n"
BOUND = 5.0
"""Seconds any awaited call may take before the test fails (instead of hanging)."""

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def send(client: ConversationClient) -> str:
    response = await asyncio.wait_for(
        client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi")),
        BOUND,
    )
    return response.message_id


def basic_client(base_url: str, **overrides: Any) -> ConversationClient:
    """A client with ``auth="basic"`` (no token endpoint) and no retries, for ``base_url``."""
    overrides.setdefault("max_retries", 0)
    return ConversationClient(
        "p", CLIENT_ID, CLIENT_SECRET, conversation_url=base_url, auth="basic", **overrides
    )


async def until(condition: Callable[[], bool]) -> None:
    """Return once ``condition()`` holds (polled every 10 ms); fail after BOUND seconds."""
    for _ in range(int(BOUND / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


@contextlib.asynccontextmanager
async def raw_server(handle: Handler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1 running ``handle`` for each connection; yields its
    base URL. On exit every connection is closed and every handler has finished."""
    writers: set[asyncio.StreamWriter] = set()
    tasks: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        writers.add(writer)
        try:
            await handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        if tasks:
            await asyncio.wait(tasks, timeout=BOUND)
        await server.wait_closed()


def answer_with(raw: bytes, requests: list[bytes]) -> Handler:
    """A raw handler that records each request's head, then answers ``raw`` and hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(raw)
        await writer.drain()

    return handle


@contextlib.asynccontextmanager
async def web_server(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """An ``aiohttp.web`` app answering every path with ``handler``; yields its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with TestServer(app) as server:
        yield f"http://127.0.0.1:{server.port}"


# --- 3: a call's deadline holds after aclose(), with a borrowed session -----------------


async def test_a_call_in_flight_keeps_its_deadline_when_a_borrowing_client_closes() -> None:
    """aclose() while a call waits on a server that never answers: the call still ends at
    its timeout (the deadline timer is not switched off), it does not hang."""
    arrived = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrived.set()
        await reader.read()  # until the client hangs up

    async with raw_server(never_answer) as url, aiohttp.ClientSession() as session:
        client = basic_client(url, session=session, timeout=0.5, deadline=1.0)
        started = time.monotonic()
        call = asyncio.create_task(send(client))
        await asyncio.wait_for(arrived.wait(), BOUND)
        await client.aclose()
        with pytest.raises((RequestTimeoutError, ClientStateError)):
            await call
        assert time.monotonic() - started < 1.0 + 0.5


async def test_a_call_still_waiting_for_a_connection_when_the_client_closes_sends_nothing() -> None:
    """With one connection, a second send queues behind the first; aclose() meanwhile: the
    queued send fails with ClientStateError once the connection frees, and never goes out
    (the borrowed session is still open, so nothing else would stop it)."""
    paths: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        paths.append(request.path)
        await request.read()
        await asyncio.sleep(0.2)
        return web.json_response(SENT)

    async with web_server(slow) as url, aiohttp.ClientSession() as session:
        client = basic_client(url, session=session, connection_limit=1)
        first = asyncio.create_task(send(client))
        queued = asyncio.create_task(send(client))
        await until(lambda: len(paths) == 1)
        await client.aclose()
        assert await first == "m-1"  # in flight: it keeps going to its answer
        with pytest.raises(ClientStateError, match="closed"):
            await queued
    assert len(paths) == 1


# --- 4: a closed borrowed session -------------------------------------------------------


async def test_a_borrowed_session_closed_before_the_first_call_raises_client_state_error(
    emulator: Emulator,
) -> None:
    """A session closed by its owner before any call: ClientStateError, not RuntimeError."""
    session = aiohttp.ClientSession()
    await session.close()
    async with emulator.client(session=session) as client:
        with pytest.raises(ClientStateError, match="session"):
            await send(client)
    assert emulator.requests_seen["SendMessage"] == 0


async def test_a_borrowed_session_closed_between_calls_raises_client_state_error(
    emulator: Emulator,
) -> None:
    """A session closed by its owner after a successful call: the next call raises
    ClientStateError, not RuntimeError."""
    session = aiohttp.ClientSession()
    async with emulator.client(session=session) as client:
        await send(client)
        await session.close()
        with pytest.raises(ClientStateError, match="session"):
            await send(client)
    assert emulator.requests_seen["SendMessage"] == 1


async def test_a_borrowed_session_that_raises_for_status_still_gives_the_api_error() -> None:
    """A session lent with raise_for_status=True: a 400 is still read as the API's answer
    (BadRequestError with its envelope), not turned into a broken connection."""
    envelope = {"error": {"code": 400, "message": "bad recipient", "status": "INVALID_ARGUMENT"}}

    async def refuse(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(envelope, status=400)

    async with (
        web_server(refuse) as url,
        aiohttp.ClientSession(raise_for_status=True) as session,
        basic_client(url, session=session) as client,
    ):
        with pytest.raises(BadRequestError) as caught:
            await send(client)
    assert (caught.value.status, caught.value.api_status) == (400, "INVALID_ARGUMENT")
    assert caught.value.maybe_processed is False


# --- 5: max_response_size --------------------------------------------------------------


@pytest.mark.parametrize("limit", [1 << 20, None], ids=["1MiB", "default-8MiB"])
async def test_a_2xx_body_over_the_size_limit_raises_response_too_large(limit: int | None) -> None:
    """A 20 MB 200 answer (a valid send answer) is refused, not reported sent, and the send
    may have been processed (the API accepted it)."""
    big = padded_answer(20 << 20)

    async def huge(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=big, content_type="application/json")

    overrides = {} if limit is None else {"max_response_size": limit}
    async with web_server(huge) as url, basic_client(url, **overrides) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await send(client)
    error = caught.value
    assert (error.status, error.limit) == (200, limit or DEFAULT_MAX_RESPONSE_SIZE)
    assert error.maybe_processed is True
    assert error.body == b""


async def endless(request: web.Request) -> web.StreamResponse:
    """A 200 whose chunked body never ends (until the client hangs up)."""
    await request.read()
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    chunk = b" " * 65536
    with contextlib.suppress(ConnectionError):
        while True:
            await response.write(chunk)
            await asyncio.sleep(0)
    return response


async def test_an_endless_chunked_answer_is_cut_off_at_the_limit_long_before_the_timeout() -> None:
    """Reading stops once the default limit is passed: the call fails within 2 s, not at
    its 10 s timeout after gigabytes."""
    async with web_server(endless) as url, basic_client(url, timeout=10, deadline=20) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError) as caught:
            await send(client)
        assert time.monotonic() - started < 2.0
    assert caught.value.maybe_processed is True


@functools.cache
def gzip_bomb(mib: int) -> bytes:
    """A valid gzip stream of ``mib`` MiB of spaces then a send answer, about 1 KiB per MiB:
    identical blocks after full flushes, a final block with the JSON, the trailer."""
    block = b" " * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = tail.compress(SENT_JSON) + tail.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(SENT_JSON, crc)
    size = ((mib << 20) + len(SENT_JSON)) & 0xFFFFFFFF
    return first + again * (mib - 1) + last + struct.pack("<II", crc, size)


async def test_a_gzip_bomb_is_cut_off_on_its_decoded_size_with_bounded_memory() -> None:
    """1 MB of gzip expanding to 1 GiB (a valid send answer): the decoded size is what
    counts, memory stays near the limit while reading, and the error keeps nothing alive."""
    bomb = gzip_bomb(1024)
    assert len(bomb) < 2 << 20
    assert len(zlib.decompressobj(31).decompress(bomb, 1 << 20)) == 1 << 20  # it is gzip

    async def explode(request: web.Request) -> web.Response:
        await request.read()
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=bomb, headers=headers)

    async with web_server(explode) as url, basic_client(url) as client:
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            with pytest.raises(ResponseTooLargeError) as caught:
                await send(client)
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.limit == DEFAULT_MAX_RESPONSE_SIZE
    assert peak - before < 64 << 20, f"peak {(peak - before) >> 20} MiB while reading"
    assert kept - before < 4 << 20, f"{(kept - before) >> 20} MiB still held with the error"


async def test_an_error_answer_keeps_only_a_bounded_prefix_of_its_body() -> None:
    """A 1 MiB 400 body (under the size limit) is read, but the error keeps 64 KiB of it."""
    body = b"x" * (1 << 20)

    async def refuse(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=400, body=body, content_type="text/plain")

    async with web_server(refuse) as url, basic_client(url) as client:
        with pytest.raises(BadRequestError) as caught:
            await send(client)
    assert caught.value.body == body[:MAX_ERROR_BODY]
    assert caught.value.maybe_processed is False


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_connection_whose_answer_was_cut_off_is_not_reused(framing: str) -> None:
    """After an answer cut off at the limit, the next call gets a new connection (the
    unread rest of the body is not taken for its answer) and succeeds."""
    peers: list[int] = []

    async def first_too_big(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        if len(peers) > 1:
            await request.read()
            return web.json_response(SENT)
        if framing == "chunked":
            return await endless(request)
        await request.read()
        return web.Response(body=padded_answer(2 << 20), content_type="application/json")

    async with (
        web_server(first_too_big) as url,
        basic_client(url, max_response_size=1 << 20) as client,
    ):
        with pytest.raises(ResponseTooLargeError):
            await send(client)
        assert await send(client) == "m-1"
    assert len(peers) == 2
    assert peers[0] != peers[1]


# --- 6: no credential reachable from a raised error -------------------------------------

_ATOMS = (str, bytes, bytearray, int, float, complex, bool, type(None))
_OPAQUE = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.FrameType,
    types.TracebackType,
    types.CodeType,
)
"""Not searched: classes, modules and code; traceback frames are out of scope."""


def _children(obj: object) -> Iterator[tuple[str, object]]:
    if isinstance(obj, BaseException):
        yield ".__cause__", obj.__cause__
        yield ".__context__", obj.__context__
        yield ".args", obj.args
        yield ".__notes__", getattr(obj, "__notes__", None)
    if isinstance(obj, Mapping):
        for key, value in obj.items():  # a multidict's items() has every duplicate
            yield f"[key {key!r}]", key
            yield f"[{key!r}]", value
    elif isinstance(obj, tuple | list | set | frozenset | deque):
        for index, item in enumerate(obj):
            yield f"[{index}]", item
    for name, value in getattr(obj, "__dict__", {}).items():
        yield f".{name}", value
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                yield f".{name}", getattr(obj, name)


def reachable(root: BaseException, limit: int = 20_000) -> list[tuple[str, object]]:
    """Every object reachable from ``root`` by path: its cause, context, args, attributes
    and slots, and recursively the items of containers (tuples, NamedTuples, lists, dicts,
    multidicts, attrs objects)."""
    found: list[tuple[str, object]] = []
    seen: set[int] = set()
    todo: list[tuple[str, object]] = [("error", root)]
    while todo:
        path, obj = todo.pop()
        if obj is None or id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        assert len(seen) < limit, f"{path}: the error reaches over {limit} objects"
        found.append((path, obj))
        if not isinstance(obj, _ATOMS):
            todo.extend((path + step, child) for step, child in _children(obj))
    return found


def texts_of(obj: object) -> list[str]:
    """``repr(obj)``, and its text: a string, bytes as Latin-1, ``str()`` of an exception."""
    texts = [repr(obj)]
    if isinstance(obj, str):
        texts.append(obj)
    elif isinstance(obj, bytes | bytearray):
        texts.append(bytes(obj).decode("latin-1"))
    elif isinstance(obj, BaseException):
        texts.append(str(obj))
    return texts


def assert_nothing_reachable_holds(error: BaseException, *secrets: str) -> None:
    """No text reachable from ``error`` contains any of ``secrets``; and the walk did reach
    the request headers aiohttp keeps in its error, redacted (else it would prove nothing)."""
    found = reachable(error)
    leaks = [
        (secret, path)
        for path, obj in found
        for text in texts_of(obj)
        for secret in secrets
        if secret in text
    ]
    assert leaks == []
    infos = [obj for _, obj in found if isinstance(obj, aiohttp.RequestInfo)]
    assert infos, "the walk must reach the request aiohttp's error describes"
    assert all(info.headers["Authorization"] == "<redacted>" for info in infos)


def test_the_walk_finds_a_credential_left_in_an_unscrubbed_cause() -> None:
    """The search itself works: the Basic value in the request headers of a raw aiohttp
    error, kept as a cause, is found (in its attributes, args and repr)."""
    url = URL("http://127.0.0.1/v1")
    headers = CIMultiDictProxy(CIMultiDict({"Authorization": f"Basic {BASIC}"}))
    cause = aiohttp.ClientResponseError(aiohttp.RequestInfo(url, "POST", headers, url), ())
    error = TransportError("POST /v1: connection failed")
    error.__cause__ = cause
    paths = {path for path, obj in reachable(error) for text in texts_of(obj) if BASIC in text}
    assert {"error.__cause__", "error.__cause__.args", "error.__cause__.request_info"} <= paths


@pytest.mark.parametrize(
    "answer",
    [
        MALFORMED,
        b"HTTP/1.1 200 OK\r\nNot A Header Line\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    ],
    ids=["status-line", "header-line", "chunk-size"],
)
async def test_no_basic_credential_is_reachable_from_an_error_after_a_malformed_answer(
    answer: bytes,
) -> None:
    """A malformed answer to a call with auth="basic": aiohttp's error keeps the request
    headers; neither the secret nor the Basic value is reachable from the error."""
    requests: list[bytes] = []
    async with raw_server(answer_with(answer, requests)) as url, basic_client(url) as client:
        with pytest.raises(TransportError) as caught:
            await send(client)
    assert f"Basic {BASIC}".encode() in requests[0]  # it was sent, so it could leak
    assert_nothing_reachable_holds(caught.value, CLIENT_SECRET, BASIC)


async def test_no_credential_is_reachable_from_a_token_error_after_a_malformed_answer() -> None:
    """The token endpoint answers garbage: the TokenError (and its cause chain) holds neither
    the secret nor the Basic value of the token request."""
    requests: list[bytes] = []
    async with raw_server(answer_with(MALFORMED, requests)) as url:
        client = ConversationClient(
            "p", CLIENT_ID, CLIENT_SECRET, conversation_url=url, auth_url=f"{url}/oauth2/token"
        )
        async with client:
            with pytest.raises(TokenError) as caught:
                await send(client)
    assert requests
    assert all(f"Basic {BASIC}".encode() in head for head in requests)
    assert_nothing_reachable_holds(caught.value, CLIENT_SECRET, BASIC)


async def test_no_bearer_token_is_reachable_from_an_error_after_a_malformed_answer() -> None:
    """A call with a bearer token (from the emulator) to a host answering garbage: the
    token is not reachable from the error, nor are the client credentials."""
    requests: list[bytes] = []
    async with (
        Emulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as emulator,
        raw_server(answer_with(MALFORMED, requests)) as url,
    ):
        client = ConversationClient(
            emulator.project_id,
            CLIENT_ID,
            CLIENT_SECRET,
            conversation_url=url,
            auth_url=emulator.auth_url,
            max_retries=0,
        )
        async with client:
            with pytest.raises(TransportError) as caught:
                await send(client)
    [head] = requests
    [token] = [
        line.split(b"Bearer ", 1)[1].decode()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"authorization: bearer ")
    ]
    assert_nothing_reachable_holds(caught.value, token, CLIENT_SECRET, BASIC)


# --- 7: redirects are never followed ----------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_not_followed_and_raises_redirect_error(status: int) -> None:
    """A 3xx to another host: RedirectError with the status and Location; the other host
    gets nothing, and the send was not processed."""
    elsewhere: list[str] = []

    async def record(request: web.Request) -> web.Response:
        elsewhere.append(f"{request.method} {request.path}")
        return web.json_response({"message_id": "elsewhere"})

    async with web_server(record) as other:
        location = f"{other}/v1/projects/p/messages:send"

        async def redirect(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=status, headers={"Location": location})

        async with web_server(redirect) as url, basic_client(url) as client:
            with pytest.raises(RedirectError) as caught:
                await send(client)
    error = caught.value
    assert (error.status, error.location) == (status, location)
    assert error.maybe_processed is False
    assert elsewhere == []


# --- 8: unusable token answers ----------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"access_token": "abc\r\nX-Injected: 1", "expires_in": 3600},
        {"access_token": "abc def", "expires_in": 3600},
        {"access_token": "ok", "expires_in": 0},
        {"access_token": "ok", "expires_in": "3600"},
    ],
    ids=["crlf", "space", "zero-lifetime", "string-lifetime"],
)
async def test_an_unusable_token_answer_raises_token_error_and_is_not_cached(
    emulator: Emulator, answer: dict[str, Any]
) -> None:
    """The call raises TokenError (not aiohttp's ValueError), and the next call fetches a
    new token and succeeds: nothing unusable was cached."""
    emulator.script("Token", ScriptedResponse(body=answer))
    async with emulator.client(max_retries=0) as client:
        with pytest.raises(TokenError):
            await send(client)
        await send(client)
    assert emulator.token_requests == 2
    assert emulator.requests_seen["SendMessage"] == 1


# --- 12: aclose() from another event loop -----------------------------------------------


async def test_aclose_from_another_event_loop_raises_and_leaves_the_client_to_its_loop(
    emulator: Emulator,
) -> None:
    """aclose() run by another loop (in a thread) raises ClientStateError and closes
    nothing; the client keeps working, and aclose() in its own loop closes its session."""
    client = emulator.client()
    await send(client)
    session = client._transport._session
    assert session is not None

    def close_in_another_loop() -> Exception | None:
        try:
            asyncio.run(client.aclose())
        except Exception as exc:
            return exc
        return None

    error = await asyncio.wait_for(asyncio.to_thread(close_in_another_loop), BOUND)
    assert isinstance(error, ClientStateError)
    assert not client.closed
    assert not session.closed
    await send(client)
    await client.aclose()
    assert session.closed


# --- 2: aclose() while calls wait for the first token -----------------------------------


async def test_aclose_during_the_first_token_fetch_gives_every_waiting_call_client_state_error(
    emulator: Emulator,
) -> None:
    """50 sends wait for a slow first token; aclose() ends every one with ClientStateError
    (client closed), none with a CancelledError nobody asked for."""
    emulator.script("Token", ScriptedResponse(delay=10, passthrough=True))
    client = emulator.client()
    calls = [asyncio.create_task(send(client)) for _ in range(50)]
    await until(lambda: emulator.token_requests > 0)
    await client.aclose()
    outcomes = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), BOUND)
    assert [type(outcome) for outcome in outcomes] == [ClientStateError] * 50
    assert emulator.requests_seen["SendMessage"] == 0
