"""Fixtures of the callbacks ("Sinch Events", ``v1/sinchevents/**``): whole callback bodies."""

from __future__ import annotations

from typing import Any

from conversation_async.callbacks import (
    CapabilityEvent,
    ChannelEvent,
    ContactCreateEvent,
    ContactDeleteEvent,
    ContactIdentitiesDuplicationEvent,
    ContactMergeEvent,
    ContactUpdateEvent,
    ConversationDeleteEvent,
    ConversationStartEvent,
    ConversationStopEvent,
    EventDeliveryEvent,
    EventInboundEvent,
    MessageDeliveryEvent,
    MessageInboundEvent,
    MessageInboundSmartConversationRedactionEvent,
    MessageSubmitEvent,
    OptInEvent,
    OptOutEvent,
    RecordNotificationEvent,
    SmartConversationEvent,
    UnsupportedCallbackEvent,
)

_E = "v1/sinchevents"

FIXTURE_MODELS: dict[str, Any] = {
    f"{_E}/capability/CapabilityEventDto.json": CapabilityEvent,
    f"{_E}/channel/ChannelEventDto.json": ChannelEvent,
    f"{_E}/contact/ContactCreateEventDto.json": ContactCreateEvent,
    f"{_E}/contact/ContactDeleteEventDto.json": ContactDeleteEvent,
    f"{_E}/contact/ContactIdentitiesDuplicationEventDto.json": ContactIdentitiesDuplicationEvent,
    f"{_E}/contact/ContactMergeEventDto.json": ContactMergeEvent,
    f"{_E}/contact/ContactUpdateEventDto.json": ContactUpdateEvent,
    f"{_E}/conversation/ConversationDeleteEventDto.json": ConversationDeleteEvent,
    f"{_E}/conversation/ConversationStartEventDto.json": ConversationStartEvent,
    f"{_E}/conversation/ConversationStopEventDto.json": ConversationStopEvent,
    f"{_E}/delivery/EventDeliveryReceiptEventDto.json": EventDeliveryEvent,
    f"{_E}/delivery/MessageDeliveryReceiptEventDto.json": MessageDeliveryEvent,
    f"{_E}/inbound/InboundContactEventDto.json": EventInboundEvent,
    f"{_E}/inbound/InboundContactMessageEventDto.json": EventInboundEvent,
    f"{_E}/message/MessageInboundEventDto.json": MessageInboundEvent,
    f"{_E}/message/MessageSubmitEventDto.json": MessageSubmitEvent,
    f"{_E}/opting/OptInEventDto.json": OptInEvent,
    f"{_E}/opting/OptOutEventDto.json": OptOutEvent,
    f"{_E}/record/RecordNotificationEventDto.json": RecordNotificationEvent,
    f"{_E}/smartconversations/MessageInboundSmartConversationRedactionEventDto.json": (
        MessageInboundSmartConversationRedactionEvent
    ),
    f"{_E}/smartconversations/SmartConversationsEventDto.json": SmartConversationEvent,
    f"{_E}/unsupported/UnsupportedCallbackEventDto.json": UnsupportedCallbackEvent,
}
