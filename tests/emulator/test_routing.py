"""Route resolution, error envelopes for unknown routes, and per-route counters."""

from __future__ import annotations

import re

import pytest
import yarl

from conversation_async.testing import ROUTE_NAMES, Emulator, ScriptedResponse

from .conftest import Api, fetch, send_body


async def test_unknown_route_is_a_not_found_envelope(api: Api) -> None:
    """An unknown path answers 404 in Sinch's error envelope."""
    reply = await fetch(api.http, "GET", f"{api.emu.base_url}/v1/projects/p/nothing-here")
    assert reply.status == 404
    assert reply.body == {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}


async def test_wrong_method_is_a_method_not_allowed_envelope(api: Api) -> None:
    """A known path with the wrong method answers 405 in the envelope, with Allow."""
    reply = await api.call("PUT")
    assert reply.status == 405
    assert reply.body["error"]["code"] == 405
    assert reply.headers["Allow"] == "GET"


async def test_send_path_does_not_collide_with_message_id_path(api: Api) -> None:
    """``messages:send`` is its own route, not ``messages/{message_id}``."""
    reply = await api.call("GET", ":send")
    assert reply.status == 405
    assert reply.headers["Allow"] == "POST"
    assert api.emu.requests_seen["GetMessage"] == 0


async def test_percent_encoded_colon_routes_to_send(api: Api) -> None:
    """``messages%3Asend`` reaches SendMessage like ``messages:send``."""
    url = yarl.URL(api.url("%3Asend"), encoded=True)
    headers = {"Authorization": f"Bearer {api.token}"}
    async with api.http.post(url, json=send_body(), headers=headers) as response:
        assert response.status == 200
    assert api.emu.requests_seen["SendMessage"] == 1


async def test_requests_seen_counts_per_route(api: Api) -> None:
    """Every request that reaches a route is counted under its operationId."""
    message_id = await api.send()
    await api.call("GET", f"/{message_id}")
    await api.call("GET", f"/{message_id}")
    await api.call("PATCH", f"/{message_id}", json_body={"metadata": "m"})
    await api.call("DELETE", f"/{message_id}")
    await api.list()
    await api.fetch_last({"channel_identities": ["+46700000001"]})
    assert dict(api.emu.requests_seen) == {
        "Token": 1,
        "SendMessage": 1,
        "GetMessage": 2,
        "UpdateMessageMetadata": 1,
        "DeleteMessage": 1,
        "ListMessages": 1,
        "ListMessagesByChannelIdentity": 1,
    }


async def test_rejected_requests_are_counted(api: Api) -> None:
    """Requests refused by auth or validation still count as having reached the route."""
    api.token = "bogus"
    await api.list()
    assert api.emu.requests_seen["ListMessages"] == 1


def concrete_routes(emu: Emulator) -> list[tuple[str, str, str]]:
    """``(route name, method, concrete URL path)`` of every API route of ``emu``."""
    found = []
    for route in emu.app.router.routes():
        name = route.handler.__name__
        canonical = route.resource.canonical if route.resource else ""
        if name == "Token" or canonical.startswith("/_emulator/"):
            continue  # the token endpoint, and the emulator's own (non-API) stats route
        path = re.sub(
            r"\{(\w+)\}",
            lambda m: emu.project_id if m.group(1) == "project_id" else f"some-{m.group(1)}",
            route.resource.canonical if route.resource else "",
        )
        found.append((name, route.method, path))
    return found


async def test_every_route_name_is_served_once(emu: Emulator) -> None:
    """The app registers exactly one route per name in ROUTE_NAMES (besides Token)."""
    names = [name for name, _, _ in concrete_routes(emu)]
    assert sorted(names) == sorted(ROUTE_NAMES - {"Token"})


async def test_every_route_is_reached_under_its_own_name(api: Api) -> None:
    """A request to each route's URL reaches that route (no collisions), even when scripted."""
    for name, method, path in concrete_routes(api.emu):
        api.emu.script(name, ScriptedResponse(418))
        reply = await fetch(api.http, method, api.emu.base_url + path)
        assert reply.status == 418, (name, method, path)
        assert api.emu.requests_seen[name] == 1, name


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("contacts/c-1:merge", "POST"),
        ("contacts:getChannelProfile", "POST"),
        ("conversations/c-1:stop", "POST"),
        ("conversations/c-1:inject-message", "POST"),
        ("conversations/c-1:inject-event", "POST"),
        ("messages:transcode", "POST"),
        ("capability:query", "POST"),
        ("optins:register", "POST"),
        ("events:send", "POST"),
    ],
)
async def test_colon_routes_do_not_fall_into_id_routes(api: Api, path: str, allow: str) -> None:
    """A wrong method on a ``:verb`` path is a 405 for that path, not an ID lookup."""
    reply = await api.v1("PUT", path)
    assert reply.status == 405
    assert reply.headers["Allow"] == allow
    assert sum(api.emu.requests_seen.values()) == 1  # the token request only


async def test_recent_is_not_a_conversation_id(api: Api) -> None:
    """``conversations:recent`` reaches ListRecentConversations, not GetConversation."""
    await api.v1("GET", "conversations:recent", params={"app_id": "a"})
    assert api.emu.requests_seen["ListRecentConversations"] == 1
    assert api.emu.requests_seen["GetConversation"] == 0


async def test_identity_conflicts_is_not_a_contact_id(api: Api) -> None:
    """``contacts:identityConflicts`` reaches ListIdentityConflicts, not GetContact."""
    await api.v1("GET", "contacts:identityConflicts")
    assert api.emu.requests_seen["ListIdentityConflicts"] == 1
    assert api.emu.requests_seen["GetContact"] == 0


async def test_v1_and_v2_template_routes_are_distinct(api: Api) -> None:
    """``/v1/.../templates`` is ListTemplates and ``/v2/.../templates`` is V2ListTemplates."""
    await api.v1("GET", "templates")
    await api.v2("GET", "templates")
    assert api.emu.requests_seen["ListTemplates"] == 1
    assert api.emu.requests_seen["V2ListTemplates"] == 1


async def test_new_routes_check_the_project(api: Api) -> None:
    """Routes of every area answer 404 for another project ID."""
    url = f"{api.emu.base_url}/v1/projects/other-project/apps"
    reply = await fetch(api.http, "GET", url, headers={"Authorization": f"Bearer {api.token}"})
    assert reply.status == 404
    assert api.emu.requests_seen["ListApps"] == 1


async def test_new_routes_require_credentials(api: Api) -> None:
    """Routes of every area answer 401 without credentials."""
    reply = await fetch(api.http, "GET", f"{api.emu.base_url}/v2/projects/p/templates")
    assert reply.status == 401
