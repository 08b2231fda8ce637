"""The Conversation Batch API (batch catalog ``shared/api/batch-api.md`` §3).

One message definition for up to 1,000 recipients per request, ``${name}`` placeholders
filled per recipient from its ``parameters``; bulk contact create/delete; consent inserts.
The API is labelled beta by Sinch. Fields only non-official sources name (catalog §3.1:
``callback_url``, ``channel_priority_order``, ``ttl``, ``channel_properties``,
``correlation_id``) are optional and sent only when set. Enums are open.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from .._serde import register_renamed_fields
from ._common import ConversationChannel, ProcessingStrategy, Recipient
from ._consents import ConsentsListType
from ._contacts import ContactCreateRequest
from ._messages import AppMessage

__all__ = [
    "Batch",
    "BatchStatus",
    "CancelBatchRequest",
    "ConsentRecord",
    "CreateContactsBatchRequest",
    "DeleteContactsBatchRequest",
    "InsertConsentsRequest",
    "InsertConsentsResponse",
    "RecipientAndParam",
    "SendBatchRequest",
    "SendBatchResponse",
]


class BatchStatus(enum.StrEnum):
    """Processing state of a batch (not the delivery state of its messages)."""

    READY = "READY"
    """Accepted and due for processing now."""
    SCHEDULED = "SCHEDULED"
    """Waiting for ``send_after``; cancellable until then."""
    PROCESSED = "PROCESSED"
    """Every message was generated and handed to the Conversation API."""
    CANCELLED = "CANCELLED"
    """Cancelled before ``send_after``; no message was generated."""


@attrs.define(frozen=True, kw_only=True)
class RecipientAndParam:
    """One recipient of a batch: its ``${name}`` values and its own metadata, which wins
    over the request's on equal keys."""

    recipient: Recipient
    parameters: dict[str, str] | None = None
    message_metadata: dict[str, str] | None = None
    conversation_metadata: dict[str, str] | None = None


@attrs.define(frozen=True, kw_only=True)
class SendBatchRequest:
    """Body of ``POST /v1/projects/{project_id}/messages`` on the batch host.

    ``batch_metadata`` stays on the batch (read back as ``Batch.meta_data``); message and
    conversation metadata go on every generated message, merged with the recipient's and
    with the reserved ``_batch_id`` added. ``ttl`` is ``"<seconds>s"``.
    """

    app_id: str
    message: AppMessage
    recipient_and_params: list[RecipientAndParam]
    processing_strategy: ProcessingStrategy | str | None = None
    batch_metadata: dict[str, str] | None = None
    message_metadata: dict[str, str] | None = None
    conversation_metadata: dict[str, str] | None = None
    send_after: datetime | None = None
    callback_url: str | None = None
    channel_priority_order: list[ConversationChannel | str] | None = None
    ttl: str | None = None
    channel_properties: dict[str, str] | None = None
    correlation_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class SendBatchResponse:
    """The batch was accepted; ``send_after`` is the effective schedule (the API may round
    it); what an immediate batch answers there is not documented."""

    batch_id: str
    send_after: datetime | None = None
    batch_metadata: dict[str, Any] | None = None


@attrs.define(frozen=True, kw_only=True)
class Batch:
    """The status of one batch; ``meta_data`` is the ``batch_metadata`` it was sent with."""

    batch_id: str | None = None
    meta_data: dict[str, Any] | None = None
    status: BatchStatus | str | None = None
    send_after: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class CancelBatchRequest:
    """Body of the cancel call: a ``batch_id``, or a batch-metadata key and value.

    Only the ``batch_id`` form is documented by any source; the key/value form is sent as
    ``metadataKey`` / ``metadataValue`` (the names of the status-by-metadata query), which
    is a guess (catalog §3.6, §8.1): ``client.batches.cancel_raw`` sends any other shape.
    """

    batch_id: str | None = None
    metadata_key: str | None = None
    metadata_value: str | None = None


register_renamed_fields(
    CancelBatchRequest, metadata_key="metadataKey", metadata_value="metadataValue"
)


@attrs.define(frozen=True, kw_only=True)
class CreateContactsBatchRequest:
    """Up to 1,000 contacts to create asynchronously (one CONTACT_CREATE each)."""

    contacts: list[ContactCreateRequest]


@attrs.define(frozen=True, kw_only=True)
class DeleteContactsBatchRequest:
    """Up to 1,000 contact IDs to delete asynchronously (one CONTACT_DELETE each)."""

    contact_ids: list[str]


@attrs.define(frozen=True, kw_only=True)
class ConsentRecord:
    """One subject (a phone number or contact ID) for one opt-out list."""

    identification: str
    consent_type: ConsentsListType | str


@attrs.define(frozen=True, kw_only=True)
class InsertConsentsRequest:
    """Consent records for the opt-out lists of ``app_id``."""

    app_id: str
    consent_records: list[ConsentRecord]


@attrs.define(frozen=True, kw_only=True)
class InsertConsentsResponse:
    """The ID of the consent batch (no documented call reads it back)."""

    batch_id: str | None = None
