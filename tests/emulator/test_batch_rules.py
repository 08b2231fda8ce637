"""The emulator's Batch API rules, without sockets: substitution, merge, send_after, status."""

from __future__ import annotations

import asyncio
import copy
import time
from datetime import UTC, datetime, timedelta

import pytest

from conversation_async.testing import BatchSettings, ManualClock
from conversation_async.testing._batch_rules import (
    CancelTarget,
    merge_metadata,
    missing_parameters,
    parse_cancel,
    placeholders,
    schedule,
    status_payload,
    substitute,
    substitution,
    transition,
    validate_send_batch,
)
from conversation_async.testing._store import UlidFactory

NOW = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
DEFAULTS = BatchSettings()
RECIPIENT = {"identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+1"}]}}


def body(count: int = 1, **extra: object) -> dict[str, object]:
    return {
        "app_id": "app",
        "message": {"text_message": {"text": "hi ${name}"}},
        "recipient_and_params": [{"recipient": RECIPIENT}] * count,
        **extra,
    }


def fields(problems: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in problems]


def test_substitute_fills_every_string_of_nested_objects_and_lists() -> None:
    """${name} is filled in nested objects and lists; keys and non-strings are kept."""
    message = {
        "card_message": {
            "title": "Hello ${first} ${last}",
            "media_message": {"url": "https://x.example/${first}.png"},
            "choices": [{"text_message": {"text": "${first}, pick ${n}"}}, {"n": 3}],
            "${first}": True,
        }
    }
    original = copy.deepcopy(message)
    filled = substitute(message, {"first": "Anna", "last": "Berg", "n": "1"})
    assert filled == {
        "card_message": {
            "title": "Hello Anna Berg",
            "media_message": {"url": "https://x.example/Anna.png"},
            "choices": [{"text_message": {"text": "Anna, pick 1"}}, {"n": 3}],
            "${first}": True,
        }
    }
    assert message == original


def test_substitute_handles_unicode_names_and_values_and_repeats() -> None:
    """Unicode in names, values and text survives; a placeholder used twice is filled twice."""
    filled = substitute("Hej ${namn} 👋 — ${namn}! ${städ}", {"namn": "Björn ☃", "städ": "Malmö"})
    assert filled == "Hej Björn ☃ 👋 — Björn ☃! Malmö"


def test_substitute_missing_values_stay_literal_or_become_empty() -> None:
    """A placeholder without a value stays as written by default, or becomes ''."""
    assert substitute("a ${x} b ${y}", {"y": "Y"}) == "a ${x} b Y"
    assert substitute("a ${x} b ${y}", {"y": "Y"}, missing="empty") == "a  b Y"
    assert substitute("cost $5 {x} ${", {"x": "no"}) == "cost $5 {x} ${"


def test_substitute_keeps_braces_percents_and_near_placeholders_as_written() -> None:
    """Only ``${name}`` is filled: braces, ``%``, ``$`` alone and malformed placeholders
    around it are text, and a value holding braces is inserted as is."""
    text = "{0} %s $x ${} ${a ${b}} {name} ${name}}"
    filled = substitute(text, {"name": "{N}", "b": "B"})
    assert filled == "{0} %s $x ${} ${a B} {name} {N}}"
    assert substitute(text, {}, missing="empty") == "{0} %s $x ${} ${a } {name} }"


def test_placeholders_and_missing_parameters_name_each_recipient() -> None:
    """Missing values are reported per recipient index, with the placeholder names."""
    request = body(3)
    request["recipient_and_params"] = [
        {"recipient": RECIPIENT, "parameters": {"name": "A"}},
        {"recipient": RECIPIENT},
        {"recipient": RECIPIENT, "parameters": {"other": "B"}},
    ]
    assert placeholders(request["message"]) == {"name"}
    assert missing_parameters(request) == [
        ("recipient_and_params[1].parameters", "no value for ${name}"),
        ("recipient_and_params[2].parameters", "no value for ${name}"),
    ]


def test_merge_metadata_recipient_wins_and_batch_id_is_forced() -> None:
    """Request keys, overridden by the recipient's, plus _batch_id over any caller value."""
    merged = merge_metadata({"a": "req", "b": "req", "_batch_id": "x"}, {"b": "rcp"}, "B1")
    assert merged == {"a": "req", "b": "rcp", "_batch_id": "B1"}
    assert merge_metadata(None, None, "B2") == {"_batch_id": "B2"}


