"""Messages: what an app sends, what a contact sends, stored messages (catalog §3.1 to §3.6).

``AppMessage``, ``ContactMessage`` and ``Choice`` hold exactly one content object in
``content``; on the wire it sits under its own key (``{"text_message": {...}}``)::

    AppMessage(content=TextMessage(text="hi"))
    Choice(content=UrlMessage(title="Docs", url="https://..."), postback_data="docs")

A content key this SDK does not know is kept in an
:class:`~conversation_async.models.UnknownVariant` and written back unchanged.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from .._serde import UnknownVariant, register_keyed_union, register_one_of
from ._channel_specific import ChannelSpecificContactMessage, ChannelSpecificMessage
from ._common import (
    Agent,
    ChannelIdentity,
    ConversationChannel,
    ConversationDirection,
    ConversationMessagesView,
    MessageContentType,
    MessageQueue,
    MessageSource,
    MetadataUpdateStrategy,
    ProcessingMode,
    ProcessingStrategy,
    Reason,
    Recipient,
    TemplateReference,
)

__all__ = [
    "AddressInfo",
    "AppMessage",
    "AppMessageContent",
    "CalendarMessage",
    "CallMessage",
    "CardHeight",
    "CardMessage",
    "CardMessageMessageProperties",
    "CarouselMessage",
    "Choice",
    "ChoiceContent",
    "ChoiceMessage",
    "ChoiceMessageMessageProperties",
    "ChoiceResponseMessage",
    "ContactInfoMessage",
    "ContactMessage",
    "ContactMessageContent",
    "ConversationMessage",
    "Coordinates",
    "EmailInfo",
    "FallbackMessage",
    "ListItem",
    "ListItemChoice",
    "ListItemProduct",
    "ListLastMessagesByChannelIdentityRequest",
    "ListMessage",
    "ListMessageMessageProperties",
    "ListMessagesResponse",
    "ListSection",
    "LocationMessage",
    "MediaCardMessage",
    "MediaMessage",
    "MessageUpdateRequest",
    "NameInfo",
    "OmniMessageOverride",
    "OrganizationInfo",
    "PhoneNumberInfo",
    "ProductItem",
    "ProductResponseMessage",
    "ReplyTo",
    "SendMessageRequest",
    "SendMessageResponse",
    "ShareLocationMessage",
    "TemplateMessage",
    "TextMessage",
    "UrlInfo",
    "UrlMessage",
]


class CardHeight(enum.StrEnum):
    """Height of a card's media."""

    UNSPECIFIED_HEIGHT = "UNSPECIFIED_HEIGHT"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    TALL = "TALL"


# --- basic content ----------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class TextMessage:
    """Plain text."""

    text: str


@attrs.define(frozen=True, kw_only=True)
class MediaMessage:
    """An image, video, document or audio file by URL."""

    url: str
    thumbnail_url: str | None = None
    filename_override: str | None = None


@attrs.define(frozen=True, kw_only=True)
class Coordinates:
    """A point on Earth, in decimal degrees."""

    latitude: float
    longitude: float


@attrs.define(frozen=True, kw_only=True)
class LocationMessage:
    """A location pin (``title`` is required when sending; contacts may omit it)."""

    coordinates: Coordinates
    title: str | None = None
    label: str | None = None


# --- choices ----------------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class UrlMessage:
    """A choice that opens a URL."""

    title: str
    url: str


@attrs.define(frozen=True, kw_only=True)
class CallMessage:
    """A choice that calls a phone number (E.164 with ``+``)."""

    title: str
    phone_number: str


@attrs.define(frozen=True, kw_only=True)
class CalendarMessage:
    """A choice that adds an event to the contact's calendar."""

    title: str
    event_start: datetime
    event_end: datetime
    event_title: str
    event_description: str | None = None
    fallback_url: str


@attrs.define(frozen=True, kw_only=True)
class ShareLocationMessage:
    """A choice that asks the contact to share their location."""

    title: str
    fallback_url: str


ChoiceContent = (
    TextMessage
    | UrlMessage
    | CallMessage
    | LocationMessage
    | CalendarMessage
    | ShareLocationMessage
    | UnknownVariant
)
"""What a choice does: exactly one of the ``Choice`` content keys."""


@attrs.define(frozen=True, kw_only=True)
class Choice:
    """One option of a card, choice or carousel message."""

    content: ChoiceContent
    postback_data: str | None = None


register_one_of(
    Choice,
    field="content",
    variants={
        "text_message": TextMessage,
        "url_message": UrlMessage,
        "call_message": CallMessage,
        "location_message": LocationMessage,
        "calendar_message": CalendarMessage,
        "share_location_message": ShareLocationMessage,
    },
)


# --- rich app content -------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class CardMessageMessageProperties:
    """Channel extras of a card message."""

    whatsapp_header: str | None = None


@attrs.define(frozen=True, kw_only=True)
class CardMessage:
    """A card: title, description, media and up to 10 choices."""

    title: str | None = None
    description: str | None = None
    media_message: MediaMessage | None = None
    height: CardHeight | str | None = None
    choices: list[Choice] | None = None
    message_properties: CardMessageMessageProperties | None = None


