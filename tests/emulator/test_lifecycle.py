"""Starting, stopping and addressing the emulator."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from conversation_async.testing import Emulator

from .conftest import fetch, get_token


async def test_start_binds_a_free_port_and_exposes_urls() -> None:
    """With port 0 the emulator binds a free port and derives its URLs from it."""
    async with Emulator() as emu:
        assert emu.port > 0
        assert emu.base_url == f"http://127.0.0.1:{emu.port}"
        assert emu.templates_url == emu.base_url
        assert emu.auth_url == f"{emu.base_url}/oauth2/token"


async def test_default_credentials_are_exposed() -> None:
    """The default project and credentials are readable without starting."""
    emu = Emulator()
    assert (emu.project_id, emu.client_id, emu.client_secret) == (
        "emulator-project",
        "emulator-client",
        "emulator-secret",
    )


async def test_custom_credentials_are_used_by_the_token_endpoint(
    http: aiohttp.ClientSession,
) -> None:
    """Credentials given to the constructor are the ones the token endpoint accepts."""
    async with Emulator(project_id="p", client_id="id", client_secret="s3cret") as emu:
        assert (emu.project_id, emu.client_id, emu.client_secret) == ("p", "id", "s3cret")
        assert await get_token(http, emu)


async def test_urls_before_start_raise() -> None:
    """Asking for a URL before start is a clear error, not a wrong URL."""
    with pytest.raises(RuntimeError, match="not started"):
        _ = Emulator().base_url


async def test_stop_is_idempotent() -> None:
    """Stopping twice (and stopping a never-started emulator) is harmless."""
    emu = Emulator()
    await emu.stop()
    await emu.start()
    await emu.stop()
    await emu.stop()


async def test_stop_releases_the_port(http: aiohttp.ClientSession) -> None:
    """After stop nothing listens on the emulator's port any more."""
    async with Emulator() as emu:
        url = emu.auth_url
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, "POST", url)


async def test_restart_is_refused() -> None:
    """An emulator is started once; a second start raises instead of half-working."""
    emu = Emulator()
    await emu.start()
    await emu.stop()
    with pytest.raises(RuntimeError, match="already started"):
        await emu.start()


async def test_app_can_be_served_by_another_runner(http: aiohttp.ClientSession) -> None:
    """``emu.app`` is a plain aiohttp application that can be run elsewhere."""
    emu = Emulator()
    assert isinstance(emu.app, web.Application)
    runner = web.AppRunner(emu.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        reply = await fetch(http, "GET", f"http://127.0.0.1:{port}/v1/nowhere")
        assert reply.status == 404
    finally:
        await runner.cleanup()


async def test_repr_does_not_show_the_secret() -> None:
    """The repr names the emulator but never its client secret."""
    async with Emulator(client_secret="do-not-print") as emu:
        assert emu.base_url in repr(emu)
        assert "do-not-print" not in repr(emu)


async def test_stats_route_reports_counters_to_other_processes(http: aiohttp.ClientSession) -> None:
    """GET /_emulator/stats answers the counters as JSON, without credentials."""
    async with Emulator() as emu:
        async with http.post(
            emu.auth_url,
            data="grant_type=client_credentials",
            headers={
                "Authorization": "Basic ZW11bGF0b3ItY2xpZW50OmVtdWxhdG9yLXNlY3JldA==",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ) as response:
            assert response.status == 200
        async with http.get(f"{emu.base_url}/_emulator/stats") as response:
            stats = await response.json()
    assert stats["token_requests"] == 1
    assert stats["requests_seen"] == {"Token": 1}
    assert stats["messages_stored"] == 0


async def test_reset_route_forgets_stored_messages(http: aiohttp.ClientSession) -> None:
    """POST /_emulator/reset empties the store, for tools in another process."""
    async with Emulator() as emu:
        token = await get_token(http, emu)
        async with http.post(
            f"{emu.base_url}/v1/projects/{emu.project_id}/messages:send",
            json={
                "app_id": "a",
                "recipient": {"contact_id": "c"},
                "message": {"text_message": {"text": "x"}},
            },
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
        assert len(emu.store.messages) == 1
        async with http.post(f"{emu.base_url}/_emulator/reset") as response:
            assert response.status == 200
        assert len(emu.store.messages) == 0
