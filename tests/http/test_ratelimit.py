"""The async rate limiter: waiting for turns with real asyncio and short times.

The arithmetic (bucket, meter, adaptive limit, regain after a storm) is tested without I/O
in tests/core/test_rate.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from conversation_async import (
    ClientConfig,
    ConfigurationError,
    ConversationClient,
    LocalRateLimiter,
    RateLimiter,
)
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


class FakeClock:
    """The limiter's clock, moved by hand (asyncio's own timers still run in real time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_limiter_is_open_without_ceiling() -> None:
    """An unconfigured limiter never waits before the first 429."""
    limiter = LocalRateLimiter(clock=lambda: 0.0)
    assert all(limiter.try_acquire() for _ in range(1000))
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.limit is None


async def test_limiter_with_ceiling_paces_requests() -> None:
    """At 50/s, 11 requests beyond the burst take about 0.2 s of real time."""
    limiter = LocalRateLimiter(50)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(13):  # burst is 1 + 50/20 = 3.5 turns
        await limiter.acquire()
    assert loop.time() - start >= 0.18


def test_limiter_refuses_a_non_positive_ceiling() -> None:
    """A rate of 0 would block forever: refused."""
    with pytest.raises(ValueError, match="rate limit"):
        LocalRateLimiter(0)


def test_a_limiter_can_start_below_its_ceiling_and_grows_back() -> None:
    """start=100 under a ceiling of 800: 100/s at first, back at 800/s within ten seconds
    (the full step, a tenth of the ceiling a second); no start without a ceiling."""
    clock = FakeClock()
    clock.now = 50.0
    limiter = LocalRateLimiter(800, start=100, clock=clock)
    assert limiter.limit == 100
    clock.now = 52.0
    assert limiter.limit == pytest.approx(260)
    clock.now = 60.0
    assert limiter.limit == 800
    with pytest.raises(ValueError, match="start"):
        LocalRateLimiter(start=100)


def test_limiter_measures_the_share_of_throttled_requests() -> None:
    """100 requests and one 429 in a second: the limit is set just under the observed rate."""
    clock = FakeClock()
    limiter = LocalRateLimiter(clock=clock)
    for i in range(100):
        clock.now = 100.0 + i / 100
        assert limiter.try_acquire()
        limiter.accepted()
    limit = limiter.throttled()
    assert limit == pytest.approx(101 * 0.99 * 0.95, rel=0.05)


async def test_no_turn_is_taken_past_a_waiting_caller() -> None:
    """While a caller waits, try_acquire refuses even a free turn: the waiter goes first."""
    clock = FakeClock()
    limiter = LocalRateLimiter(1.0, clock=clock)
    assert limiter.try_acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    clock.now = 1.0
    assert not limiter.try_acquire()
    await asyncio.wait_for(waiter, 1.0)


async def test_waiting_callers_are_served_in_order() -> None:
    """Five callers queued at 1/s get their turns in the order they asked."""
    clock = FakeClock()
    limiter = LocalRateLimiter(1.0, clock=clock)
    assert limiter.try_acquire()
    served: list[int] = []

    async def caller(index: int) -> None:
        await limiter.acquire()
        served.append(index)

    tasks = []
    for index in range(5):
        tasks.append(asyncio.create_task(caller(index)))
        await asyncio.sleep(0)
    for second in range(1, 6):
        clock.now = float(second)
        await asyncio.wait_for(tasks[second - 1], 1.0)
    assert served == [0, 1, 2, 3, 4]


async def test_a_waiter_goes_soon_after_the_limit_rises() -> None:
    """A caller waiting behind a storm's limit of 1/s goes within about a recheck (50 ms)
    of the limit rising back, not the second later the storm's rate would have made it."""
    clock = FakeClock()
    limiter = LocalRateLimiter(clock=clock)
    for i in range(2000):  # 1,000/s accepted for two seconds
        clock.now = i / 1000
        assert limiter.try_acquire()
        limiter.accepted()
    limit = None
    while limit != 1.0:  # then a storm, every answer a 429, until the limit is at its floor
        clock.now += 0.001
        if limiter.try_acquire():
            limit = limiter.throttled()
    while limiter.try_acquire():
        pass
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.1)
    assert not waiter.done()
    for _ in range(400):  # answers accepted again: the limit climbs back
        limiter.accepted()
    risen_at = clock.now
    while not waiter.done() and clock.now < risen_at + 1.0:
        clock.now += 0.005
        await asyncio.sleep(0.005)
    assert waiter.done()
    assert clock.now - risen_at < 0.2


