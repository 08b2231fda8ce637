"""``client.apps``: Apps and their channel credentials (catalog §2.1, §3.9).

Apps are few per project, so ``list()`` returns them all at once (the API does not page).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from ..models import (
    AppCreateRequest,
    AppResponse,
    AppUpdateRequest,
    CallbackSettings,
    ConversationChannelCredential,
    ConversationMetadataReportView,
    DeliveryReportBasedFallback,
    DispatchRetentionPolicy,
    ListAppsResponse,
    MessageRetrySettings,
    MessageSearch,
    PersistMessageStatus,
    ProcessingMode,
    RetentionPolicy,
    SmartConversation,
)
from ._base import Resource, endpoint, require, segment, update_mask

__all__ = ["AppsResource"]


class AppsResource(Resource):
    """Apps and their channel credentials (catalog §2.1)."""

    @endpoint("GET", "/v1/projects/{project_id}/apps")
    async def list(self) -> builtins.list[AppResponse]:
        """Every app of the project (not paginated)."""
        response = await self._call("GET", self._url("apps"), into=ListAppsResponse)
        return response.apps or []

    @endpoint("POST", "/v1/projects/{project_id}/apps")
    async def create(
        self,
        *,
        display_name: str,
        channel_credentials: Sequence[ConversationChannelCredential],
        conversation_metadata_report_view: ConversationMetadataReportView | str | None = None,
        retention_policy: RetentionPolicy | None = None,
        dispatch_retention_policy: DispatchRetentionPolicy | None = None,
        processing_mode: ProcessingMode | str | None = None,
        smart_conversation: SmartConversation | None = None,
        persist_message_status: PersistMessageStatus | None = None,
        message_search: MessageSearch | None = None,
        callback_settings: CallbackSettings | None = None,
        delivery_report_based_fallback: DeliveryReportBasedFallback | None = None,
        message_retry_settings: MessageRetrySettings | None = None,
    ) -> AppResponse:
        """Create an app with at least one channel credential; returns it with its ``id``."""
        require(display_name=display_name, channel_credentials=channel_credentials or None)
        request = AppCreateRequest(
            display_name=display_name,
            channel_credentials=builtins.list(channel_credentials),
            conversation_metadata_report_view=conversation_metadata_report_view,
            retention_policy=retention_policy,
            dispatch_retention_policy=dispatch_retention_policy,
            processing_mode=processing_mode,
            smart_conversation=smart_conversation,
            persist_message_status=persist_message_status,
            message_search=message_search,
            callback_settings=callback_settings,
            delivery_report_based_fallback=delivery_report_based_fallback,
            message_retry_settings=message_retry_settings,
        )
        return await self._call("POST", self._url("apps"), body=request, into=AppResponse)

    @endpoint("GET", "/v1/projects/{project_id}/apps/{app_id}")
    async def get(self, *, app_id: str) -> AppResponse:
        """One app."""
        require(app_id=app_id)
        return await self._call("GET", self._url(f"apps/{segment(app_id)}"), into=AppResponse)

    @endpoint("PATCH", "/v1/projects/{project_id}/apps/{app_id}")
    async def update(
        self,
        *,
        app_id: str,
        display_name: str | None = None,
        channel_credentials: Sequence[ConversationChannelCredential] | None = None,
        conversation_metadata_report_view: ConversationMetadataReportView | str | None = None,
        retention_policy: RetentionPolicy | None = None,
        dispatch_retention_policy: DispatchRetentionPolicy | None = None,
        processing_mode: ProcessingMode | str | None = None,
        smart_conversation: SmartConversation | None = None,
        persist_message_status: PersistMessageStatus | None = None,
        message_search: MessageSearch | None = None,
        callback_settings: CallbackSettings | None = None,
        delivery_report_based_fallback: DeliveryReportBasedFallback | None = None,
        message_retry_settings: MessageRetrySettings | None = None,
    ) -> AppResponse:
        """Change the given fields of an app (None = unchanged); returns the updated app.

        A field given replaces its whole value: ``channel_credentials`` the whole list, and
        an object such as ``retention_policy`` the whole object (masks are flat, §2.13).
        """
        require(app_id=app_id)
        request = AppUpdateRequest(
            display_name=display_name,
            channel_credentials=(
                None if channel_credentials is None else builtins.list(channel_credentials)
            ),
            conversation_metadata_report_view=conversation_metadata_report_view,
            retention_policy=retention_policy,
            dispatch_retention_policy=dispatch_retention_policy,
            processing_mode=processing_mode,
            smart_conversation=smart_conversation,
            persist_message_status=persist_message_status,
            message_search=message_search,
            callback_settings=callback_settings,
            delivery_report_based_fallback=delivery_report_based_fallback,
            message_retry_settings=message_retry_settings,
        )
        return await self._call(
            "PATCH",
            self._url(f"apps/{segment(app_id)}"),
            params=update_mask(request),
            body=request,
            into=AppResponse,
        )

    @endpoint("DELETE", "/v1/projects/{project_id}/apps/{app_id}")
    async def delete(self, *, app_id: str) -> None:
        """Delete an app (its webhooks go with it)."""
        require(app_id=app_id)
        await self._call("DELETE", self._url(f"apps/{segment(app_id)}"))
