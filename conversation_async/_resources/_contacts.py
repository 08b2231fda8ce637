"""``client.contacts``: contacts, merging, channel profiles, identity conflicts (catalog §2.2).

Listings are :class:`~conversation_async._pagination.AsyncPager` objects (at most 20 a page).
"""

from __future__ import annotations

import builtins

from .._pagination import AsyncPager
from ..models import (
    ChannelIdentity,
    Contact,
    ContactCreateRequest,
    ContactLanguage,
    ContactUpdateRequest,
    ConversationChannel,
    ConversationMergeStrategy,
    GetChannelProfileRequest,
    GetChannelProfileResponse,
    IdentityConflict,
    ListContactsResponse,
    ListIdentityConflictsResponse,
    MergeContactRequest,
    Recipient,
)
from ._base import (
    Resource,
    check_page_size,
    endpoint,
    exclusive,
    query,
    require,
    segment,
    update_mask,
)

__all__ = ["PROFILE_CHANNELS", "ContactsResource"]

MAX_PAGE_SIZE = 20
PROFILE_CHANNELS = frozenset({"MESSENGER", "INSTAGRAM", "VIBER", "LINE"})
"""The channels ``contacts:getChannelProfile`` accepts."""


def _contacts(page: ListContactsResponse) -> builtins.list[Contact] | None:
    return page.contacts


def _conflicts(page: ListIdentityConflictsResponse) -> builtins.list[IdentityConflict] | None:
    return page.conflicts


class ContactsResource(Resource):
    """Contacts, merging, channel profiles and identity conflicts (catalog §2.2)."""

    @endpoint("GET", "/v1/projects/{project_id}/contacts")
    def list(
        self,
        *,
        external_id: str | None = None,
        channel: ConversationChannel | str | None = None,
        identity: str | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Contact]:
        """Contacts across all pages, filtered by ``external_id`` or by ``channel``+``identity``."""
        if (channel is None) != (identity is None):
            raise ValueError("channel and identity must be given together")
        exclusive(external_id=external_id, channel=channel)
        check_page_size(page_size, MAX_PAGE_SIZE)
        filters = query(
            external_id=external_id, channel=channel, identity=identity, page_size=page_size
        )
        return self._paginate(
            "GET", self._url("contacts"), into=ListContactsResponse, items=_contacts, params=filters
        )

    @endpoint("POST", "/v1/projects/{project_id}/contacts")
    async def create(
        self,
        *,
        channel_identities: builtins.list[ChannelIdentity],
        language: ContactLanguage | str,
        channel_priority: builtins.list[ConversationChannel | str] | None = None,
        display_name: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        metadata: str | None = None,
    ) -> Contact:
        """Create a contact reachable on ``channel_identities`` (at least one)."""
        require(channel_identities=channel_identities, language=language)
        if not channel_identities:
            raise ValueError("channel_identities needs at least one ChannelIdentity")
        request = ContactCreateRequest(
            channel_identities=builtins.list(channel_identities),
            language=language,
            channel_priority=channel_priority,
            display_name=display_name,
            email=email,
            external_id=external_id,
            metadata=metadata,
        )
        return await self._call("POST", self._url("contacts"), body=request, into=Contact)

    @endpoint("GET", "/v1/projects/{project_id}/contacts/{contact_id}")
    async def get(self, *, contact_id: str) -> Contact:
        """One contact."""
        require(contact_id=contact_id)
        return await self._call("GET", self._url(f"contacts/{segment(contact_id)}"), into=Contact)

    @endpoint("PATCH", "/v1/projects/{project_id}/contacts/{contact_id}")
    async def update(
        self,
        *,
        contact_id: str,
        channel_identities: builtins.list[ChannelIdentity] | None = None,
        channel_priority: builtins.list[ConversationChannel | str] | None = None,
        display_name: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        metadata: str | None = None,
        language: ContactLanguage | str | None = None,
    ) -> Contact:
        """Change the given fields of a contact (None leaves a field unchanged)."""
        require(contact_id=contact_id)
        request = ContactUpdateRequest(
            channel_identities=channel_identities,
            channel_priority=channel_priority,
            display_name=display_name,
            email=email,
            external_id=external_id,
            metadata=metadata,
            language=language,
        )
        return await self._call(
            "PATCH",
            self._url(f"contacts/{segment(contact_id)}"),
            params=update_mask(request),
            body=request,
            into=Contact,
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/contacts/{contact_id}")
    async def delete(self, *, contact_id: str) -> None:
        """Delete a contact with its conversations."""
        require(contact_id=contact_id)
        await self._call("DELETE", self._url(f"contacts/{segment(contact_id)}"))

    @endpoint("POST", "/v1/projects/{project_id}/contacts/{destination_id}:merge")
    async def merge(
        self,
        *,
        destination_id: str,
        source_id: str,
        strategy: ConversationMergeStrategy | str | None = None,
    ) -> Contact:
        """Merge ``source_id`` into ``destination_id``; the source is deleted, the result kept."""
        require(destination_id=destination_id, source_id=source_id)
        if destination_id == source_id:
            raise ValueError("destination_id and source_id must be different contacts")
        return await self._call(
            "POST",
            self._url(f"contacts/{segment(destination_id)}:merge"),
            body=MergeContactRequest(source_id=source_id, strategy=strategy),
            into=Contact,
        )

    @endpoint("POST", "/v1/projects/{project_id}/contacts:getChannelProfile")
    async def get_channel_profile(
        self, *, app_id: str, recipient: Recipient, channel: ConversationChannel | str
    ) -> GetChannelProfileResponse:
        """The contact's profile name on ``channel`` (MESSENGER, INSTAGRAM, VIBER or LINE)."""
        require(app_id=app_id, recipient=recipient, channel=channel)
        if channel not in PROFILE_CHANNELS:
            allowed = ", ".join(sorted(PROFILE_CHANNELS))
            raise ValueError(f"channel must be one of {allowed}, got '{channel}'")
        return await self._call(
            "POST",
            self._url("contacts:getChannelProfile"),
            body=GetChannelProfileRequest(app_id=app_id, recipient=recipient, channel=channel),
            into=GetChannelProfileResponse,
        )

    @endpoint("GET", "/v1/projects/{project_id}/contacts:identityConflicts")
    def list_identity_conflicts(
        self, *, page_size: int | None = None
    ) -> AsyncPager[IdentityConflict]:
        """Channel identities held by more than one contact, across all pages."""
        check_page_size(page_size, MAX_PAGE_SIZE)
        return self._paginate(
            "GET",
            self._url("contacts:identityConflicts"),
            into=ListIdentityConflictsResponse,
            items=_conflicts,
            params=query(page_size=page_size),
        )
