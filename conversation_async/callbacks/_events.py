"""Typed callbacks ("Sinch Events") and their payloads (catalog §4.1, §4.2).

Every callback is an envelope (``app_id``, ``project_id``, ``accepted_time``, ``event_time``,
``message_metadata``, ``correlation_id``) plus exactly one payload key that names the trigger.
Each trigger has its own class, a subclass of :class:`CallbackEvent`, whose payload sits in
the field named after its wire key::

    event = parse_callback(body)
    if isinstance(event, MessageDeliveryEvent):
        report = event.message_delivery_report  # a MessageDeliveryReport
        print(event.trigger, report.status)

``trigger`` and ``payload_key`` are class attributes; ``payload`` returns the payload object
whatever the class. Payload models have every field optional: a callback never fails to
read because the API left a field out. A payload key this SDK does not know becomes an
:class:`UnknownCallbackEvent` that keeps the whole body in ``raw``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs
from cattrs.gen import make_dict_structure_fn, override

from .. import _jsoncodec
from .._serde import converter
from ..models import (
    AppMessage,
    ChannelIdentity,
    Contact,
    Conversation,
    ConversationChannel,
    ConversationEvent,
    ConversationMessage,
    DeliveryStatus,
    OptInStatus,
    OptOutStatus,
    ProcessingMode,
    Reason,
    WebhookTrigger,
)

__all__ = [
    "ENVELOPE_KEYS",
    "AnalysisResult",
    "BatchAdditionalData",
    "BatchNotificationStatus",
    "BatchStatusUpdateEvent",
    "BatchStatusUpdateNotification",
    "BatchType",
    "CallbackEvent",
    "CapabilityEvent",
    "CapabilityNotification",
    "CapabilityStatus",
    "ChannelEvent",
    "ChannelEventDetails",
    "ChannelEventNotification",
    "ContactCreateEvent",
    "ContactDeleteEvent",
    "ContactIdentitiesDuplicationEvent",
    "ContactMergeEvent",
    "ContactMergeNotification",
    "ContactNotification",
    "ContactUpdateEvent",
    "ConversationDeleteEvent",
    "ConversationNotification",
    "ConversationStartEvent",
    "ConversationStopEvent",
    "DocumentFieldClassification",
    "DocumentFieldClassificationData",
    "DocumentImageClassification",
    "DuplicatedContactIdentitiesNotification",
    "DuplicatedIdentities",
    "EventDeliveryEvent",
    "EventDeliveryReport",
    "EventInboundEvent",
    "IntentResult",
    "MachineLearningImageRecognitionResult",
    "MachineLearningNLUResult",
    "MachineLearningPIIResult",
    "MachineLearningSentimentResult",
    "MessageBatchData",
    "MessageDeliveryEvent",
    "MessageDeliveryReport",
    "MessageInboundEvent",
    "MessageInboundSmartConversationRedactionEvent",
    "MessageSubmitEvent",
    "MessageSubmitNotification",
    "OffensiveAnalysis",
    "OffensiveAnalysisEvaluation",
    "OptInEvent",
    "OptInNotification",
    "OptOutEvent",
    "OptOutNotification",
    "OpticalCharacterRecognition",
    "OpticalCharacterRecognitionData",
    "OptingErrorDetails",
    "RecordNotification",
    "RecordNotificationEvent",
    "RecordStatus",
    "Sentiment",
    "SentimentResult",
    "SmartConversationEvent",
    "SmartConversationNotification",
    "UnknownCallbackEvent",
    "UnsupportedCallback",
    "UnsupportedCallbackEvent",
    "batch_id_of",
    "batch_message_index_of",
]


# --- enums ------------------------------------------------------------------------------


class CapabilityStatus(enum.StrEnum):
    """Whether a channel can reach a contact (``CAPABILITY`` callback)."""

    CAPABILITY_UNKNOWN = "CAPABILITY_UNKNOWN"
    CAPABILITY_FULL = "CAPABILITY_FULL"
    CAPABILITY_PARTIAL = "CAPABILITY_PARTIAL"
    NO_CAPABILITY = "NO_CAPABILITY"


class RecordStatus(enum.StrEnum):
    """What happened to a record (``RECORD_NOTIFICATION`` callback)."""

    RECORD_STATUS_UNSPECIFIED = "RECORD_STATUS_UNSPECIFIED"
    EVENT_RECORD_STORED = "EVENT_RECORD_STORED"


class Sentiment(enum.StrEnum):
    """A sentiment found by Smart Conversations (lower case on the wire)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class OffensiveAnalysisEvaluation(enum.StrEnum):
    """Whether Smart Conversations judged content offensive."""

    SAFE = "SAFE"
    UNSAFE = "UNSAFE"


