"""Fixtures of the templates area (``templates/**``)."""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    ChannelTemplateOverride,
    ListTemplatesV2Response,
    ListTranslationsResponse,
    TemplateTranslation,
    TemplateV2,
    TemplateVariable,
)

FIXTURE_MODELS: dict[str, Any] = {
    "templates/TemplateVariableDto.json": TemplateVariable,
    "templates/v2/ChannelTemplateOverrideWithVersionDto.json": ChannelTemplateOverride,
    "templates/v2/ChannelTemplateOverrideWithoutVersionDto.json": ChannelTemplateOverride,
    "templates/v2/request/TemplateTranslationV2RequestDto.json": TemplateTranslation,
    "templates/v2/request/TemplateV2RequestDto.json": TemplateV2,
    "templates/v2/response/TemplateTranslationV2ResponseDto.json": TemplateTranslation,
    "templates/v2/response/TemplateV2ResponseDto.json": TemplateV2,
    "templates/v2/response/TemplatesV2ListResponseDto.json": ListTemplatesV2Response,
    "templates/v2/response/TranslationsV2ListResponseDto.json": ListTranslationsResponse,
}
