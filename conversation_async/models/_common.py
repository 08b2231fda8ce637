"""Models and enums shared by several API areas (catalog §3.2, §3.12).

Enums are open: a field typed ``ConversationChannel | str`` holds a member for every value
this SDK knows and the plain string for any value the API adds later.
"""

from __future__ import annotations

import enum

import attrs

from .._serde import UnknownVariant, register_presence_union

__all__ = [
    "Agent",
    "AgentType",
    "ChannelIdentity",
    "ChannelRecipientIdentity",
    "ContactRecipient",
    "ConversationChannel",
    "ConversationDirection",
    "ConversationMessagesView",
    "DeliveryStatus",
    "IdentifiedBy",
    "IdentifiedRecipient",
    "MessageContentType",
    "MessageQueue",
    "MessageSource",
    "MetadataUpdateStrategy",
    "ProcessingMode",
    "ProcessingStrategy",
    "Reason",
    "ReasonCode",
    "ReasonSubCode",
    "Recipient",
    "TemplateReference",
]


class ConversationChannel(enum.StrEnum):
    """A messaging channel (catalog §3.12)."""

    WHATSAPP = "WHATSAPP"
    RCS = "RCS"
    SMS = "SMS"
    MESSENGER = "MESSENGER"
    VIBERBM = "VIBERBM"
    MMS = "MMS"
    INSTAGRAM = "INSTAGRAM"
    TELEGRAM = "TELEGRAM"
    KAKAOTALK = "KAKAOTALK"
    KAKAOTALKCHAT = "KAKAOTALKCHAT"
    LINE = "LINE"
    WECHAT = "WECHAT"
    APPLEBC = "APPLEBC"
    VIBER = "VIBER"
    CHANNEL_UNSPECIFIED = "CHANNEL_UNSPECIFIED"


class ProcessingMode(enum.StrEnum):
    CONVERSATION = "CONVERSATION"
    DISPATCH = "DISPATCH"


class ProcessingStrategy(enum.StrEnum):
    DEFAULT = "DEFAULT"
    DISPATCH_ONLY = "DISPATCH_ONLY"


class MessageQueue(enum.StrEnum):
    NORMAL_PRIORITY = "NORMAL_PRIORITY"
    HIGH_PRIORITY = "HIGH_PRIORITY"


class ConversationDirection(enum.StrEnum):
    TO_APP = "TO_APP"
    TO_CONTACT = "TO_CONTACT"


class MessageSource(enum.StrEnum):
    CONVERSATION_SOURCE = "CONVERSATION_SOURCE"
    DISPATCH_SOURCE = "DISPATCH_SOURCE"


class ConversationMessagesView(enum.StrEnum):
    WITH_METADATA = "WITH_METADATA"
    WITHOUT_METADATA = "WITHOUT_METADATA"


class MetadataUpdateStrategy(enum.StrEnum):
    REPLACE = "REPLACE"
    MERGE_PATCH = "MERGE_PATCH"


class MessageContentType(enum.StrEnum):
    CONTENT_UNKNOWN = "CONTENT_UNKNOWN"
    CONTENT_MARKETING = "CONTENT_MARKETING"
    CONTENT_NOTIFICATION = "CONTENT_NOTIFICATION"


class AgentType(enum.StrEnum):
    UNKNOWN_AGENT_TYPE = "UNKNOWN_AGENT_TYPE"
    HUMAN = "HUMAN"
    BOT = "BOT"


class DeliveryStatus(enum.StrEnum):
    QUEUED_ON_CHANNEL = "QUEUED_ON_CHANNEL"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"
    SWITCHING_CHANNEL = "SWITCHING_CHANNEL"


