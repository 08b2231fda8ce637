"""Webhooks, also called event destinations (catalog §2.8, §3.10, §4.2).

A webhook sends the callbacks of its ``triggers`` to ``target``, signed with ``secret``.
``secret`` and ``client_credentials.client_secret`` never appear in ``repr()``.
"""

from __future__ import annotations

import enum

import attrs

__all__ = [
    "ClientCredentials",
    "ClientCredentialsTokenRequestType",
    "ListWebhooksResponse",
    "Webhook",
    "WebhookCreateRequest",
    "WebhookTargetType",
    "WebhookTrigger",
    "WebhookUpdateRequest",
]


class WebhookTrigger(enum.StrEnum):
    """An event a webhook subscribes to (catalog §4.2); never send ``UNSPECIFIED_TRIGGER``.

    Some sources spell the Smart Conversations trigger ``SMART_CONVERSATIONS``; that value
    is kept as a plain string when read.
    """

    UNSPECIFIED_TRIGGER = "UNSPECIFIED_TRIGGER"
    MESSAGE_INBOUND = "MESSAGE_INBOUND"
    MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION = "MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION"
    MESSAGE_SUBMIT = "MESSAGE_SUBMIT"
    MESSAGE_DELIVERY = "MESSAGE_DELIVERY"
    EVENT_INBOUND = "EVENT_INBOUND"
    EVENT_DELIVERY = "EVENT_DELIVERY"
    CONVERSATION_START = "CONVERSATION_START"
    CONVERSATION_STOP = "CONVERSATION_STOP"
    CONVERSATION_DELETE = "CONVERSATION_DELETE"
    CONTACT_CREATE = "CONTACT_CREATE"
    CONTACT_UPDATE = "CONTACT_UPDATE"
    CONTACT_DELETE = "CONTACT_DELETE"
    CONTACT_MERGE = "CONTACT_MERGE"
    CONTACT_IDENTITIES_DUPLICATION = "CONTACT_IDENTITIES_DUPLICATION"
    CAPABILITY = "CAPABILITY"
    OPT_IN = "OPT_IN"
    OPT_OUT = "OPT_OUT"
    CHANNEL_EVENT = "CHANNEL_EVENT"
    SMART_CONVERSATION = "SMART_CONVERSATION"
    RECORD_NOTIFICATION = "RECORD_NOTIFICATION"
    UNSUPPORTED = "UNSUPPORTED"
    BATCH_STATUS_UPDATE = "BATCH_STATUS_UPDATE"
    """Progress of a Batch API batch (named by Sinch's agent notes, not its reference)."""


class WebhookTargetType(enum.StrEnum):
    """How callbacks are delivered: ``HTTP`` (default) or ``DISMISS`` (dropped)."""

    HTTP = "HTTP"
    DISMISS = "DISMISS"


class ClientCredentialsTokenRequestType(enum.StrEnum):
    """Where the client credentials go in the token request: header (BASIC) or form body."""

    BASIC = "BASIC"
    FORM = "FORM"


@attrs.define(frozen=True, kw_only=True)
class ClientCredentials:
    """OAuth2 client credentials Sinch uses to get a token from your ``endpoint``."""

    client_id: str
    client_secret: str = attrs.field(repr=False)
    endpoint: str
    scope: str | None = None
    response_type: str | None = None
    token_request_type: ClientCredentialsTokenRequestType | str | None = None


@attrs.define(frozen=True, kw_only=True)
class Webhook:
    """A webhook as the API returns it."""

    id: str
    app_id: str | None = None
    target: str | None = None
    target_type: WebhookTargetType | str | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    triggers: list[WebhookTrigger | str] | None = None
    client_credentials: ClientCredentials | None = None


@attrs.define(frozen=True, kw_only=True)
class WebhookCreateRequest:
    """Body of ``POST /webhooks``: a ``Webhook`` without its read-only ``id``."""

    app_id: str
    target: str
    target_type: WebhookTargetType | str | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    triggers: list[WebhookTrigger | str] | None = None
    client_credentials: ClientCredentials | None = None


@attrs.define(frozen=True, kw_only=True)
class WebhookUpdateRequest:
    """Body of ``PATCH /webhooks/{webhook_id}``: only the fields set are sent and updated."""

    app_id: str | None = None
    target: str | None = None
    target_type: WebhookTargetType | str | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    triggers: list[WebhookTrigger | str] | None = None
    client_credentials: ClientCredentials | None = None


@attrs.define(frozen=True, kw_only=True)
class ListWebhooksResponse:
    """All webhooks of an app (not paginated)."""

    webhooks: list[Webhook] | None = None
