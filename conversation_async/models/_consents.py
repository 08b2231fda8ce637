"""Consents: opt-out lists and their audit records (catalog §2.9)."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = [
    "AuditRecord",
    "AuditRecordOperation",
    "AuditRecordOrigin",
    "AuditRecordsResponse",
    "ConsentIdentity",
    "ConsentsListType",
    "ListConsentIdentitiesResponse",
]


class ConsentsListType(enum.StrEnum):
    """Which opt-out list: everything, marketing only or notifications only."""

    OPT_OUT_ALL = "OPT_OUT_ALL"
    OPT_OUT_MARKETING = "OPT_OUT_MARKETING"
    OPT_OUT_NOTIFICATION = "OPT_OUT_NOTIFICATION"


class AuditRecordOrigin(enum.StrEnum):
    """Where a consent change came from: the API or a contact's message (MO)."""

    ORIGIN_API = "ORIGIN_API"
    ORIGIN_MO = "ORIGIN_MO"


class AuditRecordOperation(enum.StrEnum):
    """What a consent change did to the list."""

    OPERATION_INSERT = "OPERATION_INSERT"
    OPERATION_UPDATE = "OPERATION_UPDATE"
    OPERATION_DELETE = "OPERATION_DELETE"


@attrs.define(frozen=True, kw_only=True)
class ConsentIdentity:
    """An identity (e.g. a phone number) on a consents list."""

    identity: str


@attrs.define(frozen=True, kw_only=True)
class ListConsentIdentitiesResponse:
    """One page of a consents list; an empty ``next_page_token`` means the last page."""

    identities: list[ConsentIdentity] | None = None
    next_page_token: str | None = None


@attrs.define(frozen=True, kw_only=True)
class AuditRecord:
    """One change to an identity's consents; ``datetime`` is when it happened."""

    origin: AuditRecordOrigin | str | None = None
    operation: AuditRecordOperation | str | None = None
    list_type: ConsentsListType | str | None = None
    project_id: str | None = None
    app_id: str | None = None
    datetime: dt.datetime | None = None


@attrs.define(frozen=True, kw_only=True)
class AuditRecordsResponse:
    """The consent history of one identity."""

    identity: ConsentIdentity | None = None
    audit_records: list[AuditRecord] | None = None
