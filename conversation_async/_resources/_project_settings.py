"""``client.project_settings``: Project-wide settings (catalog §2.11).

The project is the client's; these endpoints take no ID.
"""

from __future__ import annotations

from ..models import ContactSettings, ProjectSettingsRequest, ProjectSettingsResponse
from ._base import Resource, changed_fields, endpoint

__all__ = ["ProjectSettingsResource"]


class ProjectSettingsResource(Resource):
    """Project-wide settings (catalog §2.11)."""

    @endpoint("POST", "/v1/projects/{project_id}/settings")
    async def create(
        self, *, contact_settings: ContactSettings | None = None
    ) -> ProjectSettingsResponse:
        """Create the project's settings."""
        request = ProjectSettingsRequest(contact_settings=contact_settings)
        return await self._call(
            "POST", self._url("settings"), body=request, into=ProjectSettingsResponse
        )

    @endpoint("GET", "/v1/projects/{project_id}/settings")
    async def get(self) -> ProjectSettingsResponse:
        """The project's settings."""
        return await self._call("GET", self._url("settings"), into=ProjectSettingsResponse)

    @endpoint("PATCH", "/v1/projects/{project_id}/settings")
    async def update(
        self, *, contact_settings: ContactSettings | None = None
    ) -> ProjectSettingsResponse:
        """Change the given settings (None = unchanged); returns the settings.

        Only the fields set are sent; this endpoint takes no ``update_mask`` (catalog §2.11).
        """
        request = ProjectSettingsRequest(contact_settings=contact_settings)
        changed_fields(request)  # refuses an empty update before sending
        return await self._call(
            "PATCH", self._url("settings"), body=request, into=ProjectSettingsResponse
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/settings")
    async def delete(self) -> None:
        """Delete the project's settings."""
        await self._call("DELETE", self._url("settings"))
