"""Templates (catalog §2.12, §3.11): v2 on ``/v2/projects/...``, deprecated v1 on ``/v1``.

Both are served by the emulator's one server (``templates_url == base_url``). v2 updates
are full replacements guarded by ``version`` (an empty or absent ``description`` is left
out, as proto3 JSON does) (optimistic concurrency: a stale or missing
version is a 400); v1 updates are PATCHes with ``update_mask``. Template IDs are optional on
create (generated when absent) and unique per project.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import invalid_argument, json_response, not_found
from ._masks import apply_update, parse_update_mask
from ._params import (
    APP_MESSAGE_KEYS,
    MANDATORY,
    Params,
    Violations,
    empty_response,
    non_empty_str,
    read_json_object,
    validate_one_of,
)
from ._routing import RouteProvider, RouteSpec
from ._store import format_time

TEMPLATE_CHANNELS: Final = frozenset(
    {
        "UNSPECIFIED",
        "CONVERSATION",
        "MESSENGER",
        "WHATSAPP",
        "RCS",
        "SMS",
        "VIBER",
        "VIBERBM",
        "TELEGRAM",
        "INSTAGRAM",
        "KAKAOTALK",
        "APPLEBC",
    }
)
"""V1Template ``channel`` values (catalog §3.11)."""

V1_FIELDS: Final[dict[str, Any]] = {
    "description": "",
    "channel": "UNSPECIFIED",
    "default_translation": "",
    "translations": [],
}
"""Writable v1 template fields -> their default (and cleared) value."""

_V2: Final = "/v2/projects/{project_id}/templates"
_V2_ITEM: Final = _V2 + "/{template_id}"
_V1: Final = "/v1/projects/{project_id}/templates"
_V1_ITEM: Final = _V1 + "/{template_id}"


def _as_int(value: object) -> int | None:
    """An int32 as proto3 JSON writes it: a number or a decimal string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _validate_id(body: dict[str, Any], existing: dict[str, Any]) -> Violations:
    template_id = body.get("id")
    if template_id is None or template_id == "":
        return []
    if not isinstance(template_id, str):
        return [("id", "must be a string")]
    if template_id in existing:
        return [("id", f"a template with ID {template_id} already exists")]
    return []


def _validate_translations(
    translations: object, default: object, *, v2: bool, required: bool
) -> Violations:
    """Translations: objects with a unique ``language_code``; ``default`` must be one."""
    if not _jsoncodec.is_array(translations) or (required and not translations):
        return [("translations", f"{MANDATORY}: a non-empty list of translations")]
    problems: Violations = []
    codes: list[str] = []
    for index, item in enumerate(translations):
        where = f"translations[{index}]"
        if not _jsoncodec.is_object(item):
            problems.append((where, "must be an object"))
            continue
        code = item.get("language_code")
        if not non_empty_str(code):
            problems.append((f"{where}.language_code", MANDATORY))
        elif code in codes:
            problems.append((f"{where}.language_code", f"duplicate language code {code}"))
        else:
            codes.append(str(code))
        if v2:
            problems.extend(validate_one_of(item, APP_MESSAGE_KEYS, where))
        elif item.get("content") is not None and not isinstance(item["content"], str):
            problems.append((f"{where}.content", "must be a string"))
        variables = item.get("variables")
        if variables is not None and not _jsoncodec.is_array(variables):
            problems.append((f"{where}.variables", "must be a list"))
        version = item.get("version")
        if version is not None and not isinstance(version, str):
            problems.append((f"{where}.version", "must be a string"))
    if (required or non_empty_str(default)) and default not in codes:
        problems.append(
            ("default_translation", "must be the language_code of one of the translations")
        )
    return problems


def _stamp_translations(
    translations: list[dict[str, Any]],
    previous: list[dict[str, Any]],
    now: str,
    version: str | None,
) -> list[dict[str, Any]]:
    """Translations with read-only times: kept per language code, updated to ``now``."""
    created = {t["language_code"]: t.get("create_time", now) for t in previous}
    stamped: list[dict[str, Any]] = []
    for item in translations:
        entry = copy.deepcopy(item)
        if version is not None and not entry.get("version"):
            entry["version"] = version
        entry["create_time"] = created.get(entry["language_code"], now)
        entry["update_time"] = now
        stamped.append(entry)
    return stamped


