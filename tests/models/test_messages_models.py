"""Behaviour of the messages-area models that SDK users rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from conversation_async.models import (
    Agent,
    AgentType,
    AppMessage,
    CalendarMessage,
    CallMessage,
    CardHeight,
    CardMessage,
    CarouselMessage,
    ChannelSpecificContactMessage,
    ChannelSpecificMessage,
    Choice,
    ChoiceMessage,
    ContactInfoMessage,
    ContactMessage,
    ConversationChannel,
    ConversationDirection,
    ConversationMessage,
    Coordinates,
    FlowChannelSpecificMessage,
    IdentifiedRecipient,
    KakaoTalkButton,
    KakaoTalkCarousel,
    KakaoTalkCarouselCommerceChannelSpecificMessage,
    KakaoTalkCommerceMessage,
    ListItemChoice,
    ListItemProduct,
    ListLastMessagesByChannelIdentityRequest,
    ListMessage,
    ListMessagesResponse,
    ListSection,
    LocationMessage,
    MediaMessage,
    NameInfo,
    NfmReplyName,
    OmniMessageOverride,
    PhoneNumberInfo,
    ReplyTo,
    SendMessageRequest,
    SendMessageResponse,
    ShareLocationMessage,
    TemplateMessage,
    TemplateReference,
    TextMessage,
    UrlMessage,
    WebLinkButton,
    WhatsAppInteractiveHeader,
    WhatsAppInteractiveHeaderText,
    WhatsAppInteractiveNfmReplyMessage,
)


def dump(obj: Any, as_type: Any = None) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    raw = serde.converter.unstructure(obj, unstructure_as=as_type or type(obj))
    return json.loads(json.dumps(raw))


def test_unknown_enum_value_is_kept_as_str() -> None:
    """An enum value this SDK does not know stays a plain string and is written back."""
    msg = serde.structure({"id": "m1", "direction": "TO_SOMEWHERE_NEW"}, ConversationMessage)
    assert msg.direction == "TO_SOMEWHERE_NEW"
    assert not isinstance(msg.direction, ConversationDirection)
    assert dump(msg) == {"id": "m1", "direction": "TO_SOMEWHERE_NEW"}


def test_known_enum_value_becomes_member() -> None:
    """A known enum value becomes the StrEnum member."""
    card = serde.structure({"height": "TALL"}, CardMessage)
    assert card.height is CardHeight.TALL


def test_unknown_content_key_becomes_unknown_variant_and_is_written_back() -> None:
    """An AppMessage content key from a newer API is kept raw and sent back unchanged."""
    data = {
        "hologram_message": {"frames": [1, 2, 3]},
        "agent": {"display_name": "Ada", "type": "HUMAN"},
    }
    msg = serde.structure(data, AppMessage)
    assert msg.content == UnknownVariant({"hologram_message": {"frames": [1, 2, 3]}})
    assert msg.agent == Agent(display_name="Ada", type=AgentType.HUMAN)
    assert dump(msg) == data


def test_unknown_json_keys_are_ignored() -> None:
    """Keys the model does not define are dropped on input, not an error."""
    msg = serde.structure({"text": "hi", "added_in_2030": True}, TextMessage)
    assert msg == TextMessage(text="hi")


def test_none_fields_are_omitted_on_output() -> None:
    """Optional fields left at None do not appear in the JSON sent."""
    assert dump(MediaMessage(url="https://x/y.png")) == {"url": "https://x/y.png"}


def test_missing_required_field_raises_serialization_error() -> None:
    """JSON without a required field is refused with SerializationError."""
    with pytest.raises(SerializationError, match="MediaMessage"):
        serde.structure({"thumbnail_url": "https://x/t.png"}, MediaMessage)


def test_nanosecond_timestamp_parses_into_aware_datetime() -> None:
    """A timestamp with 9 fractional digits becomes an aware UTC datetime (µs precision)."""
    msg = serde.structure({"accept_time": "2024-06-06T14:42:42.379863404Z"}, ConversationMessage)
    assert msg.accept_time == datetime(2024, 6, 6, 14, 42, 42, 379863, tzinfo=UTC)
    assert msg.accept_time is not None
    assert msg.accept_time.utcoffset() == timedelta(0)


def test_timestamp_is_written_as_utc_with_z() -> None:
    """Aware datetimes in any zone are sent as RFC 3339 UTC with a Z suffix."""
    cest = timezone(timedelta(hours=2))
    body = ListLastMessagesByChannelIdentityRequest(
        start_time=datetime(2026, 1, 1, 10, 30, tzinfo=cest)
    )
    assert dump(body) == {"start_time": "2026-01-01T08:30:00Z"}


def test_naive_datetime_is_refused_on_output() -> None:
    """A naive datetime cannot be sent: it raises a ValueError that says what to pass."""
    body = ListLastMessagesByChannelIdentityRequest(start_time=datetime(2026, 1, 1, 8, 30))
    with pytest.raises(ValueError, match=r"naive datetime.*aware datetime"):
        serde.unstructure(body)


_CHOICES = [Choice(content=TextMessage(text="Yes"))]
_CARD = CardMessage(title="Card", choices=_CHOICES)


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (TextMessage(text="hi"), "text_message"),
        (MediaMessage(url="https://x/y.png"), "media_message"),
        (ChoiceMessage(text_message=TextMessage(text="Pick"), choices=_CHOICES), "choice_message"),
        (_CARD, "card_message"),
        (CarouselMessage(cards=[_CARD, _CARD]), "carousel_message"),
        (
            LocationMessage(coordinates=Coordinates(latitude=59.3, longitude=18.1), title="HQ"),
            "location_message",
        ),
        (
            TemplateMessage(omni_template=TemplateReference(template_id="t", version="1")),
            "template_message",
        ),
        (
            ListMessage(
                title="Menu",
                sections=[ListSection(items=[ListItemChoice(title="Tea")])],
            ),
            "list_message",
        ),
        (
            ContactInfoMessage(
                name=NameInfo(full_name="Ada Lovelace"),
                phone_numbers=[PhoneNumberInfo(phone_number="+46700000000")],
            ),
            "contact_info_message",
        ),
    ],
)
def test_app_message_content_is_written_under_its_wire_key(content: Any, key: str) -> None:
    """Each of the nine AppMessage content types is sent under its own key and read back."""
    message = AppMessage(content=content, agent=Agent(display_name="Bot"))
    written = dump(message)
    assert written == {key: dump(content), "agent": {"display_name": "Bot"}}
    assert serde.structure(written, AppMessage) == message


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (TextMessage(text="Yes"), "text_message"),
        (UrlMessage(title="Docs", url="https://example.com"), "url_message"),
        (CallMessage(title="Call us", phone_number="+46700000000"), "call_message"),
        (
            LocationMessage(coordinates=Coordinates(latitude=1.5, longitude=2.5), title="Here"),
            "location_message",
        ),
        (
            CalendarMessage(
                title="Add",
                event_start=datetime(2026, 3, 1, 10, tzinfo=UTC),
                event_end=datetime(2026, 3, 1, 11, tzinfo=UTC),
                event_title="Meeting",
                fallback_url="https://example.com/cal",
            ),
            "calendar_message",
        ),
        (
            ShareLocationMessage(title="Where?", fallback_url="https://example.com/map"),
            "share_location_message",
        ),
    ],
)
def test_choice_kinds_are_written_under_their_wire_key(content: Any, key: str) -> None:
    """Each choice kind is sent under its own key next to postback_data, and read back."""
    choice = Choice(content=content, postback_data="pb")
    written = dump(choice)
    assert written == {key: dump(content), "postback_data": "pb"}
    assert serde.structure(written, Choice) == choice


def test_calendar_choice_writes_timestamps_as_rfc3339() -> None:
    """A calendar choice's event times are sent as RFC 3339 strings."""
    choice = serde.structure(
        {
            "calendar_message": {
                "title": "Add",
                "event_start": "2023-10-01T10:00:00Z",
                "event_end": "2023-10-01T11:00:00.5Z",
                "event_title": "Sync",
                "fallback_url": "https://example.com",
            }
        },
        Choice,
    )
    assert isinstance(choice.content, CalendarMessage)
    assert choice.content.event_start == datetime(2023, 10, 1, 10, tzinfo=UTC)
    assert dump(choice)["calendar_message"]["event_end"] == "2023-10-01T11:00:00.500000Z"


