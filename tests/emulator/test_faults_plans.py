"""Fault plans: rates, seeded draws, mode weights, precedence, clean-up and the server's health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterable

import aiohttp
import pytest

from conversation_async.testing import Emulator, FaultMode, FaultPlan, ScriptedResponse

from .conftest import Api, always, fetch, get_token, raw_send


async def statuses(api: Api, count: int, *, batch: int = 50) -> list[int]:
    """Statuses of ``count`` ListMessages calls, ``batch`` at a time (in arrival order)."""
    result: list[int] = []
    for start in range(0, count, batch):
        replies = await asyncio.gather(*(api.list() for _ in range(min(batch, count - start))))
        result.extend(reply.status for reply in replies)
    return result


async def sequence(emu: Emulator, route_calls: Iterable[str]) -> list[int]:
    """Statuses of sequential calls to ListMessages ("L") and GetMessage ("G")."""
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu, await get_token(http, emu))
        result = []
        for call in route_calls:
            reply = await (api.list() if call == "L" else api.call("GET", "/nope"))
            result.append(reply.status)
        return result


async def test_rate_faults_about_that_share_of_requests(api: Api) -> None:
    """A 0.2 plan over 1000 requests faults about 200 of them, all counted."""
    api.emu.inject_faults("ListMessages", FaultPlan(0.2, modes={FaultMode.STATUS_503: 1}))
    faulted = (await statuses(api, 1000)).count(503)
    assert 150 <= faulted <= 250
    assert api.emu.faults_injected == Counter({("ListMessages", FaultMode.STATUS_503): faulted})


async def test_a_seed_reproduces_the_exact_faults() -> None:
    """Two emulators with one seed fault exactly the same requests."""
    plan = FaultPlan(0.3, modes={FaultMode.STATUS_503: 1})
    runs = []
    for _ in range(2):
        async with Emulator(seed=42) as emu:
            emu.inject_faults("ListMessages", plan)
            runs.append(await sequence(emu, "L" * 200))
    assert runs[0] == runs[1]
    assert 0 < runs[0].count(503) < 200


async def test_a_seed_reproduces_the_fault_count_of_concurrent_requests() -> None:
    """With one seed, requests in concurrent batches get the same number of faults."""
    counts = []
    for _ in range(2):
        async with Emulator(seed=7) as emu, aiohttp.ClientSession() as http:
            emu.inject_faults("ListMessages", FaultPlan(0.2, modes={FaultMode.STATUS_503: 1}))
            api = Api(http, emu, await get_token(http, emu))
            counts.append((await statuses(api, 300)).count(503))
    assert counts[0] == counts[1]


async def test_different_seeds_fault_different_requests() -> None:
    """Another seed gives another fault sequence."""
    plan = FaultPlan(0.5, modes={FaultMode.STATUS_503: 1})
    runs = []
    for seed in (1, 2):
        async with Emulator(seed=seed) as emu:
            emu.inject_faults("ListMessages", plan)
            runs.append(await sequence(emu, "L" * 100))
    assert runs[0] != runs[1]


async def test_one_routes_traffic_does_not_shift_anothers_faults() -> None:
    """With a seed, a route's faults do not depend on how other routes' calls interleave."""
    plan = FaultPlan(0.5, modes={FaultMode.STATUS_503: 1})
    lists = []
    for calls in ("LLLLLLLLLLLLLLLLLLLL", "LGLGGLLGLLGGGLLLGLLLLLLGLLLLL"):
        async with Emulator(seed=5) as emu:
            emu.inject_faults("ListMessages", plan)
            emu.inject_faults("GetMessage", plan)
            got = await sequence(emu, calls)
        lists.append([status for status, call in zip(got, calls, strict=True) if call == "L"])
    assert lists[0] == lists[1]


async def test_mode_weights_are_respected(api: Api) -> None:
    """Weights 3:1 give about three 503s per 429, and no other mode."""
    api.emu.inject_faults(
        "ListMessages", FaultPlan(1.0, modes={FaultMode.STATUS_503: 3, FaultMode.STATUS_429: 1})
    )
    counts = Counter(await statuses(api, 400))
    assert set(counts) == {503, 429}
    assert 0.65 <= counts[503] / 400 <= 0.85


async def test_no_weights_means_every_mode(api: Api) -> None:
    """A plan without ``modes`` draws every FaultMode."""
    api.emu.inject_faults("SendMessage", FaultPlan(1.0, slow_seconds=0.0))
    for _ in range(240):
        with contextlib.suppress(TimeoutError, aiohttp.ClientError):
            await raw_send(api)
    assert {mode for _, mode in api.emu.faults_injected} == set(FaultMode)


async def test_zero_rate_never_faults(api: Api) -> None:
    """A plan with rate 0 answers every request normally."""
    api.emu.inject_faults("ListMessages", FaultPlan(0.0))
    assert set(await statuses(api, 100)) == {200}


async def test_scripts_win_over_plans(api: Api) -> None:
    """A scripted response answers first; the plan applies to the requests after it."""
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    api.emu.script("ListMessages", ScriptedResponse(418))
    assert [(await api.list()).status for _ in range(2)] == [418, 503]
    assert sum(api.emu.faults_injected.values()) == 1


async def test_a_new_plan_replaces_the_old_one(api: Api) -> None:
    """Injecting faults again for a route replaces its plan."""
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_429))
    assert (await api.list()).status == 429


async def test_clear_faults_of_one_route_keeps_the_others(api: Api) -> None:
    """``clear_faults(route)`` drops only that route's plan."""
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    api.emu.inject_faults("GetMessage", always(FaultMode.STATUS_503))
    api.emu.clear_faults("ListMessages")
    assert (await api.list()).status == 200
    assert (await api.call("GET", "/nope")).status == 503
    assert set(api.emu.fault_plans) == {"GetMessage"}


