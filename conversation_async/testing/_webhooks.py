"""Webhooks (catalog §2.8, §3.10) over ``store.webhooks``.

A webhook's app must exist (400 naming ``app_id`` otherwise); an app has at most 5 webhooks
and no two with the same ``target``; triggers must be WebhookTriggers (§4.2).
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._envelope import invalid_argument, json_response, not_found
from ._masks import apply_update, parse_update_mask
from ._params import MANDATORY, Violations, empty_response, non_empty_str, read_json_object
from ._routing import ID, PROJECT, RouteProvider, RouteSpec

TRIGGERS: Final = frozenset(
    {
        "MESSAGE_INBOUND",
        "MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION",
        "MESSAGE_SUBMIT",
        "MESSAGE_DELIVERY",
        "EVENT_INBOUND",
        "EVENT_DELIVERY",
        "CONVERSATION_START",
        "CONVERSATION_STOP",
        "CONVERSATION_DELETE",
        "CONTACT_CREATE",
        "CONTACT_UPDATE",
        "CONTACT_DELETE",
        "CONTACT_MERGE",
        "CONTACT_IDENTITIES_DUPLICATION",
        "CAPABILITY",
        "OPT_IN",
        "OPT_OUT",
        "CHANNEL_EVENT",
        "SMART_CONVERSATION",
        "SMART_CONVERSATIONS",
        "RECORD_NOTIFICATION",
        "UNSUPPORTED",
        "BATCH_STATUS_UPDATE",
    }
)
"""Accepted webhook triggers: §4.2's list, with NODE's ``SMART_CONVERSATIONS`` spelling too."""

TARGET_TYPES: Final = frozenset({"HTTP", "DISMISS", "GRPC"})
TOKEN_REQUEST_TYPES: Final = frozenset({"BASIC", "FORM"})
MAX_WEBHOOKS_PER_APP: Final = 5
MAX_TARGET_LENGTH: Final = 742
_FORBIDDEN_TARGET: Final = re.compile(r"^[a-z]+://conversation-api\.[^/]*sinch\.com", re.I)

WEBHOOK_FIELDS: Final[dict[str, Any]] = {
    "app_id": "",
    "target": "",
    "target_type": "HTTP",
    "secret": "",
    "triggers": [],
    "client_credentials": None,
}
"""Writable webhook fields -> their default (and cleared) value; ``None`` = left out."""

_WEBHOOKS: Final = PROJECT + "/webhooks"
_WEBHOOK: Final = _WEBHOOKS + "/{webhook_id:" + ID + "}"


def _validate_client_credentials(value: object) -> Violations:
    field = "client_credentials"
    if value is None:
        return []
    if not _jsoncodec.is_object(value):
        return [(field, "must be an object")]
    problems: Violations = []
    for key in ("client_id", "client_secret", "endpoint"):
        if not non_empty_str(value.get(key)):
            problems.append((f"{field}.{key}", MANDATORY))
    for key, limit in (("scope", 1024), ("response_type", 64)):
        item = value.get(key)
        if item is not None and not (isinstance(item, str) and len(item) <= limit):
            problems.append((f"{field}.{key}", f"must be a string of at most {limit} characters"))
    kind = value.get("token_request_type")
    if kind is not None and kind not in TOKEN_REQUEST_TYPES:
        problems.append((f"{field}.token_request_type", "must be BASIC or FORM"))
    return problems


def validate_webhook(webhook: dict[str, Any]) -> Violations:
    """Shape problems of a complete webhook (after defaults or an update were applied)."""
    problems: Violations = []
    if not non_empty_str(webhook.get("app_id")):
        problems.append(("app_id", f"{MANDATORY} and must be a non-empty string"))
    target = webhook.get("target")
    if not non_empty_str(target):
        problems.append(("target", f"{MANDATORY} and must be a non-empty string"))
    elif len(str(target)) > MAX_TARGET_LENGTH:
        problems.append(("target", f"must be at most {MAX_TARGET_LENGTH} characters"))
    elif _FORBIDDEN_TARGET.match(str(target)):
        problems.append(("target", "Conversation API hosts cannot be webhook targets"))
    if webhook.get("target_type") not in TARGET_TYPES:
        problems.append(("target_type", f"must be one of {', '.join(sorted(TARGET_TYPES))}"))
    if not isinstance(webhook.get("secret"), str):
        problems.append(("secret", "must be a string"))
    triggers = webhook.get("triggers")
    if not _jsoncodec.is_array(triggers):
        problems.append(("triggers", "must be a list of webhook triggers"))
    else:
        unknown = [str(t) for t in triggers if t not in TRIGGERS]
        if unknown:
            problems.append(("triggers", f"unknown trigger(s): {', '.join(unknown)}"))
    problems.extend(_validate_client_credentials(webhook.get("client_credentials")))
    return problems


class WebhookRoutes(RouteProvider):
    """ListWebhooks, CreateWebhook, GetWebhook, UpdateWebhook, DeleteWebhook."""

    ROUTES = (
        RouteSpec(
            "GET", PROJECT + "/apps/{app_id:" + ID + "}/webhooks", "ListWebhooks", "list_webhooks"
        ),
        RouteSpec("POST", _WEBHOOKS, "CreateWebhook", "create"),
        RouteSpec("GET", _WEBHOOK, "GetWebhook", "get"),
        RouteSpec("PATCH", _WEBHOOK, "UpdateWebhook", "update"),
        RouteSpec("DELETE", _WEBHOOK, "DeleteWebhook", "delete"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        webhook_id = request.match_info["webhook_id"]
        webhook = self._store.webhooks.get(webhook_id)
        if webhook is None:
            raise not_found(f"Webhook {webhook_id} not found")
        return webhook

    def _check(self, webhook: dict[str, Any]) -> None:
        """Shape, then the app's existence, its webhook limit and target uniqueness."""
        problems = validate_webhook(webhook)
        if not problems:
            app_id = webhook["app_id"]
            if app_id not in self._store.apps:
                problems.append(("app_id", f"app {app_id} does not exist"))
            siblings = [
                other
                for other in self._store.webhooks.values()
                if other["app_id"] == app_id and other["id"] != webhook["id"]
            ]
            if len(siblings) >= MAX_WEBHOOKS_PER_APP:
                problems.append(("app_id", f"an app has at most {MAX_WEBHOOKS_PER_APP} webhooks"))
            if any(other["target"] == webhook["target"] for other in siblings):
                problems.append(("target", "the app already has a webhook with this target"))
        if problems:
            raise invalid_argument(problems)

    async def list_webhooks(self, request: web.Request) -> web.Response:
        """ListWebhooks: every webhook of an existing app (not paginated)."""
        app_id = request.match_info["app_id"]
        if app_id not in self._store.apps:
            raise not_found(f"App {app_id} not found")
        webhooks = [w for w in self._store.webhooks.values() if w["app_id"] == app_id]
        return json_response({"webhooks": webhooks})

    async def create(self, request: web.Request) -> web.Response:
        """CreateWebhook: ``app_id`` (an existing app) and ``target`` are required."""
        body = await read_json_object(request)
        webhook: dict[str, Any] = {"id": self._store.new_id()}
        for name, default in WEBHOOK_FIELDS.items():
            value = body.get(name)
            webhook[name] = copy.deepcopy(value if value is not None else default)
        if webhook["client_credentials"] is None:
            del webhook["client_credentials"]
        self._check(webhook)
        self._store.webhooks[webhook["id"]] = webhook
        return json_response(webhook)

    async def get(self, request: web.Request) -> web.Response:
        """GetWebhook."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """UpdateWebhook: masked fields (or the fields in the body) change."""
        webhook = self._lookup(request)
        mask = parse_update_mask(request, WEBHOOK_FIELDS)
        body = await read_json_object(request)
        updated = apply_update(webhook, body, mask, WEBHOOK_FIELDS)
        if updated.get("client_credentials", "absent") is None:
            del updated["client_credentials"]
        self._check(updated)
        self._store.webhooks[webhook["id"]] = updated
        return json_response(updated)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteWebhook."""
        del self._store.webhooks[self._lookup(request)["id"]]
        return empty_response()
