"""Bulk sends through batches: row mapping and grouping without sockets, then send_many
(via="batch") against the emulator with exact row-to-result mapping."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from conversation_async import ConversationClient, PermissionDeniedError, ServerError
from conversation_async._batch_bulk import Grouper, batch_request, group_results, row_recipient
from conversation_async.bulk import BatchBulkResult, BatchRow, Outcome, batch_text
from conversation_async.models import (
    AppMessage,
    IdentifiedRecipient,
    RecipientAndParam,
    SendMessageRequest,
    TemplateMessage,
    TemplateReference,
    TextMessage,
)
from conversation_async.testing import BatchSettings, Emulator, ScriptedResponse
from tests.conftest import FAST_RETRY

HELLO = AppMessage(content=TextMessage(text=batch_text("Hi {name}, code {code}")))


def identity(index: int) -> str:
    return f"+4670{index:07d}"


def row(index: int, message: AppMessage = HELLO, app_id: str = "app") -> BatchRow:
    return BatchRow(
        request=SendMessageRequest(
            app_id=app_id,
            recipient=IdentifiedRecipient.of(("SMS", identity(index))),
            message=message,
        ),
        parameters={"name": f"n{index}", "code": str(index)},
    )


# --- pure ---------------------------------------------------------------------------------


def test_batch_text_turns_columns_into_batch_parameters() -> None:
    """{column} becomes ${column}; doubled braces stay literal braces."""
    assert batch_text("Hi {name}, {{not}} {code}!") == "Hi ${name}, {not} ${code}!"
    assert batch_text("no placeholders") == "no placeholders"
    assert batch_text("cost ${amount}") == "cost $${amount}"  # a dollar sign, then the value


@pytest.mark.parametrize("text", ["{n:>3}", "{n!r}", "{0}", "{a.b}", "{a[0]}", "cost ${{x}}"])
def test_batch_text_refuses_what_batches_cannot_express(text: str) -> None:
    """Specs, conversions, positional or looked-up fields and a literal '${' are refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        batch_text(text)


def test_row_recipient_carries_parameters_and_per_row_metadata() -> None:
    """A BatchRow's parameters and metadata become its RecipientAndParam; a bare request
    has none; a dict conversation_metadata travels per recipient."""
    request = SendMessageRequest(
        app_id="a",
        recipient=IdentifiedRecipient.of(("SMS", "+1")),
        message=HELLO,
        conversation_metadata={"tier": "gold"},
    )
    entry = row_recipient(
        BatchRow(request=request, parameters={"name": "A"}, message_metadata={"k": "v"})
    )
    assert entry == RecipientAndParam(
        recipient=request.recipient,
        parameters={"name": "A"},
        message_metadata={"k": "v"},
        conversation_metadata={"tier": "gold"},
    )
    assert row_recipient(row(1).request).parameters is None


def test_row_recipient_refuses_fields_a_batch_cannot_carry_per_message() -> None:
    """queue, a string message_metadata, a string conversation_metadata: ValueError."""
    base = row(1).request
    for change in (
        {"queue": "HIGH_PRIORITY"},
        {"message_metadata": "tag"},
        {"conversation_metadata": "{}"},
    ):
        bad = SendMessageRequest(
            **{**{f: getattr(base, f) for f in ("app_id", "recipient", "message")}, **change}
        )  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="cannot send this row"):
            row_recipient(bad)
    with pytest.raises(TypeError):
        row_recipient("not a row")  # type: ignore[arg-type]


def test_2500_rows_of_one_definition_make_three_groups_in_row_order() -> None:
    """Groups fill to 1,000 as rows come: rows 0-999, 1000-1999, then 2000-2499 at drain."""
    grouper = Grouper()
    ready = []
    for index in range(2500):
        current = row(index)
        ready += grouper.add(index, current.request, row_recipient(current))
    ready += grouper.drain()
    assert [g.indices for g in ready] == [
        list(range(1000)),
        list(range(1000, 2000)),
        list(range(2000, 2500)),
    ]
    assert grouper.held == 0


