"""The durable inbox's decisions without Redis or sockets: entries, replies, dead letters,
claim timing, settings; and the receiver's answer waiting for the append."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conversation_async.callbacks import (
    CallbackReceiver,
    MessageInboundEvent,
    dedupe_key,
    parse_callback,
)
from conversation_async.callbacks import _inbox_rules as rules
from conversation_async.callbacks._receiver_core import VerifiedCallback
from conversation_async.redis import RedisStreamInbox
from tests.callbacks.support import SECRET, inbound, signed


def entry(body: bytes | None, deliveries: int = 1, entry_id: str = "1-0") -> rules.Entry:
    return rules.Entry(entry_id, None if body is None else {rules.BODY: body}, deliveries)


def test_an_appended_entry_is_the_raw_body_and_parses_back_to_the_same_callback() -> None:
    """The worker gets the receiver's event and dedupe key from the bytes as received."""
    body = inbound("m1")
    event = parse_callback(body)
    sent = VerifiedCallback(event=event, body=body, key=dedupe_key(event, body))
    plan = rules.plan(rules.Entry("1-0", rules.entry_fields(sent)), max_deliveries=3)
    assert plan == rules.Handle(sent)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({rules.BODY: b"not json"}, "malformed"),
        ({rules.BODY: b"[]"}, "malformed"),
        ({"other": b"x"}, "malformed: no body field"),
        (None, "trimmed"),
    ],
)
def test_an_entry_that_cannot_be_handled_is_dead_lettered_at_once(
    fields: dict[str, bytes] | None, reason: str
) -> None:
    """Malformed or trimmed entries are never retried: they would only fail again."""
    plan = rules.plan(rules.Entry("1-0", fields), max_deliveries=5)
    assert isinstance(plan, rules.DeadLetter)
    assert plan.reason.startswith(reason)


def test_an_entry_is_handled_up_to_max_deliveries_then_dead_lettered() -> None:
    """Deliveries 1..max run the handlers; the next one gives the entry up."""
    for deliveries in (1, 3):
        assert isinstance(rules.plan(entry(inbound(), deliveries), 3), rules.Handle)
    plan = rules.plan(entry(inbound(), 4), 3)
    assert plan == rules.DeadLetter("not handled after 3 deliveries")


def test_a_dead_letter_keeps_the_body_origin_deliveries_and_reason() -> None:
    """Enough to inspect the entry and replay its body."""
    fields = rules.dead_letter_fields(entry(b"{}", 6, "7-1"), "why")
    assert fields == {"body": b"{}", "entry": b"7-1", "deliveries": b"6", "reason": b"why"}
    assert rules.dead_letter_fields(entry(None), "trimmed")["body"] == b""


def test_the_handled_key_is_apart_from_the_receivers_key_and_per_group() -> None:
    """One dedupe store can serve the receiver and the workers of several groups."""
    key = dedupe_key(parse_callback(inbound("m")), inbound("m"))
    assert rules.handled_key("g", key) != key
    assert rules.handled_key("g", key) != rules.handled_key("h", key)


@pytest.mark.parametrize(
    "reply",
    [
        [[b"s", [(b"1-0", {b"body": b"a"}), (b"2-0", {b"body": b"b"})]]],  # RESP2
        {"s": [("1-0", {"body": "a"}), ("2-0", {"body": "b"})]},  # unified, decoded
        {b"s": [[(b"1-0", {b"body": b"a"}), (b"2-0", {b"body": b"b"})]]},  # RESP3
        [[b"s", [[b"1-0", [b"body", b"a"]], [b"2-0", [b"body", b"b"]]]]],  # flat fields
    ],
)
def test_xreadgroup_replies_of_every_shape_read_alike(reply: Any) -> None:
    """Protocol, client version and decode_responses change the shape, not the entries."""
    assert rules.read_entries(reply) == [
        rules.Entry("1-0", {"body": b"a"}),
        rules.Entry("2-0", {"body": b"b"}),
    ]


@pytest.mark.parametrize("reply", [None, [], {}, [[b"s", []]]])
def test_an_empty_xreadgroup_reply_has_no_entries(reply: Any) -> None:
    """A read that timed out yields nothing."""
    assert rules.read_entries(reply) == []


