"""Route resolution, error envelopes for unknown routes, and per-route counters."""

from __future__ import annotations

import yarl

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
