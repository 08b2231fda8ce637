"""Apps (catalog §2.1, §3.9): CRUD over ``store.apps``; deleting an app deletes its webhooks.

Channel credentials are stored exactly as sent (secrets included, as the API returns them)
plus the read-only ``state`` and ``channel_known_id``; the read-only ``rate_limits`` and
``queue_stats`` carry the API's documented defaults.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import invalid_argument, json_response, not_found
from ._masks import apply_update, parse_update_mask
from ._params import MANDATORY, Violations, empty_response, non_empty_str, read_json_object
from ._routing import ID, PROJECT, RouteProvider, RouteSpec

CREDENTIAL_KEYS: Final = (
    "static_bearer",
    "static_token",
    "mms_credentials",
    "kakaotalk_credentials",
    "kakaotalkchat_credentials",
    "telegram_credentials",
    "line_credentials",
    "line_enterprise_credentials",
    "wechat_credentials",
    "instagram_credentials",
    "applebc_credentials",
)
"""The credential object of a ``channel_credentials`` entry: exactly one is set (§3.9)."""

APP_FIELDS: Final[dict[str, Any]] = {
    "display_name": "",
    "channel_credentials": [],
    "conversation_metadata_report_view": "NONE",
    "retention_policy": {"retention_type": "MESSAGE_EXPIRE_POLICY", "ttl_days": 180},
    "dispatch_retention_policy": {"retention_type": "MESSAGE_EXPIRE_POLICY", "ttl_days": 0},
    "processing_mode": "DISPATCH",
    "smart_conversation": {"enabled": False},
    "callback_settings": {"secret_for_overridden_callback_urls": ""},
    "delivery_report_based_fallback": {"enabled": False, "delivery_report_waiting_time": 0},
    "message_retry_settings": {"retry_duration": 3600},
    "persist_message_status": {"enabled": False},
    "message_search": {"enabled": False},
}
"""Writable app fields -> the value a new app gets (and a masked, absent field is reset to)."""

_READ_ONLY: Final[dict[str, Any]] = {
    "rate_limits": {"outbound": 20, "inbound": 100, "webhooks": 200},
    "queue_stats": {"outbound_size": 0, "outbound_limit": 500000},
}
_CHOICES: Final = {
    "processing_mode": frozenset({"CONVERSATION", "DISPATCH"}),
    "conversation_metadata_report_view": frozenset({"NONE", "FULL"}),
}
_TTL_RANGES: Final = {"retention_policy": (1, 3650), "dispatch_retention_policy": (0, 7)}

_APPS: Final = PROJECT + "/apps"
_APP: Final = _APPS + "/{app_id:" + ID + "}"


def _channel_known_id(entry: dict[str, Any]) -> str:
    """A stable fake channel-side ID derived from the credential."""
    digest = hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
    return f"{str(entry.get('channel', '')).lower()}-{digest[:16]}"


def _render_credentials(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored credential entries: as sent, plus the read-only state fields."""
    rendered: list[dict[str, Any]] = []
    for entry in entries:
        stored = {k: v for k, v in entry.items() if k not in ("state", "channel_known_id")}
        stored["state"] = {"status": "ACTIVE", "description": ""}
        stored["channel_known_id"] = _channel_known_id(stored)
        rendered.append(stored)
    return rendered


def _validate_credentials(value: object) -> Violations:
    field = "channel_credentials"
    if not _jsoncodec.is_array(value) or not value:
        return [(field, f"{MANDATORY}: at least one channel credential is required")]
    problems: Violations = []
    for index, entry in enumerate(value):
        where = f"{field}[{index}]"
        if not _jsoncodec.is_object(entry):
            problems.append((where, "must be an object"))
            continue
        if not non_empty_str(entry.get("channel")):
            problems.append((f"{where}.channel", MANDATORY))
        present = [key for key in CREDENTIAL_KEYS if entry.get(key) is not None]
        if len(present) != 1 or not _jsoncodec.is_object(entry[present[0]]):
            problems.append(
                (where, f"exactly one credential object of {', '.join(CREDENTIAL_KEYS)}")
            )
        secret = entry.get("callback_secret")
        if secret is not None and not (isinstance(secret, str) and len(secret) <= 256):
            problems.append((f"{where}.callback_secret", "must be a string of at most 256"))
    return problems


def validate_app(app: dict[str, Any]) -> Violations:
    """Every problem of a complete app (after defaults or an update were applied)."""
    problems: Violations = []
    if not non_empty_str(app.get("display_name")):
        problems.append(("display_name", f"{MANDATORY} and must be a non-empty string"))
    problems.extend(_validate_credentials(app.get("channel_credentials")))
    for name, allowed in _CHOICES.items():
        if app.get(name) not in allowed:
            problems.append((name, f"must be one of {', '.join(sorted(allowed))}"))
    for name, default in APP_FIELDS.items():
        if _jsoncodec.is_object(default) and not _jsoncodec.is_object(app.get(name)):
            problems.append((name, "must be an object"))
    for name, (low, high) in _TTL_RANGES.items():
        policy = app.get(name)
        ttl = policy.get("ttl_days") if _jsoncodec.is_object(policy) else None
        if ttl is not None and not (isinstance(ttl, int) and low <= ttl <= high):
            problems.append((f"{name}.ttl_days", f"must be an integer from {low} to {high}"))
    return problems


class AppRoutes(RouteProvider):
    """ListApps, CreateApp, GetApp, UpdateApp, DeleteApp."""

    ROUTES = (
        RouteSpec("GET", _APPS, "ListApps", "list_apps"),
        RouteSpec("POST", _APPS, "CreateApp", "create"),
        RouteSpec("GET", _APP, "GetApp", "get"),
        RouteSpec("PATCH", _APP, "UpdateApp", "update"),
        RouteSpec("DELETE", _APP, "DeleteApp", "delete"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        app_id = request.match_info["app_id"]
        app = self._store.apps.get(app_id)
        if app is None:
            raise not_found(f"App {app_id} not found")
        return app

    async def list_apps(self, request: web.Request) -> web.Response:
        """ListApps: every app, oldest first (not paginated)."""
        return json_response({"apps": list(self._store.apps.values())})

    async def create(self, request: web.Request) -> web.Response:
        """CreateApp: ``display_name`` and non-empty ``channel_credentials`` are required."""
        body = await read_json_object(request)
        app: dict[str, Any] = {"id": self._store.new_id()}
        for name, default in APP_FIELDS.items():
            value = body.get(name)
            app[name] = copy.deepcopy(value if value is not None else default)
        problems = validate_app(app)
        if problems:
            raise invalid_argument(problems)
        app["channel_credentials"] = _render_credentials(app["channel_credentials"])
        app.update(copy.deepcopy(_READ_ONLY))
        self._store.apps[app["id"]] = app
        return json_response(app)

    async def get(self, request: web.Request) -> web.Response:
        """GetApp."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """UpdateApp: masked fields (or the fields in the body) change; returns the app."""
        app = self._lookup(request)
        mask = parse_update_mask(request, APP_FIELDS)
        body = await read_json_object(request)
        updated = apply_update(app, body, mask, APP_FIELDS)
        problems = validate_app(updated)
        if problems:
            raise invalid_argument(problems)
        updated["channel_credentials"] = _render_credentials(updated["channel_credentials"])
        self._store.apps[app["id"]] = updated
        return json_response(updated)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteApp: removes the app and its webhooks."""
        app = self._lookup(request)
        store = self._store
        del store.apps[app["id"]]
        for webhook_id in [k for k, w in store.webhooks.items() if w["app_id"] == app["id"]]:
            del store.webhooks[webhook_id]
        return empty_response()
