"""The store: one state for every area, time-ordered messages, numbered tables, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conversation_async.testing import Store
from conversation_async.testing._store import format_time

from .conftest import Api, app_body, contact_body


def test_messages_added_out_of_time_order_are_kept_in_time_order() -> None:
    """A message accepted earlier than the newest one is placed before it."""
    store = Store()
    now = datetime.now(UTC)
    for message_id, moment in (("late", now), ("early", now - timedelta(hours=1))):
        store.add_message(
            {"id": message_id}, app_id="a", correlation_id=None, request={}, accepted=moment
        )
    assert list(store.messages) == ["early", "late"]
    assert store.messages["early"].sequence < store.messages["late"].sequence


def test_messages_at_the_same_instant_get_distinct_sequences() -> None:
    """Two messages with one accept time still sort (and page) unambiguously."""
    store = Store()
    moment = datetime.now(UTC)
    for message_id in ("first", "second"):
        store.add_message(
            {"id": message_id}, app_id="a", correlation_id=None, request={}, accepted=moment
        )
    first, second = store.messages.values()
    assert first.sequence != second.sequence


def test_table_numbers_survive_deletes() -> None:
    """Rows keep their creation numbers when earlier rows are deleted."""
    store = Store()
    for key in ("a", "b", "c"):
        store.contacts[key] = {"id": key}
    del store.contacts["a"]
    store.contacts["d"] = {"id": "d"}
    assert list(store.contacts.numbered()) == [(2, {"id": "b"}), (3, {"id": "c"}), (4, {"id": "d"})]


async def test_reset_forgets_every_area(api: Api) -> None:
    """``reset`` empties every collection and the project settings."""
    await api.send()
    await api.ok(
        "POST",
        "events:send",
        json_body={
            "app_id": "a",
            "recipient": {"contact_id": "c"},
            "event": {"composing_event": {}},
        },
    )
    await api.ok("POST", "contacts", json_body=contact_body())
    app = await api.ok("POST", "apps", json_body=app_body())
    await api.ok("POST", "webhooks", json_body={"app_id": app["id"], "target": "https://e.com"})
    await api.ok("POST", "settings", json_body={})
    await api.ok("POST", "templates", json_body={})
    api.emu.add_consent("a", "OPT_OUT_ALL", "+1")
    api.emu.reset()
    store = api.emu.store
    collections = (
        store.messages,
        store.events,
        store.contacts,
        store.conversations,
        store.apps,
        store.webhooks,
        store.templates,
        store.templates_v1,
        store.consents,
        store.audit_records,
    )
    assert all(not collection for collection in collections)
    assert store.project_settings is None


def test_accept_times_are_written_to_the_microsecond_across_seconds() -> None:
    """format_time writes RFC 3339 UTC with six fraction digits and Z, for times within
    one second and across second, day and year boundaries, in any order."""
    moments = [
        datetime(2024, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ]
    assert [format_time(moment) for moment in moments] == [
        "2024-12-31T23:59:59.999999Z",
        "2025-01-01T00:00:00.000000Z",
        "2025-01-01T00:00:00.000005Z",
        "2024-12-31T23:59:59.000001Z",
    ]
