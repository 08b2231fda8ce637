"""client.messages.send_many against the emulator: one result per input, bounded, cancellable."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from conversation_async import (
    BadRequestError,
    ClientStateError,
    ConversationClient,
    RateLimitError,
    RetryPolicy,
)
from conversation_async._bulk import SendOne
from conversation_async._core.call import CallState, Reported
from conversation_async.bulk import BulkProgress, BulkResult, BulkSend, Outcome
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    SendMessageRequest,
    SendMessageResponse,
    TextMessage,
)
from conversation_async.testing import Emulator, FaultMode, FaultPlan, ScriptedResponse

NO_RETRY = RetryPolicy(max_retries=0)


def request(i: int, app_id: str = "bulk-app") -> SendMessageRequest:
    return SendMessageRequest(
        app_id=app_id,
        recipient=IdentifiedRecipient.of(("SMS", f"+4670{i:07d}")),
        message=AppMessage(content=TextMessage(text=f"message {i}")),
        correlation_id=f"c-{i}",
    )


def requests(n: int) -> Iterator[SendMessageRequest]:
    return (request(i) for i in range(n))


async def collect(client: ConversationClient, reqs: object, **kwargs: object) -> list[BulkResult]:
    async with client.messages.send_many(reqs, **kwargs) as results:  # type: ignore[arg-type]
        return [r async for r in results]


async def drain(bulk: BulkSend, how: str) -> None:
    """Consume ``bulk`` the way users do: iterating its results, or ``run()``."""
    if how == "run":
        await bulk.run()
        return
    async with bulk:
        async for _ in bulk:
            pass


CONSUMERS = pytest.mark.parametrize("how", ["iterate", "run"])


async def test_every_input_gets_exactly_one_result(
    emulator: Emulator, client: ConversationClient
) -> None:
    """300 inputs, 300 results, each index once, all sent and stored."""
    results = await collect(client, requests(300), concurrency=16)
    assert sorted(r.index for r in results) == list(range(300))
    assert all(r.ok and r.response is not None for r in results)
    assert len(emulator.store.messages) == 300
    stored = {m.correlation_id for m in emulator.store.messages.values()}
    assert stored == {f"c-{i}" for i in range(300)}


async def test_async_iterable_input_is_accepted(client: ConversationClient) -> None:
    """An async generator of requests works like a list."""

    async def produce() -> AsyncIterator[SendMessageRequest]:
        for i in range(20):
            yield request(i)

    assert len(await collect(client, produce(), concurrency=4)) == 20


async def test_input_is_consumed_lazily(client: ConversationClient) -> None:
    """From a million-item generator only about what is needed is ever pulled."""
    pulled = 0

    def huge() -> Iterator[SendMessageRequest]:
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield request(i)

    async with client.messages.send_many(huge(), concurrency=8) as results:
        seen = 0
        async for _ in results:
            seen += 1
            if seen == 100:
                break
    assert pulled <= 100 + 2 * 8 + 1


async def test_results_arrive_in_completion_order(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A slow first send is reported after the faster ones."""
    emulator.script("SendMessage", ScriptedResponse(delay=0.3, passthrough=True))
    results = await collect(client, requests(5), concurrency=5)
    assert results[-1].index == 0


async def test_concurrency_bounds_sends_in_flight(emulator: Emulator) -> None:
    """With 4 workers and 50 ms per send, 20 sends take at least five rounds."""
    emulator.latency = 0.05
    seen: list[BulkProgress] = []
    async with emulator.client() as client:
        await client.messages.send(
            app_id="warm",
            recipient=IdentifiedRecipient.of(("SMS", "+1")),
            message=TextMessage(text="x"),
        )
        started = time.monotonic()
        async with client.messages.send_many(
            requests(20), concurrency=4, progress=seen.append
        ) as results:
            async for _ in results:
                pass
    assert time.monotonic() - started >= 0.25
    assert max(p.in_flight for p in seen) <= 4


