"""Fixtures of the contacts area (``v1/contacts/**``)."""

from __future__ import annotations

from typing import Any

from conversation_async.models import (
    Contact,
    ContactCreateRequest,
    ContactUpdateRequest,
    GetChannelProfileRequest,
    GetChannelProfileResponse,
    IdentityConflict,
    ListContactsResponse,
    ListIdentityConflictsResponse,
    MergeContactRequest,
)

_C = "v1/contacts"

FIXTURE_MODELS: dict[str, Any] = {
    f"{_C}/ContactCreateRequestDto.json": ContactCreateRequest,
    f"{_C}/ContactDto.json": Contact,
    # SOURCES names two request bodies; the API has one whose recipient is a Recipient union.
    f"{_C}/ContactGetChannelProfileByChannelRequestDto.json": GetChannelProfileRequest,
    f"{_C}/ContactGetChannelProfileByContactRequestDto.json": GetChannelProfileRequest,
    f"{_C}/ContactGetChannelResponseDto.json": GetChannelProfileResponse,
    f"{_C}/ContactListResponseDtoPage0.json": ListContactsResponse,
    f"{_C}/ContactListResponseDtoPage1.json": ListContactsResponse,
    f"{_C}/ContactMergeRequestDto.json": MergeContactRequest,
    f"{_C}/ContactUpdateRequestDto.json": ContactUpdateRequest,
    f"{_C}/IdentityConflictsDto.json": IdentityConflict,
    f"{_C}/ListIdentityConflictsResponseDtoPage0.json": ListIdentityConflictsResponse,
    f"{_C}/ListIdentityConflictsResponseDtoPage1.json": ListIdentityConflictsResponse,
}