def test_identified_recipient_of_builds_identified_by_form() -> None:
    """IdentifiedRecipient.of((channel, identity), ...) sends identities in fallback order."""
    request = SendMessageRequest(
        app_id="app",
        recipient=IdentifiedRecipient.of(
            ("SMS", "+46700000001"), (ConversationChannel.WHATSAPP, "+46700000002")
        ),
        message=AppMessage(content=TextMessage(text="hi")),
    )
    assert dump(request)["recipient"] == {
        "identified_by": {
            "channel_identities": [
                {"channel": "SMS", "identity": "+46700000001"},
                {"channel": "WHATSAPP", "identity": "+46700000002"},
            ]
        }
    }


def test_send_message_request_writes_ttl_and_metadata_as_given() -> None:
    """ttl stays a "<n>s" string; conversation_metadata may be an object or a string."""
    base: dict[str, Any] = {
        "app_id": "app",
        "recipient": {"contact_id": "c1"},
        "message": {"text_message": {"text": "hi"}},
        "ttl": "10s",
    }
    for metadata in ({"order": {"id": 7}}, "plain string"):
        data = {**base, "conversation_metadata": metadata}
        request = serde.structure(data, SendMessageRequest)
        assert request.conversation_metadata == metadata
        assert dump(request) == data


def test_channel_specific_message_writes_message_type_tag() -> None:
    """A channel-specific message is sent as {message_type, message} with the tag from its class."""
    flow = FlowChannelSpecificMessage(
        flow_id="1", flow_cta="Book!", header=WhatsAppInteractiveHeaderText(text="Hello")
    )
    message = AppMessage(
        content=TextMessage(text="fallback"),
        channel_specific_message={ConversationChannel.WHATSAPP: flow},
    )
    assert dump(message)["channel_specific_message"] == {
        "WHATSAPP": {
            "message_type": "FLOWS",
            "message": {
                "flow_id": "1",
                "flow_cta": "Book!",
                "header": {"type": "text", "text": "Hello"},
            },
        }
    }