def test_rows_with_different_definitions_never_share_a_group() -> None:
    """Another text, app or option splits the rows; equal messages from distinct objects
    group together."""
    other = AppMessage(content=TextMessage(text="bye"))
    same_again = AppMessage(content=TextMessage(text=batch_text("Hi {name}, code {code}")))
    grouper = Grouper(size=10)
    rows = [row(0), row(1, other), row(2, same_again), row(3, app_id="app2"), row(4)]
    for index, current in enumerate(rows):
        assert grouper.add(index, current.request, row_recipient(current)) == []
    assert sorted(g.indices for g in grouper.drain()) == [[0, 2, 4], [1], [3]]


def test_too_many_open_definitions_send_the_oldest_group_early() -> None:
    """Past max_open definitions, the oldest open group is handed back to be sent."""
    grouper = Grouper(size=10, max_open=2)
    messages = [AppMessage(content=TextMessage(text=f"m{i}")) for i in range(3)]
    assert grouper.add(0, row(0, messages[0]).request, row_recipient(row(0))) == []
    assert grouper.add(1, row(1, messages[1]).request, row_recipient(row(1))) == []
    (evicted,) = grouper.add(2, row(2, messages[2]).request, row_recipient(row(2)))
    assert evicted.indices == [0]


def test_batch_request_and_results_follow_the_group() -> None:
    """The request lists the rows' recipients in order; results give each row its position."""
    grouper = Grouper(size=3)
    (group,) = [g for i in range(3) for g in grouper.add(i, row(i).request, row_recipient(row(i)))]
    request = batch_request(group)
    assert request.app_id == "app"
    assert request.message == HELLO
    assert [r.parameters for r in request.recipient_and_params] == [
        {"name": f"n{i}", "code": str(i)} for i in range(3)
    ]
    results = group_results(group, outcome=Outcome.FAILED, attempts=0)
    assert [(r.index, r.batch_position, r.batch_id) for r in results] == [
        (0, None, None),
        (1, None, None),
        (2, None, None),
    ]


# --- over loopback --------------------------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[ConversationClient]:
    async with emu.client(retry=FAST_RETRY) as batch_client:
        yield batch_client


async def collect(
    client: ConversationClient, rows: object, **options: object
) -> list[BatchBulkResult]:
    results: list[BatchBulkResult] = []
    async with client.messages.send_many(rows, via="batch", **options) as bulk:  # type: ignore[call-overload]
        async for result in bulk:
            results.append(result)
    return results


async def test_2500_rows_go_out_as_3_requests_with_one_result_per_row(
    emu: Emulator, client: ConversationClient
) -> None:
    """2,500 rows -> 3 SendBatch requests, no per-message send; each row's result names the
    batch and position whose generated message went to that row's recipient with its text."""
    results = await collect(client, (row(i) for i in range(2500)), concurrency=2)
    assert emu.requests_seen["SendBatch"] == 3
    assert emu.requests_seen["SendMessage"] == 0
    assert sorted(r.index for r in results) == list(range(2500))
    assert {r.outcome for r in results} == {Outcome.SENT}
    assert sorted(Counter(r.batch_id for r in results).values()) == [500, 1000, 1000]
    for result in results:
        assert result.batch_id is not None
        assert result.batch_position is not None
        message_id = emu.store.batches[result.batch_id].message_ids[result.batch_position]
        message = emu.store.messages[message_id].message
        assert message["channel_identity"]["identity"] == identity(result.index)
        assert message["app_message"]["text_message"]["text"] == (
            f"Hi n{result.index}, code {result.index}"
        )
        assert result.request.recipient == IdentifiedRecipient.of(("SMS", identity(result.index)))


async def test_template_rows_send_their_own_parameters(
    emu: Emulator, client: ConversationClient
) -> None:
    """A template whose parameters are ${column} placeholders gets each row's values."""
    template = AppMessage(
        content=TemplateMessage(
            omni_template=TemplateReference(
                template_id="t", version="1", parameters={"name": "${name}"}
            )
        )
    )
    rows = [row(i, template) for i in range(3)]
    results = await collect(client, rows)
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    sent = [
        e.request["message"]["template_message"]["omni_template"]["parameters"] for e in emu.ledger
    ]
    assert sent == [{"name": "n0"}, {"name": "n1"}, {"name": "n2"}]