@attrs.define(frozen=True, kw_only=True)
class CarouselMessage:
    """Up to 10 cards side by side, with up to 3 outer choices."""

    cards: list[CardMessage]
    choices: list[Choice] | None = None


@attrs.define(frozen=True, kw_only=True)
class ChoiceMessageMessageProperties:
    """Channel extras of a choice message."""

    whatsapp_footer: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ChoiceMessage:
    """Text with up to 10 choices."""

    text_message: TextMessage | None = None
    choices: list[Choice]
    message_properties: ChoiceMessageMessageProperties | None = None


@attrs.define(frozen=True, kw_only=True)
class ListItemChoice:
    """A list row the contact can pick (``{"choice": {...}}``)."""

    title: str
    description: str | None = None
    media: MediaMessage | None = None
    postback_data: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ListItemProduct:
    """A catalog product row (``{"product": {...}}``)."""

    id: str
    marketplace: str
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


ListItem = ListItemChoice | ListItemProduct | UnknownVariant
"""One row of a list section; all rows of a message must be the same kind."""

register_keyed_union(ListItem, {"choice": ListItemChoice, "product": ListItemProduct})


@attrs.define(frozen=True, kw_only=True)
class ListSection:
    """A titled group of list rows."""

    title: str | None = None
    items: list[ListItem]


@attrs.define(frozen=True, kw_only=True)
class ListMessageMessageProperties:
    """Channel extras of a list message; ``catalog_id`` is required for product lists."""

    catalog_id: str | None = None
    menu: str | None = None
    whatsapp_header: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ListMessage:
    """A list of choices or products, in sections."""

    title: str
    description: str | None = None
    media: MediaMessage | None = None
    sections: list[ListSection]
    message_properties: ListMessageMessageProperties | None = None


@attrs.define(frozen=True, kw_only=True)
class TemplateMessage:
    """A template: an omni template and/or per-channel templates (which win on their channel)."""

    omni_template: TemplateReference | None = None
    channel_template: dict[ConversationChannel | str, TemplateReference] | None = None


@attrs.define(frozen=True, kw_only=True)
class NameInfo:
    """A contact card's name."""

    full_name: str
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None


@attrs.define(frozen=True, kw_only=True)
class PhoneNumberInfo:
    """A contact card's phone number."""

    phone_number: str
    type: str | None = None


@attrs.define(frozen=True, kw_only=True)
class AddressInfo:
    """A contact card's postal address."""

    city: str | None = None
    country: str | None = None
    state: str | None = None
    zip: str | None = None
    type: str | None = None
    country_code: str | None = None


@attrs.define(frozen=True, kw_only=True)
class EmailInfo:
    """A contact card's email address."""

    email_address: str
    type: str | None = None


@attrs.define(frozen=True, kw_only=True)
class OrganizationInfo:
    """A contact card's organization."""

    company: str | None = None
    department: str | None = None
    title: str | None = None


@attrs.define(frozen=True, kw_only=True)
class UrlInfo:
    """A contact card's URL."""

    url: str
    type: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ContactInfoMessage:
    """A contact card; ``birthday`` is ``YYYY-MM-DD``."""

    name: NameInfo
    phone_numbers: list[PhoneNumberInfo]
    addresses: list[AddressInfo] | None = None
    email_addresses: list[EmailInfo] | None = None
    organization: OrganizationInfo | None = None
    urls: list[UrlInfo] | None = None
    birthday: str | None = None


# --- AppMessage -------------------------------------------------------------------------


OmniMessageOverride = (
    TextMessage
    | MediaMessage
    | TemplateReference
    | ChoiceMessage
    | CardMessage
    | CarouselMessage
    | ListMessage
    | LocationMessage
    | ContactInfoMessage
    | UnknownVariant
)
"""Content that replaces the message on one channel (``explicit_channel_omni_message``)."""

register_keyed_union(
    OmniMessageOverride,
    {
        "text_message": TextMessage,
        "media_message": MediaMessage,
        "template_reference": TemplateReference,
        "choice_message": ChoiceMessage,
        "card_message": CardMessage,
        "carousel_message": CarouselMessage,
        "list_message": ListMessage,
        "location_message": LocationMessage,
        "contact_info_message": ContactInfoMessage,
    },
)


AppMessageContent = (
    TextMessage
    | MediaMessage
    | ChoiceMessage
    | CardMessage
    | CarouselMessage
    | LocationMessage
    | TemplateMessage
    | ListMessage
    | ContactInfoMessage
    | UnknownVariant
)
"""What an app sends: exactly one of the ``AppMessage`` content keys."""


@attrs.define(frozen=True, kw_only=True)
class AppMessage:
    """A message from the app: one content object plus optional per-channel overrides."""

    content: AppMessageContent
    explicit_channel_message: dict[ConversationChannel | str, str] | None = None
    explicit_channel_omni_message: dict[ConversationChannel | str, OmniMessageOverride] | None = (
        None
    )
    channel_specific_message: dict[ConversationChannel | str, ChannelSpecificMessage] | None = None
    agent: Agent | None = None


