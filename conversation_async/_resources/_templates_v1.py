"""``client.templates_v1``: deprecated templates v1, Template Management host (catalog §2.12).

Templates v1 reached end-of-life on 2026-01-31; every method emits a ``DeprecationWarning``
pointing to ``client.templates`` (v2). Paths are below ``/v1/projects/{project_id}/templates``
on the Templates host (``ClientConfig.templates_url``).
"""

from __future__ import annotations

import builtins
import warnings

from ..models import (
    ListV1TemplatesResponse,
    TemplateChannel,
    V1Template,
    V1TemplateTranslation,
    V1TemplateUpdateRequest,
)
from ._base import Resource, endpoint, require, segment, update_mask

__all__ = ["TemplatesV1Resource"]


def _deprecated(method: str) -> str:
    return (
        f"client.templates_v1.{method}() is deprecated: Templates v1 reached end-of-life on "
        "2026-01-31; use client.templates (Templates v2) instead"
    )


class TemplatesV1Resource(Resource):
    """Deprecated templates v1 on the Template Management host; use ``client.templates``.

    Templates v1 reached end-of-life on 2026-01-31. Every call emits a
    ``DeprecationWarning`` pointing to ``client.templates`` (v2).
    """

    def _path(self, template_id: str | None = None) -> str:
        if template_id is None:
            return self._templates_url("templates", version="v1")
        return self._templates_url(f"templates/{segment(template_id)}", version="v1")

    @endpoint("GET", "/v1/projects/{project_id}/templates")
    async def list(self) -> builtins.list[V1Template]:
        """Every v1 template of the project (deprecated)."""
        warnings.warn(_deprecated("list"), DeprecationWarning, stacklevel=2)
        response = await self._call("GET", self._path(), into=ListV1TemplatesResponse)
        return response.templates or []

    @endpoint("POST", "/v1/projects/{project_id}/templates")
    async def create(
        self,
        *,
        default_translation: str,
        translations: builtins.list[V1TemplateTranslation],
        channel: TemplateChannel | str | None = None,
        description: str | None = None,
        id: str | None = None,
    ) -> V1Template:
        """Create a v1 template (deprecated); the API generates ``id`` when it is not given."""
        warnings.warn(_deprecated("create"), DeprecationWarning, stacklevel=2)
        require(default_translation=default_translation, translations=translations)
        template = V1Template(
            id=id,
            description=description,
            channel=channel,
            default_translation=default_translation,
            translations=translations,
        )
        return await self._call("POST", self._path(), body=template, into=V1Template)

    @endpoint("GET", "/v1/projects/{project_id}/templates/{template_id}")
    async def get(self, *, template_id: str) -> V1Template:
        """One v1 template (deprecated)."""
        warnings.warn(_deprecated("get"), DeprecationWarning, stacklevel=2)
        require(template_id=template_id)
        return await self._call("GET", self._path(template_id), into=V1Template)

    @endpoint("PATCH", "/v1/projects/{project_id}/templates/{template_id}")
    async def update(
        self,
        *,
        template_id: str,
        description: str | None = None,
        channel: TemplateChannel | str | None = None,
        default_translation: str | None = None,
        translations: builtins.list[V1TemplateTranslation] | None = None,
    ) -> V1Template:
        """Change only the fields given (deprecated); they are sent as the ``update_mask``."""
        warnings.warn(_deprecated("update"), DeprecationWarning, stacklevel=2)
        require(template_id=template_id)
        request = V1TemplateUpdateRequest(
            description=description,
            channel=channel,
            default_translation=default_translation,
            translations=translations,
        )
        mask = update_mask(request)
        return await self._call(
            "PATCH", self._path(template_id), params=mask, body=request, into=V1Template
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/templates/{template_id}")
    async def delete(self, *, template_id: str) -> None:
        """Delete a v1 template (deprecated)."""
        warnings.warn(_deprecated("delete"), DeprecationWarning, stacklevel=2)
        require(template_id=template_id)
        await self._call("DELETE", self._path(template_id))