def test_kakaotalk_carousel_writes_carousel_commerce_and_button_types() -> None:
    """KakaoTalk carousel commerce is tagged CAROUSEL_COMMERCE; buttons carry their type."""
    carousel = KakaoTalkCarouselCommerceChannelSpecificMessage(
        carousel=KakaoTalkCarousel(
            list=[
                KakaoTalkCommerceMessage(buttons=[WebLinkButton(name="Buy", link_mo="https://m")])
            ]
        )
    )
    assert dump(carousel, ChannelSpecificMessage) == {
        "message_type": "CAROUSEL_COMMERCE",
        "message": {
            "carousel": {
                "list": [{"buttons": [{"type": "WL", "name": "Buy", "link_mo": "https://m"}]}]
            }
        },
    }


def test_unknown_message_type_is_kept_raw() -> None:
    """A channel-specific message_type this SDK does not know is kept and written back."""
    data = {"message_type": "HOLOGRAM", "message": {"x": 1}}
    parsed = serde.structure(data, ChannelSpecificMessage)
    assert parsed == UnknownVariant(data)
    assert dump(parsed, ChannelSpecificMessage) == data


def test_unknown_type_tag_is_kept_raw() -> None:
    """A `type` value this SDK does not know (header, button) becomes UnknownVariant."""
    header = serde.structure({"type": "sticker", "sticker": {"id": 3}}, WhatsAppInteractiveHeader)
    button = serde.structure({"type": "XX", "name": "?"}, KakaoTalkButton)
    assert header == UnknownVariant({"type": "sticker", "sticker": {"id": 3}})
    assert button == UnknownVariant({"type": "XX", "name": "?"})


