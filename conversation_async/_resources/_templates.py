"""``client.templates``: Templates v2 on the Template Management host (catalog §2.12).

Templates live on their own host (``ClientConfig.templates_url``, e.g.
``https://eu.template.api.sinch.com``), below
``/v2/projects/{project_id}/templates``. None of the listings is paginated.

Updates are optimistic-concurrency PUTs: pass the ``version`` you last read; the API answers
with the template at ``version + 1``, or 400 (:class:`~conversation_async.BadRequestError`)
when someone else updated it first.
"""

from __future__ import annotations

import builtins

from .._checked import as_object
from ..models import (
    ListTemplatesV2Response,
    ListTranslationsResponse,
    TemplateTranslation,
    TemplateV2,
)
from ._base import Resource, endpoint, query, require, segment

__all__ = ["TemplatesResource"]


def _check_default_translation(
    default_translation: str, translations: builtins.list[TemplateTranslation]
) -> None:
    """The default translation must be one of the translations (catalog §3.11)."""
    codes = [translation.language_code for translation in translations]
    if default_translation not in codes:
        raise ValueError(
            f"default_translation {default_translation!r} is not among the translations' "
            f"language codes {codes}"
        )


def _check_version(version: int) -> None:
    if isinstance(version, bool) or not isinstance(as_object(version), int):
        raise TypeError(f"version must be an int, got {type(version).__name__}")


class TemplatesResource(Resource):
    """Omni-channel templates (Templates v2) on the Template Management host."""

    def _templates_path(self, template_id: str | None = None) -> str:
        if template_id is None:
            return self._templates_url("templates", version="v2")
        return self._templates_url(f"templates/{segment(template_id)}", version="v2")

    @endpoint("GET", "/v2/projects/{project_id}/templates")
    async def list(self) -> builtins.list[TemplateV2]:
        """Every v2 template of the project (not paginated)."""
        response = await self._call("GET", self._templates_path(), into=ListTemplatesV2Response)
        return response.templates or []

    @endpoint("POST", "/v2/projects/{project_id}/templates")
    async def create(
        self,
        *,
        default_translation: str,
        translations: builtins.list[TemplateTranslation],
        id: str | None = None,
        description: str | None = None,
        version: int | None = None,
    ) -> TemplateV2:
        """Create a template; the API generates ``id`` when it is not given.

        ``default_translation`` is a BCP-47 language code that must be one of
        ``translations``. New templates start at version 1, so ``version`` is normally left
        unset (when given it is sent as is).
        """
        require(default_translation=default_translation, translations=translations)
        if version is not None:
            _check_version(version)
        _check_default_translation(default_translation, translations)
        template = TemplateV2(
            id=id,
            description=description,
            version=version,
            default_translation=default_translation,
            translations=translations,
        )
        return await self._call("POST", self._templates_path(), body=template, into=TemplateV2)

    @endpoint("GET", "/v2/projects/{project_id}/templates/{template_id}")
    async def get(self, *, template_id: str) -> TemplateV2:
        """One template, with its current ``version``."""
        require(template_id=template_id)
        return await self._call("GET", self._templates_path(template_id), into=TemplateV2)

    @endpoint("PUT", "/v2/projects/{project_id}/templates/{template_id}")
    async def update(
        self,
        *,
        template_id: str,
        version: int,
        default_translation: str,
        translations: builtins.list[TemplateTranslation],
        description: str | None = None,
    ) -> TemplateV2:
        """Replace a template entirely; returns it at the next version.

        A full replacement: fields left out (``description``) are cleared. ``version`` must
        be the template's current version (optimistic concurrency): a stale one is refused
        with :class:`~conversation_async.BadRequestError` and nothing changes, so re-``get``
        the template and retry.
        """
        require(
            template_id=template_id,
            version=version,
            default_translation=default_translation,
            translations=translations,
        )
        _check_version(version)
        _check_default_translation(default_translation, translations)
        template = TemplateV2(
            id=template_id,
            description=description,
            version=version,
            default_translation=default_translation,
            translations=translations,
        )
        return await self._call(
            "PUT", self._templates_path(template_id), body=template, into=TemplateV2
        )

    @endpoint("DELETE", "/v2/projects/{project_id}/templates/{template_id}")
    async def delete(self, *, template_id: str) -> None:
        """Delete a template."""
        require(template_id=template_id)
        await self._call("DELETE", self._templates_path(template_id))

    @endpoint("GET", "/v2/projects/{project_id}/templates/{template_id}/translations")
    async def list_translations(
        self,
        *,
        template_id: str,
        language_code: str | None = None,
        translation_version: str | None = None,
    ) -> builtins.list[TemplateTranslation]:
        """A template's translations, optionally only one language and/or version."""
        require(template_id=template_id)
        response = await self._call(
            "GET",
            self._templates_url(f"templates/{segment(template_id)}/translations", version="v2"),
            params=query(language_code=language_code, translation_version=translation_version),
            into=ListTranslationsResponse,
        )
        return response.translations or []
