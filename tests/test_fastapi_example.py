"""examples/fastapi_app.py served by a real uvicorn on loopback, offline against the emulator:
``/notify`` sends and maps SDK errors, the receipts come back through ``/sinch/callback``,
and two workers sharing Redis refuse replays and skip each other's redeliveries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

import aiohttp
import pytest

from conversation_async import (
    BadRequestError,
    ConversationError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from conversation_async.callbacks import signature_headers
from tests.asgi_server import loopback_socket, serve_asgi, url_of
from tests.conftest import unused_port
from tests.examples_support import EXAMPLES, load_example
from tests.redis_support import RedisTest

SECRET = "fastapi-example-secret"


example = load_example("fastapi_app.py")


async def wait_for_statuses(
    session: aiohttp.ClientSession, base: str, message_id: str, final: str
) -> list[str]:
    """Poll ``/receipts/{message_id}`` until ``final`` shows up (10 s at most)."""
    async with asyncio.timeout(10):
        while True:
            async with session.get(f"{base}/receipts/{message_id}") as response:
                statuses: list[str] = (await response.json())["statuses"]
            if final in statuses:
                return statuses
            await asyncio.sleep(0.02)


async def test_notify_sends_and_the_receipts_come_back_through_the_callback_route() -> None:
    """Offline: /notify sends (400 for a bad request) and its signed receipts come back."""
    sock = loopback_socket()
    app = example.create_app(
        example.Settings(webhook_secret=SECRET, emulator=True, public_url=url_of(sock))
    )
    async with (
        serve_asgi(app, sock=sock) as base,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
    ):
        notify = {"identity": "+46700000001", "text": "hello"}
        async with session.post(base + "/notify", json=notify) as response:
            assert response.status == 200
            message_id = (await response.json())["message_id"]
        statuses = await wait_for_statuses(session, base, message_id, "DELIVERED")
        assert statuses == ["QUEUED_ON_CHANNEL", "DELIVERED"]

        async with session.post(base + "/notify", json={**notify, "identity": ""}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "BadRequestError"
        forged = b'{"message_delivery_report": {"message_id": "m", "status": "READ"}}'
        headers = {**signature_headers("guess", forged), "Content-Type": "application/json"}
        async with session.post(base + "/sinch/callback", data=forged, headers=headers) as response:
            assert response.status == 401
    receiver = app.state.receiver
    assert receiver.stats.accepted == 2
    assert receiver.stats.refused == {"signature": 1}


@pytest.mark.parametrize(
    ("error", "status", "headers"),
    [
        (BadRequestError(status=400, api_status="INVALID_ARGUMENT"), 400, {}),
        (RateLimitError(status=429, retry_after=2.5), 429, {"Retry-After": "3"}),
        (RateLimitError(status=429), 429, {"Retry-After": "1"}),
        (RequestTimeoutError("timed out"), 504, {}),
        (TransportError("connection refused"), 504, {}),
        (ServerError(status=503), 502, {}),
        (NotFoundError(status=404), 502, {}),
        (ConversationError("anything else"), 502, {}),
    ],
)
def test_sdk_errors_map_to_http_answers(
    error: ConversationError, status: int, headers: dict[str, str]
) -> None:
    """400 for the caller's mistake, 429 with Retry-After, 504 for no answer, else 502."""
    assert example.error_answer(error) == (status, headers)


def delivery(message_id: str) -> bytes:
    report = {"message_id": message_id, "status": "DELIVERED"}
    return json.dumps({"app_id": "a", "message_delivery_report": report}).encode()


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: Any) -> int:
    async with session.post(url, data=body, headers=headers) as response:
        return response.status


async def test_two_workers_sharing_redis_refuse_replays_and_skip_redeliveries(
    redis_test: RedisTest,
) -> None:
    """With REDIS_URL the second worker refuses a replay and skips the first's redelivery."""
    socks = [loopback_socket(), loopback_socket()]
    apps = [
        example.create_app(
            example.Settings(
                webhook_secret=SECRET,
                emulator=True,
                public_url=url_of(sock),
                redis_url=redis_test.url,
                redis_prefix=redis_test.prefix,
            )
        )
        for sock in socks
    ]
    body = delivery("shared-1")
    signed = {**signature_headers(SECRET, body), "Content-Type": "application/json"}
    async with (
        serve_asgi(apps[0], sock=socks[0]) as first,
        serve_asgi(apps[1], sock=socks[1]) as second,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
    ):
        assert await post(session, first + "/sinch/callback", body, signed) == 200
        assert await post(session, second + "/sinch/callback", body, signed) == 401
        resigned = {**signature_headers(SECRET, body), "Content-Type": "application/json"}
        assert await post(session, second + "/sinch/callback", body, resigned) == 200
        receipts = []
        for base in (first, second):
            async with session.get(base + "/receipts/shared-1") as response:
                receipts.append((await response.json())["statuses"])
    assert receipts == [["DELIVERED"], []]
    assert apps[1].state.receiver.stats.duplicates == 1


@pytest.mark.slow
async def test_the_documented_several_workers_command_serves_notify(
    redis_test: RedisTest,
) -> None:
    """The example's ``uvicorn --factory --workers 2`` command serves and stops on SIGTERM."""
    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "USE_EMULATOR": "1",
        "SINCH_WEBHOOK_SECRET": SECRET,  # every worker must share it
        "PUBLIC_URL": base,
        "REDIS_URL": redis_test.url,
        "REDIS_PREFIX": redis_test.prefix,
    }
    command = [
        sys.executable, "-m", "uvicorn", "fastapi_app:app_from_env", "--factory",
        "--app-dir", str(EXAMPLES), "--workers", "2",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    server = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with asyncio.timeout(30):
                while True:
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        async with session.get(base + "/receipts/none") as response:
                            if response.status == 200:
                                break
                    assert server.returncode is None, "uvicorn exited before serving"
                    await asyncio.sleep(0.1)
            notify = {"identity": "+46700000001", "text": "hello"}
            for _ in range(4):  # new connections: several workers answer
                async with session.post(
                    base + "/notify", json=notify, headers={"Connection": "close"}
                ) as response:
                    assert response.status == 200, await response.text()
        server.terminate()
        _out, errors = await asyncio.wait_for(server.communicate(), timeout=30)
        assert server.returncode == 0, errors.decode(errors="replace")
    finally:
        if server.returncode is None:
            server.kill()
            await asyncio.wait_for(server.wait(), timeout=10)