async def test_clear_faults_without_a_route_drops_every_plan(api: Api) -> None:
    """``clear_faults()`` restores normal answers everywhere."""
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    api.emu.inject_faults("SendMessage", always(FaultMode.STATUS_503))
    api.emu.clear_faults()
    assert (await api.list()).status == 200
    assert (await raw_send(api)).status == 200
    assert api.emu.fault_plans == {}


def test_fault_plans_lists_the_plans_in_force() -> None:
    """``fault_plans`` maps each route with a plan to that plan."""
    emu = Emulator()
    plan = FaultPlan(0.1)
    emu.inject_faults("SendMessage", plan)
    assert emu.fault_plans == {"SendMessage": plan}


def test_nothing_configured_keeps_the_fast_path() -> None:
    """Without scripts, plans, rate limit or outage the route wrapper skips fault handling."""
    emu = Emulator()
    assert not emu._faults.armed
    emu.inject_faults("SendMessage", FaultPlan(0.5))
    emu.rate_limit = 10
    emu.token_outage(5)
    assert emu._faults.armed
    emu.clear_faults()
    emu.rate_limit = None
    emu.token_outage(0)
    assert not emu._faults.armed


def test_unknown_route_is_refused() -> None:
    """``inject_faults`` and ``clear_faults`` refuse route names that do not exist."""
    emu = Emulator()
    with pytest.raises(ValueError, match="unknown route"):
        emu.inject_faults("SendMessages", FaultPlan(0.1))
    with pytest.raises(ValueError, match="unknown route"):
        emu.clear_faults("SendMessages")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": 1.5},
        {"rate": -0.1},
        {"rate": 0.5, "modes": {FaultMode.SLOW: -1}},
        {"rate": 0.5, "modes": {FaultMode.SLOW: 0}},
        {"rate": 0.5, "modes": {"no_such_mode": 1}},
        {"rate": 0.5, "slow_seconds": -1},
        {"rate": 0.5, "retry_after": ""},
    ],
    ids=["rate>1", "rate<0", "negative weight", "no weight", "unknown mode", "slow<0", "no RA"],
)
def test_invalid_plans_are_refused(kwargs: dict[str, object]) -> None:
    """Rates outside 0..1, bad weights, unknown modes and bad durations are ValueErrors."""
    with pytest.raises(ValueError):  # noqa: PT011 - attrs validators raise plain ValueError
        FaultPlan(**kwargs)  # type: ignore[arg-type]


def test_mode_names_are_accepted_as_weight_keys() -> None:
    """``modes`` accepts mode values as keys and stores them as FaultMode."""
    assert FaultPlan(1, modes={"slow": 2}).modes == {FaultMode.SLOW: 2.0}


def test_plans_are_frozen_and_hashable() -> None:
    """A FaultPlan cannot be changed and can be hashed (its modes are read-only)."""
    plan = FaultPlan(0.5, modes={FaultMode.SLOW: 1})
    assert hash(plan) == hash(FaultPlan(0.5, modes={FaultMode.SLOW: 1}))
    with pytest.raises(AttributeError):
        plan.rate = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.modes[FaultMode.SLOW] = 2  # type: ignore[index]


async def test_server_keeps_serving_after_aborts(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """After resets and cut bodies on many connections, requests succeed and nothing is
    logged as a warning or error."""
    caplog.set_level(logging.DEBUG)
    api.emu.inject_faults(
        "SendMessage",
        FaultPlan(
            1.0,
            modes={FaultMode.RESET_BEFORE: 1, FaultMode.RESET_AFTER: 1, FaultMode.CUT_BODY: 1},
        ),
    )
    results = await asyncio.gather(*(raw_send(api) for _ in range(30)), return_exceptions=True)
    assert all(isinstance(result, aiohttp.ClientError) for result in results)
    api.emu.clear_faults()
    replies = await asyncio.gather(*(raw_send(api) for _ in range(10)))
    assert {reply.status for reply in replies} == {200}
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_stop_leaves_no_task_behind_after_faults() -> None:
    """Stopping after aborts and an abandoned SLOW answer is quick and leaves no task."""
    emu = Emulator()
    await emu.start()
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu, await get_token(http, emu))
        emu.inject_faults(
            "SendMessage",
            FaultPlan(1.0, modes={FaultMode.RESET_AFTER: 1, FaultMode.CUT_BODY: 1}),
        )
        await asyncio.gather(*(raw_send(api) for _ in range(6)), return_exceptions=True)
        emu.inject_faults("SendMessage", always(FaultMode.SLOW, slow_seconds=30))
        with pytest.raises(asyncio.TimeoutError):
            await raw_send(api, give_up_after=0.1)
    started = time.monotonic()
    await emu.stop()
    assert time.monotonic() - started < 2.0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_stats_report_ledger_rate_limited_and_faults(api: Api) -> None:
    """``/_emulator/stats`` includes ledger_size, rate_limited and faults_injected."""
    await api.send()
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    await api.list()
    stats = (await fetch(api.http, "GET", f"{api.emu.base_url}/_emulator/stats")).body
    assert stats["ledger_size"] == 1
    assert stats["rate_limited"] == 0
    assert stats["faults_injected"] == {"ListMessages": {"status_503": 1}}


async def test_reset_keeps_plans_but_zeroes_fault_counts(api: Api) -> None:
    """``reset()`` forgets faults_injected but the plan stays in force."""
    api.emu.inject_faults("ListMessages", always(FaultMode.STATUS_503))
    await api.list()
    api.emu.reset()
    assert not api.emu.faults_injected
    assert (await api.list()).status == 503
