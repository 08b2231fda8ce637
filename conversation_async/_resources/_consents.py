"""``client.consents``: Opt-out lists and their audit records (catalog §2.9)."""

from __future__ import annotations

from .._pagination import AsyncPager
from ..models import (
    AuditRecordsResponse,
    ConsentIdentity,
    ConsentsListType,
    ListConsentIdentitiesResponse,
)
from ._base import Resource, check_page_size, endpoint, query, require, segment

__all__ = ["ConsentsResource"]

MAX_PAGE_SIZE = 50


def _identities(page: ListConsentIdentitiesResponse) -> list[ConsentIdentity] | None:
    return page.identities


class ConsentsResource(Resource):
    """Opt-out lists and their audit records (catalog §2.9)."""

    @endpoint("GET", "/v1/projects/{project_id}/apps/{app_id}/consents/{list_type}")
    def list_identities(
        self,
        *,
        app_id: str,
        list_type: ConsentsListType | str,
        page_size: int | None = None,
    ) -> AsyncPager[ConsentIdentity]:
        """The identities on one opt-out list of ``app_id``, across all pages (at most 50 each)."""
        require(app_id=app_id, list_type=list_type)
        check_page_size(page_size, MAX_PAGE_SIZE)
        kind = list_type.value if isinstance(list_type, ConsentsListType) else list_type
        return self._paginate(
            "GET",
            self._url(f"apps/{segment(app_id)}/consents/{segment(kind)}"),
            into=ListConsentIdentitiesResponse,
            items=_identities,
            params=query(page_size=page_size),
        )

    @endpoint("GET", "/v1/projects/{project_id}/apps/{app_id}/consents/identities/{identity}")
    async def list_audit_records(self, *, app_id: str, identity: str) -> AuditRecordsResponse:
        """The consent history of ``identity`` (e.g. a phone number) in ``app_id``."""
        require(app_id=app_id, identity=identity)
        return await self._call(
            "GET",
            self._url(f"apps/{segment(app_id)}/consents/identities/{segment(identity)}"),
            into=AuditRecordsResponse,
        )