class TemplateV2Routes(RouteProvider):
    """The six Templates v2 operations."""

    ROUTES = (
        RouteSpec("GET", _V2, "V2ListTemplates", "list_templates"),
        RouteSpec("POST", _V2, "V2CreateTemplate", "create"),
        RouteSpec("GET", _V2_ITEM, "V2GetTemplate", "get"),
        RouteSpec("PUT", _V2_ITEM, "V2UpdateTemplate", "update"),
        RouteSpec("DELETE", _V2_ITEM, "V2DeleteTemplate", "delete"),
        RouteSpec("GET", _V2_ITEM + "/translations", "V2ListTranslations", "translations"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        template_id = request.match_info["template_id"]
        template = self._store.templates.get(template_id)
        if template is None:
            raise not_found(f"Template {template_id} not found")
        return template

    def _validate(self, body: dict[str, Any]) -> Violations:
        problems: Violations = []
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            problems.append(("description", "must be a string"))
        problems.extend(
            _validate_translations(
                body.get("translations"), body.get("default_translation"), v2=True, required=True
            )
        )
        return problems

    async def list_templates(self, request: web.Request) -> web.Response:
        """V2ListTemplates: every template, oldest first (not paginated)."""
        return json_response({"templates": list(self._store.templates.values())})

    async def create(self, request: web.Request) -> web.Response:
        """V2CreateTemplate: ``version`` 1; ``default_translation`` must be translated."""
        body = await read_json_object(request)
        problems = _validate_id(body, self._store.templates) + self._validate(body)
        if problems:
            raise invalid_argument(problems)
        now = format_time(self._store.accept_now())
        template: dict[str, Any] = {"id": body.get("id") or self._store.new_id()}
        if body.get("description"):
            template["description"] = body["description"]
        template |= {
            "version": 1,
            "default_translation": body["default_translation"],
            "translations": _stamp_translations(body["translations"], [], now, "1"),
            "create_time": now,
            "update_time": now,
        }
        self._store.templates[template["id"]] = template
        return json_response(template)

    async def get(self, request: web.Request) -> web.Response:
        """V2GetTemplate."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """V2UpdateTemplate: full replacement carrying the current ``version``."""
        template = self._lookup(request)
        body = await read_json_object(request)
        problems = self._validate(body)
        version = body.get("version")
        if version is None:
            problems.append(("version", f"{MANDATORY}: the template's current version"))
        elif _as_int(version) != template["version"]:
            problems.append(
                ("version", f"stale version {version!r}; the current one is {template['version']}")
            )
        if body.get("id") not in (None, "", template["id"]):
            problems.append(("id", "must match the template ID of the path"))
        if problems:
            raise invalid_argument(problems)
        now = format_time(self._store.accept_now())
        new_version = template["version"] + 1
        template.pop("description", None)
        if body.get("description"):
            template["description"] = body["description"]
        template.update(
            version=new_version,
            default_translation=body["default_translation"],
            translations=_stamp_translations(
                body["translations"], template["translations"], now, str(new_version)
            ),
            update_time=now,
        )
        return json_response(template)

    async def delete(self, request: web.Request) -> web.Response:
        """V2DeleteTemplate."""
        del self._store.templates[self._lookup(request)["id"]]
        return empty_response()

    async def translations(self, request: web.Request) -> web.Response:
        """V2ListTranslations: optional ``language_code`` and ``translation_version`` filters."""
        template = self._lookup(request)
        params = Params(request.query.get)
        language = params.string("language_code")
        version = params.string("translation_version")
        params.raise_if_invalid()
        found = [
            t
            for t in template["translations"]
            if (language is None or t["language_code"] == language)
            and (version in (None, "latest") or t.get("version") == version)
        ]
        return json_response({"translations": found})


class TemplateV1Routes(RouteProvider):
    """The five deprecated Templates v1 operations."""

    ROUTES = (
        RouteSpec("GET", _V1, "ListTemplates", "list_templates"),
        RouteSpec("POST", _V1, "CreateTemplate", "create"),
        RouteSpec("GET", _V1_ITEM, "GetTemplate", "get"),
        RouteSpec("PATCH", _V1_ITEM, "UpdateTemplate", "update"),
        RouteSpec("DELETE", _V1_ITEM, "DeleteTemplate", "delete"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        template_id = request.match_info["template_id"]
        template = self._store.templates_v1.get(template_id)
        if template is None:
            raise not_found(f"Template {template_id} not found")
        return template

    @staticmethod
    def _validate(template: dict[str, Any]) -> Violations:
        problems: Violations = []
        for name in ("description", "default_translation"):
            if not isinstance(template.get(name), str):
                problems.append((name, "must be a string"))
        if template.get("channel") not in TEMPLATE_CHANNELS:
            problems.append(("channel", f"must be one of {', '.join(sorted(TEMPLATE_CHANNELS))}"))
        problems.extend(
            _validate_translations(
                template.get("translations"),
                template.get("default_translation"),
                v2=False,
                required=False,
            )
        )
        return problems

    async def list_templates(self, request: web.Request) -> web.Response:
        """ListTemplates: every v1 template, oldest first (not paginated)."""
        return json_response({"templates": list(self._store.templates_v1.values())})

    async def create(self, request: web.Request) -> web.Response:
        """CreateTemplate (v1)."""
        body = await read_json_object(request)
        template: dict[str, Any] = {"id": body.get("id") or self._store.new_id()}
        for name, default in V1_FIELDS.items():
            value = body.get(name)
            template[name] = copy.deepcopy(value if value is not None else default)
        problems = _validate_id(body, self._store.templates_v1) + self._validate(template)
        if problems:
            raise invalid_argument(problems)
        now = format_time(self._store.accept_now())
        template["translations"] = _stamp_translations(template["translations"], [], now, None)
        template["create_time"] = template["update_time"] = now
        self._store.templates_v1[template["id"]] = template
        return json_response(template)

    async def get(self, request: web.Request) -> web.Response:
        """GetTemplate (v1)."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """UpdateTemplate (v1): masked fields (or the fields in the body) change."""
        template = self._lookup(request)
        mask = parse_update_mask(request, V1_FIELDS)
        body = await read_json_object(request)
        updated = apply_update(template, body, mask, V1_FIELDS)
        problems = self._validate(updated)
        if problems:
            raise invalid_argument(problems)
        now = format_time(self._store.accept_now())
        updated["translations"] = _stamp_translations(
            updated["translations"], template["translations"], now, None
        )
        updated["update_time"] = now
        self._store.templates_v1[template["id"]] = updated
        return json_response(updated)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteTemplate (v1)."""
        del self._store.templates_v1[self._lookup(request)["id"]]
        return empty_response()
