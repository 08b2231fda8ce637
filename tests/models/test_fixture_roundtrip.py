"""Every shared messages-area fixture structures into its model and writes back unchanged.

The fixtures are the official API contract examples (``shared/fixtures/SOURCES.md``). A file
on disk that :data:`FIXTURE_MODELS` does not name fails, so new fixtures cannot go unchecked.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import attrs
import pytest

from conversation_async import serde
from conversation_async.errors import SerializationError
from conversation_async.models import (
    AddressInfo,
    Agent,
    AppMessage,
    CardMessageMessageProperties,
    ChannelIdentity,
    ChannelSpecificMessage,
    Choice,
    ContactMessage,
    ConversationMessage,
    Coordinates,
    EmailInfo,
    FlowChannelSpecificMessage,
    KakaoTalkButton,
    KakaoTalkCarousel,
    KakaoTalkCarouselCommerceChannelSpecificMessage,
    KakaoTalkCarouselHead,
    KakaoTalkCarouselTail,
    KakaoTalkCommerce,
    KakaoTalkCommerceChannelSpecificMessage,
    KakaoTalkCommerceMessage,
    KakaoTalkCoupon,
    KakaoTalkImage,
    LineNotificationMessageTemplateChannelSpecificMessage,
    ListItemChoice,
    ListLastMessagesByChannelIdentityRequest,
    ListMessagesResponse,
    MessageUpdateRequest,
    NameInfo,
    OmniMessageOverride,
    OrderDetails,
    OrderStatus,
    OrganizationInfo,
    PhoneNumberInfo,
    ProductItem,
    Reason,
    Recipient,
    ReplyTo,
    SendMessageRequest,
    SendMessageResponse,
    TemplateReference,
    UrlInfo,
    WhatsAppInteractiveHeader,
    WhatsAppPaymentButton,
)
from conversation_async.serde import UnknownVariant
from tests.conftest import SHARED_FIXTURES, shared_fixtures_dir

V1 = "conversation/v1"
"""Fixture paths below are relative to ``<shared>/fixtures/conversation/v1``."""


@dataclass(frozen=True)
class Under:
    """The file holds the model as the value of its only key: ``{"reply_to": {...}}``."""

    key: str
    model: Any


@dataclass(frozen=True)
class Corrected:
    """An upstream fixture that contradicts the catalog; ``fix`` turns it into the catalog form.

    The test also checks that the file as shipped still does *not* round-trip, so the
    correction is dropped once upstream repairs the fixture.
    """

    model: Any
    reason: str
    fix: Callable[[Any], Any]


def _set_message_type(value: str) -> Callable[[Any], Any]:
    def fix(data: Any) -> Any:
        return {**data, "message_type": value}

    return fix


def _fix_kakaotalk_commerce(data: Any) -> Any:
    fixed = copy.deepcopy(data)
    fixed["message"]["commerce"] = {
        "type": "REGULAR_PRICE_COMMERCE",
        **fixed["message"]["commerce"],
    }
    fixed["message"]["coupon"]["discount_rate"] = int(fixed["message"]["coupon"]["discount_rate"])
    return fixed


_CS = "messages/types/channelspecific"
_KT = f"{_CS}/kakaotalk"
_WA = f"{_CS}/whatsapp"

FIXTURE_MODELS: dict[str, Any] = {
    # top-level v1 models
    "AgentDto.json": Agent,
    "ChannelIdentityDto.json": ChannelIdentity,
    "ReasonDto.json": Reason,
    "ReasonWithChannelCodeDto.json": Reason,
    "RecipientChannelRecipientIdentitiesDto.json": Recipient,
    "RecipientContactIdDto.json": Recipient,
    "TemplateReferenceFieldWithVersionDto.json": OmniMessageOverride,
    "TemplateReferenceFieldWithoutVersionDto.json": OmniMessageOverride,
    "TemplateReferenceWithVersionDto.json": TemplateReference,
    "TemplateReferenceWithoutVersionDto.json": TemplateReference,
    # AppMessage with each content kind plus overrides and agent
    "messages/AppMessageCardDto.json": AppMessage,
    "messages/AppMessageCarouselDto.json": AppMessage,
    "messages/AppMessageChoiceDto.json": AppMessage,
    "messages/AppMessageContactInfoDto.json": AppMessage,
    "messages/AppMessageListDto.json": AppMessage,
    "messages/AppMessageLocationDto.json": AppMessage,
    "messages/AppMessageMediaDto.json": AppMessage,
    "messages/AppMessageTemplateDto.json": AppMessage,
    "messages/AppMessageTextDto.json": AppMessage,
    # SOURCES calls it "ChoiceItem"; its shape {title, description, media, postback_data}
    # is a list row's choice, not a Choice (which holds one of text_message, url_message...).
    "messages/ChoiceItemDto.json": ListItemChoice,
    "messages/ContactMessageChannelSpecificContactNfmReply.json": ContactMessage,
    "messages/ContactMessageChoiceResponseDto.json": ContactMessage,
    "messages/ContactMessageFallbackDto.json": ContactMessage,
    "messages/ContactMessageLocationDto.json": ContactMessage,
    "messages/ContactMessageMediaCardDto.json": ContactMessage,
    "messages/ContactMessageMediaDto.json": ContactMessage,
    "messages/ContactMessageProductResponseDto.json": ContactMessage,
    "messages/ContactMessageTextDto.json": ContactMessage,
    "messages/ContactMessageTextNoReplyToDto.json": ContactMessage,
    "messages/ContactMessageTextNullReplyToDto.json": ContactMessage,
    "messages/ConversationMessageAppTextRequestDto.json": ConversationMessage,
    "messages/ConversationMessageAppTextResponseDto.json": ConversationMessage,
    "messages/ConversationMessageContactLocationRequestDto.json": ConversationMessage,
    "messages/ConversationMessageContactLocationResponseDto.json": ConversationMessage,
    "messages/OmniMessageOverrideCardDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideCarouselDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideChoiceDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideContactInfoDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideListDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideLocationDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideMediaDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideTemplateReferenceDto.json": OmniMessageOverride,
    "messages/OmniMessageOverrideTextDto.json": OmniMessageOverride,
    "messages/ProductItemDto.json": ProductItem,
    "messages/ReplyToDto.json": Under("reply_to", ReplyTo),
    # request and response bodies
    "messages/request/ListLastMessagesByChannelIdentityRequestDto.json": (
        ListLastMessagesByChannelIdentityRequest
    ),
    "messages/request/MessageUpdateRequestDto.json": MessageUpdateRequest,
    "messages/request/SendCardMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendCarouselMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendChoiceMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendContactInfoMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendListMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendLocationMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendMediaMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendTemplateMessageRequestDto.json": SendMessageRequest,
    "messages/request/SendTextMessageRequestDto.json": SendMessageRequest,
    "messages/response/MessagesListResponse-page-0.json": ListMessagesResponse,
    "messages/response/MessagesListResponse-page-1.json": ListMessagesResponse,
    "messages/response/SendMessageResponseDto.json": SendMessageResponse,
    # content types, each wrapped under its wire key
    "messages/types/calendar/CalendarMessageDto.json": Choice,
    "messages/types/call/CallMessageDto.json": Choice,
    "messages/types/card/CardMessageDto.json": AppMessage,
    "messages/types/card/CardMessageWithMessagePropertiesWhatsAppHeaderDto.json": AppMessage,
    "messages/types/card/MessagePropertiesDto.json": CardMessageMessageProperties,
    "messages/types/carousel/CarouselMessageDto.json": AppMessage,
    "messages/types/choice/ChoiceMessageDto.json": AppMessage,
    "messages/types/choice/ChoiceMessageWithWhatsappFooterDto.json": AppMessage,
    "messages/types/choiceresponse/ChoiceResponseMessageDto.json": ContactMessage,
    "messages/types/contactinfo/AddressInfoDto.json": AddressInfo,
    "messages/types/contactinfo/ContactInfoMessageDto.json": AppMessage,
    "messages/types/contactinfo/EmailInfoDto.json": EmailInfo,
    "messages/types/contactinfo/NameInfoDto.json": NameInfo,
    "messages/types/contactinfo/OrganizationInfoDto.json": OrganizationInfo,
    "messages/types/contactinfo/PhoneNumberInfoDto.json": PhoneNumberInfo,
    "messages/types/contactinfo/URLInfoDto.json": UrlInfo,
    "messages/types/fallback/FallbackMessageDto.json": ContactMessage,
    "messages/types/list/ListMessageChoiceDto.json": AppMessage,
    "messages/types/list/ListMessageChoiceWithWhatsappHeaderDto.json": AppMessage,
    "messages/types/list/ListMessageProductDto.json": AppMessage,
    "messages/types/location/CoordinatesDto.json": Coordinates,
    "messages/types/location/LocationMessageDto.json": AppMessage,
    "messages/types/media/MediaMessageDto.json": AppMessage,
    "messages/types/mediacard/MediaCardMessageDto.json": ContactMessage,
    "messages/types/productresponse/ProductResponseMessageDto.json": ContactMessage,
    "messages/types/sharelocation/ShareLocationMessageDto.json": Choice,
    "messages/types/template/TemplateMessageDto.json": AppMessage,
    "messages/types/text/TextMessageDto.json": AppMessage,
    "messages/types/url/UrlMessageDto.json": Choice,
    # channel-specific messages
    f"{_CS}/ChannelSpecificMessageFlowsDto.json": ChannelSpecificMessage,
    f"{_CS}/ChannelSpecificMessageKakaoTalkCarouselCommerceDto.json": Corrected(
        ChannelSpecificMessage,
        reason="a carousel payload tagged message_type COMMERCE (catalog: CAROUSEL_COMMERCE)",
        fix=_set_message_type("CAROUSEL_COMMERCE"),
    ),
    f"{_CS}/ChannelSpecificMessageKakaoTalkCommerceDto.json": Corrected(
        ChannelSpecificMessage,
        reason="commerce lacks its `type` tag and coupon discount_rate is the string '10'",
        fix=_fix_kakaotalk_commerce,
    ),
    f"{_CS}/ChannelSpecificMessageOrderDetailsDto.json": ChannelSpecificMessage,
    f"{_CS}/ChannelSpecificMessageOrderStatusDto.json": ChannelSpecificMessage,
    f"{_KT}/buttons/AppLinkButtonDto.json": KakaoTalkButton,
    f"{_KT}/buttons/BotKeywordButtonDto.json": KakaoTalkButton,
    f"{_KT}/buttons/WebLinkButtonDto.json": KakaoTalkButton,
    f"{_KT}/carousel/CarouselDto.json": KakaoTalkCarousel,
    f"{_KT}/carousel/CarouselHeadDto.json": KakaoTalkCarouselHead,
    f"{_KT}/carousel/CarouselTailDto.json": KakaoTalkCarouselTail,
    f"{_KT}/carousel/KakaoTalkCarouselCommerceChannelSpecificMessageDto.json": (
        KakaoTalkCarouselCommerceChannelSpecificMessage
    ),
    f"{_KT}/commerce/DiscountFixedCommerceDto.json": KakaoTalkCommerce,
    f"{_KT}/commerce/DiscountRateCommerceDto.json": KakaoTalkCommerce,
    f"{_KT}/commerce/KakaoTalkCommerceChannelSpecificMessageDto.json": (
        KakaoTalkCommerceChannelSpecificMessage
    ),
    f"{_KT}/commerce/KakaoTalkCommerceMessageDto.json": KakaoTalkCommerceMessage,
    f"{_KT}/commerce/RegularPriceCommerceDto.json": KakaoTalkCommerce,
    f"{_KT}/coupons/DiscountFixedCouponDto.json": KakaoTalkCoupon,
    f"{_KT}/coupons/DiscountRateCouponDto.json": KakaoTalkCoupon,
    f"{_KT}/coupons/DiscountShippingCouponDto.json": KakaoTalkCoupon,
    f"{_KT}/coupons/FreeCouponDto.json": KakaoTalkCoupon,
    f"{_KT}/coupons/UpCouponDto.json": KakaoTalkCoupon,
    f"{_KT}/image/ImageDto.json": KakaoTalkImage,
    f"{_CS}/line/LineNotificationMessageTemplateChannelSpecificMessageDto.json": (
        LineNotificationMessageTemplateChannelSpecificMessage
    ),
    f"{_WA}/flows/FlowChannelSpecificMessageHeaderDocumentDto.json": FlowChannelSpecificMessage,
    f"{_WA}/flows/FlowChannelSpecificMessageHeaderImageDto.json": FlowChannelSpecificMessage,
    f"{_WA}/flows/FlowChannelSpecificMessageHeaderTextDto.json": FlowChannelSpecificMessage,
    f"{_WA}/flows/FlowChannelSpecificMessageHeaderVideoDto.json": FlowChannelSpecificMessage,
    f"{_WA}/flows/WhatsAppInteractiveHeaderDocumentDto.json": WhatsAppInteractiveHeader,
    f"{_WA}/flows/WhatsAppInteractiveHeaderImageDto.json": WhatsAppInteractiveHeader,
    f"{_WA}/flows/WhatsAppInteractiveHeaderTextDto.json": WhatsAppInteractiveHeader,
    f"{_WA}/flows/WhatsAppInteractiveHeaderVideoDto.json": WhatsAppInteractiveHeader,
    f"{_WA}/nfmreply/ChannelSpecificContactMessageNfmReply.json": ContactMessage,
    f"{_WA}/payment/OrderDetailsDto.json": OrderDetails,
    f"{_WA}/payment/OrderDetailsPaymentButtonBoletoDto.json": WhatsAppPaymentButton,
    f"{_WA}/payment/OrderDetailsPaymentButtonDynamicPixDto.json": WhatsAppPaymentButton,
    f"{_WA}/payment/OrderDetailsPaymentButtonLinkDto.json": WhatsAppPaymentButton,
    f"{_WA}/payment/OrderStatusDto.json": OrderStatus,
}


def fixture_files() -> list[str]:
    """The messages-area fixture files on disk, relative to ``v1``; [] without ../shared."""
    v1 = SHARED_FIXTURES / V1
    if not v1.is_dir():
        return []
    files = [*v1.glob("*.json"), *(v1 / "messages").rglob("*.json")]
    return sorted(p.relative_to(v1).as_posix() for p in files)


def drop_nulls(value: Any) -> Any:
    """``value`` with every ``null`` object member removed, recursively."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def as_json(value: Any) -> Any:
    """``value`` as plain decoded JSON (StrEnum members become str)."""
    return json.loads(json.dumps(value))