class BatchNotificationStatus(enum.StrEnum):
    """A batch's state in a ``BATCH_STATUS_UPDATE`` callback: the REST ``BatchStatus``
    values with a ``BATCH_STATUS_`` prefix (inferred from one Sinch sample; open)."""

    BATCH_STATUS_READY = "BATCH_STATUS_READY"
    BATCH_STATUS_SCHEDULED = "BATCH_STATUS_SCHEDULED"
    BATCH_STATUS_PROCESSED = "BATCH_STATUS_PROCESSED"
    BATCH_STATUS_CANCELLED = "BATCH_STATUS_CANCELLED"
    BATCH_STATUS_FAILED = "BATCH_STATUS_FAILED"


class BatchType(enum.StrEnum):
    """What a batch held (only the messages type is seen in Sinch's sample; open)."""

    BATCH_TYPE_MESSAGES = "BATCH_TYPE_MESSAGES"


# --- payloads: messages and events -------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class MessageSubmitNotification:
    """A message was handed to the channel (before any delivery receipt)."""

    message_id: str | None = None
    conversation_id: str | None = None
    channel_identity: ChannelIdentity | None = None
    contact_id: str | None = None
    submitted_message: AppMessage | None = None
    metadata: str | None = None
    processing_mode: ProcessingMode | str | None = None


@attrs.define(frozen=True, kw_only=True)
class MessageDeliveryReport:
    """Delivery status of a message; ``reason`` is set on ``FAILED`` / ``SWITCHING_CHANNEL``."""

    message_id: str | None = None
    conversation_id: str | None = None
    status: DeliveryStatus | str | None = None
    channel_identity: ChannelIdentity | None = None
    contact_id: str | None = None
    reason: Reason | None = None
    metadata: str | None = None
    processing_mode: ProcessingMode | str | None = None
    batch_id: str | None = None
    """Batch messages only, said to be on FAILED reports (placement unverified)."""
    message_index: int | None = None
    """The recipient's position in the batch request, with ``batch_id`` (unverified)."""


@attrs.define(frozen=True, kw_only=True)
class EventDeliveryReport:
    """Delivery status of an app event (typing indicator, agent change...)."""

    event_id: str | None = None
    status: DeliveryStatus | str | None = None
    channel_identity: ChannelIdentity | None = None
    contact_id: str | None = None
    reason: Reason | None = None
    metadata: str | None = None
    processing_mode: ProcessingMode | str | None = None


# --- payloads: conversations and contacts -------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class ConversationNotification:
    """A conversation was started, stopped or deleted."""

    conversation: Conversation | None = None


@attrs.define(frozen=True, kw_only=True)
class ContactNotification:
    """A contact was created, updated or deleted."""

    contact: Contact | None = None


@attrs.define(frozen=True, kw_only=True)
class ContactMergeNotification:
    """Two contacts were merged: ``deleted_contact`` into ``preserved_contact``."""

    preserved_contact: Contact | None = None
    deleted_contact: Contact | None = None


@attrs.define(frozen=True, kw_only=True)
class DuplicatedIdentities:
    """Contacts that share an identity on ``channel``."""

    channel: ConversationChannel | str | None = None
    contact_ids: list[str] | None = None