register_one_of(
    AppMessage,
    field="content",
    variants={
        "text_message": TextMessage,
        "media_message": MediaMessage,
        "choice_message": ChoiceMessage,
        "card_message": CardMessage,
        "carousel_message": CarouselMessage,
        "location_message": LocationMessage,
        "template_message": TemplateMessage,
        "list_message": ListMessage,
        "contact_info_message": ContactInfoMessage,
    },
)


# --- ContactMessage ---------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class MediaCardMessage:
    """Media with a caption, sent by a contact."""

    url: str | None = None
    caption: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ChoiceResponseMessage:
    """The contact picked a choice; ``postback_data`` is the choice's."""

    message_id: str | None = None
    postback_data: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ProductItem:
    """A product in a contact's product response."""

    id: str | None = None
    marketplace: str | None = None
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ProductResponseMessage:
    """Products a contact selected from a catalog."""

    products: list[ProductItem] | None = None
    title: str | None = None
    catalog_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class FallbackMessage:
    """A channel message the API could not map; ``raw_message`` is the channel's payload."""

    raw_message: str | None = None
    reason: Reason | None = None


@attrs.define(frozen=True, kw_only=True)
class ReplyTo:
    """The message a contact replied to."""

    message_id: str | None = None


ContactMessageContent = (
    TextMessage
    | MediaMessage
    | MediaCardMessage
    | LocationMessage
    | ChoiceResponseMessage
    | ProductResponseMessage
    | FallbackMessage
    | ChannelSpecificContactMessage
    | UnknownVariant
)
"""What a contact sent: exactly one of the ``ContactMessage`` content keys."""


@attrs.define(frozen=True, kw_only=True)
class ContactMessage:
    """A message from a contact."""

    content: ContactMessageContent
    reply_to: ReplyTo | None = None


register_one_of(
    ContactMessage,
    field="content",
    variants={
        "text_message": TextMessage,
        "media_message": MediaMessage,
        "media_card_message": MediaCardMessage,
        "location_message": LocationMessage,
        "choice_response_message": ChoiceResponseMessage,
        "product_response_message": ProductResponseMessage,
        "fallback_message": FallbackMessage,
        "channel_specific_message": ChannelSpecificContactMessage,
    },
)


# --- requests and responses -------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class SendMessageRequest:
    """Body of ``POST /messages:send``; ``ttl`` is ``"<seconds>s"``, e.g. ``"10s"``."""

    app_id: str
    recipient: Recipient
    message: AppMessage
    callback_url: str | None = None
    channel_priority_order: list[ConversationChannel | str] | None = None
    channel_properties: dict[str, str] | None = None
    message_metadata: str | None = None
    conversation_metadata: dict[str, Any] | str | None = None
    conversation_metadata_update_strategy: MetadataUpdateStrategy | str | None = None
    queue: MessageQueue | str | None = None
    ttl: str | None = None
    processing_strategy: ProcessingStrategy | str | None = None
    correlation_id: str | None = None
    message_content_type: MessageContentType | str | None = None


@attrs.define(frozen=True, kw_only=True)
class SendMessageResponse:
    """The API accepted the message (acceptance is not delivery)."""

    message_id: str
    accepted_time: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationMessage:
    """A stored message: either an ``app_message`` or a ``contact_message``."""

    id: str | None = None
    direction: ConversationDirection | str | None = None
    app_message: AppMessage | None = None
    contact_message: ContactMessage | None = None
    channel_identity: ChannelIdentity | None = None
    conversation_id: str | None = None
    contact_id: str | None = None
    metadata: str | None = None
    accept_time: datetime | None = None
    sender_id: str | None = None
    processing_mode: ProcessingMode | str | None = None
    injected: bool | None = None

    @property
    def message(self) -> AppMessage | ContactMessage | None:
        """Whichever of ``app_message`` and ``contact_message`` is set."""
        return self.app_message if self.app_message is not None else self.contact_message


@attrs.define(frozen=True, kw_only=True)
class ListMessagesResponse:
    """One page of messages, newest first; an empty ``next_page_token`` means the last page."""

    messages: list[ConversationMessage] | None = None
    next_page_token: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ListLastMessagesByChannelIdentityRequest:
    """Body of ``POST /messages:fetch-last-message``: the last message per identity or contact.

    Give ``channel_identities`` or ``contact_ids``, not both. Page by resending the body with
    ``page_token`` set to the previous ``next_page_token``.
    """

    channel_identities: list[str] | None = None
    contact_ids: list[str] | None = None
    app_id: str | None = None
    messages_source: MessageSource | str | None = None
    page_size: int | None = None
    page_token: str | None = None
    view: ConversationMessagesView | str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    channel: ConversationChannel | str | None = None
    direction: ConversationDirection | str | None = None


@attrs.define(frozen=True, kw_only=True)
class MessageUpdateRequest:
    """Body of ``PATCH /messages/{message_id}``: the new metadata."""

    metadata: str
