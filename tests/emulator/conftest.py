"""Fixtures for the emulator suite: a started emulator and plain aiohttp clients of it."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from conversation_async.testing import Emulator, FaultMode, FaultPlan

from .callback_receiver import Receiver


def basic(client_id: str, client_secret: str) -> str:
    """An ``Authorization: Basic ...`` header value."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


URL_LINE = re.compile(r"listening on (?P<base>http://\S+) \(token URL (?P<auth>http://\S+)\)")


@dataclass
class Standalone:
    """A running ``python -m conversation_async.testing``: its process and its URL line."""

    process: asyncio.subprocess.Process
    urls: re.Match[str]


@asynccontextmanager
async def standalone(
    *flags: str, stop: signal.Signals = signal.SIGTERM
) -> AsyncIterator[Standalone]:
    """Run the CLI with ``flags`` on a free port until it has announced its URLs; on exit,
    send it ``stop`` and check it ended with status 0 and nothing on stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conversation_async.testing",
        "--port",
        "0",
        *flags,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        match = URL_LINE.search(first)
        assert match, first
        yield Standalone(process, match)
    finally:
        if process.returncode is None:
            process.send_signal(stop)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    assert stderr == b""


@dataclass
class Reply:
    """A decoded response: status, JSON body (or text if not JSON) and headers."""

    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    def violations(self) -> list[str]:
        """The field names of the envelope's field violations."""
        details = self.body["error"].get("details", [])
        return [v["field"] for d in details for v in d.get("field_violations", [])]


async def fetch(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    json_body: Any = None,
    data: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request; the body is decoded as JSON when possible."""
    async with http.request(
        method, url, json=json_body, data=data, params=params, headers=headers
    ) as response:
        text = await response.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return Reply(response.status, body, response.headers)


async def get_token(http: aiohttp.ClientSession, emu: Emulator) -> str:
    """An access token from the emulator's token endpoint."""
    reply = await fetch(
        http,
        "POST",
        emu.auth_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(emu.client_id, emu.client_secret)},
    )
    assert reply.status == 200, reply.body
    return str(reply.body["access_token"])


