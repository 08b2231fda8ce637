"""parse_callback: every callback fixture, unknown payloads, and bodies that are not events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from conversation_async import CallbackParseError, ConversationError, SerializationError
from conversation_async import _serde as serde
from conversation_async.callbacks import (
    EVENT_CLASSES,
    CallbackEvent,
    CapabilityEvent,
    CapabilityNotification,
    CapabilityStatus,
    ChannelEvent,
    ChannelEventNotification,
    ContactCreateEvent,
    ContactDeleteEvent,
    ContactIdentitiesDuplicationEvent,
    ContactMergeEvent,
    ContactMergeNotification,
    ContactNotification,
    ContactUpdateEvent,
    ConversationDeleteEvent,
    ConversationNotification,
    ConversationStartEvent,
    ConversationStopEvent,
    DuplicatedContactIdentitiesNotification,
    EventDeliveryEvent,
    EventDeliveryReport,
    EventInboundEvent,
    MessageDeliveryEvent,
    MessageDeliveryReport,
    MessageInboundEvent,
    MessageInboundSmartConversationRedactionEvent,
    MessageSubmitEvent,
    MessageSubmitNotification,
    OffensiveAnalysisEvaluation,
    OptInEvent,
    OptInNotification,
    OptOutEvent,
    OptOutNotification,
    RecordNotification,
    RecordNotificationEvent,
    RecordStatus,
    Sentiment,
    SmartConversationEvent,
    SmartConversationNotification,
    UnknownCallbackEvent,
    UnsupportedCallback,
    UnsupportedCallbackEvent,
    event_class_for_trigger,
    parse_callback,
)
from conversation_async.models import (
    AppMessage,
    ComposingEvent,
    Contact,
    Conversation,
    ConversationEvent,
    ConversationMessage,
    DeliveryStatus,
    OptInStatus,
    OptOutStatus,
    ReactionEvent,
    ReasonCode,
    TextMessage,
    WebhookTrigger,
)
from tests.conftest import SHARED_FIXTURES, load_shared_json

EVENTS_DIR = "conversation/v1/sinchevents"

FIXTURE_CLASSES: dict[str, tuple[type[CallbackEvent], type]] = {
    "capability/CapabilityEventDto.json": (CapabilityEvent, CapabilityNotification),
    "channel/ChannelEventDto.json": (ChannelEvent, ChannelEventNotification),
    "contact/ContactCreateEventDto.json": (ContactCreateEvent, ContactNotification),
    "contact/ContactDeleteEventDto.json": (ContactDeleteEvent, ContactNotification),
    "contact/ContactIdentitiesDuplicationEventDto.json": (
        ContactIdentitiesDuplicationEvent,
        DuplicatedContactIdentitiesNotification,
    ),
    "contact/ContactMergeEventDto.json": (ContactMergeEvent, ContactMergeNotification),
    "contact/ContactUpdateEventDto.json": (ContactUpdateEvent, ContactNotification),
    "conversation/ConversationDeleteEventDto.json": (
        ConversationDeleteEvent,
        ConversationNotification,
    ),
    "conversation/ConversationStartEventDto.json": (
        ConversationStartEvent,
        ConversationNotification,
    ),
    "conversation/ConversationStopEventDto.json": (ConversationStopEvent, ConversationNotification),
    "delivery/EventDeliveryReceiptEventDto.json": (EventDeliveryEvent, EventDeliveryReport),
    "delivery/MessageDeliveryReceiptEventDto.json": (MessageDeliveryEvent, MessageDeliveryReport),
    "inbound/InboundContactEventDto.json": (EventInboundEvent, ConversationEvent),
    "inbound/InboundContactMessageEventDto.json": (EventInboundEvent, ConversationEvent),
    "message/MessageInboundEventDto.json": (MessageInboundEvent, ConversationMessage),
    "message/MessageSubmitEventDto.json": (MessageSubmitEvent, MessageSubmitNotification),
    "opting/OptInEventDto.json": (OptInEvent, OptInNotification),
    "opting/OptOutEventDto.json": (OptOutEvent, OptOutNotification),
    "record/RecordNotificationEventDto.json": (RecordNotificationEvent, RecordNotification),
    "smartconversations/MessageInboundSmartConversationRedactionEventDto.json": (
        MessageInboundSmartConversationRedactionEvent,
        ConversationMessage,
    ),
    "smartconversations/SmartConversationsEventDto.json": (
        SmartConversationEvent,
        SmartConversationNotification,
    ),
    "unsupported/UnsupportedCallbackEventDto.json": (
        UnsupportedCallbackEvent,
        UnsupportedCallback,
    ),
}

ALL_EVENT_CLASSES = sorted({cls for cls, _ in FIXTURE_CLASSES.values()}, key=lambda c: c.__name__)

ENVELOPE: dict[str, Any] = {
    "app_id": "APP",
    "project_id": "PROJECT",
    "accepted_time": "2024-06-06T14:42:42.379863404Z",
    "event_time": "2024-06-06T14:42:40Z",
    "message_metadata": "meta",
    "correlation_id": "corr",
}

DELIVERY: dict[str, Any] = {
    **ENVELOPE,
    "message_delivery_report": {"message_id": "M1", "status": "READ"},
}


def fixture(name: str) -> Any:
    return load_shared_json(f"{EVENTS_DIR}/{name}")


def parse_fixture(name: str) -> Any:
    """``parse_callback`` on the raw bytes of one callback fixture."""
    return parse_callback(json.dumps(fixture(name)).encode())


# --- every shared fixture ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "classes"), FIXTURE_CLASSES.items(), ids=list(FIXTURE_CLASSES))
def test_fixture_parses_into_its_event_class(
    name: str, classes: tuple[type[CallbackEvent], type]
) -> None:
    """Each callback fixture becomes its event class, with its payload model under its key."""
    event_cls, payload_cls = classes
    event = parse_fixture(name)
    assert type(event) is event_cls
    assert isinstance(getattr(event, event_cls.payload_key), payload_cls)
    assert event.payload is getattr(event, event_cls.payload_key)


def test_fixture_table_covers_every_callback_fixture() -> None:
    """FIXTURE_CLASSES names exactly the callback fixtures on disk."""
    root = SHARED_FIXTURES / EVENTS_DIR
    if not root.is_dir():
        pytest.skip(f"shared fixtures not found at {root}")
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.json")}
    assert on_disk == set(FIXTURE_CLASSES)


def test_envelope_timestamps_are_aware_datetimes() -> None:
    """accepted_time and event_time become timezone-aware UTC datetimes."""
    event = parse_fixture("delivery/MessageDeliveryReceiptEventDto.json")
    assert event.accepted_time == datetime(2020, 11, 17, 16, 5, 51, 724083, tzinfo=UTC)
    assert event.event_time == datetime(2020, 11, 17, 16, 5, 45, tzinfo=UTC)
    assert event.accepted_time.tzinfo is not None
    assert event.event_time.tzinfo is not None


def test_envelope_string_fields_are_read() -> None:
    """app_id, project_id, message_metadata and correlation_id come from the envelope."""
    event = parse_fixture("capability/CapabilityEventDto.json")
    assert (event.app_id, event.project_id) == ("app id value", "project id value")
    assert (event.message_metadata, event.correlation_id) == (
        "metadata value",
        "correlation id value",
    )


def test_nanosecond_accepted_time_is_read() -> None:
    """A 9-digit fractional accepted_time (as the API sends) parses, truncated to microseconds."""
    event = parse_callback(DELIVERY)
    assert event.accepted_time == datetime(2024, 6, 6, 14, 42, 42, 379863, tzinfo=UTC)


def test_message_delivery_status_and_reason_are_enum_members() -> None:
    """A delivery report's status is a DeliveryStatus member and its reason code a ReasonCode."""
    report = parse_fixture("delivery/MessageDeliveryReceiptEventDto.json").message_delivery_report
    assert report.status is DeliveryStatus.DELIVERED
    assert report.reason is not None
    assert report.reason.code is ReasonCode.RECIPIENT_NOT_OPTED_IN


