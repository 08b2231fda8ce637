"""Project-wide settings (catalog §2.11)."""

from __future__ import annotations

import attrs

__all__ = [
    "ContactSettings",
    "ProjectSettings",
    "ProjectSettingsRequest",
    "ProjectSettingsResponse",
]


@attrs.define(frozen=True, kw_only=True)
class ContactSettings:
    """Contact settings: unified contact IDs merge SMS, RCS and MMS contacts by phone number."""

    unified_contact_id_enabled: bool | None = None


@attrs.define(frozen=True, kw_only=True)
class ProjectSettings:
    """The settings of a project."""

    contact_settings: ContactSettings | None = None


@attrs.define(frozen=True, kw_only=True)
class ProjectSettingsRequest:
    """Body of ``POST`` and ``PATCH /settings``: the settings to create or change."""

    contact_settings: ContactSettings | None = None


@attrs.define(frozen=True, kw_only=True)
class ProjectSettingsResponse:
    """A project's settings as the API returns them."""

    project_id: str | None = None
    settings: ProjectSettings | None = None
