"""ListMessagesByChannelIdentity (``messages:fetch-last-message``) with body tokens."""

from __future__ import annotations

from typing import Any

from .conftest import Api


async def test_answers_the_latest_message_per_identity(api: Api) -> None:
    """Only the newest message of each requested identity is returned, newest first."""
    await api.send("+111")
    latest_a = await api.send("+111")
    latest_b = await api.send("+222")
    await api.send("+333")
    reply = await api.fetch_last({"channel_identities": ["+111", "+222"]})
    assert reply.status == 200
    assert [m["id"] for m in reply.body["messages"]] == [latest_b, latest_a]
    assert reply.body["next_page_token"] == ""


async def test_answers_the_latest_message_per_contact(api: Api) -> None:
    """With ``contact_ids`` the newest message of each contact is returned."""
    await api.send("+111")
    latest = await api.send("+111")
    contact_id = api.emu.store.messages[latest].message["contact_id"]
    reply = await api.fetch_last({"contact_ids": [contact_id]})
    assert [m["id"] for m in reply.body["messages"]] == [latest]


async def test_pages_with_the_token_in_the_body(api: Api) -> None:
    """Copying the body with ``page_token`` set walks every page once."""
    identities = [f"+10{i}" for i in range(5)]
    sent = [await api.send(identity) for identity in identities]
    body: dict[str, Any] = {"channel_identities": identities, "page_size": 2}
    seen: list[str] = []
    pages = 0
    while True:
        reply = await api.fetch_last(body)
        assert reply.status == 200, reply.body
        seen.extend(m["id"] for m in reply.body["messages"])
        pages += 1
        if not reply.body["next_page_token"]:
            break
        body = {**body, "page_token": reply.body["next_page_token"]}
    assert pages == 3
    assert seen == list(reversed(sent))


async def test_filters_apply_before_picking_the_latest(api: Api) -> None:
    """With ``app_id`` the latest message of that app is returned, not the latest overall."""
    mine = await api.send("+111")
    await api.send("+111", app_id="other-app")
    reply = await api.fetch_last({"channel_identities": ["+111"], "app_id": "app-1"})
    assert [m["id"] for m in reply.body["messages"]] == [mine]


async def test_both_identities_and_contacts_are_rejected(api: Api) -> None:
    """Giving both ``channel_identities`` and ``contact_ids`` answers 400."""
    reply = await api.fetch_last({"channel_identities": ["+1"], "contact_ids": ["c"]})
    assert reply.status == 400
    assert {"channel_identities", "contact_ids"} <= set(reply.violations())


async def test_neither_identities_nor_contacts_is_rejected(api: Api) -> None:
    """Giving neither ``channel_identities`` nor ``contact_ids`` answers 400."""
    reply = await api.fetch_last({"app_id": "app-1"})
    assert reply.status == 400
    assert "channel_identities" in reply.violations()


async def test_contacts_with_dispatch_source_are_rejected(api: Api) -> None:
    """``contact_ids`` cannot be combined with DISPATCH_SOURCE."""
    reply = await api.fetch_last({"contact_ids": ["c"], "messages_source": "DISPATCH_SOURCE"})
    assert reply.status == 400
    assert reply.violations() == ["contact_ids"]


async def test_identities_with_dispatch_source_are_accepted(api: Api) -> None:
    """``channel_identities`` with DISPATCH_SOURCE is a valid request."""
    reply = await api.fetch_last(
        {"channel_identities": ["+1"], "messages_source": "DISPATCH_SOURCE"}
    )
    assert reply.status == 200


async def test_page_size_over_maximum_is_rejected(api: Api) -> None:
    """A body ``page_size`` over 1000 answers 400 naming page_size."""
    reply = await api.fetch_last({"channel_identities": ["+1"], "page_size": 1001})
    assert reply.status == 400
    assert reply.violations() == ["page_size"]


async def test_tampered_body_token_is_rejected(api: Api) -> None:
    """A body page_token that was not issued answers 400 naming page_token."""
    reply = await api.fetch_last({"channel_identities": ["+1"], "page_token": "AAAA"})
    assert reply.status == 400
    assert reply.violations() == ["page_token"]


async def test_list_token_is_not_valid_here(api: Api) -> None:
    """A ListMessages page token cannot be replayed on fetch-last-message."""
    await api.send("+1")
    await api.send("+1")
    token = (await api.list(page_size="1")).body["next_page_token"]
    reply = await api.fetch_last({"channel_identities": ["+1"], "page_token": token})
    assert reply.status == 400


async def test_shared_fixture_request_is_understood(api: Api) -> None:
    """The shared request fixture (minus its placeholder token) is a valid request."""
    from tests.conftest import load_shared_json

    body = load_shared_json(
        "conversation/v1/messages/request/ListLastMessagesByChannelIdentityRequestDto.json"
    )
    body.pop("page_token")
    reply = await api.fetch_last(body)
    assert (reply.status, reply.body) == (200, {"messages": [], "next_page_token": ""})
