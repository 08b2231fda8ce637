"""``client.transcoding``: Transcoding an app message into channel formats (catalog §2.6)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import (
    AppMessage,
    ConversationChannel,
    TranscodeMessageRequest,
    TranscodeMessageResponse,
)
from ..models._messages import AppMessageContent
from ._base import Resource, endpoint, require
from ._messages import as_app_message

__all__ = ["TranscodingResource"]


class TranscodingResource(Resource):
    """Transcoding an app message into channel formats (catalog §2.6)."""

    @endpoint("POST", "/v1/projects/{project_id}/messages:transcode")
    async def transcode(
        self,
        *,
        app_id: str,
        app_message: AppMessage | AppMessageContent,
        channels: Sequence[ConversationChannel | str],
        from_: str | None = None,
        to: str | None = None,
    ) -> TranscodeMessageResponse:
        """``app_message`` as each of ``channels`` would receive it (channel-native JSON).

        ``app_message`` may be bare content (``TextMessage(text="hi")``); ``from_`` is sent
        as ``from``.
        """
        require(app_id=app_id, app_message=app_message, channels=channels or None)
        request = TranscodeMessageRequest(
            app_id=app_id,
            app_message=as_app_message(app_message),
            channels=list(channels),
            from_=from_,
            to=to,
        )
        return await self._call(
            "POST", self._url("messages:transcode"), body=request, into=TranscodeMessageResponse
        )
