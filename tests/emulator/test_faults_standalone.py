"""``--seed``, ``--rate-limit`` and ``--fault`` of ``python -m conversation_async.testing``."""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp
import pytest

from conversation_async.testing import Emulator, FaultMode, FaultPlan
from conversation_async.testing.__main__ import parse_args
from conversation_async.testing._plans import PROCESSED_FIRST as PROCESSED

from .conftest import basic, fetch, send_body, standalone

ROUTE = "/v1/projects/emulator-project/messages"
CREDENTIALS = {"Authorization": basic("emulator-client", "emulator-secret")}


async def stats(http: aiohttp.ClientSession, base: str) -> Any:
    """The emulator's ``/_emulator/stats``."""
    return (await fetch(http, "GET", base + "/_emulator/stats")).body


async def attempt_send(http: aiohttp.ClientSession, base: str) -> None:
    """One send, giving up quickly; whatever fault it meets is ignored."""
    with contextlib.suppress(TimeoutError, aiohttp.ClientError):
        async with http.post(
            base + ROUTE + ":send",
            json=send_body(),
            headers=CREDENTIALS,
            timeout=aiohttp.ClientTimeout(total=0.2),
        ) as response:
            await response.read()


async def test_seed_rate_limit_and_fault_flags_configure_the_emulator(
    http: aiohttp.ClientSession,
) -> None:
    """``--seed 3 --rate-limit 1 --fault SendMessage:1``: the first send is faulted as
    ``Emulator(seed=3)`` faults it, the immediate second one is rate limited."""
    async with standalone("--seed", "3", "--rate-limit", "1", "--fault", "SendMessage:1") as server:
        base = server.urls["base"]
        await attempt_send(http, base)
        await attempt_send(http, base)
        counters = await stats(http, base)
    async with Emulator(seed=3) as emu:
        emu.inject_faults("SendMessage", FaultPlan(1.0))
        await attempt_send(http, emu.base_url)
        expected = emu.stats()["faults_injected"]
    assert counters["rate_limited"] == 1
    assert sum(counters["faults_injected"]["SendMessage"].values()) == 1
    assert counters["faults_injected"] == expected
    assert counters["ledger_size"] == int(
        any(FaultMode(mode) in PROCESSED for mode in expected["SendMessage"])
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--fault", "NoSuchRoute:0.5"],
        ["--fault", "SendMessage:1.5"],
        ["--fault", "SendMessage"],
        ["--rate-limit", "0"],
        ["--seed", "x"],
    ],
    ids=["unknown route", "rate>1", "no rate", "zero limit", "bad seed"],
)
def test_bad_flags_are_refused(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Malformed fault, rate limit or seed flags exit 2 with a usage error."""
    with pytest.raises(SystemExit) as exited:
        parse_args(flags)
    assert exited.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_fault_flags_repeat() -> None:
    """``--fault`` may be given once per route; each becomes ``(route, rate)``."""
    args = parse_args(["--fault", "SendMessage:0.1", "--fault", "Token:0.5", "--seed", "9"])
    assert args.fault == [("SendMessage", 0.1), ("Token", 0.5)]
    assert (args.seed, args.rate_limit) == (9, None)
