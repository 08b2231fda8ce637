"""Contacts: people reachable on one or more channels (catalog §2.2, §3.8).

``Contact`` is what the API returns (every field optional, so a reply that leaves one out
still reads); ``ContactCreateRequest`` keeps the catalog's required fields;
``ContactUpdateRequest`` has every field optional because the PATCH only changes the fields
that are set.
"""

from __future__ import annotations

import enum

import attrs

from ._common import ChannelIdentity, ConversationChannel, Recipient

__all__ = [
    "Contact",
    "ContactCreateRequest",
    "ContactLanguage",
    "ContactUpdateRequest",
    "ConversationMergeStrategy",
    "GetChannelProfileRequest",
    "GetChannelProfileResponse",
    "IdentityConflict",
    "ListContactsResponse",
    "ListIdentityConflictsResponse",
    "MergeContactRequest",
]


class ContactLanguage(enum.StrEnum):
    """A contact's preferred language; servers also send ``UNSPECIFIED``."""

    AF = "AF"
    SQ = "SQ"
    AR = "AR"
    AZ = "AZ"
    BN = "BN"
    BG = "BG"
    CA = "CA"
    ZH = "ZH"
    ZH_CN = "ZH_CN"
    ZH_HK = "ZH_HK"
    ZH_TW = "ZH_TW"
    HR = "HR"
    CS = "CS"
    DA = "DA"
    NL = "NL"
    EN = "EN"
    EN_GB = "EN_GB"
    EN_US = "EN_US"
    ET = "ET"
    FIL = "FIL"
    FI = "FI"
    FR = "FR"
    DE = "DE"
    EL = "EL"
    GU = "GU"
    HA = "HA"
    HE = "HE"
    HI = "HI"
    HU = "HU"
    ID = "ID"
    GA = "GA"
    IT = "IT"
    JA = "JA"
    KN = "KN"
    KK = "KK"
    KO = "KO"
    LO = "LO"
    LV = "LV"
    LT = "LT"
    MK = "MK"
    MS = "MS"
    ML = "ML"
    MR = "MR"
    NB = "NB"
    FA = "FA"
    PL = "PL"
    PT = "PT"
    PT_BR = "PT_BR"
    PT_PT = "PT_PT"
    PA = "PA"
    RO = "RO"
    RU = "RU"
    SR = "SR"
    SK = "SK"
    SL = "SL"
    ES = "ES"
    ES_AR = "ES_AR"
    ES_ES = "ES_ES"
    ES_MX = "ES_MX"
    SW = "SW"
    SV = "SV"
    TA = "TA"
    TE = "TE"
    TH = "TH"
    TR = "TR"
    UK = "UK"
    UR = "UR"
    UZ = "UZ"
    VI = "VI"
    ZU = "ZU"
    UNSPECIFIED = "UNSPECIFIED"


class ConversationMergeStrategy(enum.StrEnum):
    """How two contacts are merged (the API knows only ``MERGE``)."""

    MERGE = "MERGE"


@attrs.define(frozen=True, kw_only=True)
class Contact:
    """A contact as the API returns it; ``display_name`` defaults to ``"Unknown"`` server-side."""

    id: str | None = None
    channel_identities: list[ChannelIdentity] | None = None
    channel_priority: list[ConversationChannel | str] | None = None
    display_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    metadata: str | None = None
    language: ContactLanguage | str | None = None


@attrs.define(frozen=True, kw_only=True)
class ContactCreateRequest:
    """Body of ``POST /contacts``: at least one channel identity and a language."""

    channel_identities: list[ChannelIdentity]
    language: ContactLanguage | str
    channel_priority: list[ConversationChannel | str] | None = None
    display_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    metadata: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ContactUpdateRequest:
    """Body of ``PATCH /contacts/{contact_id}``: only the fields that are set are changed."""

    channel_identities: list[ChannelIdentity] | None = None
    channel_priority: list[ConversationChannel | str] | None = None
    display_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    metadata: str | None = None
    language: ContactLanguage | str | None = None


@attrs.define(frozen=True, kw_only=True)
class MergeContactRequest:
    """Body of ``POST /contacts/{destination_id}:merge``: ``source_id`` is merged and deleted."""

    source_id: str
    strategy: ConversationMergeStrategy | str | None = None


@attrs.define(frozen=True, kw_only=True)
class GetChannelProfileRequest:
    """Body of ``POST /contacts:getChannelProfile``; channel: MESSENGER, INSTAGRAM, VIBER, LINE."""

    app_id: str
    recipient: Recipient
    channel: ConversationChannel | str


@attrs.define(frozen=True, kw_only=True)
class GetChannelProfileResponse:
    """The contact's profile name on the channel."""

    profile_name: str | None = None


@attrs.define(frozen=True, kw_only=True)
class IdentityConflict:
    """One channel identity that belongs to several contacts."""

    identity: str | None = None
    channels: list[ConversationChannel | str] | None = None
    contact_ids: list[str] | None = None


@attrs.define(frozen=True, kw_only=True)
class ListContactsResponse:
    """One page of contacts; an empty ``next_page_token`` means the last page."""

    contacts: list[Contact] | None = None
    next_page_token: str | None = None


@attrs.define(frozen=True, kw_only=True)
class ListIdentityConflictsResponse:
    """One page of identity conflicts; an empty ``next_page_token`` means the last page."""

    conflicts: list[IdentityConflict] | None = None
    next_page_token: str | None = None