def test_event_delivery_status_is_delivery_status_member() -> None:
    """An event delivery report's status is a DeliveryStatus member."""
    report = parse_fixture("delivery/EventDeliveryReceiptEventDto.json").event_delivery_report
    assert report.status is DeliveryStatus.DELIVERED
    assert report.event_id == "event id"


def test_contact_notification_holds_a_contact() -> None:
    """CONTACT_CREATE carries a Contact with its channel identities."""
    notification = parse_fixture("contact/ContactCreateEventDto.json").contact_create_notification
    assert isinstance(notification.contact, Contact)
    assert notification.contact.id == "my created contact ID"
    assert notification.contact.channel_identities is not None
    assert len(notification.contact.channel_identities) == 2


def test_contact_merge_holds_both_contacts() -> None:
    """CONTACT_MERGE carries the preserved and the deleted Contact."""
    merge = parse_fixture("contact/ContactMergeEventDto.json").contact_merge_notification
    assert isinstance(merge.preserved_contact, Contact)
    assert isinstance(merge.deleted_contact, Contact)
    assert merge.preserved_contact.id == "a contact id"


def test_duplication_lists_contact_ids_per_channel() -> None:
    """CONTACT_IDENTITIES_DUPLICATION lists the contact ids sharing an identity."""
    event = parse_fixture("contact/ContactIdentitiesDuplicationEventDto.json")
    (dup,) = event.duplicated_contact_identities_notification.duplicated_identities
    assert dup.channel == "channel"
    assert dup.contact_ids == ["01EKA07N79THJ20ZSN6AS30TMW", "01EKA07N79THJ20ZSN6AS30TTT"]