class ReasonCode(enum.StrEnum):
    UNKNOWN = "UNKNOWN"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    RATE_LIMITED = "RATE_LIMITED"
    RECIPIENT_INVALID_CHANNEL_IDENTITY = "RECIPIENT_INVALID_CHANNEL_IDENTITY"
    RECIPIENT_NOT_REACHABLE = "RECIPIENT_NOT_REACHABLE"
    RECIPIENT_NOT_OPTED_IN = "RECIPIENT_NOT_OPTED_IN"
    OUTSIDE_ALLOWED_SENDING_WINDOW = "OUTSIDE_ALLOWED_SENDING_WINDOW"
    CHANNEL_FAILURE = "CHANNEL_FAILURE"
    CHANNEL_BAD_CONFIGURATION = "CHANNEL_BAD_CONFIGURATION"
    CHANNEL_CONFIGURATION_MISSING = "CHANNEL_CONFIGURATION_MISSING"
    MEDIA_TYPE_UNSUPPORTED = "MEDIA_TYPE_UNSUPPORTED"
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"
    MEDIA_NOT_REACHABLE = "MEDIA_NOT_REACHABLE"
    NO_CHANNELS_LEFT = "NO_CHANNELS_LEFT"
    TEMPLATE_NOT_FOUND = "TEMPLATE_NOT_FOUND"
    TEMPLATE_INSUFFICIENT_PARAMETERS = "TEMPLATE_INSUFFICIENT_PARAMETERS"
    TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION = "TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION"
    DELIVERY_TIMED_OUT = "DELIVERY_TIMED_OUT"
    DELIVERY_REJECTED_DUE_TO_POLICY = "DELIVERY_REJECTED_DUE_TO_POLICY"
    CONTACT_NOT_FOUND = "CONTACT_NOT_FOUND"
    BAD_REQUEST = "BAD_REQUEST"
    UNKNOWN_APP = "UNKNOWN_APP"
    NO_CHANNEL_IDENTITY_FOR_CONTACT = "NO_CHANNEL_IDENTITY_FOR_CONTACT"
    CHANNEL_REJECT = "CHANNEL_REJECT"
    NO_PERMISSION = "NO_PERMISSION"
    NO_PROFILE_AVAILABLE = "NO_PROFILE_AVAILABLE"
    UNSUPPORTED_OPERATION = "UNSUPPORTED_OPERATION"


class ReasonSubCode(enum.StrEnum):
    UNSPECIFIED_SUB_CODE = "UNSPECIFIED_SUB_CODE"
    ATTACHMENT_REJECTED = "ATTACHMENT_REJECTED"
    MEDIA_TYPE_UNDETERMINED = "MEDIA_TYPE_UNDETERMINED"
    INACTIVE_SENDER = "INACTIVE_SENDER"


@attrs.define(frozen=True, kw_only=True)
class Reason:
    """Why a message or event failed; ``channel_code`` is the channel's raw error code."""

    code: ReasonCode | str | None = None
    description: str | None = None
    sub_code: ReasonSubCode | str | None = None
    channel_code: str | None = None


@attrs.define(frozen=True, kw_only=True)
class Agent:
    """The persona shown as the sender on channels that support it."""

    display_name: str | None = None
    type: AgentType | str | None = None
    picture_url: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ChannelIdentity:
    """A contact's identity on one channel; ``app_id`` is set for app-scoped channels."""

    channel: ConversationChannel | str
    identity: str
    app_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ChannelRecipientIdentity:
    """One ``(channel, identity)`` pair to send to."""

    channel: ConversationChannel | str
    identity: str


@attrs.define(frozen=True, kw_only=True)
class IdentifiedBy:
    channel_identities: list[ChannelRecipientIdentity]


@attrs.define(frozen=True, kw_only=True)
class ContactRecipient:
    """Send to an existing contact (CONVERSATION mode)."""

    contact_id: str


@attrs.define(frozen=True, kw_only=True)
class IdentifiedRecipient:
    """Send to channel identities, tried in order (required in DISPATCH mode)."""

    identified_by: IdentifiedBy

    @classmethod
    def of(
        cls, *identities: ChannelRecipientIdentity | tuple[ConversationChannel | str, str]
    ) -> IdentifiedRecipient:
        """Build from identities or ``(channel, identity)`` pairs, in fallback order."""
        if not identities:
            raise ValueError("IdentifiedRecipient.of() needs at least one channel identity")
        items = [
            i if isinstance(i, ChannelRecipientIdentity) else _identity_pair(i) for i in identities
        ]
        return cls(identified_by=IdentifiedBy(channel_identities=items))


def _identity_pair(pair: tuple[ConversationChannel | str, str]) -> ChannelRecipientIdentity:
    channel, identity = pair
    return ChannelRecipientIdentity(channel=channel, identity=identity)


Recipient = ContactRecipient | IdentifiedRecipient | UnknownVariant
"""Who a message goes to: exactly one of ``contact_id`` or ``identified_by``."""

register_presence_union(
    Recipient, {"contact_id": ContactRecipient, "identified_by": IdentifiedRecipient}
)


@attrs.define(frozen=True, kw_only=True)
class TemplateReference:
    """A template to render: ``version`` is required for omni templates."""

    template_id: str
    version: str | None = None
    language_code: str | None = None
    parameters: dict[str, str] | None = None