async def test_a_refused_batch_fails_its_rows_with_the_batch_error(
    emu: Emulator, client: ConversationClient
) -> None:
    """The second of three batches answered 500: its rows are ambiguous with that error
    (a POST is never retried then), the others are sent."""
    emu.script("SendBatch", ScriptedResponse(200, passthrough=True), ScriptedResponse(500))
    results = await collect(client, [row(i) for i in range(2500)], concurrency=1)
    by_outcome = Counter(r.outcome for r in results)
    assert by_outcome == {Outcome.SENT: 1500, Outcome.AMBIGUOUS: 1000}
    failed = sorted(r.index for r in results if r.outcome is Outcome.AMBIGUOUS)
    assert failed == list(range(1000, 2000))
    errors = {id(r.error) for r in results if r.error is not None}
    assert len(errors) == 1
    assert all(isinstance(r.error, ServerError) for r in results if r.error is not None)


async def test_a_project_without_batches_is_a_clear_error_and_nothing_is_sent_per_message(
    emu: Emulator, client: ConversationClient
) -> None:
    """403: the first batch's rows fail with PermissionDeniedError, every later row is
    not_attempted with it, the summary says why, and no message is sent any other way."""
    emu.batch_settings = BatchSettings(enabled=False)
    bulk = client.messages.send_many((row(i) for i in range(2500)), via="batch", concurrency=1)
    results = []
    async with bulk:
        async for result in bulk:
            results.append(result)
    assert Counter(r.outcome for r in results) == {
        Outcome.FAILED: 1000,
        Outcome.NOT_ATTEMPTED: 1500,
    }
    assert all(isinstance(r.error, PermissionDeniedError) for r in results)
    (stopped,) = bulk.summary().stopped_by
    assert "not be enabled for the Batch API" in stopped
    assert emu.requests_seen["SendMessage"] == 0
    assert emu.requests_seen["SendBatch"] == 1
    assert emu.ledger == []


async def test_invalid_rows_fail_alone_and_misuse_raises(client: ConversationClient) -> None:
    """A row a batch cannot carry fails before any request; the others are sent; an input
    that is not a row stops the send with TypeError."""
    bad = BatchRow(
        request=SendMessageRequest(
            app_id="app",
            recipient=IdentifiedRecipient.of(("SMS", "+1")),
            message=HELLO,
            queue="HIGH_PRIORITY",
        )
    )
    results = await collect(client, [row(0), bad, row(2)])
    outcomes = {r.index: (r.outcome, r.attempts) for r in results}
    assert outcomes == {0: (Outcome.SENT, 1), 1: (Outcome.FAILED, 0), 2: (Outcome.SENT, 1)}
    with pytest.raises(TypeError, match="not a BatchRow"):
        await collect(client, [row(0), "text"])


async def test_run_summarises_and_stop_reports_grouped_rows_as_not_attempted(
    emu: Emulator, client: ConversationClient
) -> None:
    """run() counts every row; stop() before anything was sent leaves every pulled row
    not_attempted and says from which index nothing was pulled."""
    summary = await client.messages.send_many([row(i) for i in range(1500)], via="batch").run()
    assert summary.by_outcome["sent"] == 1500
    assert summary.total == 1500

    def endless() -> Iterator[BatchRow]:
        index = 0
        while True:
            yield row(index)
            index += 1

    emu.latency = 0.2
    bulk = client.messages.send_many(endless(), via="batch", concurrency=1)
    results = []
    async with bulk:
        async for result in bulk:
            if not bulk.stopping:
                bulk.stop(grace=0)
            results.append(result)
    summary = bulk.summary()
    assert summary.not_attempted_from is not None
    assert sorted(r.index for r in results) == list(range(summary.not_attempted_from))
    assert Outcome.NOT_ATTEMPTED in {r.outcome for r in results}


async def test_an_unknown_via_is_refused(client: ConversationClient) -> None:
    """via is 'messages' or 'batch'; anything else is a ValueError naming both."""
    with pytest.raises(ValueError, match="via must be"):
        client.messages.send_many([row(0)], via="fax")  # type: ignore[call-overload]
    await asyncio.sleep(0)