def test_conversation_notification_holds_a_conversation() -> None:
    """CONVERSATION_START carries a Conversation with an aware last_received."""
    event = parse_fixture("conversation/ConversationStartEventDto.json")
    conversation = event.conversation_start_notification.conversation
    assert isinstance(conversation, Conversation)
    assert conversation.last_received == datetime(2020, 11, 17, 15, 0, tzinfo=UTC)


def test_inbound_message_holds_contact_message_content() -> None:
    """MESSAGE_INBOUND carries the contact's TextMessage and its reply_to."""
    message = parse_fixture("message/MessageInboundEventDto.json").message
    assert message.contact_message is not None
    assert message.contact_message.content == TextMessage(text="This is a text message.")
    assert message.contact_message.reply_to is not None
    assert message.contact_message.reply_to.message_id == "message id value"


def test_submit_notification_holds_the_app_message() -> None:
    """MESSAGE_SUBMIT carries the submitted AppMessage."""
    notification = parse_fixture("message/MessageSubmitEventDto.json").message_submit_notification
    assert isinstance(notification.submitted_message, AppMessage)
    assert notification.submitted_message.content == TextMessage(text="This is a text message.")


def test_inbound_contact_event_is_typed() -> None:
    """EVENT_INBOUND with a contact_event carries a ComposingEvent."""
    event = parse_fixture("inbound/InboundContactEventDto.json").event
    assert event.contact_event == ComposingEvent()


def test_inbound_contact_message_event_is_typed() -> None:
    """EVENT_INBOUND with a contact_message_event carries a ReactionEvent."""
    event = parse_fixture("inbound/InboundContactMessageEventDto.json").event
    assert isinstance(event.contact_message_event, ReactionEvent)
    assert event.contact_message_event.message_id == "message id value"


def test_capability_status_is_enum_member() -> None:
    """CAPABILITY's capability_status is a CapabilityStatus member."""
    notification = parse_fixture("capability/CapabilityEventDto.json").capability_notification
    assert notification.capability_status is CapabilityStatus.CAPABILITY_PARTIAL
    assert notification.channel_capabilities == ["capability value"]


def test_opt_in_and_opt_out_statuses_are_enum_members() -> None:
    """OPT_IN / OPT_OUT statuses are OptInStatus / OptOutStatus members."""
    opt_in = parse_fixture("opting/OptInEventDto.json").opt_in_notification
    opt_out = parse_fixture("opting/OptOutEventDto.json").opt_out_notification
    assert opt_in.status is OptInStatus.OPT_IN_FAILED
    assert opt_out.status is OptOutStatus.OPT_OUT_FAILED
    assert opt_in.error_details is not None
    assert opt_in.error_details.description == "Error description value"


