"""Channel-specific messages: ``channel_specific_message`` values (catalog §3.5, §3.4).

An app sends them as ``{"message_type": "FLOWS", "message": {...}}``; the ``message_type`` tag
is written from the member's class, so the member classes do not carry it. Objects told apart
by a ``type`` value (headers, KakaoTalk buttons, commerce, coupons, payment buttons) work the
same way. Anything this SDK does not know becomes
:class:`~conversation_async.models.UnknownVariant`.
"""

from __future__ import annotations

import builtins
import enum
from typing import Any

import attrs

from .._serde import UnknownVariant, register_keyed_union, register_tagged_union

__all__ = [
    "AppLinkButton",
    "BotKeywordButton",
    "ChannelSpecificContactMessage",
    "ChannelSpecificContactMessageContent",
    "ChannelSpecificContactMessageType",
    "ChannelSpecificMessage",
    "DiscountFixedCommerce",
    "DiscountFixedCoupon",
    "DiscountRateCommerce",
    "DiscountRateCoupon",
    "DiscountShippingCoupon",
    "FlowAction",
    "FlowChannelSpecificMessage",
    "FlowChannelSpecificMessageFlowActionPayload",
    "FlowMode",
    "FreeCoupon",
    "KakaoTalkButton",
    "KakaoTalkCarousel",
    "KakaoTalkCarouselCommerceChannelSpecificMessage",
    "KakaoTalkCarouselHead",
    "KakaoTalkCarouselTail",
    "KakaoTalkCommerce",
    "KakaoTalkCommerceChannelSpecificMessage",
    "KakaoTalkCommerceMessage",
    "KakaoTalkCoupon",
    "KakaoTalkCouponBase",
    "KakaoTalkImage",
    "LineNotificationMessageTemplateBody",
    "LineNotificationMessageTemplateButton",
    "LineNotificationMessageTemplateChannelSpecificMessage",
    "LineNotificationMessageTemplateEmphasizedItem",
    "LineNotificationMessageTemplateItem",
    "NfmReplyName",
    "OrderDetails",
    "OrderDetailsPayment",
    "OrderDetailsPaymentButtonBoleto",
    "OrderDetailsPaymentButtonDynamicPix",
    "OrderDetailsPaymentButtonPaymentLink",
    "OrderDetailsPaymentOrder",
    "OrderDetailsPaymentOrderItems",
    "OrderDetailsPaymentSettings",
    "OrderDetailsPaymentType",
    "OrderDetailsTypeOfGoods",
    "OrderStatus",
    "OrderStatusPayment",
    "OrderStatusPaymentDetails",
    "OrderStatusValue",
    "PixKeyType",
    "RegularPriceCommerce",
    "UpCoupon",
    "WebLinkButton",
    "WhatsAppInteractiveBody",
    "WhatsAppInteractiveFooter",
    "WhatsAppInteractiveHeader",
    "WhatsAppInteractiveHeaderDocument",
    "WhatsAppInteractiveHeaderImage",
    "WhatsAppInteractiveHeaderMedia",
    "WhatsAppInteractiveHeaderText",
    "WhatsAppInteractiveHeaderVideo",
    "WhatsAppInteractiveNfmReply",
    "WhatsAppInteractiveNfmReplyMessage",
    "WhatsAppPaymentButton",
    "WhatsAppPaymentSettingsBoleto",
    "WhatsAppPaymentSettingsDynamicPix",
    "WhatsAppPaymentSettingsPaymentLink",
]


# --- enums ------------------------------------------------------------------------------


