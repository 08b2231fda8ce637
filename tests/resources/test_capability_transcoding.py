"""client.capability and client.transcoding against the emulator."""

from __future__ import annotations

import pytest

from conversation_async import ConversationClient
from conversation_async.models import (
    AppMessage,
    ConversationChannel,
    IdentifiedRecipient,
    TextMessage,
)
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def test_capability_query_echoes_the_query(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The accepted query comes back with its app, recipient and request id."""
    response = await client.capability.query(app_id="app", recipient=RECIPIENT, request_id="r-1")
    assert (response.app_id, response.recipient, response.request_id) == (
        "app",
        RECIPIENT,
        "r-1",
    )
    assert emulator.requests_seen["QueryCapability"] == 1


async def test_capability_query_requires_app_and_recipient_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Both required arguments are named and nothing is sent."""
    with pytest.raises(ValueError, match="app_id, recipient"):
        await client.capability.query(app_id="", recipient=None)  # type: ignore[arg-type]
    assert emulator.requests_seen["QueryCapability"] == 0


async def test_transcode_returns_one_native_message_per_channel(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Each requested channel gets its channel-native JSON as a string."""
    response = await client.transcoding.transcode(
        app_id="app",
        app_message=AppMessage(content=TextMessage(text="hello")),
        channels=[ConversationChannel.SMS, ConversationChannel.WHATSAPP],
    )
    assert response.transcoded_message is not None
    assert set(response.transcoded_message) == {"SMS", "WHATSAPP"}
    assert all(isinstance(v, str) for v in response.transcoded_message.values())
    assert emulator.requests_seen["TranscodeMessage"] == 1


async def test_transcode_sends_bare_content_and_from_under_its_wire_name(
    wire: Wire,
) -> None:
    """Bare content is wrapped in an AppMessage; from_ travels as "from"."""
    client, sent = wire
    await client.transcoding.transcode(
        app_id="app", app_message=TextMessage(text="hi"), channels=["SMS"], from_="me", to="you"
    )
    assert sent[-1].json() == {
        "app_id": "app",
        "app_message": {"text_message": {"text": "hi"}},
        "channels": ["SMS"],
        "from": "me",
        "to": "you",
    }


async def test_transcode_requires_at_least_one_channel_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An empty channel list is a missing argument."""
    with pytest.raises(ValueError, match="channels"):
        await client.transcoding.transcode(
            app_id="app", app_message=TextMessage(text="hi"), channels=[]
        )
    assert emulator.requests_seen["TranscodeMessage"] == 0