@attrs.define(frozen=True, kw_only=True)
class DuplicatedContactIdentitiesNotification:
    """Channel identities found on more than one contact."""

    duplicated_identities: list[DuplicatedIdentities] | None = None


# --- payloads: capability, opt-in/out, channel events ------------------------------------


@attrs.define(frozen=True, kw_only=True)
class CapabilityNotification:
    """Answer to a capability query; ``channel_capabilities`` is set when PARTIAL."""

    request_id: str | None = None
    contact_id: str | None = None
    channel: ConversationChannel | str | None = None
    identity: str | None = None
    capability_status: CapabilityStatus | str | None = None
    channel_capabilities: list[str] | None = None
    reason: Reason | None = None


@attrs.define(frozen=True, kw_only=True)
class OptingErrorDetails:
    """Why an opt-in or opt-out registration failed."""

    description: str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptInNotification:
    """Outcome of an opt-in registration."""

    request_id: str | None = None
    contact_id: str | None = None
    channel: ConversationChannel | str | None = None
    identity: str | None = None
    status: OptInStatus | str | None = None
    error_details: OptingErrorDetails | None = None
    processing_mode: ProcessingMode | str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptOutNotification:
    """Outcome of an opt-out registration."""

    request_id: str | None = None
    contact_id: str | None = None
    channel: ConversationChannel | str | None = None
    identity: str | None = None
    status: OptOutStatus | str | None = None
    error_details: OptingErrorDetails | None = None
    processing_mode: ProcessingMode | str | None = None


@attrs.define(frozen=True, kw_only=True)
class ChannelEventDetails:
    """A channel-level event, e.g. ``WHATS_APP_QUALITY_RATING_CHANGED``."""

    channel: ConversationChannel | str | None = None
    event_type: str | None = None
    additional_data: dict[str, Any] | None = None


@attrs.define(frozen=True, kw_only=True)
class ChannelEventNotification:
    """Something happened on a channel (not about one message)."""

    channel_event: ChannelEventDetails | None = None


# --- payloads: Smart Conversations -------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class SentimentResult:
    """One candidate sentiment and its score."""

    sentiment: Sentiment | str | None = None
    score: float | None = None


@attrs.define(frozen=True, kw_only=True)
class MachineLearningSentimentResult:
    """Sentiment analysis of ``message``: the best ``sentiment`` and every candidate."""

    message: str | None = None
    sentiment: Sentiment | str | None = None
    score: float | None = None
    results: list[SentimentResult] | None = None


@attrs.define(frozen=True, kw_only=True)
class IntentResult:
    """One candidate intent and its score."""

    intent: str | None = None
    score: float | None = None


@attrs.define(frozen=True, kw_only=True)
class MachineLearningNLUResult:
    """Intent detection on ``message``: the best ``intent`` and every candidate."""

    message: str | None = None
    intent: str | None = None
    score: float | None = None
    results: list[IntentResult] | None = None


@attrs.define(frozen=True, kw_only=True)
class DocumentImageClassification:
    """The document type an image shows."""

    doc_type: str | None = None
    confidence: float | None = None


@attrs.define(frozen=True, kw_only=True)
class OpticalCharacterRecognitionData:
    """Text read from one region of an image."""

    data: list[str] | None = None


@attrs.define(frozen=True, kw_only=True)
class OpticalCharacterRecognition:
    """Text read from an image."""

    result: list[OpticalCharacterRecognitionData] | None = None


@attrs.define(frozen=True, kw_only=True)
class DocumentFieldClassificationData:
    """The values found for one document field."""

    data: list[str] | None = None


@attrs.define(frozen=True, kw_only=True)
class DocumentFieldClassification:
    """Document fields found in an image: each result maps a field name to its values."""

    result: list[dict[str, DocumentFieldClassificationData]] | None = None


