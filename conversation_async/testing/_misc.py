"""Transcoding (catalog §2.6), capability queries (§2.7) and project settings (§2.11).

Transcoding renders a deterministic, plausible channel-native JSON string per channel (an
``explicit_channel_message`` for the channel wins, as in the API). A capability query only
echoes; its result arrives later as a CAPABILITY callback (``CAPABILITY_FULL``) to the app's
subscribed webhooks. Project settings exist at most once per
project: creating them again is a 409 ALREADY_EXISTS; reading, changing or deleting absent
settings is a 404.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import ApiError, invalid_argument, json_response, not_found
from ._params import (
    APP_MESSAGE_KEYS,
    MANDATORY,
    Violations,
    empty_response,
    optional_str,
    read_json_object,
    require_str,
    validate_one_of,
    validate_recipient,
)
from ._routing import PROJECT, RouteProvider, RouteSpec

_SETTINGS: Final = PROJECT + "/settings"


def _summary(kind: str, content: dict[str, Any]) -> str:
    """A plain-text rendering of one AppMessage content, for text-only channels."""
    if kind == "text":
        return str(content.get("text", ""))
    if kind == "media":
        return str(content.get("url", ""))
    if kind == "location":
        coordinates: dict[str, Any] = content.get("coordinates") or {}
        where = f"{coordinates.get('latitude')},{coordinates.get('longitude')}"
        return f"{content.get('title', '')} {where}".strip()
    for key in ("text", "title", "description"):
        if isinstance(content.get(key), str):
            return str(content[key])
    return ""


def transcode(message: dict[str, Any], channel: str, to: str) -> str:
    """``message`` as ``channel`` would receive it, as a JSON string."""
    explicit = message.get("explicit_channel_message")
    if _jsoncodec.is_object(explicit) and isinstance(explicit.get(channel), str):
        return str(explicit[channel])
    key = next(k for k in APP_MESSAGE_KEYS if message.get(k) is not None)
    kind = key.removesuffix("_message")
    content: dict[str, Any] = message[key]
    payload: dict[str, Any]
    if channel == "WHATSAPP":
        payload = {"messaging_product": "whatsapp", "to": to, "recipient_type": "individual"}
        if kind == "text":
            payload |= {"type": "text", "text": {"body": _summary(kind, content)}}
        elif kind == "location":
            coordinates: dict[str, Any] = content.get("coordinates") or {}
            payload |= {
                "type": "location",
                "location": {
                    "latitude": str(coordinates.get("latitude")),
                    "longitude": str(coordinates.get("longitude")),
                    "name": content.get("title", ""),
                },
            }
        else:
            payload |= {"type": kind, kind: content}
    elif channel in ("SMS", "MMS"):
        payload = {"to": to, "body": _summary(kind, content)}
    else:
        payload = {"channel": channel, "to": to, "type": kind, kind: content}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _validate_settings(body: dict[str, Any]) -> Violations:
    contact_settings = body.get("contact_settings")
    if contact_settings is None:
        return []
    if not _jsoncodec.is_object(contact_settings):
        return [("contact_settings", "must be an object")]
    flag = contact_settings.get("unified_contact_id_enabled")
    if flag is not None and not isinstance(flag, bool):
        return [("contact_settings.unified_contact_id_enabled", "must be true or false")]
    return []


class MiscRoutes(RouteProvider):
    """TranscodeMessage, QueryCapability and the four project-settings operations."""

    ROUTES = (
        RouteSpec("POST", PROJECT + "/messages:transcode", "TranscodeMessage", "transcode"),
        RouteSpec("POST", PROJECT + "/capability:query", "QueryCapability", "capability"),
        RouteSpec("POST", _SETTINGS, "CreateSettings", "create_settings"),
        RouteSpec("GET", _SETTINGS, "GetSettings", "get_settings"),
        RouteSpec("PATCH", _SETTINGS, "UpdateSettings", "update_settings"),
        RouteSpec("DELETE", _SETTINGS, "DeleteSettings", "delete_settings"),
    )

    __slots__ = ()

    async def transcode(self, request: web.Request) -> web.Response:
        """TranscodeMessage: one channel-native JSON string per requested channel."""
        body = await read_json_object(request)
        problems: Violations = []
        require_str(body, "app_id", problems)
        problems.extend(validate_one_of(body.get("app_message"), APP_MESSAGE_KEYS, "app_message"))
        channels = body.get("channels")
        if not (
            _jsoncodec.is_array(channels) and channels and all(isinstance(c, str) for c in channels)
        ):
            problems.append(("channels", f"{MANDATORY}: a non-empty list of channels"))
        for name in ("from", "to"):
            optional_str(body, name, problems)
        if problems:
            raise invalid_argument(problems)
        to = str(body.get("to") or "")
        rendered = {ch: transcode(body["app_message"], ch, to) for ch in body["channels"]}
        return json_response({"transcoded_message": rendered})

    async def capability(self, request: web.Request) -> web.Response:
        """QueryCapability: echoes the query with its ``request_id`` (generated if absent)."""
        body = await read_json_object(request)
        problems: Violations = []
        app_id = require_str(body, "app_id", problems)
        problems.extend(validate_recipient(body.get("recipient")))
        optional_str(body, "request_id", problems)
        if problems:
            raise invalid_argument(problems)
        request_id = body.get("request_id") or self._store.new_id()
        if self._store.webhooks:
            self._callbacks.notify(
                app_id,
                [("CAPABILITY", "capability_notification", self._capability(request_id, body))],
            )
        return json_response(
            {"app_id": app_id, "recipient": body["recipient"], "request_id": request_id}
        )

    def _capability(self, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The CapabilityNotification for a query: the recipient's first identity is
        fully capable (an unknown contact has no channel or identity; nothing is created)."""
        recipient: dict[str, Any] = body["recipient"]
        contact_id = recipient.get("contact_id")
        first: dict[str, Any]
        if contact_id is not None:
            contact = self._store.contacts.get(contact_id)
            first = contact["channel_identities"][0] if contact else {}
        else:
            first = recipient["identified_by"]["channel_identities"][0]
            contact_id = self._store.contact_of_identity(first["channel"], first["identity"])
        notification = {"request_id": request_id, "contact_id": contact_id or ""}
        for key in ("channel", "identity"):
            if key in first:
                notification[key] = first[key]
        notification["capability_status"] = "CAPABILITY_FULL"
        return notification

    def _settings(self) -> dict[str, Any]:
        settings = self._store.project_settings
        if settings is None:
            raise not_found(f"Settings of project {self._context.project_id} not found")
        return settings

    async def create_settings(self, request: web.Request) -> web.Response:
        """CreateSettings: 409 ALREADY_EXISTS when the project already has settings."""
        body = await read_json_object(request)
        problems = _validate_settings(body)
        if problems:
            raise invalid_argument(problems)
        if self._store.project_settings is not None:
            raise ApiError(409, f"Settings of project {self._context.project_id} already exist")
        contact_settings: dict[str, Any] = body.get("contact_settings") or {}
        flag = contact_settings.get("unified_contact_id_enabled", False)
        settings: dict[str, Any] = {
            "project_id": self._context.project_id,
            "settings": {"contact_settings": {"unified_contact_id_enabled": flag}},
        }
        self._store.project_settings = settings
        return json_response(settings)

    async def get_settings(self, request: web.Request) -> web.Response:
        """GetSettings."""
        return json_response(self._settings())

    async def update_settings(self, request: web.Request) -> web.Response:
        """UpdateSettings: the fields given in the body change."""
        settings = self._settings()
        body = await read_json_object(request)
        problems = _validate_settings(body)
        if problems:
            raise invalid_argument(problems)
        settings["settings"]["contact_settings"].update(body.get("contact_settings") or {})
        return json_response(settings)

    async def delete_settings(self, request: web.Request) -> web.Response:
        """DeleteSettings."""
        self._settings()
        self._store.project_settings = None
        return empty_response()
