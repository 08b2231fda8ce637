"""Apps and their channel credentials (catalog §2.1, §3.9).

Each ``channel_credentials`` entry is a :class:`ConversationChannelCredential` holding exactly
one credential object in ``credential``; on the wire it sits under its own key::

    ConversationChannelCredential(
        channel=ConversationChannel.SMS,
        credential=StaticBearerCredential(claimed_identity="<service plan id>", token="..."),
    )

A credential key this SDK does not know is kept in an
:class:`~conversation_async.models.UnknownVariant` and written back unchanged.

Secrets (tokens, passwords, API keys, callback secrets...) never appear in ``repr()``.
"""

from __future__ import annotations

import enum

import attrs

from .._serde import UnknownVariant, register_one_of
from ._common import ConversationChannel, ProcessingMode

__all__ = [
    "AppCreateRequest",
    "AppResponse",
    "AppUpdateRequest",
    "AppleBusinessChatCredentials",
    "BasicAuthCredential",
    "CallbackSettings",
    "ChannelCredentialContent",
    "ChannelIntegrationState",
    "ConversationChannelCredential",
    "ConversationMetadataReportView",
    "CredentialStatus",
    "DeliveryReportBasedFallback",
    "DispatchRetentionPolicy",
    "InstagramCredentials",
    "KakaoTalkChatCredentials",
    "KakaoTalkCredentials",
    "LineCredentials",
    "LineEnterpriseCredentials",
    "LineEnterpriseCredentialsJapan",
    "LineEnterpriseCredentialsThailand",
    "LineEnterpriseRegionCredentials",
    "ListAppsResponse",
    "MMSCredentials",
    "MessageRetrySettings",
    "MessageSearch",
    "PersistMessageStatus",
    "QueueStats",
    "RateLimits",
    "RetentionPolicy",
    "RetentionType",
    "SmartConversation",
    "StaticBearerCredential",
    "StaticTokenCredential",
    "TelegramCredentials",
    "WeChatCredentials",
]


# --- enums ------------------------------------------------------------------------------


class ConversationMetadataReportView(enum.StrEnum):
    """Whether callbacks carry the conversation metadata (``FULL``) or not (``NONE``)."""

    NONE = "NONE"
    FULL = "FULL"


class RetentionType(enum.StrEnum):
    """How old messages and conversations are deleted."""

    MESSAGE_EXPIRE_POLICY = "MESSAGE_EXPIRE_POLICY"
    CONVERSATION_EXPIRE_POLICY = "CONVERSATION_EXPIRE_POLICY"
    PERSIST_RETENTION_POLICY = "PERSIST_RETENTION_POLICY"