def test_record_status_is_enum_member() -> None:
    """RECORD_NOTIFICATION's record_status is a RecordStatus member."""
    notification = parse_fixture("record/RecordNotificationEventDto.json").record_notification
    assert notification.record_status is RecordStatus.EVENT_RECORD_STORED


def test_channel_event_keeps_additional_data() -> None:
    """CHANNEL_EVENT keeps event_type and the free-form additional_data object."""
    details = parse_fixture("channel/ChannelEventDto.json").channel_event_notification.channel_event
    assert details.event_type == "WHATS_APP_QUALITY_RATING_CHANGED"
    assert details.additional_data == {"quality_rating": "quality rating value"}


def test_smart_conversation_results_are_typed() -> None:
    """SMART_CONVERSATION analysis results carry Sentiment and evaluation enum members."""
    event = parse_fixture("smartconversations/SmartConversationsEventDto.json")
    results = event.smart_conversation_notification.analysis_results
    assert results.ml_sentiment_result[0].sentiment is Sentiment.NEUTRAL
    assert results.ml_sentiment_result[0].results[0].sentiment is Sentiment.POSITIVE
    assert results.ml_offensive_analysis_result[0].evaluation is OffensiveAnalysisEvaluation.UNSAFE
    fields = results.ml_image_recognition_result[0].document_field_classification.result[0]
    assert fields["John"].data == ["a string"]


def test_unsupported_callback_keeps_channel_payload_string() -> None:
    """UNSUPPORTED keeps the channel's raw payload string."""
    event = parse_fixture("unsupported/UnsupportedCallbackEventDto.json")
    assert event.unsupported_callback.payload == "payload value"


# --- leniency ---------------------------------------------------------------------------


def test_empty_payload_object_parses_with_all_fields_none() -> None:
    """A known payload key with an empty object parses: every payload field is optional."""
    event = parse_callback({"message_delivery_report": {}})
    assert event == MessageDeliveryEvent(message_delivery_report=MessageDeliveryReport())


def test_payload_key_alone_parses_without_envelope() -> None:
    """A body without any envelope field still parses; the envelope fields are None."""
    event = parse_callback({"opt_in_notification": {"status": "OPT_IN_SUCCEEDED"}})
    assert isinstance(event, OptInEvent)
    assert event.app_id is None
    assert event.accepted_time is None


def test_unknown_enum_value_is_kept_as_string() -> None:
    """A delivery status this SDK does not know stays a plain string."""
    event = parse_callback({"message_delivery_report": {"status": "BOUNCED_BY_MOON"}})
    assert event.payload.status == "BOUNCED_BY_MOON"
    assert not isinstance(event.payload.status, DeliveryStatus)


def test_unknown_fields_are_ignored() -> None:
    """Unknown keys in the envelope and in the payload are ignored."""
    body = {**DELIVERY, "new_envelope_field": 1}
    body["message_delivery_report"] = {**DELIVERY["message_delivery_report"], "new_field": 2}
    assert parse_callback(body) == parse_callback(DELIVERY)


def test_first_payload_key_in_catalog_order_wins() -> None:
    """A body with two payload keys gives the class of the one listed first in the catalog."""
    event = parse_callback({"message_delivery_report": {}, "message": {}})
    assert isinstance(event, MessageInboundEvent)


# --- unknown payloads -------------------------------------------------------------------


def test_unknown_payload_key_gives_unknown_event_with_raw_body() -> None:
    """A body whose only payload key is unknown gives UnknownCallbackEvent keeping the body."""
    body = {**ENVELOPE, "brand_new_notification": {"x": 1}}
    event = parse_callback(body)
    assert type(event) is UnknownCallbackEvent
    assert event.raw == body
    assert event.app_id == "APP"
    assert event.accepted_time == datetime(2024, 6, 6, 14, 42, 42, 379863, tzinfo=UTC)