async def test_failures_are_results_classified_by_what_the_api_may_have_done(
    emulator: Emulator,
) -> None:
    """400 and 429 are certain failures; a 500 after a POST is ambiguous; others still go."""
    emulator.script(
        "SendMessage",
        ScriptedResponse(status=400, body={"error": {"code": 400, "status": "INVALID_ARGUMENT"}}),
        ScriptedResponse(status=500),
        ScriptedResponse(passthrough=True),
        ScriptedResponse(status=429),
    )
    async with emulator.client(retry=NO_RETRY) as client:
        results = await collect(client, requests(4), concurrency=1)
    outcomes = [r.outcome for r in sorted(results, key=lambda r: r.index)]
    assert outcomes == [Outcome.FAILED, Outcome.AMBIGUOUS, Outcome.SENT, Outcome.FAILED]
    assert isinstance(results[0].error, BadRequestError)


async def test_timeout_after_sending_is_ambiguous(emulator: Emulator) -> None:
    """A send that timed out may have been accepted: ambiguous, not failed."""
    emulator.script("SendMessage", ScriptedResponse(delay=1.0, passthrough=True))
    async with emulator.client(timeout=0.2, retry=NO_RETRY) as client:
        results = await collect(client, requests(1))
    assert results[0].outcome is Outcome.AMBIGUOUS
    assert results[0].error is not None


async def test_invalid_item_is_a_failed_result_and_the_batch_goes_on(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A request with an empty app_id fails locally, without stopping the others."""
    inputs = [request(0), request(1, app_id=""), request(2)]
    results = {r.index: r for r in await collect(client, inputs)}
    assert results[1].outcome is Outcome.FAILED
    assert isinstance(results[1].error, ValueError)
    assert results[0].ok
    assert results[2].ok
    assert emulator.requests_seen["SendMessage"] == 2


@CONSUMERS
async def test_non_request_input_is_misuse_and_raises(client: ConversationClient, how: str) -> None:
    """Something that is not a SendMessageRequest stops the batch with TypeError."""
    inputs: list[object] = [request(0), "not a request", request(2)]
    bulk = client.messages.send_many(inputs, concurrency=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input #1"):
        await drain(bulk, how)
    assert bulk_tasks() == []


@CONSUMERS
async def test_failing_input_iterator_raises_its_error(
    client: ConversationClient, how: str
) -> None:
    """An exception from the caller's own iterator is not swallowed."""

    def broken() -> Iterator[SendMessageRequest]:
        yield request(0)
        raise LookupError("csv row 2 is broken")

    with pytest.raises(LookupError, match="csv row 2"):
        await drain(client.messages.send_many(broken(), concurrency=1), how)


@CONSUMERS
async def test_a_client_closed_mid_batch_stops_it(emulator: Emulator, how: str) -> None:
    """Closing the client under a running batch raises ClientStateError; nothing is left."""
    emulator.latency = 0.05
    async with emulator.client() as client:
        bulk = client.messages.send_many(requests(1000), concurrency=4)
        task = asyncio.create_task(drain(bulk, how))
        await asyncio.sleep(0.3)
        await client.aclose()
        with pytest.raises(ClientStateError, match="closed"):
            await task
    assert bulk_tasks() == []
    assert 0 < bulk.summary().total < 1000


def bulk_tasks() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "").startswith("BulkSend.")
    ]