def test_omni_override_template_reference_is_written_under_its_key() -> None:
    """A template_reference omni override is sent as {"template_reference": {...}}."""
    message = AppMessage(
        content=TextMessage(text="hi"),
        explicit_channel_omni_message={
            "WHATSAPP": TemplateReference(template_id="welcome", version="2")
        },
    )
    assert dump(message)["explicit_channel_omni_message"] == {
        "WHATSAPP": {"template_reference": {"template_id": "welcome", "version": "2"}}
    }
    parsed = serde.structure(
        {"template_reference": {"template_id": "welcome", "version": "2"}}, OmniMessageOverride
    )
    assert parsed == TemplateReference(template_id="welcome", version="2")


def test_list_items_are_written_as_choice_or_product() -> None:
    """List rows are sent as {"choice": ...} or {"product": ...} by their class."""
    section = ListSection(
        title="S",
        items=[ListItemChoice(title="Tea"), ListItemProduct(id="p1", marketplace="FACEBOOK")],
    )
    assert dump(section)["items"] == [
        {"choice": {"title": "Tea"}},
        {"product": {"id": "p1", "marketplace": "FACEBOOK"}},
    ]


def test_integral_json_number_is_accepted_for_optional_float() -> None:
    """A whole number (JSON has one number type) is a valid optional float, e.g. a price."""
    product = serde.structure({"id": "p", "marketplace": "m", "item_price": 3}, ListItemProduct)
    assert product.item_price == 3


def test_contact_nfm_reply_is_read_as_channel_specific_contact_message() -> None:
    """A WhatsApp Flow reply from a contact becomes a typed nfm_reply message."""
    data = {
        "channel_specific_message": {
            "message_type": "nfm_reply",
            "message": {
                "type": "nfm_reply",
                "nfm_reply": {"name": "flow", "response_json": "{}", "body": "Sent"},
            },
        },
        "reply_to": {"message_id": "m0"},
    }
    message = serde.structure(data, ContactMessage)
    assert isinstance(message.content, ChannelSpecificContactMessage)
    assert isinstance(message.content.message, WhatsAppInteractiveNfmReplyMessage)
    assert message.content.message.nfm_reply.name is NfmReplyName.FLOW
    assert message.reply_to == ReplyTo(message_id="m0")
    assert dump(message) == data


def test_conversation_message_property_returns_app_message() -> None:
    """ConversationMessage.message is the app_message when the app sent it."""
    app = AppMessage(content=TextMessage(text="out"))
    assert ConversationMessage(id="1", app_message=app).message is app


def test_conversation_message_property_returns_contact_message() -> None:
    """ConversationMessage.message is the contact_message when the contact sent it."""
    contact = ContactMessage(content=TextMessage(text="in"))
    assert ConversationMessage(id="1", contact_message=contact).message is contact
    assert ConversationMessage(id="1").message is None


def test_list_messages_response_defaults_to_no_messages() -> None:
    """An empty list response reads as messages=None rather than failing."""
    first = serde.structure({}, ListMessagesResponse)
    assert first == ListMessagesResponse()
    assert first.messages is None


def test_send_message_response_reads_accepted_time() -> None:
    """SendMessageResponse carries the message id and an aware accepted_time."""
    response = serde.structure(
        {"message_id": "01H", "accepted_time": "2024-06-18T12:34:56Z"}, SendMessageResponse
    )
    assert response == SendMessageResponse(
        message_id="01H", accepted_time=datetime(2024, 6, 18, 12, 34, 56, tzinfo=UTC)
    )
