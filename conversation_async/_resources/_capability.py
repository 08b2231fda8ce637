"""``client.capability``: Channel capability queries (catalog §2.7)."""

from __future__ import annotations

from ..models import QueryCapabilityRequest, QueryCapabilityResponse, Recipient
from ._base import Resource, endpoint, require

__all__ = ["CapabilityResource"]


class CapabilityResource(Resource):
    """Channel capability queries (catalog §2.7)."""

    @endpoint("POST", "/v1/projects/{project_id}/capability:query")
    async def query(
        self, *, app_id: str, recipient: Recipient, request_id: str | None = None
    ) -> QueryCapabilityResponse:
        """Ask which channels can reach ``recipient``; the answer is a CAPABILITY callback.

        ``request_id`` (echoed in the callback) is not used for idempotency.
        """
        require(app_id=app_id, recipient=recipient)
        request = QueryCapabilityRequest(app_id=app_id, recipient=recipient, request_id=request_id)
        return await self._call(
            "POST", self._url("capability:query"), body=request, into=QueryCapabilityResponse
        )