@attrs.define(frozen=True, kw_only=True)
class MachineLearningImageRecognitionResult:
    """What Smart Conversations recognised in the image at ``url``."""

    url: str | None = None
    document_image_classification: DocumentImageClassification | None = None
    optical_character_recognition: OpticalCharacterRecognition | None = None
    document_field_classification: DocumentFieldClassification | None = None


@attrs.define(frozen=True, kw_only=True)
class MachineLearningPIIResult:
    """``message`` with personal data masked."""

    message: str | None = None
    masked: str | None = None


@attrs.define(frozen=True, kw_only=True)
class OffensiveAnalysis:
    """Whether ``message`` (or the image at ``url``) is offensive."""

    message: str | None = None
    url: str | None = None
    evaluation: OffensiveAnalysisEvaluation | str | None = None
    score: float | None = None


@attrs.define(frozen=True, kw_only=True)
class AnalysisResult:
    """Every analysis Smart Conversations ran on one message."""

    ml_sentiment_result: list[MachineLearningSentimentResult] | None = None
    ml_nlu_result: list[MachineLearningNLUResult] | None = None
    ml_image_recognition_result: list[MachineLearningImageRecognitionResult] | None = None
    ml_pii_result: list[MachineLearningPIIResult] | None = None
    ml_offensive_analysis_result: list[OffensiveAnalysis] | None = None


@attrs.define(frozen=True, kw_only=True)
class SmartConversationNotification:
    """Smart Conversations analysed a message; ``channel_identity`` is a plain string here."""

    contact_id: str | None = None
    channel_identity: str | None = None
    channel: ConversationChannel | str | None = None
    message_id: str | None = None
    conversation_id: str | None = None
    analysis_results: AnalysisResult | None = None


# --- payloads: records and unsupported callbacks -----------------------------------------


@attrs.define(frozen=True, kw_only=True)
class RecordNotification:
    """A record (e.g. an event) was stored."""

    entity_id: str | None = None
    record_status: RecordStatus | str | None = None
    channel_identity: ChannelIdentity | None = None
    contact_id: str | None = None
    conversation_id: str | None = None
    reason: Reason | None = None
    processing_mode: ProcessingMode | str | None = None


@attrs.define(frozen=True, kw_only=True)
class UnsupportedCallback:
    """A channel callback the API cannot map; ``payload`` is the channel's raw JSON string."""

    channel: ConversationChannel | str | None = None
    payload: str | None = None
    processing_mode: ProcessingMode | str | None = None
    id: str | None = None
    contact_id: str | None = None
    conversation_id: str | None = None
    channel_identity: ChannelIdentity | None = None


# --- payloads: Batch API -----------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class MessageBatchData:
    """What a messages batch was sent with."""

    send_after: datetime | None = None
    batch_metadata: dict[str, Any] | None = None


@attrs.define(frozen=True, kw_only=True)
class BatchAdditionalData:
    """Details by batch type: ``message_batch_data`` for messages batches."""

    message_batch_data: MessageBatchData | None = None


@attrs.define(frozen=True, kw_only=True)
class BatchStatusUpdateNotification:
    """A batch changed state (batch catalog §4.1).

    Shape A (a Sinch test fixture, emitted by the emulator): ``batch_id``, ``batch_status``,
    ``batch_type``, ``additional_data``. Shape B (Sinch's agent notes, under the key
    ``batch_status_update``, also read): ``status`` (``COMPLETED`` / ``FAILED`` /
    ``PARTIAL``) and message counters. Every field is optional; unknown ones are ignored.
    """

    batch_id: str | None = None
    batch_status: BatchNotificationStatus | str | None = None
    batch_type: BatchType | str | None = None
    additional_data: BatchAdditionalData | None = None
    status: str | None = None
    total_messages: int | None = None
    successful_messages: int | None = None
    failed_messages: int | None = None
    processing_time_ms: int | None = None
    failure_reasons: list[Any] | None = None


