"""``python -m conversation_async.testing`` as a real subprocess."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest

from conversation_async.testing import Emulator

from .conftest import basic, fetch, standalone


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_standalone_server_issues_tokens_and_exits_cleanly(
    http: aiohttp.ClientSession, signum: signal.Signals
) -> None:
    """The CLI prints its URLs and credentials, serves tokens, and exits 0 on a signal."""
    flags = ("--client-id", "cli-id", "--client-secret", "cli-secret", "--latency-ms", "1")
    async with standalone(*flags, stop=signum) as server:
        assert server.process.stdout is not None
        second = (await asyncio.wait_for(server.process.stdout.readline(), 10)).decode()
        assert "client_id=cli-id" in second
        assert "client_secret=cli-secret" in second
        reply = await fetch(
            http,
            "POST",
            server.urls["auth"],
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic("cli-id", "cli-secret")},
        )
        assert reply.status == 200
        assert server.urls["auth"] == server.urls["base"] + "/oauth2/token"


async def test_standalone_server_reports_a_taken_port() -> None:
    """Starting on a port that is already in use prints an error and exits 1."""
    async with Emulator() as emu:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "conversation_async.testing",
            "--port",
            str(emu.port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 1
    assert b"cannot start the emulator" in stderr
