"""BATCH_STATUS_UPDATE callbacks and the batch id of delivery reports of batch messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conversation_async import _serde as serde
from conversation_async.callbacks import (
    BatchNotificationStatus,
    BatchStatusUpdateEvent,
    BatchType,
    MessageDeliveryEvent,
    MessageDeliveryReport,
    MessageSubmitNotification,
    batch_id_of,
    batch_message_index_of,
    dedupe_key,
    event_class_for_trigger,
    parse_callback,
)

SHAPE_A = {
    "app_id": "01EB37KMH2M6SV18ASNS3G135H",
    "accepted_time": "2023-05-15T14:22:33.123456789Z",
    "event_time": "2023-05-15T14:22:33.123456789Z",
    "project_id": "c36f3a3d-1513-4edd-ae42-11995557ff61",
    "batch_status_update_notification": {
        "batch_id": "01FG37KMH2M6SV18ASNS3G135H",
        "batch_status": "BATCH_STATUS_PROCESSED",
        "batch_type": "BATCH_TYPE_MESSAGES",
        "additional_data": {
            "message_batch_data": {
                "send_after": "2023-05-15T12:00:00.000000000Z",
                "batch_metadata": {"campaign": "summer_sale", "segment": "active_users"},
            }
        },
    },
    "message_metadata": "",
}


def test_sinch_sample_parses_into_a_typed_batch_status_update() -> None:
    """The Sinch test fixture (shape A) becomes a BatchStatusUpdateEvent with typed fields."""
    event = parse_callback(json.dumps(SHAPE_A))
    assert isinstance(event, BatchStatusUpdateEvent)
    assert event.trigger == "BATCH_STATUS_UPDATE"
    note = event.batch_status_update_notification
    assert note.batch_id == "01FG37KMH2M6SV18ASNS3G135H"
    assert note.batch_status is BatchNotificationStatus.BATCH_STATUS_PROCESSED
    assert note.batch_type is BatchType.BATCH_TYPE_MESSAGES
    assert note.additional_data is not None
    data = note.additional_data.message_batch_data
    assert data is not None
    assert data.send_after == datetime(2023, 5, 15, 12, tzinfo=UTC)
    assert data.batch_metadata == {"campaign": "summer_sale", "segment": "active_users"}
    assert event_class_for_trigger("BATCH_STATUS_UPDATE") is BatchStatusUpdateEvent


def test_unknown_fields_and_values_are_tolerated() -> None:
    """New statuses and types stay strings; unknown keys at every level are ignored."""
    body = {
        "app_id": "a",
        "batch_status_update_notification": {
            "batch_id": "B",
            "batch_status": "BATCH_STATUS_PARTIALLY_DONE",
            "batch_type": "BATCH_TYPE_CONTACTS",
            "additional_data": {"contact_batch_data": {"count": 3}},
            "brand_new": {"x": 1},
        },
    }
    note = parse_callback(body).payload
    assert note.batch_status == "BATCH_STATUS_PARTIALLY_DONE"
    assert note.batch_type == "BATCH_TYPE_CONTACTS"
    assert note.additional_data is not None
    assert note.additional_data.message_batch_data is None


def test_agent_notes_shape_under_batch_status_update_is_read_too() -> None:
    """Shape B (key batch_status_update, counters) reads as the same event class."""
    body = {
        "app_id": "a",
        "batch_status_update": {
            "batch_id": "B",
            "status": "COMPLETED",
            "total_messages": 3,
            "successful_messages": 2,
            "failed_messages": 1,
            "processing_time_ms": 120,
        },
    }
    event = parse_callback(json.dumps(body).encode())
    assert isinstance(event, BatchStatusUpdateEvent)
    note = event.batch_status_update_notification
    assert (note.batch_id, note.status, note.failed_messages) == ("B", "COMPLETED", 1)
    assert "batch_status_update_notification" in serde.unstructure(event)


def test_batch_id_of_reads_batch_id_from_the_metadata_json() -> None:
    """A delivery report's metadata JSON names its batch in _batch_id."""
    metadata = json.dumps({"source": "shop", "order_id": "A-1", "_batch_id": "BATCH1"})
    report = MessageDeliveryReport(message_id="m", status="DELIVERED", metadata=metadata)
    assert batch_id_of(report) == "BATCH1"
    event = MessageDeliveryEvent(message_delivery_report=report)
    assert batch_id_of(event) == "BATCH1"
    assert batch_id_of(MessageSubmitNotification(metadata=metadata)) == "BATCH1"


def test_batch_id_of_is_none_for_other_messages_and_any_metadata() -> None:
    """No metadata, plain text, JSON without _batch_id or with a non-string: None."""
    for metadata in (None, "", "order 12", "[1, 2]", "{bad json", '{"a": 1}', '{"_batch_id": 5}'):
        assert batch_id_of(MessageDeliveryReport(metadata=metadata)) is None


def test_failed_report_fields_batch_id_and_message_index_win() -> None:
    """A FAILED report's own batch_id and message_index are read (placement unverified)."""
    body = {
        "message_delivery_report": {
            "status": "FAILED",
            "metadata": json.dumps({"_batch_id": "FROM_METADATA"}),
            "batch_id": "BATCH2",
            "message_index": 1,
        }
    }
    event = parse_callback(body)
    assert isinstance(event, MessageDeliveryEvent)
    assert batch_id_of(event) == "BATCH2"
    assert batch_message_index_of(event) == 1
    assert batch_message_index_of(MessageDeliveryReport(status="DELIVERED")) is None


def test_a_status_update_is_deduplicated_by_batch_and_status() -> None:
    """A redelivery (another event_time) has the same key; another status does not."""
    again = {**SHAPE_A, "event_time": "2023-05-15T14:30:00Z"}
    body, body_again = json.dumps(SHAPE_A).encode(), json.dumps(again).encode()
    first = dedupe_key(parse_callback(body), body)
    assert first == dedupe_key(parse_callback(body_again), body_again)
    assert first == "BATCH_STATUS_UPDATE:01FG37KMH2M6SV18ASNS3G135H:BATCH_STATUS_PROCESSED"
    cancelled = json.loads(body)
    cancelled["batch_status_update_notification"]["batch_status"] = "BATCH_STATUS_CANCELLED"
    other = json.dumps(cancelled).encode()
    assert dedupe_key(parse_callback(other), other) != first
