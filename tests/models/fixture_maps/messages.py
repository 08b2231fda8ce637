"""Fixtures of the messages area (``v1/messages/**``) and the shared ``v1/*.json`` models."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

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

from . import Corrected, Under


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


_CS = "v1/messages/types/channelspecific"
_KT = f"{_CS}/kakaotalk"
_WA = f"{_CS}/whatsapp"

FIXTURE_MODELS: dict[str, Any] = {
    # top-level v1 models
    "v1/AgentDto.json": Agent,
    "v1/ChannelIdentityDto.json": ChannelIdentity,
    "v1/ReasonDto.json": Reason,
    "v1/ReasonWithChannelCodeDto.json": Reason,
    "v1/RecipientChannelRecipientIdentitiesDto.json": Recipient,
    "v1/RecipientContactIdDto.json": Recipient,
    "v1/TemplateReferenceFieldWithVersionDto.json": OmniMessageOverride,
    "v1/TemplateReferenceFieldWithoutVersionDto.json": OmniMessageOverride,
    "v1/TemplateReferenceWithVersionDto.json": TemplateReference,
    "v1/TemplateReferenceWithoutVersionDto.json": TemplateReference,
    # AppMessage with each content kind plus overrides and agent
    "v1/messages/AppMessageCardDto.json": AppMessage,
    "v1/messages/AppMessageCarouselDto.json": AppMessage,
    "v1/messages/AppMessageChoiceDto.json": AppMessage,
    "v1/messages/AppMessageContactInfoDto.json": AppMessage,
    "v1/messages/AppMessageListDto.json": AppMessage,
    "v1/messages/AppMessageLocationDto.json": AppMessage,
    "v1/messages/AppMessageMediaDto.json": AppMessage,
    "v1/messages/AppMessageTemplateDto.json": AppMessage,
    "v1/messages/AppMessageTextDto.json": AppMessage,
    # SOURCES calls it "ChoiceItem"; its shape {title, description, media, postback_data}
    # is a list row's choice, not a Choice (which holds one of text_message, url_message...).
    "v1/messages/ChoiceItemDto.json": ListItemChoice,
    "v1/messages/ContactMessageChannelSpecificContactNfmReply.json": ContactMessage,
    "v1/messages/ContactMessageChoiceResponseDto.json": ContactMessage,
    "v1/messages/ContactMessageFallbackDto.json": ContactMessage,
    "v1/messages/ContactMessageLocationDto.json": ContactMessage,
    "v1/messages/ContactMessageMediaCardDto.json": ContactMessage,
    "v1/messages/ContactMessageMediaDto.json": ContactMessage,
    "v1/messages/ContactMessageProductResponseDto.json": ContactMessage,
    "v1/messages/ContactMessageTextDto.json": ContactMessage,
    "v1/messages/ContactMessageTextNoReplyToDto.json": ContactMessage,
    "v1/messages/ContactMessageTextNullReplyToDto.json": ContactMessage,
    "v1/messages/ConversationMessageAppTextRequestDto.json": ConversationMessage,
    "v1/messages/ConversationMessageAppTextResponseDto.json": ConversationMessage,
    "v1/messages/ConversationMessageContactLocationRequestDto.json": ConversationMessage,
    "v1/messages/ConversationMessageContactLocationResponseDto.json": ConversationMessage,
    "v1/messages/OmniMessageOverrideCardDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideCarouselDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideChoiceDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideContactInfoDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideListDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideLocationDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideMediaDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideTemplateReferenceDto.json": OmniMessageOverride,
    "v1/messages/OmniMessageOverrideTextDto.json": OmniMessageOverride,
    "v1/messages/ProductItemDto.json": ProductItem,
    "v1/messages/ReplyToDto.json": Under("reply_to", ReplyTo),
    # request and response bodies
    "v1/messages/request/ListLastMessagesByChannelIdentityRequestDto.json": (
        ListLastMessagesByChannelIdentityRequest
    ),
    "v1/messages/request/MessageUpdateRequestDto.json": MessageUpdateRequest,
    "v1/messages/request/SendCardMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendCarouselMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendChoiceMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendContactInfoMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendListMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendLocationMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendMediaMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendTemplateMessageRequestDto.json": SendMessageRequest,
    "v1/messages/request/SendTextMessageRequestDto.json": SendMessageRequest,
    "v1/messages/response/MessagesListResponse-page-0.json": ListMessagesResponse,
    "v1/messages/response/MessagesListResponse-page-1.json": ListMessagesResponse,
    "v1/messages/response/SendMessageResponseDto.json": SendMessageResponse,
    # content types, each wrapped under its wire key
    "v1/messages/types/calendar/CalendarMessageDto.json": Choice,
    "v1/messages/types/call/CallMessageDto.json": Choice,
    "v1/messages/types/card/CardMessageDto.json": AppMessage,
    "v1/messages/types/card/CardMessageWithMessagePropertiesWhatsAppHeaderDto.json": AppMessage,
    "v1/messages/types/card/MessagePropertiesDto.json": CardMessageMessageProperties,
    "v1/messages/types/carousel/CarouselMessageDto.json": AppMessage,
    "v1/messages/types/choice/ChoiceMessageDto.json": AppMessage,
    "v1/messages/types/choice/ChoiceMessageWithWhatsappFooterDto.json": AppMessage,
    "v1/messages/types/choiceresponse/ChoiceResponseMessageDto.json": ContactMessage,
    "v1/messages/types/contactinfo/AddressInfoDto.json": AddressInfo,
    "v1/messages/types/contactinfo/ContactInfoMessageDto.json": AppMessage,
    "v1/messages/types/contactinfo/EmailInfoDto.json": EmailInfo,
    "v1/messages/types/contactinfo/NameInfoDto.json": NameInfo,
    "v1/messages/types/contactinfo/OrganizationInfoDto.json": OrganizationInfo,
    "v1/messages/types/contactinfo/PhoneNumberInfoDto.json": PhoneNumberInfo,
    "v1/messages/types/contactinfo/URLInfoDto.json": UrlInfo,
    "v1/messages/types/fallback/FallbackMessageDto.json": ContactMessage,
    "v1/messages/types/list/ListMessageChoiceDto.json": AppMessage,
    "v1/messages/types/list/ListMessageChoiceWithWhatsappHeaderDto.json": AppMessage,
    "v1/messages/types/list/ListMessageProductDto.json": AppMessage,
    "v1/messages/types/location/CoordinatesDto.json": Coordinates,
    "v1/messages/types/location/LocationMessageDto.json": AppMessage,
    "v1/messages/types/media/MediaMessageDto.json": AppMessage,
    "v1/messages/types/mediacard/MediaCardMessageDto.json": ContactMessage,
    "v1/messages/types/productresponse/ProductResponseMessageDto.json": ContactMessage,
    "v1/messages/types/sharelocation/ShareLocationMessageDto.json": Choice,
    "v1/messages/types/template/TemplateMessageDto.json": AppMessage,
    "v1/messages/types/text/TextMessageDto.json": AppMessage,
    "v1/messages/types/url/UrlMessageDto.json": Choice,
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
