"""Token endpoint outages: 503 or reset for a while, old tokens valid, over by themselves."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from conversation_async.testing import Emulator, ScriptedResponse

from .conftest import Api, Reply, basic, fetch


async def token(api: Api) -> Reply:
    """One client-credentials token request."""
    return await fetch(
        api.http,
        "POST",
        api.emu.auth_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(api.emu.client_id, api.emu.client_secret)},
    )


async def test_outage_answers_503_in_the_oauth_shape(api: Api) -> None:
    """During an outage the token endpoint answers 503 ``temporarily_unavailable``."""
    api.emu.token_outage(5)
    reply = await token(api)
    assert reply.status == 503
    assert reply.body["error"] == "temporarily_unavailable"
    assert reply.body["error_description"]
    assert api.emu.token_outage_active


async def test_outage_keeps_issued_tokens_valid(api: Api) -> None:
    """A token issued before the outage still authenticates API calls during it."""
    api.emu.token_outage(5)
    assert (await api.list()).status == 200


async def test_outage_ends_by_itself(api: Api) -> None:
    """After ``seconds`` the token endpoint issues tokens again."""
    api.emu.token_outage(0.2)
    assert (await token(api)).status == 503
    await asyncio.sleep(0.25)
    assert (await token(api)).status == 200
    assert not api.emu.token_outage_active
    assert not api.emu._faults.armed


async def test_zero_seconds_ends_an_outage(api: Api) -> None:
    """``token_outage(0)`` ends an outage at once."""
    api.emu.token_outage(60)
    api.emu.token_outage(0)
    assert (await token(api)).status == 200


async def test_reset_mode_aborts_token_connections(api: Api) -> None:
    """``mode="reset"`` drops token requests' connections without an answer."""
    api.emu.token_outage(5, mode="reset")
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await token(api)


async def test_outage_requests_are_counted(api: Api) -> None:
    """Token requests refused by an outage still count in ``token_requests``."""
    before = api.emu.token_requests
    api.emu.token_outage(5)
    await token(api)
    assert api.emu.token_requests == before + 1


async def test_token_scripts_win_over_an_outage(api: Api) -> None:
    """A scripted Token response answers before the outage does."""
    api.emu.token_outage(5)
    api.emu.script("Token", ScriptedResponse(418))
    assert [(await token(api)).status for _ in range(2)] == [418, 503]


@pytest.mark.parametrize(("seconds", "mode"), [(-1.0, "503"), (1.0, "500"), (float("nan"), "503")])
def test_invalid_outages_are_refused(seconds: float, mode: str) -> None:
    """A negative or NaN duration or an unknown mode is a ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - both messages are checked elsewhere
        Emulator().token_outage(seconds, mode=mode)
