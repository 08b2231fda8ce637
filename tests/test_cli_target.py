"""Commands that send pick the real API or the emulator explicitly, never by accident."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from conversation_async._cli_target import EMULATOR, Target, choose_target
from conversation_async.testing import Emulator

CREDENTIALS = {
    "SINCH_PROJECT_ID": "project",
    "SINCH_CLIENT_ID": "key",
    "SINCH_CLIENT_SECRET": "s3cr3t-value",
}
ALL_THREE = "SINCH_PROJECT_ID, SINCH_CLIENT_ID and SINCH_CLIENT_SECRET"


def without(*names: str) -> dict[str, str]:
    """The three credentials minus ``names``."""
    return {k: v for k, v in CREDENTIALS.items() if k not in names}


@pytest.mark.parametrize(
    ("emulator", "environ", "expected"),
    [
        (True, {}, "emulator"),
        (True, CREDENTIALS, "emulator"),
        (True, without("SINCH_CLIENT_SECRET"), "emulator"),
        (False, CREDENTIALS, "real API"),
    ],
    ids=["emulator", "emulator-wins-over-credentials", "emulator-with-partial", "real-api"],
)
def test_emulator_flag_or_all_three_credentials_choose_the_target(
    emulator: bool, environ: dict[str, str], expected: str
) -> None:
    """--emulator always means the emulator; otherwise all three credentials mean the API."""
    target = choose_target("send", emulator=emulator, environ=environ)
    assert isinstance(target, Target)
    if expected == "emulator":
        assert target == EMULATOR
    else:
        assert target.config is not None
        assert (target.config.project_id, target.config.client_id) == ("project", "key")


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "SINCH_PROJECT_ID, SINCH_CLIENT_ID, SINCH_CLIENT_SECRET"),
        (without("SINCH_CLIENT_SECRET"), "SINCH_CLIENT_SECRET"),
        (
            {**without("SINCH_CLIENT_SECRET"), "SINCH_CLIENT_SECRETS": "typo"},
            "SINCH_CLIENT_SECRET",
        ),
        ({**CREDENTIALS, "SINCH_CLIENT_SECRET": "  "}, "SINCH_CLIENT_SECRET"),
        (without("SINCH_PROJECT_ID", "SINCH_CLIENT_ID"), "SINCH_PROJECT_ID, SINCH_CLIENT_ID"),
    ],
    ids=["none", "no-secret", "misspelt-secret", "blank-secret", "two-missing"],
)
def test_incomplete_credentials_without_emulator_name_each_missing_variable(
    environ: dict[str, str], missing: str
) -> None:
    """Without --emulator, incomplete credentials are a usage error naming what is missing."""
    message = choose_target("send-bulk", emulator=False, environ=environ)
    assert message == (
        f"send-bulk: the real API needs {ALL_THREE}; missing: {missing} "
        "(or pass --emulator to send to the embedded emulator)"
    )


def test_invalid_configuration_is_a_usage_error_without_the_secret() -> None:
    """A bad SINCH_REGION is reported up front, and the secret stays out of the message."""
    message = choose_target("send", emulator=False, environ={**CREDENTIALS, "SINCH_REGION": "ap"})
    assert isinstance(message, str)
    assert message.startswith("send: unknown region 'ap'")
    assert "s3cr3t-value" not in message


# --- the commands, as subprocesses -------------------------------------------------------


@asynccontextmanager
async def counting_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback HTTP server answering 500 to everything; yields its URL and the paths hit."""
    hits: list[str] = []

    async def count(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", count)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


def cli_env(**variables: str) -> dict[str, str]:
    """This process's environment without any SINCH_* variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    return {**env, **variables}


def api_env(base_url: str, auth_url: str, **credentials: str) -> dict[str, str]:
    """``credentials`` with the Conversation, Templates and token URLs pointing at a server."""
    return cli_env(
        SINCH_CONVERSATION_URL=base_url,
        SINCH_TEMPLATES_URL=base_url,
        SINCH_AUTH_URL=auth_url,
        **credentials,
    )


CLI_TIMEOUT = 60.0
"""Seconds a command may run before the test kills it."""


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``python -m conversation_async ARGS``: exit status, stdout and stderr (bounded)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conversation_async",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CLI_TIMEOUT):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def recipients(tmp_path: Path) -> Path:
    path = tmp_path / "recipients.csv"
    path.write_text("channel,identity\nSMS,+46700000001\nSMS,+46700000002\n", encoding="utf-8")
    return path


def command_line(command: str, csv: Path) -> list[str]:
    """A complete ``send`` or ``send-bulk`` command line, app id included."""
    if command == "send":
        return ["send", "--app-id", "X", "--channel", "SMS", "--identity", "+4611", "--text", "hi"]
    return ["send-bulk", "--csv", str(csv), "--app-id", "X", "--text", "hi"]


@pytest.mark.parametrize("command", ["send", "send-bulk"])
async def test_missing_secret_exits_2_naming_it_before_any_request(
    command: str, recipients: Path
) -> None:
    """With SINCH_CLIENT_SECRET unset and no --emulator: exit 2, it is named, nothing sent."""
    async with counting_server() as (url, hits):
        env = api_env(url, url + "/oauth2/token", **without("SINCH_CLIENT_SECRET"))
        status, out, err = await run_cli(*command_line(command, recipients), env=env)
    assert status == 2, err
    assert "missing: SINCH_CLIENT_SECRET (or pass --emulator" in err
    assert out == ""
    assert hits == []


@pytest.mark.parametrize("command", ["send", "send-bulk"])
async def test_real_api_without_app_id_exits_2_before_any_request(
    command: str, recipients: Path
) -> None:
    """With credentials but no --app-id: exit 2 naming --app-id, nothing sent."""
    args = [a for a in command_line(command, recipients) if a not in ("--app-id", "X")]
    async with counting_server() as (url, hits):
        status, _, err = await run_cli(
            *args, env=api_env(url, url + "/oauth2/token", **CREDENTIALS)
        )
    assert status == 2
    assert "--app-id is required with the real API" in err
    assert hits == []


async def test_send_bulk_with_emulator_flag_sends_to_the_emulator_despite_credentials(
    recipients: Path,
) -> None:
    """--emulator wins over a complete set of credentials: exit 0, the API is not called."""
    async with counting_server() as (url, hits):
        env = api_env(url, url + "/oauth2/token", **CREDENTIALS)
        status, out, err = await run_cli(
            "send-bulk", "--csv", str(recipients), "--text", "hi", "--emulator", env=env
        )
    assert status == 0, err
    assert "2 sent, 0 failed, 0 ambiguous" in out
    assert "embedded emulator at http://127.0.0.1:" in err
    assert hits == []


async def test_send_with_emulator_prints_the_message_id_or_json() -> None:
    """`send --emulator` prints the message id; with --json, message_id and accepted_time."""
    args = ["send", "--emulator", "--channel", "sms", "--identity", "+4611", "--text", "hi"]
    status, out, err = await run_cli(*args, env=cli_env())
    assert status == 0, err
    assert len(out.split()) == 1
    status, out, err = await run_cli(*args, "--json", env=cli_env())
    assert status == 0, err
    answer = json.loads(out)
    assert set(answer) == {"message_id", "accepted_time"}
    assert answer["accepted_time"].endswith("Z")


async def test_send_with_credentials_sends_one_message_to_the_configured_api(
    emulator: Emulator,
) -> None:
    """All three credentials: `send` reaches the configured API once and prints the id."""
    env = api_env(
        emulator.base_url,
        emulator.auth_url,
        SINCH_PROJECT_ID=emulator.project_id,
        SINCH_CLIENT_ID=emulator.client_id,
        SINCH_CLIENT_SECRET=emulator.client_secret,
    )
    status, out, err = await run_cli(*command_line("send", Path()), env=env)
    assert status == 0, err
    (stored,) = emulator.store.messages.values()
    assert out.strip() == stored.id
    assert stored.app_id == "X"
    assert f"Sinch API at {emulator.base_url}" in err


async def test_send_refused_by_the_api_exits_1_with_the_error_and_no_traceback(
    emulator: Emulator,
) -> None:
    """A wrong secret: exit 1, the error printed without a traceback or the secret."""
    env = api_env(
        emulator.base_url,
        emulator.auth_url,
        SINCH_PROJECT_ID=emulator.project_id,
        SINCH_CLIENT_ID=emulator.client_id,
        SINCH_CLIENT_SECRET="not-the-secret",
    )
    status, out, err = await run_cli(*command_line("send", Path()), env=env)
    assert status == 1
    assert "send: TokenError" in err
    assert "Traceback" not in err
    assert "not-the-secret" not in out + err
    assert emulator.requests_seen["SendMessage"] == 0
