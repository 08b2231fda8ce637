"""Fixtures of apps, channel credentials and webhooks (``v1/apps``, ``v1/credentials``,
``v1/eventdestinations``)."""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    AppCreateRequest,
    AppResponse,
    AppUpdateRequest,
    ClientCredentials,
    ConversationChannelCredential,
    ListAppsResponse,
    ListWebhooksResponse,
    Webhook,
    WebhookCreateRequest,
)

_CHANNELS = [
    "AppleBusinessChat",
    "Instagram",
    "KakaoTalkChat",
    "KakaoTalk",
    "LineEnterpriseJapan",
    "LineEnterpriseThailand",
    "Line",
    "MMS",
    "Messenger",
    "RCS",
    "SMS",
    "Telegram",
    "ViberBm",
    "WeChat",
    "WhatsApp",
]

_ED = "v1/eventdestinations"

FIXTURE_MODELS: dict[str, Any] = {
    "v1/apps/AppCreateRequestDto.json": AppCreateRequest,
    # SOURCES calls it "AppListResponse"; the catalog's schema is ListAppsResponse
    "v1/apps/AppListResponseDto.json": ListAppsResponse,
    "v1/apps/AppResponseDto.json": AppResponse,
    "v1/apps/AppUpdateRequestDto.json": AppUpdateRequest,
    # one channel_credentials entry per channel, request and response forms
    **{
        f"v1/credentials/ConversationChannel{name}{form}Dto.json": ConversationChannelCredential
        for name in _CHANNELS
        for form in ("Request", "Response")
    },
    # event destinations are the catalog's webhooks
    f"{_ED}/ClientCredentialsDto.json": ClientCredentials,
    f"{_ED}/request/EventDestinationRequestDto.json": WebhookCreateRequest,
    f"{_ED}/response/EventDestinationResponseDto.json": Webhook,
    f"{_ED}/response/EventDestinationsListResponseDto.json": ListWebhooksResponse,
}