class CredentialStatus(enum.StrEnum):
    """State of a channel integration."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    FAILING = "FAILING"


# --- credential objects -----------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class StaticBearerCredential:
    """SMS, RCS, WhatsApp, Viber BM: ``claimed_identity`` (service plan, sender or bot ID)."""

    claimed_identity: str
    token: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class StaticTokenCredential:
    """Messenger: a page token."""

    token: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class BasicAuthCredential:
    """A username and password (MMS)."""

    username: str
    password: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class MMSCredentials:
    """MMS: account, API key and basic-auth credentials."""

    account_id: str
    api_key: str = attrs.field(repr=False)
    basic_auth: BasicAuthCredential | None = None


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkCredentials:
    """KakaoTalk: plus-friend ID and sender key."""

    kakaotalk_plus_friend_id: str
    kakaotalk_sender_key: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class KakaoTalkChatCredentials:
    """KakaoTalk Chat: plus-friend ID and an optional API key."""

    kakaotalk_plus_friend_id: str
    api_key: str | None = attrs.field(default=None, repr=False)


@attrs.define(frozen=True, kw_only=True)
class TelegramCredentials:
    """Telegram: a bot token."""

    token: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class LineCredentials:
    """LINE: channel token and secret."""

    token: str = attrs.field(repr=False)
    secret: str = attrs.field(repr=False)
    is_default: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class LineEnterpriseCredentialsJapan:
    """LINE enterprise credentials for Japan (``line_japan``)."""

    token: str | None = attrs.field(default=None, repr=False)
    secret: str | None = attrs.field(default=None, repr=False)


@attrs.define(frozen=True, kw_only=True)
class LineEnterpriseCredentialsThailand:
    """LINE enterprise credentials for Thailand (``line_thailand``)."""

    token: str | None = attrs.field(default=None, repr=False)
    secret: str | None = attrs.field(default=None, repr=False)


LineEnterpriseRegionCredentials = (
    LineEnterpriseCredentialsJapan | LineEnterpriseCredentialsThailand | UnknownVariant
)
"""Exactly one of ``line_japan`` or ``line_thailand``."""


@attrs.define(frozen=True, kw_only=True)
class LineEnterpriseCredentials:
    """LINE enterprise: credentials for one region, plus ``is_default``."""

    credentials: LineEnterpriseRegionCredentials
    is_default: bool | None = None


register_one_of(
    LineEnterpriseCredentials,
    field="credentials",
    variants={
        "line_japan": LineEnterpriseCredentialsJapan,
        "line_thailand": LineEnterpriseCredentialsThailand,
    },
)


@attrs.define(frozen=True, kw_only=True)
class WeChatCredentials:
    """WeChat: app ID, app secret, token and AES key."""

    app_id: str
    app_secret: str = attrs.field(repr=False)
    token: str = attrs.field(repr=False)
    aes_key: str = attrs.field(repr=False)


@attrs.define(frozen=True, kw_only=True)
class InstagramCredentials:
    """Instagram: a token and the business account ID."""

    token: str = attrs.field(repr=False)
    business_account_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class AppleBusinessChatCredentials:
    """Apple Messages for Business: account ID and optional Apple Pay settings."""

    business_chat_account_id: str
    merchant_id: str | None = None
    apple_pay_certificate_reference: str | None = None
    apple_pay_certificate_password: str | None = attrs.field(default=None, repr=False)


ChannelCredentialContent = (
    StaticBearerCredential
    | StaticTokenCredential
    | MMSCredentials
    | KakaoTalkCredentials
    | KakaoTalkChatCredentials
    | TelegramCredentials
    | LineCredentials
    | LineEnterpriseCredentials
    | WeChatCredentials
    | InstagramCredentials
    | AppleBusinessChatCredentials
    | UnknownVariant
)
"""The credential of one channel entry: exactly one of the credential keys."""


@attrs.define(frozen=True, kw_only=True)
class ChannelIntegrationState:
    """Read-only state of a channel integration."""

    status: CredentialStatus | str | None = None
    description: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ConversationChannelCredential:
    """One ``channel_credentials`` entry: a channel and its credential.

    ``state`` and ``channel_known_id`` are read-only; ``credential_ordinal_number`` tells
    several credentials of one channel apart (only LINE uses values above 0).
    """

    channel: ConversationChannel | str
    credential: ChannelCredentialContent
    callback_secret: str | None = attrs.field(default=None, repr=False)
    credential_ordinal_number: int | None = None
    state: ChannelIntegrationState | None = None
    channel_known_id: str | None = None


register_one_of(
    ConversationChannelCredential,
    field="credential",
    variants={
        "static_bearer": StaticBearerCredential,
        "static_token": StaticTokenCredential,
        "mms_credentials": MMSCredentials,
        "kakaotalk_credentials": KakaoTalkCredentials,
        "kakaotalkchat_credentials": KakaoTalkChatCredentials,
        "telegram_credentials": TelegramCredentials,
        "line_credentials": LineCredentials,
        "line_enterprise_credentials": LineEnterpriseCredentials,
        "wechat_credentials": WeChatCredentials,
        "instagram_credentials": InstagramCredentials,
        "applebc_credentials": AppleBusinessChatCredentials,
    },
)


# --- app settings -----------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class RateLimits:
    """Read-only rate limits of an app, in messages per second."""

    inbound: int | None = None
    outbound: int | None = None
    webhooks: int | None = None


@attrs.define(frozen=True, kw_only=True)
class RetentionPolicy:
    """How long messages and conversations are kept; ``ttl_days`` is 1 to 3650 (default 180)."""

    retention_type: RetentionType | str | None = None
    ttl_days: int | None = None


@attrs.define(frozen=True, kw_only=True)
class DispatchRetentionPolicy:
    """How long DISPATCH-mode messages are kept; ``ttl_days`` 0 to 7 (0 = not stored)."""

    retention_type: RetentionType | str | None = None
    ttl_days: int | None = None


@attrs.define(frozen=True, kw_only=True)
class SmartConversation:
    """Whether Smart Conversations analysis is on for the app."""

    enabled: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class QueueStats:
    """Read-only size and limit of the app's outbound queue."""

    outbound_size: int | None = None
    outbound_limit: int | None = None