def test_schedule_rounds_up_to_the_next_five_minute_mark_beyond_one_minute() -> None:
    """More than 1 min ahead: next 5-min boundary; within 1 min or on a boundary: as sent."""
    assert schedule(NOW + timedelta(minutes=3), NOW, DEFAULTS) == (
        datetime(2030, 1, 1, 12, 5, tzinfo=UTC),
        None,
    )
    assert schedule(datetime(2030, 1, 1, 12, 10, tzinfo=UTC), NOW, DEFAULTS)[0] == datetime(
        2030, 1, 1, 12, 10, tzinfo=UTC
    )
    soon = NOW + timedelta(seconds=45)
    assert schedule(soon, NOW, DEFAULTS) == (soon, None)
    exact = BatchSettings(send_after_rounding=None)
    later = NOW + timedelta(minutes=3)
    assert schedule(later, NOW, exact) == (later, None)


def test_schedule_limits_the_horizon_and_treats_the_past_as_now() -> None:
    """Beyond 7 days: refused or clamped; the past: immediate or refused; None: immediate."""
    far = NOW + timedelta(days=8)
    assert schedule(far, NOW, DEFAULTS) == (None, "must be at most 7 days ahead")
    clamped, refused = schedule(far, NOW, BatchSettings(send_after_too_far="clamp"))
    assert refused is None
    assert clamped is not None
    assert clamped - NOW <= timedelta(days=7, minutes=5)
    assert schedule(NOW - timedelta(hours=1), NOW, DEFAULTS) == (None, None)
    past = BatchSettings(send_after_past="reject")
    assert schedule(NOW, NOW, past) == (None, "must be in the future")
    assert schedule(None, NOW, DEFAULTS) == (None, None)


def test_status_transitions_allow_only_the_documented_moves() -> None:
    """SCHEDULED -> READY -> PROCESSED, SCHEDULED -> CANCELLED; nothing else moves."""
    assert transition("SCHEDULED", "due") == "READY"
    assert transition("SCHEDULED", "cancel") == "CANCELLED"
    assert transition("READY", "process") == "PROCESSED"
    for status in ("READY", "PROCESSED", "CANCELLED"):
        assert transition(status, "cancel") is None
    assert transition("CANCELLED", "due") is None
    assert transition("PROCESSED", "process") is None


def test_parse_cancel_reads_the_id_and_each_enabled_metadata_shape() -> None:
    """batch_id wins; camel, snake, map and query pairs are read only when enabled."""
    every = DEFAULTS.cancel_metadata_shapes
    assert parse_cancel({"batch_id": "B"}, {}, every) == CancelTarget(batch_id="B")
    pair = CancelTarget(key="k", value="v")
    assert parse_cancel({"metadataKey": "k", "metadataValue": "v"}, {}, every) == pair
    assert parse_cancel({"metadata_key": "k", "metadata_value": "v"}, {}, every) == pair
    assert parse_cancel({"batch_metadata": {"k": "v"}}, {}, every) == pair
    assert parse_cancel({}, {"metadataKey": "k", "metadataValue": "v"}, every) == pair
    only_camel = frozenset({"camel"})
    assert parse_cancel({"metadata_key": "k", "metadata_value": "v"}, {}, only_camel) is None
    assert parse_cancel({}, {}, every) is None
    assert parse_cancel({"batch_metadata": {"a": "1", "b": "2"}}, {}, every) is None


def test_validate_send_batch_counts_recipients_and_checks_every_field() -> None:
    """0 or 1001 recipients, a bad recipient, maps of non-strings, bad times are named."""
    assert validate_send_batch(body(), DEFAULTS) == []
    assert validate_send_batch(body(1000), DEFAULTS) == []
    assert fields(validate_send_batch(body(0), DEFAULTS)) == ["recipient_and_params"]
    too_many = validate_send_batch(body(1001), DEFAULTS)
    assert too_many == [("recipient_and_params", "1001 items given, between 1 and 1000 allowed")]
    bad = body(
        send_after="tomorrow",
        ttl="10",
        processing_strategy="FAST",
        batch_metadata={"n": 1},
        channel_priority_order="SMS",
    )
    bad["recipient_and_params"] = [{"recipient": {"contact_id": ""}, "parameters": ["x"]}]
    del bad["app_id"]
    bad["message"] = {"text_message": {}, "media_message": {}}
    assert sorted(fields(validate_send_batch(bad, DEFAULTS))) == sorted(
        [
            "app_id",
            "message",
            "recipient_and_params[0].recipient.contact_id",
            "recipient_and_params[0].parameters",
            "batch_metadata",
            "send_after",
            "processing_strategy",
            "ttl",
            "channel_priority_order",
        ]
    )


