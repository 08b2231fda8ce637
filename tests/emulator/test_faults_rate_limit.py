"""The project rate limit: 429 with Retry-After beyond it, before processing, and the rate meter."""

from __future__ import annotations

import asyncio
import json
import math
import time

import pytest

from conversation_async.testing import Emulator
from conversation_async.testing._ratelimit import TokenBucket, retry_after

from .conftest import Api, get_token, raw_send


async def test_beyond_the_rate_answers_429_with_retry_after(api: Api) -> None:
    """With a limit of 5/s, a burst of 8 gets 5 answers and 3 envelopes 429 with Retry-After."""
    api.emu.rate_limit = 5
    replies = [await api.list() for _ in range(8)]
    assert [reply.status for reply in replies] == [200] * 5 + [429] * 3
    limited = replies[-1]
    assert limited.body["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert 0.05 <= float(limited.headers["Retry-After"]) <= 0.2
    assert api.emu.rate_limited == 3


async def test_rate_limited_sends_are_not_processed(api: Api) -> None:
    """A send refused by the rate limit is neither stored nor ledgered."""
    api.emu.rate_limit = 1
    statuses = [(await raw_send(api)).status for _ in range(3)]
    assert statuses == [200, 429, 429]
    assert len(api.emu.ledger) == len(api.emu.store.messages) == 1


async def test_retry_after_is_the_wait_for_the_next_slot(api: Api) -> None:
    """Retry-After says when the bucket has a slot again; waiting that long gets through."""
    api.emu.rate_limit = 10
    for _ in range(10):
        await api.list()
    limited = await api.list()
    wait = float(limited.headers["Retry-After"])
    assert 0.05 <= wait <= 0.1
    await asyncio.sleep(wait)
    assert (await api.list()).status == 200


def test_retry_after_is_rounded_up_and_at_least_a_twentieth_of_a_second() -> None:
    """Retry-After is decimal seconds, rounded up to the millisecond, never below 0.05."""
    assert retry_after(0.001) == "0.050"
    assert retry_after(0.1231) == "0.124"
    assert retry_after(2.0) == "2.000"


def test_token_bucket_allows_one_seconds_worth_then_the_rate() -> None:
    """The bucket holds ``rate`` requests (at least one) and refills at ``rate`` per second."""
    bucket = TokenBucket(10, now=0.0)
    assert [bucket.take(0.0) for _ in range(10)] == [0.0] * 10
    assert bucket.take(0.0) == pytest.approx(0.1)
    assert bucket.take(0.1) == 0.0
    assert TokenBucket(0.5, now=0.0).burst == 1.0


async def test_the_token_endpoint_is_not_limited(api: Api) -> None:
    """Token requests neither use up nor hit the API rate limit."""
    api.emu.rate_limit = 1
    for _ in range(3):
        await get_token(api.http, api.emu)
    assert (await api.list()).status == 200


async def test_the_limit_covers_all_api_routes_together(api: Api) -> None:
    """One bucket for the project: a send uses up the slot a listing wanted."""
    api.emu.rate_limit = 1
    assert (await raw_send(api)).status == 200
    assert (await api.list()).status == 429


async def test_none_removes_the_limit(api: Api) -> None:
    """Setting ``rate_limit = None`` answers everything again."""
    api.emu.rate_limit = 1
    api.emu.rate_limit = None
    assert {(await api.list()).status for _ in range(5)} == {200}


async def test_the_measured_rate_stays_near_the_limit(api: Api) -> None:
    """Hammered beyond 100/s, the emulator admits about 100 requests a second."""
    api.emu.rate_limit = 100
    deadline = time.monotonic() + 0.8

    async def hammer() -> None:
        while time.monotonic() < deadline:
            await api.list()
            await asyncio.sleep(0.002)

    await asyncio.gather(*(hammer() for _ in range(4)))
    admitted = api.emu.request_rate_window(0.5, admitted=True)  # after the initial burst
    seen = api.emu.request_rate_window(0.5)
    assert 80 <= admitted <= 120
    assert seen > admitted
    assert api.emu.rate_limited > 0


async def test_an_infinite_limit_measures_without_limiting(api: Api) -> None:
    """``rate_limit = math.inf`` refuses nothing but counts requests for the meter."""
    api.emu.rate_limit = math.inf
    started = time.monotonic()
    for _ in range(20):
        assert (await api.list()).status == 200
    elapsed = time.monotonic() - started
    rate = api.emu.request_rate_window(elapsed + 0.1)
    assert rate == pytest.approx(20 / (elapsed + 0.1), rel=0.5)
    assert api.emu.rate_limited == 0


async def test_nothing_is_measured_without_a_limit(api: Api) -> None:
    """Without a rate limit the meter stays at zero (unlimited runs pay nothing)."""
    await api.list()
    assert api.emu.request_rate_window(1.0) == 0.0


async def test_stats_count_rate_limited_answers(api: Api) -> None:
    """``/_emulator/stats`` reports ``rate_limited``; ``reset()`` zeroes it."""
    api.emu.rate_limit = 1
    await api.list()
    await api.list()
    async with api.http.get(f"{api.emu.base_url}/_emulator/stats") as response:
        assert json.loads(await response.read())["rate_limited"] == 1
    api.emu.reset()
    assert api.emu.rate_limited == 0


def test_constructor_sets_the_rate_limit() -> None:
    """``Emulator(rate_limit=...)`` sets the initial limit; the default is unlimited."""
    assert Emulator(rate_limit=50).rate_limit == 50
    assert Emulator().rate_limit is None


@pytest.mark.parametrize("value", [0, -1, float("nan")])
def test_invalid_limits_are_refused(value: float) -> None:
    """A limit that is not above 0 is a ValueError."""
    with pytest.raises(ValueError, match="rate_limit"):
        Emulator().rate_limit = value


@pytest.mark.parametrize("seconds", [0, -1, 601])
def test_invalid_rate_windows_are_refused(seconds: float) -> None:
    """The window must be within (0, 600] seconds."""
    with pytest.raises(ValueError, match="seconds"):
        Emulator().request_rate_window(seconds)
