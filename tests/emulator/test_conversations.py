"""Conversations: CRUD, one active per (app, contact), stop, metadata merge, listings."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, bad_fields, create_contact, is_not_found


async def create_conversation(api: Api, contact_id: str, **extra: Any) -> dict[str, Any]:
    """Create a conversation of app-1 with ``contact_id``; returns it."""
    body = {"app_id": "app-1", "contact_id": contact_id, **extra}
    return dict(await api.ok("POST", "conversations", json_body=body))


async def test_conversation_lifecycle(api: Api) -> None:
    """Create, get, list over pages, update via update_mask, delete, then get is 404."""
    contacts = [await create_contact(api, f"+{i}") for i in range(3)]
    created = [await create_conversation(api, c) for c in contacts]
    first = created[0]["id"]
    assert await api.ok("GET", f"conversations/{first}") == created[0]
    pages = await api.pages("conversations", "conversations", app_id="app-1", page_size="2")
    assert [[c["id"] for c in page] for page in pages] == [
        [created[0]["id"], created[1]["id"]],
        [created[2]["id"]],
    ]
    updated = await api.ok(
        "PATCH",
        f"conversations/{first}",
        json_body={"metadata_json": {"k": "v"}, "correlation_id": "ignored"},
        params={"update_mask": "metadata_json"},
    )
    assert (updated["metadata_json"], updated["correlation_id"]) == ({"k": "v"}, "")
    assert await api.ok("DELETE", f"conversations/{first}") == {}
    assert is_not_found(await api.v1("GET", f"conversations/{first}"))


async def test_create_answers_the_conversation(api: Api) -> None:
    """A created conversation echoes the request with an ID and last_received."""
    contact_id = await create_contact(api)
    conversation = await create_conversation(
        api, contact_id, active=True, active_channel="SMS", metadata_json={"a": 1}
    )
    assert conversation == {
        "id": conversation["id"],
        "app_id": "app-1",
        "contact_id": contact_id,
        "active": True,
        "active_channel": "SMS",
        "metadata": "",
        "metadata_json": {"a": 1},
        "correlation_id": "",
        "last_received": "1970-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [({"contact_id": "c"}, "app_id"), ({"app_id": "a"}, "contact_id")],
)
async def test_create_requires_app_and_contact(api: Api, body: dict[str, str], field: str) -> None:
    """app_id and contact_id are mandatory."""
    assert field in bad_fields(await api.v1("POST", "conversations", json_body=body))


async def test_create_with_unknown_contact_is_rejected(api: Api) -> None:
    """A contact_id that does not exist is a 400 naming contact_id."""
    reply = await api.v1(
        "POST", "conversations", json_body={"app_id": "a", "contact_id": "01NOSUCHCONTACT"}
    )
    assert bad_fields(reply) == ["contact_id"]


async def test_second_active_conversation_is_rejected(api: Api) -> None:
    """Only one active conversation per (app, contact): a second one is a 400 naming active."""
    contact_id = await create_contact(api)
    await create_conversation(api, contact_id, active=True)
    reply = await api.v1(
        "POST",
        "conversations",
        json_body={"app_id": "app-1", "contact_id": contact_id, "active": True},
    )
    assert bad_fields(reply) == ["active"]


async def test_inactive_conversations_may_coexist(api: Api) -> None:
    """Inactive conversations of one (app, contact) do not conflict."""
    contact_id = await create_contact(api)
    await create_conversation(api, contact_id, active=True)
    await create_conversation(api, contact_id)
    assert len(api.emu.store.conversations) == 2


async def test_activating_a_second_conversation_is_rejected(api: Api) -> None:
    """Updating an inactive conversation to active while another is active is a 400."""
    contact_id = await create_contact(api)
    await create_conversation(api, contact_id, active=True)
    other = await create_conversation(api, contact_id)
    reply = await api.v1("PATCH", f"conversations/{other['id']}", json_body={"active": True})
    assert bad_fields(reply) == ["active"]


async def test_send_uses_the_created_active_conversation(api: Api) -> None:
    """messages:send to the contact lands in the active conversation created for it."""
    contact_id = await create_contact(api, "+1")
    conversation = await create_conversation(api, contact_id, active=True)
    message_id = await api.send("+1")
    assert api.emu.store.messages[message_id].message["conversation_id"] == conversation["id"]


async def test_stop_deactivates_and_the_next_send_starts_a_new_one(api: Api) -> None:
    """After :stop the conversation is inactive and a send opens a new conversation."""
    message_id = await api.send()
    conversation_id = api.emu.store.messages[message_id].message["conversation_id"]
    assert await api.ok("POST", f"conversations/{conversation_id}:stop") == {}
    assert (await api.ok("GET", f"conversations/{conversation_id}"))["active"] is False
    later = api.emu.store.messages[await api.send()].message["conversation_id"]
    assert later != conversation_id


async def test_stop_of_unknown_conversation_is_not_found(api: Api) -> None:
    """Stopping an unknown conversation answers 404."""
    assert is_not_found(await api.v1("POST", "conversations/01NOSUCHCONV:stop"))


async def test_delete_removes_the_conversations_messages(api: Api) -> None:
    """Deleting a conversation deletes its messages too."""
    message_id = await api.send()
    conversation_id = api.emu.store.messages[message_id].message["conversation_id"]
    await api.ok("DELETE", f"conversations/{conversation_id}")
    assert is_not_found(await api.call("GET", f"/{message_id}"))


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_conversation_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown conversation ID answer 404."""
    assert is_not_found(await api.v1(method, "conversations/01NOSUCHCONV", json_body={}))