class FlowMode(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class FlowAction(enum.StrEnum):
    NAVIGATE = "navigate"
    DATA_EXCHANGE = "data_exchange"


class OrderDetailsPaymentType(enum.StrEnum):
    """The country/currency of a WhatsApp payment."""

    BR = "br"
    SG = "sg"


class OrderDetailsTypeOfGoods(enum.StrEnum):
    DIGITAL_GOODS = "digital-goods"
    PHYSICAL_GOODS = "physical-goods"


class PixKeyType(enum.StrEnum):
    CPF = "CPF"
    CNPJ = "CNPJ"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EVP = "EVP"


class OrderStatusValue(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PARTIALLY_SHIPPED = "partially-shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELED = "canceled"


class ChannelSpecificContactMessageType(enum.StrEnum):
    NFM_REPLY = "nfm_reply"


class NfmReplyName(enum.StrEnum):
    FLOW = "flow"
    ADDRESS_MESSAGE = "address_message"


# --- WhatsApp interactive header, body, footer ------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveHeaderText:
    """A text header (``type: text``)."""

    text: str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveHeaderMedia:
    """A media link used by image, document and video headers."""

    link: str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveHeaderImage:
    """An image header (``type: image``)."""

    image: WhatsAppInteractiveHeaderMedia


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveHeaderDocument:
    """A document header (``type: document``)."""

    document: WhatsAppInteractiveHeaderMedia


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveHeaderVideo:
    """A video header (``type: video``)."""

    video: WhatsAppInteractiveHeaderMedia


WhatsAppInteractiveHeader = (
    WhatsAppInteractiveHeaderText
    | WhatsAppInteractiveHeaderImage
    | WhatsAppInteractiveHeaderDocument
    | WhatsAppInteractiveHeaderVideo
    | UnknownVariant
)
"""Header of a WhatsApp interactive message, told apart by ``type``."""

register_tagged_union(
    WhatsAppInteractiveHeader,
    tag="type",
    variants={
        "text": WhatsAppInteractiveHeaderText,
        "image": WhatsAppInteractiveHeaderImage,
        "document": WhatsAppInteractiveHeaderDocument,
        "video": WhatsAppInteractiveHeaderVideo,
    },
)


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveBody:
    """Body text of a WhatsApp interactive message (≤1024 chars)."""

    text: str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveFooter:
    """Footer text of a WhatsApp interactive message (≤60 chars)."""

    text: str


# --- WhatsApp Flows ---------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class FlowChannelSpecificMessageFlowActionPayload:
    """The first screen of a flow and the data it starts with."""

    screen: str | None = None
    data: dict[str, Any] | None = None


@attrs.define(frozen=True, kw_only=True)
class FlowChannelSpecificMessage:
    """A WhatsApp Flow (``message_type: FLOWS``)."""

    flow_id: str
    flow_cta: str
    header: WhatsAppInteractiveHeader | None = None
    body: WhatsAppInteractiveBody | None = None
    footer: WhatsAppInteractiveFooter | None = None
    flow_token: str | None = None
    flow_mode: FlowMode | str | None = None
    flow_action: FlowAction | str | None = None
    flow_action_payload: FlowChannelSpecificMessageFlowActionPayload | None = None


# --- WhatsApp payments: order details ---------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPaymentButtonBoleto:
    """A Boleto payment button (``type: boleto``)."""

    digitable_line: str


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPaymentButtonDynamicPix:
    """A dynamic Pix payment button (``type: pix_dynamic_code``)."""

    code: str
    merchant_name: str
    key: str
    key_type: PixKeyType | str


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPaymentButtonPaymentLink:
    """A payment-link button (``type: payment_link``)."""

    uri: str


WhatsAppPaymentButton = (
    OrderDetailsPaymentButtonBoleto
    | OrderDetailsPaymentButtonDynamicPix
    | OrderDetailsPaymentButtonPaymentLink
    | UnknownVariant
)
"""A WhatsApp payment button, told apart by ``type``."""

register_tagged_union(
    WhatsAppPaymentButton,
    tag="type",
    variants={
        "boleto": OrderDetailsPaymentButtonBoleto,
        "pix_dynamic_code": OrderDetailsPaymentButtonDynamicPix,
        "payment_link": OrderDetailsPaymentButtonPaymentLink,
    },
)


@attrs.define(frozen=True, kw_only=True)
class WhatsAppPaymentSettingsDynamicPix:
    """Dynamic Pix settings (``payment_settings.dynamic_pix``; superseded by payment_buttons)."""

    code: str
    merchant_name: str
    key: str
    key_type: PixKeyType | str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppPaymentSettingsBoleto:
    """Boleto settings (``payment_settings.boleto``; superseded by payment_buttons)."""

    digitable_line: str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppPaymentSettingsPaymentLink:
    """Payment-link settings (``payment_settings.payment_link``; superseded by payment_buttons)."""

    uri: str


OrderDetailsPaymentSettings = (
    WhatsAppPaymentSettingsDynamicPix
    | WhatsAppPaymentSettingsBoleto
    | WhatsAppPaymentSettingsPaymentLink
    | UnknownVariant
)
"""Legacy single payment setting: exactly one of ``dynamic_pix``, ``boleto``, ``payment_link``."""

register_keyed_union(
    OrderDetailsPaymentSettings,
    {
        "dynamic_pix": WhatsAppPaymentSettingsDynamicPix,
        "boleto": WhatsAppPaymentSettingsBoleto,
        "payment_link": WhatsAppPaymentSettingsPaymentLink,
    },
)


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPaymentOrderItems:
    """One line of an order; amounts are integers in 1/1000 of the currency unit."""

    retailer_id: str
    name: str
    amount_value: int
    quantity: int
    sale_amount_value: int | None = None


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPaymentOrder:
    """The order being paid for."""

    catalog_id: str | None = None
    expiration_time: str | None = None
    expiration_description: str | None = None
    subtotal_value: int
    tax_value: int
    tax_description: str | None = None
    shipping_value: int | None = None
    shipping_description: str | None = None
    discount_value: int | None = None
    discount_description: str | None = None
    discount_program_name: str | None = None
    items: list[OrderDetailsPaymentOrderItems]


@attrs.define(frozen=True, kw_only=True)
class OrderDetailsPayment:
    """Payment content of an order-details message."""

    type: OrderDetailsPaymentType | str
    reference_id: str
    type_of_goods: OrderDetailsTypeOfGoods | str
    payment_settings: OrderDetailsPaymentSettings | None = None
    payment_buttons: list[WhatsAppPaymentButton] | None = None
    total_amount_value: int
    order: OrderDetailsPaymentOrder


@attrs.define(frozen=True, kw_only=True)
class OrderDetails:
    """A WhatsApp order-details payment request (``message_type: ORDER_DETAILS``)."""

    header: WhatsAppInteractiveHeader | None = None
    body: WhatsAppInteractiveBody | None = None
    footer: WhatsAppInteractiveFooter | None = None
    payment: OrderDetailsPayment


# --- WhatsApp payments: order status ----------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class OrderStatusPaymentDetails:
    """The new status of an order."""

    status: OrderStatusValue | str
    description: str | None = None


@attrs.define(frozen=True, kw_only=True)
class OrderStatusPayment:
    """Which order changed, and how."""

    reference_id: str
    order: OrderStatusPaymentDetails


@attrs.define(frozen=True, kw_only=True)
class OrderStatus:
    """A WhatsApp order-status update (``message_type: ORDER_STATUS``)."""

    header: WhatsAppInteractiveHeader | None = None
    body: WhatsAppInteractiveBody | None = None
    footer: WhatsAppInteractiveFooter | None = None
    payment: OrderStatusPayment


# --- KakaoTalk buttons, commerce, coupons -----------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class WebLinkButton:
    """A web-link button (``type: WL``)."""

    name: str | None = None
    link_mo: str
    link_pc: str | None = None


@attrs.define(frozen=True, kw_only=True)
class AppLinkButton:
    """An app-link button (``type: AL``)."""

    name: str | None = None
    scheme_ios: str | None = None
    scheme_android: str | None = None


@attrs.define(frozen=True, kw_only=True)
class BotKeywordButton:
    """A bot-keyword button (``type: BK``)."""

    name: str | None = None


KakaoTalkButton = WebLinkButton | AppLinkButton | BotKeywordButton | UnknownVariant
"""A KakaoTalk button, told apart by ``type``."""

register_tagged_union(
    KakaoTalkButton,
    tag="type",
    variants={"WL": WebLinkButton, "AL": AppLinkButton, "BK": BotKeywordButton},
)


@attrs.define(frozen=True, kw_only=True)
class RegularPriceCommerce:
    """A product at its regular price (``type: REGULAR_PRICE_COMMERCE``)."""

    title: str | None = None
    regular_price: int | None = None


@attrs.define(frozen=True, kw_only=True)
class DiscountFixedCommerce:
    """A product with a fixed discount (``type: FIXED_DISCOUNT_COMMERCE``)."""

    title: str | None = None
    regular_price: int | None = None
    discount_price: int | None = None
    discount_fixed: int | None = None


@attrs.define(frozen=True, kw_only=True)
class DiscountRateCommerce:
    """A product with a percentage discount (``type: PERCENTAGE_DISCOUNT_COMMERCE``)."""

    title: str | None = None
    regular_price: int | None = None
    discount_price: int | None = None
    discount_rate: int | None = None


KakaoTalkCommerce = (
    RegularPriceCommerce | DiscountFixedCommerce | DiscountRateCommerce | UnknownVariant
)
"""Product pricing of a KakaoTalk commerce message, told apart by ``type``."""

register_tagged_union(
    KakaoTalkCommerce,
    tag="type",
    variants={
        "REGULAR_PRICE_COMMERCE": RegularPriceCommerce,
        "FIXED_DISCOUNT_COMMERCE": DiscountFixedCommerce,
        "PERCENTAGE_DISCOUNT_COMMERCE": DiscountRateCommerce,
    },
)


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCouponBase:
    """What every KakaoTalk coupon has: a description and where it links to."""

    description: str | None = None
    link_mo: str | None = None
    link_pc: str | None = None
    scheme_android: str | None = None
    scheme_ios: str | None = None


@attrs.define(frozen=True, kw_only=True)
class DiscountFixedCoupon(KakaoTalkCouponBase):
    """A fixed-amount discount coupon (``type: FIXED_DISCOUNT_COUPON``)."""

    discount_fixed: int | None = None


@attrs.define(frozen=True, kw_only=True)
class DiscountRateCoupon(KakaoTalkCouponBase):
    """A percentage discount coupon (``type: PERCENTAGE_DISCOUNT_COUPON``)."""

    discount_rate: int | None = None


@attrs.define(frozen=True, kw_only=True)
class DiscountShippingCoupon(KakaoTalkCouponBase):
    """A shipping discount coupon (``type: SHIPPING_DISCOUNT_COUPON``)."""


@attrs.define(frozen=True, kw_only=True)
class FreeCoupon(KakaoTalkCouponBase):
    """A free-item coupon (``type: FREE_COUPON``)."""

    title: str | None = None


@attrs.define(frozen=True, kw_only=True)
class UpCoupon(KakaoTalkCouponBase):
    """An "UP" coupon (``type: UP_COUPON``)."""

    title: str | None = None


KakaoTalkCoupon = (
    DiscountFixedCoupon
    | DiscountRateCoupon
    | DiscountShippingCoupon
    | FreeCoupon
    | UpCoupon
    | UnknownVariant
)
"""A KakaoTalk coupon, told apart by ``type``."""

register_tagged_union(
    KakaoTalkCoupon,
    tag="type",
    variants={
        "FIXED_DISCOUNT_COUPON": DiscountFixedCoupon,
        "PERCENTAGE_DISCOUNT_COUPON": DiscountRateCoupon,
        "SHIPPING_DISCOUNT_COUPON": DiscountShippingCoupon,
        "FREE_COUPON": FreeCoupon,
        "UP_COUPON": UpCoupon,
    },
)


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkImage:
    """An image of a KakaoTalk commerce message, with an optional click-through link."""

    image_url: str
    image_link: str | None = None


# --- KakaoTalk commerce and carousel commerce -------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCommerceChannelSpecificMessage:
    """A KakaoTalk commerce message (``message_type: COMMERCE``)."""

    push_alarm: bool | None = None
    adult: bool | None = None
    buttons: list[KakaoTalkButton]
    additional_content: str | None = None
    image: KakaoTalkImage
    commerce: KakaoTalkCommerce
    coupon: KakaoTalkCoupon | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCommerceMessage:
    """One card of a KakaoTalk carousel commerce message."""

    buttons: list[KakaoTalkButton] | None = None
    additional_content: str | None = None
    image: KakaoTalkImage | None = None
    commerce: KakaoTalkCommerce | None = None
    coupon: KakaoTalkCoupon | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCarouselHead:
    """The intro card of a KakaoTalk carousel."""

    header: str
    content: str
    image_url: str
    link_mo: str | None = None
    link_pc: str | None = None
    scheme_ios: str | None = None
    scheme_android: str | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCarouselTail:
    """The "more" link at the end of a KakaoTalk carousel."""

    link_mo: str
    link_pc: str | None = None
    scheme_ios: str | None = None
    scheme_android: str | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCarousel:
    """A KakaoTalk carousel: optional head, the cards (``list``) and an optional tail."""

    head: KakaoTalkCarouselHead | None = None
    list: builtins.list[KakaoTalkCommerceMessage]
    tail: KakaoTalkCarouselTail | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCarouselCommerceChannelSpecificMessage:
    """A KakaoTalk carousel commerce message (``message_type: CAROUSEL_COMMERCE``)."""

    push_alarm: bool | None = None
    adult: bool | None = None
    carousel: KakaoTalkCarousel


# --- LINE notification message template -------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class LineNotificationMessageTemplateEmphasizedItem:
    """The highlighted item of a LINE notification message."""

    item_key: str | None = None
    content: str | None = None


@attrs.define(frozen=True, kw_only=True)
class LineNotificationMessageTemplateItem:
    """One item of a LINE notification message."""

    item_key: str | None = None
    content: str | None = None


@attrs.define(frozen=True, kw_only=True)
class LineNotificationMessageTemplateButton:
    """One button of a LINE notification message."""

    button_key: str | None = None
    url: str | None = None


@attrs.define(frozen=True, kw_only=True)
class LineNotificationMessageTemplateBody:
    """Values filled into a LINE notification message template."""

    emphasized_item: LineNotificationMessageTemplateEmphasizedItem | None = None
    items: list[LineNotificationMessageTemplateItem] | None = None
    buttons: list[LineNotificationMessageTemplateButton] | None = None


@attrs.define(frozen=True, kw_only=True)
class LineNotificationMessageTemplateChannelSpecificMessage:
    """A LINE notification message (``message_type: NOTIFICATION_MESSAGE_TEMPLATE``)."""

    template_key: str
    body: LineNotificationMessageTemplateBody | None = None


# --- the union an app sends -------------------------------------------------------------


ChannelSpecificMessage = (
    FlowChannelSpecificMessage
    | OrderDetails
    | OrderStatus
    | KakaoTalkCommerceChannelSpecificMessage
    | KakaoTalkCarouselCommerceChannelSpecificMessage
    | LineNotificationMessageTemplateChannelSpecificMessage
    | UnknownVariant
)
"""A ``channel_specific_message`` value: ``{"message_type": ..., "message": {...}}``."""

register_tagged_union(
    ChannelSpecificMessage,
    tag="message_type",
    payload="message",
    variants={
        "FLOWS": FlowChannelSpecificMessage,
        "ORDER_DETAILS": OrderDetails,
        "ORDER_STATUS": OrderStatus,
        "COMMERCE": KakaoTalkCommerceChannelSpecificMessage,
        "CAROUSEL_COMMERCE": KakaoTalkCarouselCommerceChannelSpecificMessage,
        "NOTIFICATION_MESSAGE_TEMPLATE": LineNotificationMessageTemplateChannelSpecificMessage,
    },
)


# --- what a contact sends: WhatsApp nfm_reply --------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveNfmReply:
    """A contact's answer to a WhatsApp Flow or address request."""

    name: NfmReplyName | str
    response_json: str
    body: str


@attrs.define(frozen=True, kw_only=True)
class WhatsAppInteractiveNfmReplyMessage:
    """The ``message`` of an nfm_reply contact message (``type: nfm_reply``)."""

    nfm_reply: WhatsAppInteractiveNfmReply


ChannelSpecificContactMessageContent = WhatsAppInteractiveNfmReplyMessage | UnknownVariant
"""The ``message`` of a channel-specific contact message, told apart by ``type``."""

register_tagged_union(
    ChannelSpecificContactMessageContent,
    tag="type",
    variants={"nfm_reply": WhatsAppInteractiveNfmReplyMessage},
)


@attrs.define(frozen=True, kw_only=True)
class ChannelSpecificContactMessage:
    """A channel-only message from a contact (WhatsApp Flows / address replies)."""

    message_type: ChannelSpecificContactMessageType | str
    message: ChannelSpecificContactMessageContent
