"""Template Management models: omni templates v2 and the deprecated v1 (catalog §2.12, §3.11).

A v2 :class:`TemplateTranslation` holds exactly one message body in ``message``; on the wire
it sits under its own key next to the translation's other fields::

    TemplateTranslation(language_code="en-US", message=TextMessage(text="Hi ${name}"))
    # {"language_code": "en-US", "text_message": {"text": "Hi ${name}"}}

A body key this SDK does not know is kept in an
:class:`~conversation_async.models.UnknownVariant` and written back unchanged.

:class:`TemplateV2` is both what the API returns and the body of create (``id`` optional,
generated when absent) and update (``PUT``, which must carry the current ``version``); the
read-only ``create_time`` / ``update_time`` are simply left unset when sending.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from .._serde import UnknownVariant, register_one_of
from ._common import ConversationChannel, TemplateReference
from ._messages import (
    CardMessage,
    CarouselMessage,
    ChoiceMessage,
    ContactInfoMessage,
    ListMessage,
    LocationMessage,
    MediaMessage,
    TemplateMessage,
    TextMessage,
)

__all__ = [
    "ChannelTemplateOverride",
    "ListTemplatesV2Response",
    "ListTranslationsResponse",
    "ListV1TemplatesResponse",
    "TemplateChannel",
    "TemplateTranslation",
    "TemplateTranslationMessage",
    "TemplateV2",
    "TemplateVariable",
    "V1Template",
    "V1TemplateTranslation",
    "V1TemplateUpdateRequest",
]


# --- shared -----------------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class TemplateVariable:
    """A variable a translation expects (``${key}``), with a value for previews."""

    key: str
    preview_value: str | None = None


# --- v2 ---------------------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class ChannelTemplateOverride:
    """A channel template used instead of the omni body; maps channel params to variables."""

    template_reference: TemplateReference
    parameter_mappings: dict[str, str] | None = None


TemplateTranslationMessage = (
    TextMessage
    | MediaMessage
    | CardMessage
    | CarouselMessage
    | ChoiceMessage
    | ListMessage
    | LocationMessage
    | TemplateMessage
    | ContactInfoMessage
    | UnknownVariant
)
"""The body of a v2 translation: exactly one of the ``TemplateTranslation`` message keys."""


@attrs.define(frozen=True, kw_only=True)
class TemplateTranslation:
    """One language of a v2 template: a message body plus variables and channel overrides."""

    language_code: str
    message: TemplateTranslationMessage
    version: str | None = None
    variables: list[TemplateVariable] | None = None
    channel_template_overrides: dict[ConversationChannel | str, ChannelTemplateOverride] | None = (
        None
    )
    create_time: datetime | None = None
    update_time: datetime | None = None


register_one_of(
    TemplateTranslation,
    field="message",
    variants={
        "text_message": TextMessage,
        "media_message": MediaMessage,
        "card_message": CardMessage,
        "carousel_message": CarouselMessage,
        "choice_message": ChoiceMessage,
        "list_message": ListMessage,
        "location_message": LocationMessage,
        "template_message": TemplateMessage,
        "contact_info_message": ContactInfoMessage,
    },
)


@attrs.define(frozen=True, kw_only=True)
class TemplateV2:
    """An omni template; also the create body (no ``id`` needed) and the PUT body (``version``)."""

    id: str | None = None
    description: str | None = None
    version: int | None = None
    default_translation: str | None = None
    translations: list[TemplateTranslation] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class ListTemplatesV2Response:
    """Every v2 template of the project (not paginated)."""

    templates: list[TemplateV2] | None = None


@attrs.define(frozen=True, kw_only=True)
class ListTranslationsResponse:
    """The translations of one v2 template, optionally filtered (not paginated)."""

    translations: list[TemplateTranslation] | None = None


# --- v1 (deprecated) --------------------------------------------------------------------


class TemplateChannel(enum.StrEnum):
    """The channel a v1 template is for."""

    UNSPECIFIED = "UNSPECIFIED"
    CONVERSATION = "CONVERSATION"
    MESSENGER = "MESSENGER"
    WHATSAPP = "WHATSAPP"
    RCS = "RCS"
    SMS = "SMS"
    VIBER = "VIBER"
    VIBERBM = "VIBERBM"
    TELEGRAM = "TELEGRAM"
    INSTAGRAM = "INSTAGRAM"
    KAKAOTALK = "KAKAOTALK"
    APPLEBC = "APPLEBC"


@attrs.define(frozen=True, kw_only=True)
class V1TemplateTranslation:
    """One language of a v1 template; ``content`` is the template definition as a string."""

    language_code: str | None = None
    version: str | None = None
    content: str | None = None
    variables: list[TemplateVariable] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class V1Template:
    """A v1 template (deprecated API); also the create body."""

    id: str | None = None
    description: str | None = None
    channel: TemplateChannel | str | None = None
    default_translation: str | None = None
    translations: list[V1TemplateTranslation] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class V1TemplateUpdateRequest:
    """Body of the v1 PATCH: set only what changes (the set fields form ``update_mask``)."""

    description: str | None = None
    channel: TemplateChannel | str | None = None
    default_translation: str | None = None
    translations: list[V1TemplateTranslation] | None = None


@attrs.define(frozen=True, kw_only=True)
class ListV1TemplatesResponse:
    """Every v1 template of the project."""

    templates: list[V1Template] | None = None