def test_unknown_fields_are_ignored_unless_strict() -> None:
    """An unknown send field passes by default and is refused with unknown_fields='reject'."""
    request = body(queue="HIGH_PRIORITY")
    request["recipient_and_params"] = [{"recipient": RECIPIENT, "extra": 1}]
    assert validate_send_batch(request, DEFAULTS) == []
    strict = BatchSettings(unknown_fields="reject")
    assert sorted(fields(validate_send_batch(request, strict))) == [
        "queue",
        "recipient_and_params[0].extra",
    ]


def test_status_payload_is_shape_a_of_the_catalog() -> None:
    """A status update carries BATCH_STATUS_<status>, the type and the batch data."""
    payload = status_payload("B", "PROCESSED", "2030-01-01T12:05:00Z", {"c": "x"})
    assert payload == {
        "batch_id": "B",
        "batch_status": "BATCH_STATUS_PROCESSED",
        "batch_type": "BATCH_TYPE_MESSAGES",
        "additional_data": {
            "message_batch_data": {
                "send_after": "2030-01-01T12:05:00Z",
                "batch_metadata": {"c": "x"},
            }
        },
    }


def test_settings_refuse_unknown_choices() -> None:
    """Each choice setting accepts only its documented values."""
    with pytest.raises(ValueError, match="missing_parameter"):
        BatchSettings(missing_parameter="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cancel_metadata_shapes"):
        BatchSettings(cancel_metadata_shapes=frozenset({"xml"}))
    with pytest.raises(ValueError, match="processing_delay"):
        BatchSettings(processing_delay=-1)


async def test_manual_clock_wakes_sleepers_when_advanced_past_their_moment() -> None:
    """sleep_until returns only once advance() reaches the moment; the past returns at once."""
    clock = ManualClock(NOW)
    await clock.sleep_until(NOW)
    woke: list[datetime] = []

    async def sleeper() -> None:
        await clock.sleep_until(NOW + timedelta(minutes=5))
        woke.append(clock.now())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    clock.advance(60)
    await asyncio.sleep(0)
    assert woke == []
    clock.advance(timedelta(minutes=4))
    await task
    assert woke == [NOW + timedelta(minutes=5)]
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_substitution_shares_what_has_no_placeholder_and_fills_lists() -> None:
    """Parts without placeholders are the very same objects in every result; list items
    with placeholders are filled, the others kept."""
    media = {"url": "https://cdn.example/a.png"}
    message = {"card_message": {"title": "${t}", "media_message": media, "tags": ["${t}", "x"]}}
    fill = substitution(message)
    one, two = fill({"t": "1"}), fill({"t": "2"})
    assert one["card_message"]["media_message"] is media
    assert two["card_message"]["media_message"] is media
    assert one["card_message"]["tags"] == ["1", "x"]
    assert two["card_message"]["title"] == "2"
    plain = {"text_message": {"text": "no placeholder"}}
    assert substitution(plain)({"t": "1"}) is plain


def test_ulids_are_crockford_base32_and_strictly_increasing_across_a_carry() -> None:
    """26 Crockford digits, each ID greater than the last, even when the random part
    overflows into the time part."""
    ids = UlidFactory()
    first = ids()
    assert len(first) == 26
    assert set(first) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    ids._last = (2**48 - 2) << 80 | (2**80 - 1)  # the far future, random part all ones
    carried = ids()
    assert carried == "7" + "Z" * 9 + "0" * 16
    assert ids() > carried > first


def test_ulids_made_in_one_burst_are_distinct_increasing_and_carry_the_time() -> None:
    """A thousand IDs made at once (as one batch makes them) are all different, each
    greater than the one before, and their first ten digits are the millisecond they
    were made in."""
    ids = UlidFactory()
    before = time.time_ns() // 1_000_000
    made = [ids() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    assert made == sorted(set(made))
    digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for ulid in (made[0], made[-1]):
        millis = 0
        for digit in ulid[:10]:
            millis = millis * 32 + digits.index(digit)
        assert before <= millis <= after + 1  # +1: a carry from the random part