def test_unknown_event_payload_is_the_non_envelope_keys() -> None:
    """UnknownCallbackEvent.payload holds the body without its envelope fields."""
    event = parse_callback({**ENVELOPE, "brand_new_notification": {"x": 1}})
    assert event.payload == {"brand_new_notification": {"x": 1}}


def test_unknown_event_unstructures_to_raw_body() -> None:
    """Writing an UnknownCallbackEvent back gives the original body unchanged."""
    body = {**ENVELOPE, "brand_new_notification": {"x": [1, 2]}}
    assert serde.unstructure(parse_callback(body)) == body


# --- bodies that are not callbacks ------------------------------------------------------


def test_empty_object_raises() -> None:
    """An empty JSON object is not a callback."""
    with pytest.raises(CallbackParseError, match="no event payload"):
        parse_callback(b"{}")


def test_envelope_only_raises() -> None:
    """A body with only envelope fields carries no event."""
    with pytest.raises(CallbackParseError, match="no event payload"):
        parse_callback(ENVELOPE)


@pytest.mark.parametrize("body", [b'{"message": ', "{not json}", b"", b"\xff\xfe\x00{"])
def test_malformed_json_raises(body: bytes | str) -> None:
    """Malformed JSON (or bytes that are not text) raises CallbackParseError."""
    with pytest.raises(CallbackParseError, match="not valid JSON"):
        parse_callback(body)


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_non_object_json_raises(body: bytes) -> None:
    """A JSON value that is not an object raises CallbackParseError."""
    with pytest.raises(CallbackParseError, match="must be a JSON object"):
        parse_callback(body)


def test_decoded_non_mapping_raises() -> None:
    """An already decoded value that is not a mapping raises CallbackParseError."""
    with pytest.raises(CallbackParseError, match="must be a JSON object"):
        parse_callback([DELIVERY])  # type: ignore[arg-type]


def test_non_object_payload_raises() -> None:
    """A known payload key whose value is not an object raises CallbackParseError."""
    with pytest.raises(CallbackParseError, match="not a JSON object"):
        parse_callback({"message_delivery_report": "DELIVERED"})


def test_mistyped_payload_raises_chained_from_serialization_error() -> None:
    """A payload field of the wrong JSON type raises CallbackParseError from SerializationError."""
    with pytest.raises(CallbackParseError) as info:
        parse_callback({"message_delivery_report": {"channel_identity": "not an object"}})
    assert isinstance(info.value.__cause__, SerializationError)


def test_bad_envelope_timestamp_raises() -> None:
    """An accepted_time that is not a timestamp raises CallbackParseError."""
    with pytest.raises(CallbackParseError):
        parse_callback({**DELIVERY, "accepted_time": "yesterday"})


def test_callback_parse_error_is_a_conversation_error() -> None:
    """CallbackParseError belongs to the SDK's exception tree (and is a ValueError)."""
    assert issubclass(CallbackParseError, ConversationError)
    assert issubclass(CallbackParseError, ValueError)


SECRET_MARKER = "s3cr3t-body-content"


@pytest.mark.parametrize(
    "body",
    [
        f'{{"text": "{SECRET_MARKER}"',
        f'["{SECRET_MARKER}"]',
        f'{{"app_id": "{SECRET_MARKER}"}}',
        f'{{"message_delivery_report": "{SECRET_MARKER}"}}',
        f'{{"message_delivery_report": {{"channel_identity": "{SECRET_MARKER}"}}}}',
        f'{{"accepted_time": "{SECRET_MARKER}", "message": {{}}}}',
    ],
    ids=["malformed", "array", "envelope-only", "payload-string", "mistyped", "bad-timestamp"],
)
def test_error_message_does_not_contain_the_body(body: str) -> None:
    """CallbackParseError messages never quote the body's content."""
    with pytest.raises(CallbackParseError) as info:
        parse_callback(body)
    assert SECRET_MARKER not in str(info.value)
    assert SECRET_MARKER not in repr(info.value)


# --- inputs and classes -----------------------------------------------------------------


