"""``python -m conversation_async emulator``: serving, and driving a running emulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conversation_async import ConversationClient
from conversation_async.callbacks import MessageInboundEvent
from conversation_async.models import (
    ChannelRecipientIdentity,
    IdentifiedRecipient,
    RecipientAndParam,
    TextMessage,
)
from conversation_async.testing import Emulator
from conversation_async.testing._control_cli import (
    ControlCall,
    build_parser,
    control_call,
    main,
    render,
)

from .conftest import unused_port
from .emulator.callback_receiver import Receiver

PROG = "python -m conversation_async emulator"
LISTENING = re.compile(r"listening on (\S+) ")
ECHO_BOT = Path(__file__).resolve().parents[1] / "examples" / "echo_bot.py"
STEP_TIMEOUT = 30.0
"""Seconds any one process may take to start, answer or stop."""


def parsed(*argv: str) -> ControlCall:
    """The control request a command line stands for."""
    return control_call(build_parser(PROG).parse_args(argv))


# -- pure: command lines and output ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            "inject-inbound --app-id A --channel SMS --identity +1 --text hi",
            ControlCall(
                "POST",
                "/_emulator/inbound",
                {"app_id": "A", "channel": "SMS", "identity": "+1", "text": "hi"},
            ),
        ),
        (
            "inject-inbound --app-id A --channel SMS --identity +1"
            ' --contact-message \'{"media_message": {"url": "https://x/y.png"}}\'',
            ControlCall(
                "POST",
                "/_emulator/inbound",
                {
                    "app_id": "A",
                    "channel": "SMS",
                    "identity": "+1",
                    "contact_message": {"media_message": {"url": "https://x/y.png"}},
                },
            ),
        ),
        ("ledger", ControlCall("GET", "/_emulator/ledger")),
        (
            "ledger --offset 10 --limit 5",
            ControlCall("GET", "/_emulator/ledger?offset=10&limit=5"),
        ),
        ("ledger --clear", ControlCall("DELETE", "/_emulator/ledger")),
        ("webhooks", ControlCall("GET", "/_emulator/webhooks")),
        (
            "webhooks --add http://h/cb --app-id A --trigger MESSAGE_INBOUND"
            " --trigger MESSAGE_DELIVERY --secret s",
            ControlCall(
                "POST",
                "/_emulator/webhooks",
                {
                    "app_id": "A",
                    "target": "http://h/cb",
                    "triggers": ["MESSAGE_INBOUND", "MESSAGE_DELIVERY"],
                    "secret": "s",
                },
            ),
        ),
        ("faults", ControlCall("GET", "/_emulator/faults")),
        (
            "faults --route SendMessage --rate 0.2",
            ControlCall("POST", "/_emulator/faults", {"route": "SendMessage", "rate": 0.2}),
        ),
        (
            "faults --route SendMessage --rate 1 --mode STATUS_503 --mode SLOW=2 --slow-seconds 5",
            ControlCall(
                "POST",
                "/_emulator/faults",
                {
                    "route": "SendMessage",
                    "rate": 1.0,
                    "modes": {"STATUS_503": 1.0, "SLOW": 2.0},
                    "slow_seconds": 5.0,
                },
            ),
        ),
        ("faults --clear", ControlCall("DELETE", "/_emulator/faults")),
        (
            "faults --clear --route SendMessage",
            ControlCall("DELETE", "/_emulator/faults?route=SendMessage"),
        ),
        ("rate-limit", ControlCall("GET", "/_emulator/rate-limit")),
        ("rate-limit 800", ControlCall("PUT", "/_emulator/rate-limit", {"rate_limit": 800.0})),
        ("rate-limit none", ControlCall("PUT", "/_emulator/rate-limit", {"rate_limit": None})),
        ("batch-settings", ControlCall("GET", "/_emulator/batch-settings")),
        (
            "batch-settings missing_parameter=reject processing_delay=0.5 enabled=false"
            " send_after_rounding=null 'cancel_metadata_shapes=[\"camel\"]'",
            ControlCall(
                "PATCH",
                "/_emulator/batch-settings",
                {
                    "missing_parameter": "reject",
                    "processing_delay": 0.5,
                    "enabled": False,
                    "send_after_rounding": None,
                    "cancel_metadata_shapes": ["camel"],
                },
            ),
        ),
        ("batch-settings --defaults", ControlCall("DELETE", "/_emulator/batch-settings")),
        ("clock", ControlCall("GET", "/_emulator/clock")),
        ("clock --advance 90", ControlCall("POST", "/_emulator/clock", {"advance": 90.0})),
        ("clock --advance 5m", ControlCall("POST", "/_emulator/clock", {"advance": 300.0})),
        ("clock --advance 2h", ControlCall("POST", "/_emulator/clock", {"advance": 7200.0})),
        (
            "clock --to 2030-01-02T00:00:00Z",
            ControlCall("POST", "/_emulator/clock", {"to": "2030-01-02T00:00:00Z"}),
        ),
    ],
)
def test_command_lines_become_control_api_requests(argv: str, expected: ControlCall) -> None:
    """Each sub-command is one request to the matching /_emulator/ endpoint."""
    assert parsed(*shlex.split(argv)) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["faults", "--rate", "0.2"],
        ["faults", "--route", "SendMessage"],
        ["faults", "--clear", "--rate", "0.2"],
        ["webhooks", "--add", "http://h/cb", "--app-id", "A"],
        ["webhooks", "--trigger", "MESSAGE_INBOUND"],
        ["batch-settings", "--defaults", "enabled=true"],
    ],
)
def test_incoherent_command_lines_are_refused_before_any_request(argv: list[str]) -> None:
    """Options that do not make one request are an error, not a guess."""
    with pytest.raises(ValueError, match="--"):
        parsed(*argv)


def test_a_setting_given_twice_is_refused() -> None:
    """``enabled=true enabled=false`` is an error, not last-one-wins."""
    with pytest.raises(ValueError, match="once"):
        parsed("batch-settings", "enabled=true", "enabled=false")


@pytest.mark.parametrize(
    "argv",
    [
        ["batch-settings", "enabled"],
        ["clock", "--advance", "soon"],
        ["clock", "--advance", "-5m"],
        ["clock", "--advance", "5m", "--to", "2030-01-02T00:00:00Z"],
    ],
)
def test_malformed_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A setting without ``=``, a duration that is not one, or two clock moves at once
    exit 2 with argparse's usage message."""
    with pytest.raises(SystemExit) as raised:
        build_parser(PROG).parse_args(argv)
    assert raised.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_ledger_lines_show_time_id_correlation_recipient_and_content() -> None:
    """One line per accepted send; a page that is not the last says where the next starts."""
    request = {
        "recipient": {
            "identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+1"}]}
        },
        "message": {"text_message": {"text": "hello"}},
    }
    answer = {
        "entries": [
            {"message_id": "M1", "correlation_id": "c1", "request": request, "accepted_time": "T1"},
            {
                "message_id": "M2",
                "correlation_id": None,
                "request": {"recipient": {"contact_id": "C"}, "message": {"card_message": {}}},
                "accepted_time": "T2",
            },
        ],
        "total": 5,
        "next_offset": 2,
    }
    assert render("ledger", answer).splitlines() == [
        "T1  M1  c1  SMS +1  'hello'",
        "T2  M2  -  contact C  card_message",
        "... 5 in all; next: --offset 2",
    ]


