"""Bulk sends under injected faults, checked against the emulator's ledger of accepted sends.

The client's report and the server's ledger must agree: a message reported sent was
accepted exactly once; a message the server accepted is reported sent or ambiguous, never
as certainly failed; with default settings nothing is accepted twice; with unsafe retries
opted in, every duplicate is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from conversation_async import RetryPolicy
from conversation_async.bulk import BulkResult, Outcome
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    TextMessage,
)
from conversation_async.testing import Emulator, FaultPlan

FAST_BACKOFF = RetryPolicy(max_retries=3, backoff_base=0.005, backoff_max=0.05)


def campaign(count: int) -> Iterator[SendMessageRequest]:
    for i in range(count):
        yield SendMessageRequest(
            app_id="campaign",
            recipient=IdentifiedRecipient.of(("SMS", f"+4670{i:07d}")),
            message=AppMessage(content=TextMessage(text=f"hello {i}")),
            correlation_id=f"c-{i}",
        )


async def send_all(emulator: Emulator, count: int, retry: RetryPolicy) -> list[BulkResult]:
    async with emulator.client(timeout=0.3, deadline=10, retry=retry) as client:
        bulk = client.messages.send_many(campaign(count), concurrency=64)
        results: list[BulkResult] = []
        async with bulk:
            async for result in bulk:
                results.append(result)
                if result.index % 2000 == 1999:
                    emulator.expire_tokens()  # a burst of 401 "expired" for everyone in flight
    return results


async def test_ten_thousand_sends_with_faults_in_every_mode_lose_nothing() -> None:
    """20% faults in all modes: one result each, ledger and report agree, no duplicate."""
    async with Emulator(seed=20261123) as emulator:
        emulator.inject_faults("SendMessage", FaultPlan(rate=0.2, slow_seconds=0.6))
        emulator.inject_faults("Token", FaultPlan(rate=0.2))
        results = await send_all(emulator, 10_000, FAST_BACKOFF)
        accepted = Counter(entry.correlation_id for entry in emulator.ledger)
        faults = sum(emulator.faults_injected.values())

    assert sorted(r.index for r in results) == list(range(10_000))
    assert faults >= 1_500, "the run must really have met faults"
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SENT] > 7_000
    assert outcomes[Outcome.AMBIGUOUS] > 0
    assert outcomes[Outcome.FAILED] > 0
    for result in results:
        times_accepted = accepted[f"c-{result.index}"]
        if result.outcome is Outcome.SENT:
            assert times_accepted == 1, result
        if times_accepted:
            assert result.outcome is not Outcome.FAILED, result
    assert max(accepted.values()) == 1, "default settings never send a message twice"


async def test_unsafe_retries_report_every_duplicate() -> None:
    """With retry_non_idempotent, duplicates can happen, and each one is reported."""
    retry = RetryPolicy(
        max_retries=3, backoff_base=0.005, backoff_max=0.05, retry_non_idempotent=True
    )
    async with Emulator(seed=7) as emulator:
        emulator.inject_faults("SendMessage", FaultPlan(rate=0.2, slow_seconds=0.6))
        results = await send_all(emulator, 3_000, retry)
        accepted = Counter(entry.correlation_id for entry in emulator.ledger)

    by_index = {r.index: r for r in results}
    duplicated = [int(cid.removeprefix("c-")) for cid, n in accepted.items() if n > 1]
    assert duplicated, "after-processing faults retried must produce some duplicates"
    for index in duplicated:
        result = by_index[index]
        assert result.maybe_processed, result
    reported = sum(r.maybe_processed and r.ok for r in results)
    assert reported >= sum(by_index[i].outcome is Outcome.SENT for i in duplicated)