def test_bytes_str_and_dict_inputs_give_equal_events() -> None:
    """Raw bytes, a str and a decoded dict of the same body parse to equal events."""
    text = json.dumps(DELIVERY)
    from_bytes = parse_callback(text.encode())
    assert from_bytes == parse_callback(text)
    assert from_bytes == parse_callback(DELIVERY)
    assert from_bytes == parse_callback(bytearray(text.encode()))


def test_parse_does_not_keep_a_reference_to_a_passed_dict() -> None:
    """Mutating the dict after parsing does not change an UnknownCallbackEvent's raw body."""
    body: dict[str, Any] = {"brand_new_notification": {}}
    event = parse_callback(body)
    assert isinstance(event, UnknownCallbackEvent)
    body["app_id"] = "changed"
    assert "app_id" not in event.raw


def test_events_are_frozen() -> None:
    """Parsed events cannot be modified."""
    event = parse_callback(DELIVERY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.app_id = "other"  # type: ignore[misc]


def test_twenty_two_classes_have_distinct_triggers_and_payload_keys() -> None:
    """The 22 event classes (21 + BATCH_STATUS_UPDATE) have distinct triggers and payload keys."""
    classes = list(EVENT_CLASSES.values())
    assert len(classes) == 22
    assert len({cls.trigger for cls in classes}) == 22
    assert len({cls.payload_key for cls in classes}) == 22
    assert all(issubclass(cls, CallbackEvent) for cls in classes)


def test_triggers_are_the_webhook_triggers() -> None:
    """The triggers are exactly the WebhookTrigger values except UNSPECIFIED_TRIGGER."""
    triggers = {cls.trigger for cls in EVENT_CLASSES.values()}
    assert triggers == set(WebhookTrigger) - {WebhookTrigger.UNSPECIFIED_TRIGGER}


def test_payload_field_is_named_by_payload_key() -> None:
    """Each event class has exactly one field beyond the envelope, named by its payload key."""
    envelope = {a.name for a in attrs.fields(CallbackEvent)}
    for cls in EVENT_CLASSES.values():
        extra = [a.name for a in attrs.fields(cls) if a.name not in envelope]
        assert extra == [cls.payload_key], cls.__name__


def test_every_fixture_class_is_in_the_key_table() -> None:
    """Every class a fixture maps to is the table entry for its own payload key."""
    for cls in ALL_EVENT_CLASSES:
        assert EVENT_CLASSES[cls.payload_key] is cls


@pytest.mark.parametrize("name", ["SMART_CONVERSATION", "SMART_CONVERSATIONS"])
def test_both_smart_conversation_spellings_name_the_same_class(name: str) -> None:
    """Reading a trigger name accepts SMART_CONVERSATION and NODE's SMART_CONVERSATIONS."""
    assert event_class_for_trigger(name) is SmartConversationEvent


def test_unknown_trigger_name_has_no_class() -> None:
    """An unknown trigger name gives None, not an exception."""
    assert event_class_for_trigger("NOT_A_TRIGGER") is None


@pytest.mark.parametrize(
    "content",
    [
        {"location_message": {"coordinates": {"latitude": 1.0, "longitude": 2.0}}},
        {"choice_response_message": {}},
        {"media_card_message": {"caption": "no url"}},
        {"product_response_message": {"products": [{"quantity": 1}]}},
        {"text_message": {"text": "hi"}, "reply_to": {}},
    ],
)
def test_inbound_content_missing_optional_looking_fields_still_parses(
    content: dict[str, Any],
) -> None:
    """A contact's message with fields the channel left out is still delivered to the bot."""
    body = {"app_id": "a", "message": {"id": "m", "contact_message": content}}
    event = parse_callback(body)
    assert type(event).__name__ == "MessageInboundEvent"


def test_inbound_reaction_without_category_or_emoji_still_parses() -> None:
    """Contact-originated events are read leniently too."""
    body = {"event": {"contact_message_event": {"reaction_event": {"message_id": "m"}}}}
    assert type(parse_callback(body)).__name__ == "EventInboundEvent"