# --- events -----------------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class CallbackEvent:
    """The envelope every callback shares; subclasses add the payload field.

    ``trigger`` is the webhook trigger (``"MESSAGE_DELIVERY"``) and ``payload_key`` the JSON
    key of the payload (``"message_delivery_report"``); both are class attributes.
    """

    trigger: ClassVar[str] = ""
    payload_key: ClassVar[str] = ""

    app_id: str | None = None
    project_id: str | None = None
    accepted_time: datetime | None = None
    event_time: datetime | None = None
    message_metadata: str | None = None
    correlation_id: str | None = None

    @property
    def payload(self) -> Any:
        """The payload object (the value of the field named ``payload_key``)."""
        key = type(self).payload_key
        return getattr(self, key) if key else None


ENVELOPE_KEYS: frozenset[str] = frozenset(a.name for a in attrs.fields(CallbackEvent))
"""The JSON keys every callback may carry besides its payload."""


@attrs.define(frozen=True, kw_only=True)
class MessageInboundEvent(CallbackEvent):
    """A contact sent a message (``MESSAGE_INBOUND``)."""

    trigger: ClassVar[str] = WebhookTrigger.MESSAGE_INBOUND
    payload_key: ClassVar[str] = "message"

    message: ConversationMessage


@attrs.define(frozen=True, kw_only=True)
class MessageInboundSmartConversationRedactionEvent(CallbackEvent):
    """A contact's message, redacted by Smart Conversations."""

    trigger: ClassVar[str] = WebhookTrigger.MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION
    payload_key: ClassVar[str] = "message_redaction"

    message_redaction: ConversationMessage


@attrs.define(frozen=True, kw_only=True)
class MessageSubmitEvent(CallbackEvent):
    """A message was handed to the channel (``MESSAGE_SUBMIT``)."""

    trigger: ClassVar[str] = WebhookTrigger.MESSAGE_SUBMIT
    payload_key: ClassVar[str] = "message_submit_notification"

    message_submit_notification: MessageSubmitNotification


@attrs.define(frozen=True, kw_only=True)
class MessageDeliveryEvent(CallbackEvent):
    """A message's delivery status changed (``MESSAGE_DELIVERY``)."""

    trigger: ClassVar[str] = WebhookTrigger.MESSAGE_DELIVERY
    payload_key: ClassVar[str] = "message_delivery_report"

    message_delivery_report: MessageDeliveryReport


@attrs.define(frozen=True, kw_only=True)
class EventInboundEvent(CallbackEvent):
    """A contact event: typing, reaction, comment... (``EVENT_INBOUND``)."""

    trigger: ClassVar[str] = WebhookTrigger.EVENT_INBOUND
    payload_key: ClassVar[str] = "event"

    event: ConversationEvent


@attrs.define(frozen=True, kw_only=True)
class EventDeliveryEvent(CallbackEvent):
    """An app event's delivery status changed (``EVENT_DELIVERY``)."""

    trigger: ClassVar[str] = WebhookTrigger.EVENT_DELIVERY
    payload_key: ClassVar[str] = "event_delivery_report"

    event_delivery_report: EventDeliveryReport