@attrs.define(frozen=True, kw_only=True)
class PersistMessageStatus:
    """Whether message statuses are stored."""

    enabled: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class MessageSearch:
    """Whether message search is on for the app."""

    enabled: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class CallbackSettings:
    """Signing secret for callbacks sent to a per-message ``callback_url``."""

    secret_for_overridden_callback_urls: str | None = attrs.field(default=None, repr=False)


@attrs.define(frozen=True, kw_only=True)
class DeliveryReportBasedFallback:
    """Fall back to the next channel when no delivery report arrives in time (10 to 259200 s)."""

    enabled: bool | None = None
    delivery_report_waiting_time: int | None = None


@attrs.define(frozen=True, kw_only=True)
class MessageRetrySettings:
    """How long (in seconds) the API retries sending a message."""

    retry_duration: int | None = None


# --- apps -------------------------------------------------------------------------------


@attrs.define(frozen=True, kw_only=True)
class AppResponse:
    """An app as the API returns it."""

    id: str
    display_name: str | None = None
    channel_credentials: list[ConversationChannelCredential] | None = None
    conversation_metadata_report_view: ConversationMetadataReportView | str | None = None
    rate_limits: RateLimits | None = None
    retention_policy: RetentionPolicy | None = None
    dispatch_retention_policy: DispatchRetentionPolicy | None = None
    processing_mode: ProcessingMode | str | None = None
    smart_conversation: SmartConversation | None = None
    queue_stats: QueueStats | None = None
    persist_message_status: PersistMessageStatus | None = None
    message_search: MessageSearch | None = None
    callback_settings: CallbackSettings | None = None
    delivery_report_based_fallback: DeliveryReportBasedFallback | None = None
    message_retry_settings: MessageRetrySettings | None = None


@attrs.define(frozen=True, kw_only=True)
class AppCreateRequest:
    """Body of ``POST /apps``: a display name and the channel credentials, plus settings."""

    display_name: str
    channel_credentials: list[ConversationChannelCredential]
    conversation_metadata_report_view: ConversationMetadataReportView | str | None = None
    retention_policy: RetentionPolicy | None = None
    dispatch_retention_policy: DispatchRetentionPolicy | None = None
    processing_mode: ProcessingMode | str | None = None
    smart_conversation: SmartConversation | None = None
    persist_message_status: PersistMessageStatus | None = None
    message_search: MessageSearch | None = None
    callback_settings: CallbackSettings | None = None
    delivery_report_based_fallback: DeliveryReportBasedFallback | None = None
    message_retry_settings: MessageRetrySettings | None = None


@attrs.define(frozen=True, kw_only=True)
class AppUpdateRequest:
    """Body of ``PATCH /apps/{app_id}``: only the fields set are sent and updated."""

    display_name: str | None = None
    channel_credentials: list[ConversationChannelCredential] | None = None
    conversation_metadata_report_view: ConversationMetadataReportView | str | None = None
    retention_policy: RetentionPolicy | None = None
    dispatch_retention_policy: DispatchRetentionPolicy | None = None
    processing_mode: ProcessingMode | str | None = None
    smart_conversation: SmartConversation | None = None
    persist_message_status: PersistMessageStatus | None = None
    message_search: MessageSearch | None = None
    callback_settings: CallbackSettings | None = None
    delivery_report_based_fallback: DeliveryReportBasedFallback | None = None
    message_retry_settings: MessageRetrySettings | None = None


@attrs.define(frozen=True, kw_only=True)
class ListAppsResponse:
    """All apps of the project (not paginated)."""

    apps: list[AppResponse] | None = None