@pytest.mark.parametrize(
    ("command", "answer", "text"),
    [
        ("ledger", {"entries": [], "total": 0, "next_offset": None}, "no accepted sends"),
        ("webhooks", {"webhooks": []}, "no webhooks"),
        ("faults", {"plans": {}}, "no fault plans"),
        ("rate-limit", {"rate_limit": None}, "rate limit: none"),
        ("rate-limit", {"rate_limit": 800.0}, "rate limit: 800 requests/s"),
        (
            "faults",
            {"plans": {"SendMessage": {"rate": 0.2, "modes": {"status_503": 1.0}}}},
            "SendMessage  rate 0.2  status_503=1",
        ),
        (
            "batch-settings",
            {"enabled": True, "missing_parameter": "literal", "send_after_rounding": None},
            'enabled              true\nmissing_parameter    "literal"\nsend_after_rounding  null',
        ),
        (
            "clock",
            {"now": "2030-01-01T00:05:00Z", "manual": True},
            "clock: 2030-01-01T00:05:00Z (manual)",
        ),
        (
            "clock",
            {"now": "2026-01-01T12:00:00.5Z", "manual": False},
            "clock: 2026-01-01T12:00:00.5Z (system)",
        ),
    ],
)
def test_answers_are_printed_plainly(command: str, answer: dict[str, Any], text: str) -> None:
    """Empty states say so; settings read as sentences."""
    assert render(command, answer) == text