def unknown_variants(value: Any, path: str = "$") -> list[str]:
    """Paths of every :class:`UnknownVariant` inside a structured model."""
    if isinstance(value, UnknownVariant):
        return [path]
    found: list[str] = []
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            found += unknown_variants(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += unknown_variants(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += unknown_variants(item, f"{path}[{key!r}]")
    return found


def dump(obj: Any, model: Any) -> Any:
    """Unstructure ``obj``; a union target (``OmniMessageOverride``) is written as that union.

    ``serde.unstructure`` goes by the object's class, which for a keyed union member would
    leave out the key (``{"template_reference": ...}``) that the union adds around it.
    """
    if isinstance(model, type):
        return as_json(serde.unstructure(obj))
    return as_json(serde.converter.unstructure(obj, unstructure_as=model))


def roundtrip(data: Any, model: Any) -> tuple[Any, Any]:
    """Structure ``data`` as ``model``; return the object and its unstructured JSON."""
    if isinstance(model, Under):
        assert isinstance(data, dict)
        assert list(data) == [model.key], f"expected only the key {model.key!r}"
        obj = serde.structure(data[model.key], model.model)
        return obj, {model.key: dump(obj, model.model)}
    obj = serde.structure(data, model)
    return obj, dump(obj, model)


def assert_roundtrips(data: Any, model: Any) -> None:
    obj, written = roundtrip(data, model)
    assert not isinstance(obj, UnknownVariant), "the whole fixture became an UnknownVariant"
    assert unknown_variants(obj) == [], "parts of the fixture were not understood"
    assert written == drop_nulls(data)


@pytest.mark.parametrize("relative", fixture_files())
def test_fixture_roundtrips(relative: str) -> None:
    """Each fixture structures into its model and unstructures back to the same JSON."""
    path = shared_fixtures_dir() / V1 / relative
    assert relative in FIXTURE_MODELS, f"fixture {V1}/{relative} has no model in FIXTURE_MODELS"
    data = json.loads(path.read_text(encoding="utf-8"))
    model = FIXTURE_MODELS[relative]
    if isinstance(model, Corrected):
        assert not _roundtrips_cleanly(data, model.model), (
            f"{relative} now round-trips as shipped; drop its correction ({model.reason})"
        )
        data, model = model.fix(data), model.model
    assert_roundtrips(data, model)


def _roundtrips_cleanly(data: Any, model: Any) -> bool:
    try:
        assert_roundtrips(data, model)
    except (AssertionError, SerializationError):
        return False
    return True


def test_shared_fixtures_present() -> None:
    """The shared fixtures exist (skips, with the reason, when ../shared is not checked out)."""
    root = shared_fixtures_dir()
    assert fixture_files(), f"no messages fixtures under {root / V1}"


def test_every_mapped_fixture_exists() -> None:
    """FIXTURE_MODELS names no file that is missing on disk (catches typos in the table)."""
    shared_fixtures_dir()
    missing = sorted(set(FIXTURE_MODELS) - set(fixture_files()))
    assert missing == []