async def test_a_cancelled_waiter_loses_no_turn() -> None:
    """Of three callers waiting at 1/s the second is cancelled: the first and the third get
    the next two turns, one second apart, and no turn is left over or lost."""
    clock = FakeClock()
    limiter = LocalRateLimiter(1.0, clock=clock)
    assert limiter.try_acquire()
    first, second, third = (asyncio.create_task(limiter.acquire()) for _ in range(3))
    await asyncio.sleep(0)
    second.cancel()
    clock.now = 1.0
    await asyncio.wait_for(first, 1.0)
    await asyncio.sleep(0.1)
    assert not third.done()
    clock.now = 2.0
    await asyncio.wait_for(third, 1.0)
    assert second.cancelled()
    assert not limiter.try_acquire()
    clock.now = 3.0
    assert limiter.try_acquire()


async def test_a_waiter_cancelled_as_its_turn_comes_passes_it_on() -> None:
    """A caller handed its turn but cancelled before it could use it gives the turn to the
    next caller in line, who goes at once instead of a second later."""
    clock = FakeClock()
    limiter = LocalRateLimiter(1.0, clock=clock)
    assert limiter.try_acquire()
    first, second = (asyncio.create_task(limiter.acquire()) for _ in range(2))
    await asyncio.sleep(0)
    clock.now = 1.0
    limiter._dispatch()  # the first caller's turn comes...
    first.cancel()  # ...and it is cancelled before it runs
    await asyncio.wait_for(second, 0.2)
    assert first.cancelled()


async def test_a_waiter_cancelled_just_before_its_turn_comes_is_skipped() -> None:
    """A caller cancelled while its turn is being handed out is passed over: the next one
    gets the turn, the cancelled one ends cancelled, and nobody is left counted as waiting."""
    clock = FakeClock()
    limiter = LocalRateLimiter(1.0, clock=clock)
    assert limiter.try_acquire()
    first, second = (asyncio.create_task(limiter.acquire()) for _ in range(2))
    await asyncio.sleep(0)
    first.cancel()  # its future is cancelled, its task has not run yet...
    clock.now = 1.0
    limiter._dispatch()  # ...when the turn is handed out
    await asyncio.wait_for(second, 0.2)
    with pytest.raises(asyncio.CancelledError):
        await first
    clock.now = 2.0
    assert limiter.try_acquire()


# -- the protocol: a limiter lent to clients -------------------------------------------------


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="x"))


async def test_one_limiter_lent_to_two_clients_paces_them_together(emulator: Emulator) -> None:
    """Two clients sharing a LocalRateLimiter(20) send 14 messages between them in about
    0.6 s (burst of 2 aside): one budget, not 20/s each."""
    limiter = LocalRateLimiter(20)
    async with (
        emulator.client(rate_limiter=limiter) as first,
        emulator.client(rate_limiter=limiter) as second,
    ):
        started = time.monotonic()
        await asyncio.gather(*(send(client) for client in (first, second) for _ in range(7)))
        assert time.monotonic() - started >= 0.55
        assert first.rate_limit == second.rate_limit == 20
    assert len(emulator.store.messages) == 14


async def test_any_object_of_the_protocol_paces_a_client(emulator: Emulator) -> None:
    """A limiter of one's own gets a turn before each attempt and hears of each answer,
    a 429 included; one that always refuses the fast path is served through acquire()."""

    class Counting:
        def __init__(self) -> None:
            self.turns = self.accepted_answers = self.throttled_answers = 0

        @property
        def limit(self) -> float | None:
            return None

        def try_acquire(self) -> bool:
            return False

        async def acquire(self) -> None:
            self.turns += 1

        def throttled(self) -> float | None:
            self.throttled_answers += 1
            return None

        def accepted(self) -> None:
            self.accepted_answers += 1

    counting = Counting()
    assert isinstance(counting, RateLimiter)
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "0"}))
    async with emulator.client(rate_limiter=counting) as client:
        await send(client)
        await send(client)
    assert (counting.turns, counting.accepted_answers, counting.throttled_answers) == (3, 2, 1)


def test_rate_limit_and_rate_limiter_are_exclusive() -> None:
    """rate_limit= configures the default limiter: with a limiter of one's own it is
    refused, from the constructor, a ClientConfig and the environment alike."""
    limiter = LocalRateLimiter(5)
    with pytest.raises(ConfigurationError, match="rate_limiter"):
        ConversationClient("p", "id", "s", rate_limit=10, rate_limiter=limiter)
    config = ClientConfig(project_id="p", client_id="id", client_secret="s", rate_limit=10)
    with pytest.raises(ConfigurationError, match="rate_limiter"):
        ConversationClient.from_config(config, rate_limiter=limiter)
    env = {"SINCH_PROJECT_ID": "p", "SINCH_CLIENT_ID": "id", "SINCH_CLIENT_SECRET": "s"}
    client = ConversationClient.from_env(env, rate_limiter=limiter)
    assert client.rate_limit == 5


def test_an_object_that_is_no_rate_limiter_is_refused() -> None:
    """A rate_limiter without the protocol's methods fails at construction, not mid-send."""
    with pytest.raises(ConfigurationError, match="RateLimiter"):
        ConversationClient("p", "id", "s", rate_limiter=object())  # type: ignore[arg-type]
