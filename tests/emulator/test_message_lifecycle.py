"""GetMessage, UpdateMessageMetadata and DeleteMessage."""

from __future__ import annotations

from .conftest import Api


async def test_get_returns_the_stored_message(api: Api) -> None:
    """GET by ID answers the stored ConversationMessage."""
    message_id = await api.send()
    reply = await api.call("GET", f"/{message_id}")
    assert reply.status == 200
    assert reply.body == api.emu.store.messages[message_id].message


async def test_get_unknown_message_is_not_found(api: Api) -> None:
    """GET of an unknown ID answers a 404 NOT_FOUND envelope."""
    reply = await api.call("GET", "/01NOSUCHMESSAGE")
    assert reply.status == 404
    assert reply.body["error"]["status"] == "NOT_FOUND"


async def test_get_rejects_unknown_messages_source(api: Api) -> None:
    """``messages_source`` must be CONVERSATION_SOURCE or DISPATCH_SOURCE."""
    message_id = await api.send()
    reply = await api.call("GET", f"/{message_id}", params={"messages_source": "ELSEWHERE"})
    assert reply.status == 400
    assert reply.violations() == ["messages_source"]


async def test_update_replaces_metadata_and_returns_the_message(api: Api) -> None:
    """PATCH with ``metadata`` answers the updated message, and GET sees the change."""
    message_id = await api.send(message_metadata="old")
    reply = await api.call("PATCH", f"/{message_id}", json_body={"metadata": "new"})
    assert reply.status == 200
    assert reply.body["id"] == message_id
    assert reply.body["metadata"] == "new"
    assert (await api.call("GET", f"/{message_id}")).body["metadata"] == "new"


async def test_update_without_metadata_is_rejected(api: Api) -> None:
    """PATCH without a string ``metadata`` answers 400 naming ``metadata``."""
    message_id = await api.send()
    reply = await api.call("PATCH", f"/{message_id}", json_body={"meta": "x"})
    assert reply.status == 400
    assert reply.violations() == ["metadata"]


async def test_update_unknown_message_is_not_found(api: Api) -> None:
    """PATCH of an unknown ID answers 404."""
    reply = await api.call("PATCH", "/01NOSUCHMESSAGE", json_body={"metadata": "x"})
    assert reply.status == 404


async def test_delete_answers_empty_object_then_get_is_not_found(api: Api) -> None:
    """DELETE answers ``{}`` and the message is gone afterwards."""
    message_id = await api.send()
    reply = await api.call("DELETE", f"/{message_id}")
    assert (reply.status, reply.body) == (200, {})
    assert (await api.call("GET", f"/{message_id}")).status == 404
    assert message_id not in api.emu.store.messages


async def test_delete_unknown_message_is_not_found(api: Api) -> None:
    """DELETE of an unknown ID answers 404."""
    assert (await api.call("DELETE", "/01NOSUCHMESSAGE")).status == 404
