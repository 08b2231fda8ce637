"""Scripted responses, added latency, abandoned slow requests and reset."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from conversation_async.testing import Emulator, ScriptedResponse

from .conftest import Api, basic, fetch, get_token, send_body

EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}


async def test_scripts_are_consumed_in_order_then_normal_behaviour_resumes(api: Api) -> None:
    """Scripted responses answer the next requests one each, in order, then the real route."""
    api.emu.script("ListMessages", ScriptedResponse(503), ScriptedResponse(429))
    statuses = [(await api.list()).status for _ in range(3)]
    assert statuses == [503, 429, 200]
    assert api.emu.requests_seen["ListMessages"] == 3


async def test_scripts_only_affect_their_route(api: Api) -> None:
    """A script for one route leaves the other routes alone."""
    api.emu.script("GetMessage", ScriptedResponse(500))
    assert (await api.list()).status == 200
    assert api.emu.scripts_pending("GetMessage") == 1


async def test_scripted_json_body_and_headers_are_sent(api: Api) -> None:
    """A dict body is sent as JSON with the scripted status and headers."""
    api.emu.script(
        "SendMessage",
        ScriptedResponse(429, headers={"Retry-After": "2"}, body={"error": {"code": 429}}),
    )
    reply = await api.call("POST", ":send", json_body=send_body())
    assert (reply.status, reply.body) == (429, {"error": {"code": 429}})
    assert reply.headers["Retry-After"] == "2"
    assert reply.headers["Content-Type"].startswith("application/json")
    assert not api.emu.store.messages


async def test_scripted_text_body_is_sent_raw(api: Api) -> None:
    """A str body is sent as-is, not as JSON."""
    api.emu.script("ListMessages", ScriptedResponse(502, body="<html>bad gateway</html>"))
    reply = await api.list()
    assert (reply.status, reply.body) == (502, "<html>bad gateway</html>")
    assert reply.headers["Content-Type"].startswith("text/plain")


async def test_scripted_bytes_keep_the_scripted_content_type(api: Api) -> None:
    """A bytes body is sent with the Content-Type given in the script's headers."""
    api.emu.script(
        "ListMessages",
        ScriptedResponse(200, headers={"Content-Type": "text/html"}, body=b"<p>hi</p>"),
    )
    reply = await api.list()
    assert (reply.status, reply.body) == (200, "<p>hi</p>")
    assert reply.headers["Content-Type"] == "text/html"


async def test_scripted_none_body_is_empty(api: Api) -> None:
    """A script without a body answers an empty body."""
    api.emu.script("DeleteMessage", ScriptedResponse(204))
    reply = await api.call("DELETE", "/anything")
    assert (reply.status, reply.body) == (204, "")


async def test_scripts_apply_before_authentication(api: Api) -> None:
    """A scripted 401 'expired' is answered even though the token is valid."""
    api.emu.script("ListMessages", ScriptedResponse(401, headers=EXPIRED))
    reply = await api.list()
    assert reply.status == 401
    assert "expired" in reply.headers["WWW-Authenticate"]
    assert api.emu.expired_token_rejections == 0


async def test_token_route_can_be_scripted(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """The token endpoint is scriptable as ``Token`` and scripted calls are counted."""
    emu.script("Token", ScriptedResponse(500))
    headers = {"Authorization": basic(emu.client_id, emu.client_secret)}
    data = {"grant_type": "client_credentials"}
    first = await fetch(http, "POST", emu.auth_url, data=data, headers=headers)
    second = await fetch(http, "POST", emu.auth_url, data=data, headers=headers)
    assert (first.status, second.status) == (500, 200)
    assert emu.token_requests == 2


async def test_passthrough_waits_then_handles_normally(api: Api) -> None:
    """``passthrough=True`` delays the request, then processes it for real."""
    api.emu.script("SendMessage", ScriptedResponse(delay=0.2, passthrough=True))
    started = time.monotonic()
    message_id = await api.send()
    assert time.monotonic() - started >= 0.2
    assert message_id in api.emu.store.messages


async def test_clear_scripts_drops_pending_scripts(api: Api) -> None:
    """After ``clear_scripts`` no scripted response is left."""
    api.emu.script("ListMessages", ScriptedResponse(503))
    api.emu.clear_scripts()
    assert (await api.list()).status == 200


def test_unknown_route_name_is_refused() -> None:
    """Scripting a route name that does not exist raises instead of silently never firing."""
    with pytest.raises(ValueError, match="unknown route"):
        Emulator().script("SendMessages", ScriptedResponse(500))


@pytest.mark.parametrize("kwargs", [{"status": 42}, {"delay": -1.0}])
def test_invalid_scripted_response_is_refused(kwargs: dict[str, float]) -> None:
    """A status outside 100-599 or a negative delay is refused at construction."""
    with pytest.raises(ValueError):  # noqa: PT011 - attrs validators raise plain ValueError
        ScriptedResponse(**kwargs)  # type: ignore[arg-type]


async def test_latency_is_added_to_api_responses(api: Api) -> None:
    """With ``latency`` set, API responses take at least that long."""
    api.emu.latency = 0.2
    started = time.monotonic()
    assert (await api.list()).status == 200
    assert time.monotonic() - started >= 0.2


async def test_latency_is_not_added_to_the_token_endpoint(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """The token endpoint answers without the configured latency."""
    emu.latency = 1.0
    started = time.monotonic()
    await get_token(http, emu)
    assert time.monotonic() - started < 0.5


async def test_latency_from_the_constructor_is_used() -> None:
    """``Emulator(latency=...)`` sets the initial latency."""
    assert Emulator(latency=0.25).latency == 0.25


def test_negative_latency_is_refused() -> None:
    """A negative latency is a ValueError."""
    with pytest.raises(ValueError, match="latency"):
        Emulator().latency = -1


async def test_abandoned_slow_response_does_not_disturb_the_server(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A client timing out on a slow scripted response leaves no errors and the server fine."""
    caplog.set_level(logging.DEBUG)
    api.emu.script("ListMessages", ScriptedResponse(delay=5.0))
    with pytest.raises(asyncio.TimeoutError):
        await api.http.get(
            api.url(),
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    assert (await api.list()).status == 200
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_stop_does_not_wait_for_an_abandoned_delay(http: aiohttp.ClientSession) -> None:
    """Stopping right after a client gave up on a long delay is quick."""
    emu = Emulator()
    await emu.start()
    emu.script("Token", ScriptedResponse(delay=30.0))
    with pytest.raises(asyncio.TimeoutError):
        await http.post(emu.auth_url, timeout=aiohttp.ClientTimeout(total=0.1))
    started = time.monotonic()
    await emu.stop()
    assert time.monotonic() - started < 2.0


async def test_reset_forgets_state_but_keeps_tokens(api: Api) -> None:
    """``reset`` clears messages, counters and scripts; the client's token still works."""
    await api.send()
    api.emu.script("GetMessage", ScriptedResponse(500))
    api.emu.reset()
    assert not api.emu.store.messages
    assert api.emu.scripts_pending("GetMessage") == 0
    assert (await api.list()).body["messages"] == []
    assert dict(api.emu.requests_seen) == {"ListMessages": 1}
