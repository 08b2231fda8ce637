"""Transcoding an app message into channel-native formats (catalog §2.6).

``from`` is a Python keyword, so :class:`TranscodeMessageRequest` calls that field ``from_``;
it is still ``"from"`` on the wire.
"""

from __future__ import annotations

import attrs

from .._serde import register_renamed_fields
from ._common import ConversationChannel
from ._messages import AppMessage

__all__ = ["TranscodeMessageRequest", "TranscodeMessageResponse"]


@attrs.define(frozen=True, kw_only=True)
class TranscodeMessageRequest:
    """Body of ``POST /messages:transcode``; ``from_`` and ``to`` are sent as from/to."""

    app_id: str
    app_message: AppMessage
    channels: list[ConversationChannel | str]
    from_: str | None = None
    to: str | None = None


@attrs.define(frozen=True, kw_only=True)
class TranscodeMessageResponse:
    """The message in each channel's own format, as a JSON string per channel."""

    transcoded_message: dict[ConversationChannel | str, str] | None = None


register_renamed_fields(TranscodeMessageRequest, from_="from")
