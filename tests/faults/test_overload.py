"""Retry storms and deadlines under faults: the client slows down and keeps its promises."""

from __future__ import annotations

import asyncio
import contextlib
import time

from conversation_async import ConversationClient, ConversationError, RetryPolicy
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, FaultMode, FaultPlan

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="x"))


async def hammer(client: ConversationClient, seconds: float, workers: int) -> tuple[int, int]:
    """Send as fast as possible from ``workers`` tasks; (successes, failures)."""
    ok = failed = 0
    stop_at = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal ok, failed
        while time.monotonic() < stop_at:
            try:
                await send(client)
                ok += 1
            except ConversationError:
                failed += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return ok, failed


async def test_sustained_429s_bring_the_request_rate_under_the_project_limit() -> None:
    """Against a 150 req/s limit, 64 eager senders settle below it instead of storming."""
    limit = 150.0
    async with Emulator(rate_limit=limit) as emulator:
        retry = RetryPolicy(max_retries=5, backoff_base=0.01, backoff_max=0.2)
        async with emulator.client(retry=retry) as client:
            ok, _ = await hammer(client, seconds=8, workers=64)
            settled = emulator.request_rate_window(3)
            assert client.rate_limit is not None
    assert emulator.rate_limited > 0, "the limit must have been hit"
    assert settled <= limit * 1.05, settled
    assert ok > limit * 3, "calls kept succeeding at a useful rate"


async def test_retry_budget_keeps_an_outage_from_multiplying_requests() -> None:
    """When every answer is 503, total requests stay within calls + the retry budget."""
    async with Emulator() as emulator:
        emulator.inject_faults("GetMessage", FaultPlan(rate=1.0, modes={FaultMode.STATUS_503: 1}))
        retry = RetryPolicy(
            max_retries=5, backoff_base=0.001, backoff_max=0.01, budget_ratio=0.1, budget_minimum=5
        )
        calls = 200
        async with emulator.client(retry=retry) as client:
            outcomes = await asyncio.gather(
                *(client.messages.get(message_id=f"m{i}") for i in range(calls)),
                return_exceptions=True,
            )
    assert all(isinstance(o, ConversationError) for o in outcomes)
    requests = emulator.requests_seen["GetMessage"]
    assert requests <= calls + max(5, 0.1 * calls) + 1, requests
    assert requests < calls * 2


async def test_no_call_outlives_its_deadline_under_slow_and_failing_answers() -> None:
    """With slow answers, resets and 5xx, every call ends within deadline + tolerance."""
    deadline = 0.8
    durations: list[float] = []
    async with Emulator(seed=3) as emulator:
        emulator.inject_faults("GetMessage", FaultPlan(rate=0.5, slow_seconds=3.0))
        retry = RetryPolicy(max_retries=10, backoff_base=0.05, backoff_max=0.3)
        async with emulator.client(timeout=0.3, deadline=deadline, retry=retry) as client:

            async def timed(i: int) -> None:
                started = time.monotonic()
                with contextlib.suppress(ConversationError):
                    await client.messages.get(message_id=f"m{i}")
                durations.append(time.monotonic() - started)

            await asyncio.gather(*(timed(i) for i in range(150)))
    assert len(durations) == 150
    assert max(durations) <= deadline + 0.15, max(durations)