# -- against an in-process emulator over loopback --------------------------------------


async def test_inject_inbound_command_reaches_the_bot_as_a_signed_callback(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """``webhooks --add`` then ``inject-inbound``: the bot's endpoint gets a signed
    MESSAGE_INBOUND with the text, and the command prints the stored message's id."""
    receiver = Receiver()
    await receiver.start()
    try:
        url = ["--url", emulator.base_url]
        add = ["webhooks", "--add", receiver.url(), "--app-id", "APP", "--secret", "s3cret"]
        assert (
            await asyncio.to_thread(main, [*add, "--trigger", "MESSAGE_INBOUND", *url], PROG) == 0
        )
        inject = ["inject-inbound", "--app-id", "APP", "--channel", "WHATSAPP"]
        inject += ["--identity", "+46700000001", "--text", "hi", *url]
        assert await asyncio.to_thread(main, inject, PROG) == 0
        await emulator.callbacks_settled(timeout=5)
    finally:
        await receiver.stop()
    (item,) = receiver.received
    assert item.verifies("s3cret")
    event = item.event()
    assert isinstance(event, MessageInboundEvent)
    assert event.message.contact_message is not None
    assert event.message.contact_message.content.text == "hi"  # type: ignore[union-attr]
    out = capsys.readouterr().out
    assert f"message {event.message.id} from WHATSAPP +46700000001" in out


async def test_ledger_command_prints_accepted_sends_as_json(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ledger --json`` prints the control API's answer: every accepted send."""
    async with emulator.client() as client:
        sent = await client.messages.send(
            app_id="APP",
            recipient=IdentifiedRecipient.of(
                ChannelRecipientIdentity(channel="SMS", identity="+46700000001")
            ),
            message=TextMessage(text="hello"),
        )
    status = await asyncio.to_thread(main, ["ledger", "--json", "--url", emulator.base_url], PROG)
    assert status == 0
    answer = json.loads(capsys.readouterr().out)
    assert [entry["message_id"] for entry in answer["entries"]] == [sent.message_id]
    assert answer["entries"][0]["request"]["message"] == {"text_message": {"text": "hello"}}


async def test_refused_input_exits_2_with_the_emulators_reason(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A request the emulator refuses (unknown route) exits 2 and prints why."""
    argv = ["faults", "--route", "Bogus", "--rate", "0.1", "--url", emulator.base_url]
    assert await asyncio.to_thread(main, argv, PROG) == 2
    err = capsys.readouterr().err
    assert "answered 400" in err
    assert "unknown route 'Bogus'" in err
    assert emulator.fault_plans == {}


def test_unreachable_emulator_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """No emulator at --url: exit 1, saying where it looked."""
    url = f"http://127.0.0.1:{unused_port()}"
    assert main(["ledger", "--url", url], PROG) == 1
    assert f"cannot reach the emulator at {url}" in capsys.readouterr().err


# -- real processes --------------------------------------------------------------------


@dataclass
class Running:
    """A started process and what its first line announced (the pattern's first group)."""

    process: asyncio.subprocess.Process
    announced: str


@asynccontextmanager
async def running(
    *argv: str, pattern: re.Pattern[str] = LISTENING, env: dict[str, str] | None = None
) -> AsyncIterator[Running]:
    """Run ``python argv...`` until its first stdout line matches ``pattern``; stop it with
    SIGINT afterwards and check it exits 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), STEP_TIMEOUT)).decode()
        match = pattern.search(line)
        assert match, line
        yield Running(process, match.group(1))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    assert process.returncode == 0, stderr.decode()


async def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``python -m conversation_async emulator argv...``; exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conversation_async",
        "emulator",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("serve", [[], ["serve"]], ids=["no sub-command", "serve"])
async def test_emulator_command_serves_with_or_without_serve(serve: list[str]) -> None:
    """``emulator --port 0 --latency-ms 1`` and ``emulator serve ...`` both start the server
    with the existing options, and the control commands reach it."""
    argv = ["-m", "conversation_async", "emulator", *serve, "--port", "0", "--latency-ms", "1"]
    async with running(*argv) as server:
        status, out, err = await cli("rate-limit", "800", "--url", server.announced)
        assert (status, out.strip()) == (0, "rate limit: 800 requests/s"), err


async def test_a_bot_in_another_process_is_driven_from_the_shell() -> None:
    """The README's walk-through: a standalone emulator, the echo bot in its own process,
    and the CLI registering its webhook, writing in as a contact, and reading the ledger
    where the bot's reply shows up."""
    async with running("-m", "conversation_async", "emulator", "--port", "0") as server:
        base = server.announced
        bot_env = {
            "SINCH_PROJECT_ID": "emulator-project",
            "SINCH_CLIENT_ID": "emulator-client",
            "SINCH_CLIENT_SECRET": "emulator-secret",
            "SINCH_CONVERSATION_URL": base,
            "SINCH_TEMPLATES_URL": base,
            "SINCH_AUTH_URL": base + "/oauth2/token",
            "SINCH_APP_ID": "echo-app",
            "SINCH_WEBHOOK_SECRET": "bot-secret",
            "BOT_PORT": "0",
        }
        bot_line = re.compile(r"listening on http://[^:]+:(\d+)/callbacks")
        async with running(str(ECHO_BOT), pattern=bot_line, env=bot_env) as bot:
            url = ["--url", base]
            target = f"http://127.0.0.1:{bot.announced}/callbacks"
            status, _, err = await cli(
                "webhooks", "--add", target, "--app-id", "echo-app", "--secret", "bot-secret",
                "--trigger", "MESSAGE_INBOUND", *url,
            )  # fmt: skip
            assert status == 0, err
            status, out, err = await cli(
                "inject-inbound", "--app-id", "echo-app", "--channel", "SMS",
                "--identity", "+46700000001", "--text", "hi", *url,
            )  # fmt: skip
            assert status == 0, err
            inbound_id = out.split()[1]
            entries: list[dict[str, Any]] = []
            async with asyncio.timeout(STEP_TIMEOUT):
                while not entries:
                    status, out, err = await cli("ledger", "--json", *url)
                    assert status == 0, err
                    entries = json.loads(out)["entries"]
    (reply,) = entries
    assert reply["correlation_id"] == inbound_id
    assert reply["request"]["message"] == {"text_message": {"text": "echo: hi"}}
    assert reply["request"]["recipient"]["identified_by"]["channel_identities"] == [
        {"channel": "SMS", "identity": "+46700000001"}
    ]


async def test_a_scheduled_batch_is_sent_when_the_shell_moves_the_clock() -> None:
    """``emulator --manual-clock START``: ``batch-settings`` changes a setting, a client
    schedules a batch two hours ahead, and ``clock --advance 2h`` makes it due: when the
    command returns the batch is PROCESSED and its messages are in the ledger."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    argv = ["-m", "conversation_async", "emulator", "--port", "0"]
    async with running(*argv, "--manual-clock", start.isoformat()) as server:
        url = ["--url", server.announced]
        status, out, err = await cli("batch-settings", "message_index_base=1", *url)
        assert status == 0, err
        assert ["message_index_base", "1"] in [line.split() for line in out.splitlines()]
        async with ConversationClient(
            "emulator-project",
            "emulator-client",
            "emulator-secret",
            conversation_url=server.announced,
            batch_url=server.announced + "/batch",
            auth_url=server.announced + "/oauth2/token",
        ) as client:
            sent = await client.batches.send(
                app_id="APP",
                message=TextMessage(text="Hi ${name}"),
                recipients=[
                    RecipientAndParam(
                        recipient=IdentifiedRecipient.of(("SMS", f"+4670000000{i}")),
                        parameters={"name": f"N{i}"},
                    )
                    for i in range(3)
                ],
                send_after=start + timedelta(hours=2),
            )
            assert (await client.batches.get(batch_id=sent.batch_id)).status == "SCHEDULED"
            status, out, err = await cli("clock", "--advance", "2h", *url)
            assert (status, out.strip()) == (
                0,
                f"clock: {sent.send_after:%Y-%m-%dT%H:%M:%S}Z (manual)",
            ), err
            assert (await client.batches.get(batch_id=sent.batch_id)).status == "PROCESSED"
        status, out, err = await cli("ledger", "--json", *url)
    texts = [entry["request"]["message"] for entry in json.loads(out)["entries"]]
    assert texts == [{"text_message": {"text": f"Hi N{i}"}} for i in range(3)]
