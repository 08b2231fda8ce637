"""Fixtures of project settings, capability, transcoding and consents."""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    AuditRecordsResponse,
    ContactSettings,
    ListConsentIdentitiesResponse,
    ProjectSettings,
    ProjectSettingsRequest,
    ProjectSettingsResponse,
    QueryCapabilityRequest,
    QueryCapabilityResponse,
    TranscodeMessageRequest,
    TranscodeMessageResponse,
)

FIXTURE_MODELS: dict[str, Any] = {
    "v1/projectsettings/ContactSettingsDto.json": ContactSettings,
    "v1/projectsettings/ProjectSettingsDto.json": ProjectSettings,
    "v1/projectsettings/request/ProjectSettingsRequestDto.json": ProjectSettingsRequest,
    "v1/projectsettings/response/ProjectSettingsResponseDto.json": ProjectSettingsResponse,
    "v1/capability/request/QueryCapabilityRequestDto.json": QueryCapabilityRequest,
    "v1/capability/response/QueryCapabilityResponseDto.json": QueryCapabilityResponse,
    "v1/transcoding/request/TranscodeMessageRequestDto.json": TranscodeMessageRequest,
    "v1/transcoding/response/TranscodeMessageResponseDto.json": TranscodeMessageResponse,
    "v1/consents/AuditRecordsResponseDto.json": AuditRecordsResponse,
    # SOURCES calls it "ConsentsListResponse"; named after what it lists
    "v1/consents/ConsentsListResponseDtoPage0.json": ListConsentIdentitiesResponse,
    "v1/consents/ConsentsListResponseDtoPage1.json": ListConsentIdentitiesResponse,
}