@attrs.define(frozen=True, kw_only=True)
class ConversationStartEvent(CallbackEvent):
    """A conversation started (``CONVERSATION_START``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONVERSATION_START
    payload_key: ClassVar[str] = "conversation_start_notification"

    conversation_start_notification: ConversationNotification


@attrs.define(frozen=True, kw_only=True)
class ConversationStopEvent(CallbackEvent):
    """A conversation stopped (``CONVERSATION_STOP``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONVERSATION_STOP
    payload_key: ClassVar[str] = "conversation_stop_notification"

    conversation_stop_notification: ConversationNotification


@attrs.define(frozen=True, kw_only=True)
class ConversationDeleteEvent(CallbackEvent):
    """A conversation was deleted (``CONVERSATION_DELETE``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONVERSATION_DELETE
    payload_key: ClassVar[str] = "conversation_delete_notification"

    conversation_delete_notification: ConversationNotification


@attrs.define(frozen=True, kw_only=True)
class ContactCreateEvent(CallbackEvent):
    """A contact was created (``CONTACT_CREATE``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONTACT_CREATE
    payload_key: ClassVar[str] = "contact_create_notification"

    contact_create_notification: ContactNotification


@attrs.define(frozen=True, kw_only=True)
class ContactUpdateEvent(CallbackEvent):
    """A contact was updated (``CONTACT_UPDATE``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONTACT_UPDATE
    payload_key: ClassVar[str] = "contact_update_notification"

    contact_update_notification: ContactNotification


@attrs.define(frozen=True, kw_only=True)
class ContactDeleteEvent(CallbackEvent):
    """A contact was deleted (``CONTACT_DELETE``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONTACT_DELETE
    payload_key: ClassVar[str] = "contact_delete_notification"

    contact_delete_notification: ContactNotification


@attrs.define(frozen=True, kw_only=True)
class ContactMergeEvent(CallbackEvent):
    """Two contacts were merged (``CONTACT_MERGE``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONTACT_MERGE
    payload_key: ClassVar[str] = "contact_merge_notification"

    contact_merge_notification: ContactMergeNotification


@attrs.define(frozen=True, kw_only=True)
class ContactIdentitiesDuplicationEvent(CallbackEvent):
    """Channel identities are shared by several contacts (``CONTACT_IDENTITIES_DUPLICATION``)."""

    trigger: ClassVar[str] = WebhookTrigger.CONTACT_IDENTITIES_DUPLICATION
    payload_key: ClassVar[str] = "duplicated_contact_identities_notification"

    duplicated_contact_identities_notification: DuplicatedContactIdentitiesNotification


@attrs.define(frozen=True, kw_only=True)
class CapabilityEvent(CallbackEvent):
    """Answer to a capability query (``CAPABILITY``)."""

    trigger: ClassVar[str] = WebhookTrigger.CAPABILITY
    payload_key: ClassVar[str] = "capability_notification"

    capability_notification: CapabilityNotification


@attrs.define(frozen=True, kw_only=True)
class OptInEvent(CallbackEvent):
    """Outcome of an opt-in registration (``OPT_IN``)."""

    trigger: ClassVar[str] = WebhookTrigger.OPT_IN
    payload_key: ClassVar[str] = "opt_in_notification"

    opt_in_notification: OptInNotification


@attrs.define(frozen=True, kw_only=True)
class OptOutEvent(CallbackEvent):
    """Outcome of an opt-out registration (``OPT_OUT``)."""

    trigger: ClassVar[str] = WebhookTrigger.OPT_OUT
    payload_key: ClassVar[str] = "opt_out_notification"

    opt_out_notification: OptOutNotification


@attrs.define(frozen=True, kw_only=True)
class ChannelEvent(CallbackEvent):
    """A channel-level event, e.g. a WhatsApp quality rating change (``CHANNEL_EVENT``)."""

    trigger: ClassVar[str] = WebhookTrigger.CHANNEL_EVENT
    payload_key: ClassVar[str] = "channel_event_notification"

    channel_event_notification: ChannelEventNotification


@attrs.define(frozen=True, kw_only=True)
class SmartConversationEvent(CallbackEvent):
    """Smart Conversations analysed a message (``SMART_CONVERSATION``)."""

    trigger: ClassVar[str] = WebhookTrigger.SMART_CONVERSATION
    payload_key: ClassVar[str] = "smart_conversation_notification"

    smart_conversation_notification: SmartConversationNotification


@attrs.define(frozen=True, kw_only=True)
class RecordNotificationEvent(CallbackEvent):
    """A record was stored (``RECORD_NOTIFICATION``)."""

    trigger: ClassVar[str] = WebhookTrigger.RECORD_NOTIFICATION
    payload_key: ClassVar[str] = "record_notification"

    record_notification: RecordNotification


@attrs.define(frozen=True, kw_only=True)
class UnsupportedCallbackEvent(CallbackEvent):
    """A channel callback the API cannot map (``UNSUPPORTED``)."""

    trigger: ClassVar[str] = WebhookTrigger.UNSUPPORTED
    payload_key: ClassVar[str] = "unsupported_callback"

    unsupported_callback: UnsupportedCallback


@attrs.define(frozen=True, kw_only=True)
class BatchStatusUpdateEvent(CallbackEvent):
    """A Batch API batch changed state (``BATCH_STATUS_UPDATE``, unverified trigger name)."""

    trigger: ClassVar[str] = WebhookTrigger.BATCH_STATUS_UPDATE
    payload_key: ClassVar[str] = "batch_status_update_notification"

    batch_status_update_notification: BatchStatusUpdateNotification


@attrs.define(frozen=True, kw_only=True)
class UnknownCallbackEvent(CallbackEvent):
    """A callback whose payload key this SDK does not know; ``raw`` is the whole body.

    The envelope fields are read as usual; ``payload`` is ``raw`` without them. Written back
    (``serde.unstructure``) it is ``raw`` unchanged.
    """

    raw: dict[str, Any]

    @property
    def payload(self) -> dict[str, Any]:
        """Every key of the body that is not an envelope field."""
        return {k: v for k, v in self.raw.items() if k not in ENVELOPE_KEYS}


# --- batch messages ---------------------------------------------------------------------


def _metadata_json(metadata: str | None) -> Mapping[str, Any]:
    """A report's ``metadata`` string as a JSON object ({} when it is not one)."""
    if not metadata or not metadata.lstrip().startswith("{"):
        return {}
    try:
        value = json.loads(metadata)
    except ValueError:
        return {}
    return value if _jsoncodec.is_object(value) else {}


def batch_id_of(
    report: MessageDeliveryReport
    | MessageDeliveryEvent
    | MessageSubmitNotification
    | MessageSubmitEvent,
) -> str | None:
    """The Batch API batch a message report belongs to, or None for other messages.

    Read from the report's ``batch_id`` when present, else from the reserved
    ``_batch_id`` key of its ``metadata`` (a JSON string: the merged message metadata the
    batch gave each generated message); metadata that is not JSON means no batch.
    """
    payload: MessageDeliveryReport | MessageSubmitNotification
    if isinstance(report, MessageDeliveryEvent):
        payload = report.message_delivery_report
    elif isinstance(report, MessageSubmitEvent):
        payload = report.message_submit_notification
    else:
        payload = report
    if isinstance(payload, MessageDeliveryReport) and payload.batch_id:
        return payload.batch_id
    value = _metadata_json(payload.metadata).get("_batch_id")
    return value if isinstance(value, str) and value else None


def batch_message_index_of(report: MessageDeliveryReport | MessageDeliveryEvent) -> int | None:
    """The recipient's position in its batch request, when the report says (FAILED reports
    of batch messages are said to carry ``message_index``; unverified), else None."""
    payload = report.message_delivery_report if isinstance(report, MessageDeliveryEvent) else report
    if payload.message_index is not None:
        return payload.message_index
    value = _metadata_json(payload.metadata).get("message_index")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _structure_unknown_event(data: Any, _: Any) -> UnknownCallbackEvent:
    if not _jsoncodec.is_mapping(data):
        raise TypeError("a callback must be a JSON object")
    return _structure_unknown_envelope({**data, "__raw__": dict(data)}, UnknownCallbackEvent)


_structure_unknown_envelope = make_dict_structure_fn(
    UnknownCallbackEvent,
    converter,
    raw=override(rename="__raw__", struct_hook=lambda value, _: value),
)

converter.register_structure_hook(UnknownCallbackEvent, _structure_unknown_event)
converter.register_unstructure_hook(UnknownCallbackEvent, lambda obj: dict(obj.raw))