def test_an_xautoclaim_reply_gives_the_cursor_the_entries_and_the_trimmed_ids() -> None:
    """Redis 7 replies with three parts; Redis 6.2 with two."""
    reply = [b"5-0", [(b"3-0", {b"body": b"x"})], [b"4-0"]]
    assert rules.claimed_entries(reply) == (
        "5-0",
        [rules.Entry("3-0", {"body": b"x"}, 0)],
        ["4-0"],
    )
    assert rules.claimed_entries(["0-0", []]) == ("0-0", [], [])


def test_delivery_counts_come_from_the_pending_list() -> None:
    """Each claimed entry's count, by id."""
    rows = [{"message_id": b"3-0", "consumer": b"w", "times_delivered": 4}]
    assert rules.delivery_counts(rows) == {"3-0": 4}


def test_idle_entries_are_claimed_at_start_then_every_interval_and_until_a_scan_ends() -> None:
    """At once (leftovers of a dead worker), straight on mid-scan, then after a rest."""
    schedule = rules.ClaimSchedule(interval=10.0)
    assert schedule.due(0.0)
    schedule.scanned("42-0", now=0.0)  # more pending entries to look at
    assert schedule.due(0.0)
    assert schedule.cursor == "42-0"
    schedule.scanned("0-0", now=1.0)
    assert not schedule.due(10.9)
    assert schedule.due(11.0)


def test_settings_that_would_claim_from_a_live_worker_are_refused() -> None:
    """min_idle must exceed handler_timeout; sizes and counts must be positive."""
    with pytest.raises(ValueError, match="min_idle"):
        rules.check_settings(
            maxlen=10, min_idle=30, handler_timeout=30, max_deliveries=5, append_timeout=2
        )
    with pytest.raises(ValueError, match="positive"):
        rules.check_settings(
            maxlen=0, min_idle=60, handler_timeout=30, max_deliveries=5, append_timeout=2
        )
    rules.check_settings(
        maxlen=10, min_idle=60, handler_timeout=30, max_deliveries=5, append_timeout=2
    )


class SlowRedis:
    """Just enough of a redis client for an append: XADD waits until released."""

    def __init__(self, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.appended: list[tuple[str, dict[str, bytes], int | None]] = []
        self.fail = fail

    async def xadd(
        self, name: str, fields: dict[str, bytes], maxlen: int | None = None, **_: Any
    ) -> bytes:
        self.started.set()
        await self.release.wait()
        if self.fail:
            raise ConnectionError("Redis went away")
        self.appended.append((name, fields, maxlen))
        return b"1-0"


async def test_the_receiver_answers_only_once_the_append_is_done() -> None:
    """No 200 while XADD is outstanding; then 200, with the raw body appended, trimmed."""
    redis = SlowRedis()
    receiver = CallbackReceiver(SECRET, inbox=RedisStreamInbox(redis, stream="s", maxlen=7))  # type: ignore[arg-type]
    ran: list[str] = []

    @receiver.on(MessageInboundEvent)
    async def handler(event: MessageInboundEvent) -> None:
        ran.append("here")

    answer = asyncio.create_task(receiver.receive(signed(inbound("m")), inbound("m")))
    await asyncio.wait_for(redis.started.wait(), timeout=5)
    await asyncio.sleep(0.05)
    assert not answer.done()
    redis.release.set()
    assert await asyncio.wait_for(answer, timeout=5) == 200
    assert redis.appended == [("s", {"body": inbound("m")}, 7)]
    assert ran == []  # the workers run the handlers, not the receiver


async def test_a_failed_append_is_answered_503_and_its_redelivery_appended() -> None:
    """Sinch retries a 503; the event was not remembered as seen, so the retry goes in."""
    redis = SlowRedis(fail=True)
    redis.release.set()
    receiver = CallbackReceiver(SECRET, inbox=RedisStreamInbox(redis))  # type: ignore[arg-type]
    assert await receiver.receive(signed(inbound("m")), inbound("m")) == 503
    assert receiver.stats.refused == {"store unavailable": 1}
    redis.fail = False
    assert await receiver.receive(signed(inbound("m")), inbound("m")) == 200
    assert len(redis.appended) == 1
    assert await receiver.receive(signed(inbound("m")), inbound("m")) == 200  # duplicate
    assert len(redis.appended) == 1


def test_an_inbox_receiver_takes_no_ack_mode() -> None:
    """The answer always waits for the append; an ack mode there is a mistake."""
    with pytest.raises(ValueError, match="ack does not apply"):
        CallbackReceiver(SECRET, inbox=RedisStreamInbox(SlowRedis()), ack="immediately")  # type: ignore[arg-type]