async def test_update_replaces_metadata_json_by_default(api: Api) -> None:
    """The default REPLACE strategy swaps metadata_json wholesale."""
    contact_id = await create_contact(api)
    conversation = await create_conversation(api, contact_id, metadata_json={"a": 1, "b": 2})
    updated = await api.ok(
        "PATCH", f"conversations/{conversation['id']}", json_body={"metadata_json": {"c": 3}}
    )
    assert updated["metadata_json"] == {"c": 3}


async def test_merge_patch_merges_metadata_json(api: Api) -> None:
    """MERGE_PATCH applies RFC 7386: nested merge, null deletes a member."""
    contact_id = await create_contact(api)
    conversation = await create_conversation(
        api, contact_id, metadata_json={"a": 1, "b": {"x": 1, "y": 2}, "c": 3}
    )
    updated = await api.ok(
        "PATCH",
        f"conversations/{conversation['id']}",
        json_body={"metadata_json": {"b": {"y": None, "z": 3}, "c": None, "d": 4}},
        params={"metadata_update_strategy": "MERGE_PATCH", "update_mask": "metadata_json"},
    )
    assert updated["metadata_json"] == {"a": 1, "b": {"x": 1, "z": 3}, "d": 4}


async def test_unknown_metadata_update_strategy_is_rejected(api: Api) -> None:
    """metadata_update_strategy must be REPLACE or MERGE_PATCH."""
    contact_id = await create_contact(api)
    conversation = await create_conversation(api, contact_id)
    reply = await api.v1(
        "PATCH",
        f"conversations/{conversation['id']}",
        json_body={},
        params={"metadata_update_strategy": "APPEND"},
    )
    assert bad_fields(reply) == ["metadata_update_strategy"]


async def test_unknown_update_mask_path_is_rejected(api: Api) -> None:
    """app_id is not a writable conversation field: masking it is a 400."""
    contact_id = await create_contact(api)
    conversation = await create_conversation(api, contact_id)
    reply = await api.v1(
        "PATCH",
        f"conversations/{conversation['id']}",
        json_body={"app_id": "x"},
        params={"update_mask": "app_id"},
    )
    assert bad_fields(reply) == ["update_mask"]


async def test_list_needs_app_or_contact(api: Api) -> None:
    """ListConversations without app_id and contact_id is a 400 naming both."""
    assert bad_fields(await api.v1("GET", "conversations")) == ["app_id", "contact_id"]


async def test_list_reports_total_size(api: Api) -> None:
    """total_size counts every match, not just the page."""
    for i in range(3):
        await api.send(f"+{i}")
    body = await api.ok("GET", "conversations", params={"app_id": "app-1", "page_size": "1"})
    assert (len(body["conversations"]), body["total_size"]) == (1, 3)


async def test_list_filters_by_contact_active_and_channel(api: Api) -> None:
    """contact_id, only_active and active_channel narrow the listing."""
    contact_id = await create_contact(api)
    active = await create_conversation(api, contact_id, active=True, active_channel="SMS")
    await create_conversation(api, contact_id, active_channel="WHATSAPP")
    by_contact = await api.ok("GET", "conversations", params={"contact_id": contact_id})
    only_active = await api.ok(
        "GET", "conversations", params={"contact_id": contact_id, "only_active": "true"}
    )
    by_channel = await api.ok(
        "GET", "conversations", params={"contact_id": contact_id, "active_channel": "SMS"}
    )
    assert len(by_contact["conversations"]) == 2
    assert [c["id"] for c in only_active["conversations"]] == [active["id"]]
    assert [c["id"] for c in by_channel["conversations"]] == [active["id"]]


@pytest.mark.parametrize("page_size", ["0", "21"])
async def test_list_page_size_is_at_most_20(api: Api, page_size: str) -> None:
    """Page sizes outside 1..20 answer 400 naming page_size."""
    reply = await api.v1("GET", "conversations", params={"app_id": "a", "page_size": page_size})
    assert bad_fields(reply) == ["page_size"]


async def test_tampered_list_token_is_rejected(api: Api) -> None:
    """A page token with a changed character answers 400 naming page_token."""
    for i in range(2):
        await api.send(f"+{i}")
    token = (await api.ok("GET", "conversations", params={"app_id": "app-1", "page_size": "1"}))[
        "next_page_token"
    ]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    reply = await api.v1(
        "GET", "conversations", params={"app_id": "app-1", "page_size": "1", "page_token": tampered}
    )
    assert bad_fields(reply) == ["page_token"]
