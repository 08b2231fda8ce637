"""TLS: certificates are verified by default; a private CA is trusted only when asked."""

from __future__ import annotations

import inspect
import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
import trustme
from aiohttp import web

from conversation_async import ConfigurationError, ConversationClient, TokenError, TransportError
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https_base_url(ca: trustme.CA) -> AsyncIterator[tuple[Emulator, str]]:
    """The emulator's application served over HTTPS with a certificate from a private CA."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    emulator = Emulator()
    runner = web.AppRunner(emulator.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    try:
        yield emulator, f"https://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def client_for(emulator: Emulator, base: str, **kwargs: object) -> ConversationClient:
    return ConversationClient(
        emulator.project_id,
        emulator.client_id,
        emulator.client_secret,
        conversation_url=base,
        auth_url=f"{base}/oauth2/token",
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


async def send(client: ConversationClient) -> None:
    await client.messages.send(
        app_id="a", recipient=IdentifiedRecipient.of(("SMS", "+1")), message=TextMessage(text="x")
    )


async def test_untrusted_certificate_is_refused_by_default(
    https_base_url: tuple[Emulator, str],
) -> None:
    """A server certificate from an unknown CA fails the handshake: nothing is sent."""
    emulator, base = https_base_url
    async with client_for(emulator, base) as client:
        with pytest.raises(TokenError) as caught:
            await send(client)
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError)
    assert cause.maybe_processed is False
    assert "certificate" in str(cause).lower()
    assert len(emulator.store.messages) == 0


async def test_a_context_trusting_the_ca_connects(
    https_base_url: tuple[Emulator, str], ca: trustme.CA
) -> None:
    """ssl_context lets a client trust a private CA (and still verifies the certificate)."""
    emulator, base = https_base_url
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with client_for(emulator, base, ssl_context=context) as client:
        await send(client)
    assert len(emulator.store.messages) == 1
    assert context.verify_mode is ssl.CERT_REQUIRED


async def test_borrowed_unverifying_session_never_sends_the_oauth_secret(
    https_base_url: tuple[Emulator, str],
) -> None:
    """A lent session whose connector has ssl=False does not switch verification off: the
    token request (Basic client_id:client_secret) fails the handshake and never leaves."""
    emulator, base = https_base_url
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        client_for(emulator, base, session=session) as client,
    ):
        with pytest.raises(TokenError) as caught:
            await send(client)
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError)
    assert cause.maybe_processed is False
    assert "certificate" in str(cause).lower()
    assert emulator.token_requests == 0
    assert sum(emulator.requests_seen.values()) == 0


async def test_borrowed_unverifying_session_never_sends_basic_credentials(
    https_base_url: tuple[Emulator, str],
) -> None:
    """With auth="basic" every API request carries the secret: it is refused the same way."""
    emulator, base = https_base_url
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        client_for(emulator, base, session=session, auth="basic") as client,
    ):
        with pytest.raises(TransportError) as caught:
            await send(client)
    assert caught.value.maybe_processed is False
    assert "certificate" in str(caught.value).lower()
    assert sum(emulator.requests_seen.values()) == 0
    assert len(emulator.store.messages) == 0


async def test_unverified_pooled_connection_is_not_reused(
    https_base_url: tuple[Emulator, str],
) -> None:
    """A connection the lender opened without verification stays out of the client's way."""
    emulator, base = https_base_url
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        async with session.get(f"{base}/v1/projects/{emulator.project_id}/apps") as resp:
            assert resp.status == 401  # the lender's own, unverified request went through
        seen = sum(emulator.requests_seen.values())
        async with client_for(emulator, base, session=session, auth="basic") as client:
            with pytest.raises(TransportError, match=r"(?i)certificate"):
                await send(client)
    assert sum(emulator.requests_seen.values()) == seen


async def test_client_context_wins_over_a_borrowed_sessions_connector(
    https_base_url: tuple[Emulator, str], ca: trustme.CA
) -> None:
    """A lent session that trusts only the system CAs still connects when the client was
    given an ssl_context trusting the private CA: the client's context is on every request."""
    emulator, base = https_base_url
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with (
        aiohttp.ClientSession() as session,
        client_for(emulator, base, session=session, ssl_context=context) as client,
    ):
        await send(client)
        await send(client)
    assert emulator.token_requests == 1
    assert len(emulator.store.messages) == 2


async def test_a_borrowed_connectors_trust_is_not_used(
    https_base_url: tuple[Emulator, str], ca: trustme.CA
) -> None:
    """Only the client's own context (ssl_context= or the system trust store) decides: a lent
    connector trusting the private CA does not make the client trust it."""
    emulator, base = https_base_url
    lender_context = ssl.create_default_context()
    ca.configure_trust(lender_context)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=lender_context)) as session,
        client_for(emulator, base, session=session) as client,
    ):
        with pytest.raises(TokenError, match=r"(?i)certificate"):
            await send(client)
    assert emulator.token_requests == 0


@pytest.mark.parametrize("value", [False, 0, "insecure"])
def test_verification_cannot_be_switched_off_with_a_flag(value: object) -> None:
    """Only an SSLContext is accepted; False (aiohttp's "no check") is refused."""
    with pytest.raises(ConfigurationError, match="SSLContext"):
        ConversationClient("p", "i", "s", ssl_context=value)  # type: ignore[arg-type]


def unverifying_context(verify_mode: ssl.VerifyMode) -> ssl.SSLContext:
    """A context without host name checks, and with ``verify_mode``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = verify_mode
    return context


@pytest.mark.parametrize(
    "verify_mode", [ssl.CERT_NONE, ssl.CERT_REQUIRED], ids=["no-certificate-check", "no-host-check"]
)
def test_a_context_that_does_not_verify_is_refused(verify_mode: ssl.VerifyMode) -> None:
    """An SSLContext with CERT_NONE or check_hostname=False is refused when the client is
    built: verification cannot be turned off through the context either."""
    context = unverifying_context(verify_mode)
    with pytest.raises(ConfigurationError, match="verify"):
        ConversationClient("p", "i", "s", ssl_context=context)


def test_client_has_no_verify_option() -> None:
    """No constructor argument can disable certificate checks."""
    names = set(inspect.signature(ConversationClient).parameters)
    assert not {"verify", "verify_ssl", "insecure", "ssl"} & names
