"""``client.webhooks``: Webhooks (event destinations) of an app (catalog §2.8, §3.10).

An app has at most 5 webhooks, each with its own ``target``; the API answers a sixth or a
duplicate target with 400 (:class:`~conversation_async.BadRequestError`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from ..models import (
    ClientCredentials,
    ListWebhooksResponse,
    Webhook,
    WebhookCreateRequest,
    WebhookTargetType,
    WebhookTrigger,
    WebhookUpdateRequest,
)
from ._base import Resource, endpoint, require, segment, update_mask

__all__ = ["WebhooksResource"]


def _triggers(
    triggers: Sequence[WebhookTrigger | str] | None,
) -> builtins.list[WebhookTrigger | str] | None:
    return None if triggers is None else builtins.list(triggers)


class WebhooksResource(Resource):
    """Webhooks (event destinations) of an app (catalog §2.8)."""

    @endpoint("GET", "/v1/projects/{project_id}/apps/{app_id}/webhooks")
    async def list(self, *, app_id: str) -> builtins.list[Webhook]:
        """Every webhook of ``app_id`` (not paginated)."""
        require(app_id=app_id)
        response = await self._call(
            "GET", self._url(f"apps/{segment(app_id)}/webhooks"), into=ListWebhooksResponse
        )
        return response.webhooks or []

    @endpoint("POST", "/v1/projects/{project_id}/webhooks")
    async def create(
        self,
        *,
        app_id: str,
        target: str,
        triggers: Sequence[WebhookTrigger | str] | None = None,
        target_type: WebhookTargetType | str | None = None,
        secret: str | None = None,
        client_credentials: ClientCredentials | None = None,
    ) -> Webhook:
        """Send ``app_id``'s callbacks of ``triggers`` to ``target``, signed with ``secret``."""
        require(app_id=app_id, target=target)
        request = WebhookCreateRequest(
            app_id=app_id,
            target=target,
            target_type=target_type,
            secret=secret,
            triggers=_triggers(triggers),
            client_credentials=client_credentials,
        )
        return await self._call("POST", self._url("webhooks"), body=request, into=Webhook)

    @endpoint("GET", "/v1/projects/{project_id}/webhooks/{webhook_id}")
    async def get(self, *, webhook_id: str) -> Webhook:
        """One webhook."""
        require(webhook_id=webhook_id)
        return await self._call("GET", self._url(f"webhooks/{segment(webhook_id)}"), into=Webhook)

    @endpoint("PATCH", "/v1/projects/{project_id}/webhooks/{webhook_id}")
    async def update(
        self,
        *,
        webhook_id: str,
        app_id: str | None = None,
        target: str | None = None,
        triggers: Sequence[WebhookTrigger | str] | None = None,
        target_type: WebhookTargetType | str | None = None,
        secret: str | None = None,
        client_credentials: ClientCredentials | None = None,
    ) -> Webhook:
        """Change the given fields of a webhook (None = unchanged); returns the webhook.

        A field given replaces its whole value (``triggers`` the whole list).
        """
        require(webhook_id=webhook_id)
        request = WebhookUpdateRequest(
            app_id=app_id,
            target=target,
            target_type=target_type,
            secret=secret,
            triggers=_triggers(triggers),
            client_credentials=client_credentials,
        )
        return await self._call(
            "PATCH",
            self._url(f"webhooks/{segment(webhook_id)}"),
            params=update_mask(request),
            body=request,
            into=Webhook,
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/webhooks/{webhook_id}")
    async def delete(self, *, webhook_id: str) -> None:
        """Delete a webhook."""
        require(webhook_id=webhook_id)
        await self._call("DELETE", self._url(f"webhooks/{segment(webhook_id)}"))
