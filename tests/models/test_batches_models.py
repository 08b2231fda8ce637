"""Batch API models: the batch catalog's JSON examples read and write back unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conversation_async import _serde as serde
from conversation_async.models import (
    Batch,
    BatchStatus,
    CancelBatchRequest,
    ConsentRecord,
    ConsentsListType,
    CreateContactsBatchRequest,
    DeleteContactsBatchRequest,
    IdentifiedRecipient,
    InsertConsentsRequest,
    InsertConsentsResponse,
    ProcessingStrategy,
    SendBatchRequest,
    SendBatchResponse,
    TextMessage,
)

SEND = {
    "app_id": "01HZY5G1Q8WQ4J6K3M2N7P9R0S",
    "message": {
        "text_message": {"text": "Hi ${first_name}, order ${order_id} ships on ${ship_date}."}
    },
    "recipient_and_params": [
        {
            "recipient": {
                "identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+467"}]}
            },
            "parameters": {"first_name": "Anna", "order_id": "A-1001", "ship_date": "14 May"},
            "message_metadata": {"order_id": "A-1001"},
            "conversation_metadata": {"customer_tier": "gold"},
        },
        {"recipient": {"contact_id": "01HZY6K2M3N4P5Q6R7S8T9V0W1"}},
    ],
    "processing_strategy": "DISPATCH_ONLY",
    "batch_metadata": {"campaign_id": "spring_2025"},
    "message_metadata": {"source": "order-service", "order_id": "unknown"},
    "conversation_metadata": {"campaign_id": "spring_2025"},
    "send_after": "2025-05-14T09:02:00Z",
    "callback_url": "https://example.com/cb",
    "channel_priority_order": ["SMS"],
    "ttl": "86400s",
    "channel_properties": {"SMS_SENDER": "+46700000000"},
    "correlation_id": "c-1",
}


def roundtrip(data: Any, cls: type) -> Any:
    model = serde.structure(data, cls)
    assert json.loads(json.dumps(serde.unstructure(model))) == data
    return model


def test_send_batch_request_reads_and_writes_the_catalog_example() -> None:
    """Every SendBatchRequest field of catalog §6.1 round-trips under its wire name."""
    request = roundtrip(SEND, SendBatchRequest)
    assert request.processing_strategy is ProcessingStrategy.DISPATCH_ONLY
    assert request.send_after == datetime(2025, 5, 14, 9, 2, tzinfo=UTC)
    assert request.message.content == TextMessage(text=SEND["message"]["text_message"]["text"])
    assert isinstance(request.recipient_and_params[0].recipient, IdentifiedRecipient)
    assert request.recipient_and_params[0].parameters == {
        "first_name": "Anna",
        "order_id": "A-1001",
        "ship_date": "14 May",
    }


def test_send_batch_response_keeps_an_optional_send_after() -> None:
    """The response's send_after is optional (an immediate batch may leave it out)."""
    assert roundtrip({"batch_id": "B"}, SendBatchResponse) == SendBatchResponse(batch_id="B")
    response = roundtrip({"batch_id": "B", "send_after": "2025-05-14T09:05:00Z"}, SendBatchResponse)
    assert response.send_after == datetime(2025, 5, 14, 9, 5, tzinfo=UTC)


def test_batch_status_is_an_open_enum_and_meta_data_keeps_any_json() -> None:
    """Known statuses become BatchStatus members, unknown ones stay strings."""
    batch = roundtrip({"batch_id": "B", "meta_data": {"wave": 1}, "status": "SCHEDULED"}, Batch)
    assert batch.status is BatchStatus.SCHEDULED
    assert batch.meta_data == {"wave": 1}
    future = roundtrip({"batch_id": "B", "status": "BATCH_FAILED_SOMEHOW"}, Batch)
    assert future.status == "BATCH_FAILED_SOMEHOW"
    assert not isinstance(future.status, BatchStatus)


def test_unknown_keys_in_batch_answers_are_ignored() -> None:
    """A Batch answer with keys this SDK does not know still reads."""
    batch = serde.structure({"batch_id": "B", "recipients": 12, "created": "x"}, Batch)
    assert batch == Batch(batch_id="B")


def test_cancel_request_writes_batch_id_or_the_metadata_pair_in_camel_case() -> None:
    """Cancel by ID sends {batch_id}; by metadata, metadataKey/metadataValue."""
    assert serde.unstructure(CancelBatchRequest(batch_id="B")) == {"batch_id": "B"}
    by_metadata = CancelBatchRequest(metadata_key="campaign", metadata_value="x")
    assert roundtrip(serde.unstructure(by_metadata), CancelBatchRequest) == by_metadata
    assert serde.unstructure(by_metadata) == {"metadataKey": "campaign", "metadataValue": "x"}


def test_contacts_and_consents_bodies_match_the_catalog_examples() -> None:
    """B5, B6 and B7 bodies (catalog §6.5, §6.6) round-trip."""
    roundtrip(
        {
            "contacts": [
                {
                    "channel_identities": [{"channel": "WHATSAPP", "identity": "4670"}],
                    "language": "EN_US",
                },
                {
                    "channel_identities": [{"channel": "RCS", "identity": "4671"}],
                    "language": "EN_US",
                    "channel_priority": ["RCS", "SMS"],
                    "display_name": "Jane Doe",
                    "external_id": "CRM-001",
                },
            ]
        },
        CreateContactsBatchRequest,
    )
    roundtrip({"contact_ids": ["a", "b"]}, DeleteContactsBatchRequest)
    consents = roundtrip(
        {
            "app_id": "app",
            "consent_records": [
                {"identification": "+46701234567", "consent_type": "OPT_OUT_ALL"},
                {"identification": "x", "consent_type": "OPT_OUT_SOMETHING_NEW"},
            ],
        },
        InsertConsentsRequest,
    )
    assert consents.consent_records[0] == ConsentRecord(
        identification="+46701234567", consent_type=ConsentsListType.OPT_OUT_ALL
    )
    assert consents.consent_records[1].consent_type == "OPT_OUT_SOMETHING_NEW"
    roundtrip({"batch_id": "C"}, InsertConsentsResponse)
