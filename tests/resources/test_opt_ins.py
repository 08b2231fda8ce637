"""client.opt_ins (legacy) against the emulator: registration and its effect on consents."""

from __future__ import annotations

import pytest

from conversation_async import ConversationClient
from conversation_async.models import (
    ConversationChannel,
    IdentifiedRecipient,
    ProcessingStrategy,
)
from conversation_async.testing import Emulator

APP = "optin-app"
RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000009"))


async def opted_out(client: ConversationClient) -> list[str]:
    pager = client.consents.list_identities(app_id=APP, list_type="OPT_OUT_ALL")
    return [c.identity for c in await pager.to_list()]


async def test_opt_out_then_opt_in_moves_the_identity_on_and_off_the_list(
    emulator: Emulator, client: ConversationClient
) -> None:
    """register_opt_out lists the identity as opted out; register_opt_in removes it."""
    out = await client.opt_ins.register_opt_out(
        app_id=APP, channels=[ConversationChannel.SMS], recipient=RECIPIENT
    )
    assert out.request_id
    assert out.opt_out is not None
    assert (out.opt_out.app_id, out.opt_out.recipient) == (APP, RECIPIENT)
    assert await opted_out(client) == ["+46700000009"]

    back = await client.opt_ins.register_opt_in(
        app_id=APP, channels=["SMS"], recipient=RECIPIENT, processing_strategy="DISPATCH_ONLY"
    )
    assert back.opt_in is not None
    assert back.opt_in.processing_strategy == ProcessingStrategy.DISPATCH_ONLY
    assert await opted_out(client) == []
    assert (emulator.requests_seen["RegisterOptOut"], emulator.requests_seen["RegisterOptIn"]) == (
        1,
        1,
    )


@pytest.mark.parametrize("method", ["register_opt_in", "register_opt_out"])
async def test_request_id_is_sent_as_a_query_parameter(
    client: ConversationClient, method: str
) -> None:
    """The optional request_id reaches the API and is echoed back."""
    response = await getattr(client.opt_ins, method)(
        app_id=APP, channels=["SMS"], recipient=RECIPIENT, request_id="req-42"
    )
    assert response.request_id == "req-42"


@pytest.mark.parametrize(
    ("method", "route"),
    [("register_opt_in", "RegisterOptIn"), ("register_opt_out", "RegisterOptOut")],
)
async def test_registration_requires_app_channels_and_recipient_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, route: str
) -> None:
    """An empty channel list counts as missing; every missing argument is named."""
    with pytest.raises(ValueError, match="app_id, channels, recipient"):
        await getattr(client.opt_ins, method)(app_id="", channels=[], recipient=None)
    assert emulator.requests_seen[route] == 0