@CONSUMERS
async def test_cancelling_the_consumer_cancels_and_awaits_sends_in_flight(
    emulator: Emulator, how: str
) -> None:
    """Cancelled mid-way: no bulk task or borrowed connection remains; the summary says what
    was interrupted and from where nothing was attempted."""
    emulator.latency = 0.2
    async with emulator.client() as client:
        bulk = client.messages.send_many(requests(1000), concurrency=8)
        task = asyncio.create_task(drain(bulk, how))
        await asyncio.sleep(0.5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert bulk_tasks() == []
        connector = client._transport._session.connector
        assert connector is not None
        assert len(connector._acquired) == 0
    summary = bulk.summary()
    assert summary.interrupted
    assert len(summary.interrupted) <= 8
    assert summary.not_attempted_from is not None
    assert summary.total + len(summary.interrupted) == summary.not_attempted_from


async def test_leaving_the_block_early_stops_the_batch(client: ConversationClient) -> None:
    """Breaking out inside `async with` cancels what is left."""
    async with client.messages.send_many(requests(10_000), concurrency=4) as results:
        async for result in results:
            if result.index >= 10:
                break
    assert bulk_tasks() == []


async def test_progress_callback_gets_final_counts(client: ConversationClient) -> None:
    """The last progress report counts every input."""
    seen: list[BulkProgress] = []
    await client.messages.send_many(requests(50), concurrency=8, progress=seen.append).run()
    assert seen[-1].done == 50
    assert seen[-1].sent == 50
    assert seen[-1].in_flight == 0


async def test_batch_rate_limit_paces_the_sends(client: ConversationClient) -> None:
    """rate_limit=40 spreads 20 sends over at least 0.3 s."""
    started = time.monotonic()
    await client.messages.send_many(requests(20), rate_limit=40).run()
    assert time.monotonic() - started >= 0.3


async def test_summary_counts_outcomes_errors_and_latency(emulator: Emulator) -> None:
    """The summary groups errors by status and has latency quantiles."""
    emulator.script("SendMessage", ScriptedResponse(status=400))
    async with emulator.client(retry=NO_RETRY) as client:
        summary = await client.messages.send_many(requests(20), concurrency=1).run()
    assert summary.total == 20
    assert summary.by_outcome == {
        "sent": 19,
        "failed": 1,
        "ambiguous": 0,
        "not_attempted": 0,
        "interrupted": 0,
    }
    assert summary.by_error == {"HTTP 400": 1}
    assert summary.p50_latency is not None
    assert summary.p95_latency is not None
    assert summary.p95_latency >= summary.p50_latency
    assert "19 sent" in summary.format()


def test_bad_concurrency_is_refused() -> None:
    """concurrency must be a positive int."""
    client = ConversationClient("p", "i", "s")
    with pytest.raises(ValueError, match="concurrency"):
        client.messages.send_many([], concurrency=0)


async def test_a_bulk_send_is_iterated_once(client: ConversationClient) -> None:
    """Iterating again would resend nothing: it raises instead."""
    bulk = client.messages.send_many([request(0)])
    await bulk.run()
    with pytest.raises(RuntimeError, match="once"):
        bulk.__aiter__()


async def test_success_after_an_unsafe_retry_says_it_may_have_been_processed_twice(
    emulator: Emulator,
) -> None:
    """With retry_non_idempotent, a send retried after a 500 says it may be a duplicate."""
    emulator.script("SendMessage", ScriptedResponse(status=500))
    retry = RetryPolicy(backoff_base=0.001, retry_non_idempotent=True)
    async with emulator.client(retry=retry) as client:
        bulk = client.messages.send_many(requests(3), concurrency=1)
        async with bulk:
            results = sorted([r async for r in bulk], key=lambda r: r.index)
    assert [(r.ok, r.attempts, r.maybe_processed) for r in results] == [
        (True, 2, True),
        (True, 1, False),
        (True, 1, False),
    ]
    assert bulk.summary().maybe_processed == 1
    assert "(maybe sent twice): 1" in bulk.summary().format()


async def test_failure_after_an_unsafe_retry_is_ambiguous_not_failed(emulator: Emulator) -> None:
    """A 500 retried, then a final 429: the first attempt may have been accepted, so the
    input is ambiguous, never certainly failed."""
    emulator.script(
        "SendMessage",
        ScriptedResponse(status=500),
        ScriptedResponse(status=429, headers={"Retry-After": "0"}),
    )
    retry = RetryPolicy(max_retries=1, backoff_base=0.001, retry_non_idempotent=True)
    async with emulator.client(retry=retry) as client:
        (result,) = await collect(client, requests(1))
    assert (result.outcome, result.attempts) == (Outcome.AMBIGUOUS, 2)
    assert isinstance(result.error, RateLimitError)
    assert result.error.maybe_processed
    assert result.maybe_processed


async def test_retried_429_was_not_processed(emulator: Emulator) -> None:
    """A 429 was not processed: the retry that follows cannot duplicate anything."""
    emulator.script("SendMessage", ScriptedResponse(status=429, headers={"Retry-After": "0"}))
    async with emulator.client(retry=RetryPolicy(backoff_base=0.001)) as client:
        (result,) = await collect(client, requests(1))
    assert (result.ok, result.attempts, result.maybe_processed) == (True, 2, False)


# --- never a silent wait (issue 11, defect 1) ----------------------------------------------
# Every input yields exactly one result, or the iteration raises. Each test bounds its wait,
# so a regression fails on the timeout instead of hanging the suite.

HANG_GUARD = 10.0
"""Seconds a batch may take in these tests before it counts as hung."""


def accepted(request: SendMessageRequest) -> Reported[SendMessageResponse]:
    """What a successful send returns, without a server: the response and a one-attempt
    report."""
    state = CallState("POST", "/messages:send", policy=NO_RETRY, now=0.0, timeout=1, deadline=1)
    state.answered(200, {}, b"{}", 0.0)
    return Reported(SendMessageResponse(message_id=f"m-{request.correlation_id}"), None, state)


def raising_on(index: int, error: BaseException) -> SendOne:
    """A send function that accepts every input except ``request(index)``, which raises."""

    async def send(request: SendMessageRequest) -> Reported[SendMessageResponse]:
        await asyncio.sleep(0.001)
        if request.correlation_id == f"c-{index}":
            raise error
        return accepted(request)

    return send


@CONSUMERS
async def test_a_borrowed_session_closed_mid_batch_raises_client_state_error(
    emulator: Emulator, how: str
) -> None:
    """Closing the aiohttp session the client borrowed, under a running batch, raises
    ClientStateError from the iteration (and from run()) instead of waiting forever."""
    emulator.latency = 0.05
    async with aiohttp.ClientSession() as session, emulator.client(session=session) as client:
        bulk = client.messages.send_many(requests(1000), concurrency=4)
        task = asyncio.create_task(drain(bulk, how))
        await asyncio.sleep(0.3)
        await session.close()
        async with asyncio.timeout(HANG_GUARD):
            with pytest.raises(ClientStateError, match="session"):
                await task
    assert bulk_tasks() == []


@CONSUMERS
async def test_closing_the_client_while_the_batch_waits_for_its_first_token_raises(
    emulator: Emulator, how: str
) -> None:
    """aclose() while every worker waits for the first access token: the batch raises
    ClientStateError (the waiters are told the client closed), and nothing was sent."""
    emulator.script("Token", ScriptedResponse(delay=1, passthrough=True))
    async with emulator.client() as client:
        bulk = client.messages.send_many(requests(100), concurrency=8)
        task = asyncio.create_task(drain(bulk, how))
        await asyncio.sleep(0.2)
        await client.aclose()
        async with asyncio.timeout(HANG_GUARD):
            with pytest.raises(ClientStateError, match="closed"):
                await task
    assert bulk_tasks() == []
    assert emulator.requests_seen["SendMessage"] == 0


@CONSUMERS
@pytest.mark.parametrize("error", [KeyError("internal"), RuntimeError("internal")])
async def test_an_unexpected_error_inside_a_send_is_raised_not_waited_on(
    how: str, error: Exception
) -> None:
    """A send that raises something no send should (a bug, say) stops the batch with that
    very error; no worker is left behind."""
    bulk = BulkSend(raising_on(5, error), [request(i) for i in range(40)], concurrency=4)
    async with asyncio.timeout(HANG_GUARD):
        with pytest.raises(type(error)) as raised:
            await drain(bulk, how)
    assert raised.value is error
    assert bulk_tasks() == []


@CONSUMERS
async def test_a_send_cancelled_from_outside_the_batch_raises_not_waited_on(how: str) -> None:
    """A send raising CancelledError while nobody cancelled the batch stops it with a
    RuntimeError saying so (a CancelledError would pass for the consumer's own)."""
    bulk = BulkSend(
        raising_on(5, asyncio.CancelledError()), [request(i) for i in range(40)], concurrency=4
    )
    async with asyncio.timeout(HANG_GUARD):
        with pytest.raises(RuntimeError, match="cancelled from outside"):
            await drain(bulk, how)
    assert bulk_tasks() == []


@pytest.mark.parametrize("seed", range(6))
async def test_any_mix_of_outcomes_yields_exactly_one_result_per_input(
    emulator: Emulator, seed: int
) -> None:
    """Random mixes of 500, 503, 400 and successes, with app_id-less inputs among them,
    at random concurrency: exactly N results with the indexes 0..N-1, and the summary and
    the progress count what was yielded."""
    rng = random.Random(seed)  # noqa: S311 - reproducible mixes, not crypto
    count = rng.randrange(50, 250)
    inputs = [request(i, app_id="" if rng.random() < 0.05 else "bulk-app") for i in range(count)]
    answers = [ScriptedResponse(status=500), ScriptedResponse(status=503)]
    answers += [ScriptedResponse(status=400), ScriptedResponse(passthrough=True)]
    emulator.script("SendMessage", *(rng.choice(answers) for _ in range(count)))
    retry = rng.choice([NO_RETRY, RetryPolicy(max_retries=2, backoff_base=0.001)])
    async with emulator.client(retry=retry) as client:
        bulk = client.messages.send_many(inputs, concurrency=rng.choice([1, 3, 16, 64]))
        async with asyncio.timeout(HANG_GUARD), bulk:
            results = [r async for r in bulk]
    assert sorted(r.index for r in results) == list(range(count))
    outcomes = Counter(r.outcome.value for r in results)
    summary = bulk.summary()
    assert summary.total == count
    assert {k: v for k, v in summary.by_outcome.items() if v} == dict(outcomes)
    assert bulk.progress.done == count
    unusable = [r for r in results if not r.request.app_id]
    assert all(r.outcome is Outcome.FAILED and isinstance(r.error, ValueError) for r in unusable)


async def test_stop_lets_sends_in_flight_finish_within_the_grace_and_pulls_no_more(
    emulator: Emulator,
) -> None:
    """stop(grace): the sends in flight end as sent, nothing more is pulled, the iteration
    ends by itself, and the summary says from which input nothing was attempted."""
    emulator.inject_faults(
        "SendMessage", FaultPlan(1.0, modes={FaultMode.SLOW: 1}, slow_seconds=0.3)
    )
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(100), concurrency=5)
        async with bulk as results:
            asyncio.get_running_loop().call_later(0.1, bulk.stop, 5.0)
            got = [r async for r in results]
    assert [r.outcome for r in got] == [Outcome.SENT] * 5
    assert bulk.summary().not_attempted_from == 5
    assert len(emulator.ledger) == 5


async def test_a_second_stop_with_no_grace_cuts_sends_short_as_interrupted_results(
    emulator: Emulator,
) -> None:
    """stop(grace) then stop(0): sends still in flight come back ``interrupted``, flagged
    maybe processed, through run() as well."""
    emulator.inject_faults("SendMessage", FaultPlan(1.0, modes={FaultMode.SLOW: 1}, slow_seconds=5))
    async with emulator.client(retry=NO_RETRY) as client:
        bulk = client.messages.send_many(requests(50), concurrency=3)
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, bulk.stop, 30.0)
        loop.call_later(0.2, bulk.stop, 0)
        summary = await asyncio.wait_for(bulk.run(), timeout=3)
    assert summary.by_outcome["interrupted"] == 3
    assert summary.maybe_processed == 3
    assert summary.not_attempted_from == 3
