"""``client.with_options``: per-call limits on a view sharing the client's session and token."""

from __future__ import annotations

from typing import Any

import pytest

from conversation_async import (
    ClientStateError,
    ConfigurationError,
    ConversationClient,
    RequestTimeoutError,
    ServerError,
)
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


async def send(client: ConversationClient) -> None:
    await client.messages.send(app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi"))


def test_options_not_given_keep_the_clients_values() -> None:
    """A view changes only the options passed; credentials, hosts and back-off stay."""
    client = ConversationClient("p", "id", "secret", timeout=7, deadline=60, max_retries=2)
    view = client.with_options(deadline=5, retry_non_idempotent=True)
    assert (view.config.timeout, view.config.deadline) == (7, 5)
    assert view.config.retry.max_retries == 2
    assert view.config.retry.retry_non_idempotent is True
    assert view.config.retry.backoff_base == client.config.retry.backoff_base
    assert view.config.conversation_url == client.config.conversation_url
    assert client.config.deadline == 60
    assert client.config.retry.retry_non_idempotent is False


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": -1.0},
        {"timeout": "5"},
        {"deadline": 0},
        {"deadline": True},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": True},
        {"retry_non_idempotent": "yes"},
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, Any]) -> None:
    """Bad values fail at once with ConfigurationError, before any request."""
    client = ConversationClient("p", "id", "secret")
    with pytest.raises(ConfigurationError):
        client.with_options(**options)


async def test_view_shares_the_clients_token(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Calls through views reuse the client's session and token: one token request in all."""
    await send(client)
    await send(client.with_options(timeout=5))
    await send(client.with_options(max_retries=0).with_options(deadline=5))
    assert emulator.token_requests == 1
    assert emulator.requests_seen["SendMessage"] == 3


async def test_view_deadline_bounds_its_calls_while_the_base_keeps_its_own(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A 0.2 s deadline on the view fails a slow call; the client's default lets it finish."""
    await send(client)  # token fetched outside the measured calls
    slow = ScriptedResponse(delay=0.5, passthrough=True)
    emulator.script("SendMessage", slow)
    with pytest.raises(RequestTimeoutError):
        await send(client.with_options(deadline=0.2))
    emulator.script("SendMessage", slow)
    await send(client)


async def test_view_timeout_bounds_each_attempt(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A view's timeout applies to its attempts, the client's to the client's."""
    await send(client)
    slow = ScriptedResponse(delay=0.5, passthrough=True)
    emulator.script("SendMessage", slow)
    with pytest.raises(RequestTimeoutError):
        await send(client.with_options(timeout=0.1, max_retries=0))
    emulator.script("SendMessage", slow)
    await send(client)


async def test_view_max_retries_apply_while_the_base_keeps_its_defaults(
    emulator: Emulator, client: ConversationClient
) -> None:
    """With max_retries=0 a 503 is raised at once; the client still retries it."""
    emulator.script("SendMessage", ScriptedResponse(status=503))
    with pytest.raises(ServerError):
        await send(client.with_options(max_retries=0))
    assert emulator.requests_seen["SendMessage"] == 1
    emulator.script("SendMessage", ScriptedResponse(status=503), ScriptedResponse(status=503))
    await send(client)
    assert emulator.requests_seen["SendMessage"] == 4


async def test_view_can_opt_in_to_retrying_sends_after_a_500(
    emulator: Emulator, client: ConversationClient
) -> None:
    """retry_non_idempotent=True on the view retries a POST the client would not."""
    emulator.script("SendMessage", ScriptedResponse(status=500))
    await send(client.with_options(retry_non_idempotent=True))
    emulator.script("SendMessage", ScriptedResponse(status=500))
    with pytest.raises(ServerError):
        await send(client)


async def test_closing_a_view_leaves_the_client_open(
    emulator: Emulator, client: ConversationClient
) -> None:
    """aclose() and async with on a view do nothing; the client owns the session."""
    async with client.with_options(deadline=5) as view:
        await send(view)
    await view.aclose()
    assert not client.closed
    await send(client)


async def test_closing_the_client_closes_its_views(emulator: Emulator) -> None:
    """Once the client is closed, its views refuse to send."""
    client = emulator.client()
    view = client.with_options(deadline=5)
    await send(view)
    await client.aclose()
    assert view.closed
    with pytest.raises(ClientStateError):
        await send(view)