@dataclass
class Api:
    """One emulator's API, called with a valid bearer token (message routes by default)."""

    http: aiohttp.ClientSession
    emu: Emulator
    token: str

    def url(self, suffix: str = "") -> str:
        return f"{self.emu.base_url}/v1/projects/{self.emu.project_id}/messages{suffix}"

    async def call(
        self,
        method: str,
        suffix: str = "",
        *,
        json_body: Any = None,
        data: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return await fetch(
            self.http,
            method,
            self.url(suffix),
            json_body=json_body,
            data=data,
            params=params,
            headers=all_headers,
        )

    async def v1(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """A request to ``/v1/projects/{project_id}/{path}``."""
        return await self._project(
            method, f"v1/projects/{self.emu.project_id}/{path}", json_body, params
        )

    async def v2(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """A request to ``/v2/projects/{project_id}/{path}`` (Templates v2)."""
        return await self._project(
            method, f"v2/projects/{self.emu.project_id}/{path}", json_body, params
        )

    async def _project(
        self, method: str, path: str, json_body: Any, params: Mapping[str, str] | None
    ) -> Reply:
        return await fetch(
            self.http,
            method,
            f"{self.emu.base_url}/{path}",
            json_body=json_body,
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def ok(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """A v1 request that must answer 200; returns the decoded body."""
        reply = await self.v1(method, path, json_body=json_body, params=params)
        assert reply.status == 200, reply.body
        return reply.body

    async def pages(self, path: str, key: str, **params: str) -> list[list[Any]]:
        """Every page of a v1 listing (items under ``key``), following next_page_token."""
        pages: list[list[Any]] = []
        token = ""
        while True:
            query = {**params, "page_token": token} if token else params
            body = await self.ok("GET", path, params=query)
            pages.append(body[key])
            token = body["next_page_token"]
            if not token:
                return pages

    async def send(self, identity: str = "+46700000001", **extra: Any) -> str:
        """Send a text message to an SMS identity; returns the message ID."""
        reply = await self.call("POST", ":send", json_body=send_body(identity, **extra))
        assert reply.status == 200, reply.body
        return str(reply.body["message_id"])

    async def list(self, **params: str) -> Reply:
        return await self.call("GET", params=params)

    async def fetch_last(self, body: dict[str, Any]) -> Reply:
        return await self.call("POST", ":fetch-last-message", json_body=body)


def send_body(identity: str = "+46700000001", **extra: Any) -> dict[str, Any]:
    """A valid SendMessageRequest with a text message to an SMS identity."""
    body: dict[str, Any] = {
        "app_id": "app-1",
        "recipient": {
            "identified_by": {"channel_identities": [{"channel": "SMS", "identity": identity}]}
        },
        "message": {"text_message": {"text": "hello"}},
    }
    body.update(extra)
    return body


BATCH_RECIPIENT = {"identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+1"}]}}


def batch_body(count: int = 1, **extra: Any) -> dict[str, Any]:
    """A valid SendBatchRequest: ``count`` times the same recipient, ``hi ${name}``."""
    return {
        "app_id": "app",
        "message": {"text_message": {"text": "hi ${name}"}},
        "recipient_and_params": [{"recipient": BATCH_RECIPIENT, "parameters": {"name": "A"}}]
        * count,
        **extra,
    }


def contact_body(identity: str = "+46700000001", **extra: Any) -> dict[str, Any]:
    """A valid ContactCreateRequest with one SMS identity."""
    body: dict[str, Any] = {
        "channel_identities": [{"channel": "SMS", "identity": identity}],
        "language": "EN_US",
    }
    body.update(extra)
    return body


def app_body(**extra: Any) -> dict[str, Any]:
    """A valid AppCreateRequest with one SMS credential."""
    body: dict[str, Any] = {
        "display_name": "Test app",
        "channel_credentials": [
            {"channel": "SMS", "static_bearer": {"claimed_identity": "plan", "token": "t0k"}}
        ],
    }
    body.update(extra)
    return body


def bad_fields(reply: Reply) -> list[str]:
    """The violated field names of a 400 answer (asserting it is one)."""
    assert reply.status == 400, reply.body
    assert reply.body["error"]["status"] == "INVALID_ARGUMENT"
    return reply.violations()


def is_not_found(reply: Reply) -> bool:
    """Whether ``reply`` is a 404 NOT_FOUND envelope."""
    return reply.status == 404 and reply.body["error"]["status"] == "NOT_FOUND"


async def create_contact(api: Api, identity: str = "+46700000001", **extra: Any) -> str:
    """Create a contact; returns its ID."""
    return str((await api.ok("POST", "contacts", json_body=contact_body(identity, **extra)))["id"])


async def create_app(api: Api, **extra: Any) -> str:
    """Create an app; returns its ID."""
    return str((await api.ok("POST", "apps", json_body=app_body(**extra)))["id"])


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A started emulator with default settings."""
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def api(http: aiohttp.ClientSession, emu: Emulator) -> Api:
    """The message routes, authenticated with a freshly issued bearer token."""
    return Api(http, emu, await get_token(http, emu))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A started callback receiver on loopback, stopped after the test."""
    collector = Receiver()
    await collector.start()
    yield collector
    await collector.stop()


def fast_callbacks(emulator: Emulator) -> Emulator:
    """``emulator`` with millisecond callback delays and back-off, for a fast suite."""
    emulator.delivery_delay = 0.001
    emulator.callback_retry_base = 0.002
    emulator.callback_timeout = 1.0
    return emulator


def always(mode: FaultMode, **plan: Any) -> FaultPlan:
    """A plan failing every request in ``mode`` (``plan``: other FaultPlan fields)."""
    return FaultPlan(1.0, modes={mode: 1.0}, **plan)


@dataclass
class Raw:
    """An undecoded answer: status, headers and body bytes."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


async def raw_send(api: Api, body: dict[str, Any] | None = None, give_up_after: float = 5.0) -> Raw:
    """POST a send (``send_body()`` by default) and read the raw answer; errors (and a
    client timeout after ``give_up_after`` seconds) propagate."""
    async with api.http.post(
        api.url(":send"),
        json=body if body is not None else send_body(),
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=aiohttp.ClientTimeout(total=give_up_after),
    ) as response:
        return Raw(response.status, response.headers, await response.read())
