"""``messages_source``: DISPATCH messages and CONVERSATION messages are kept apart."""

from __future__ import annotations

import pytest

from .conftest import Api, create_app

DISPATCH = {"messages_source": "DISPATCH_SOURCE"}
CONVERSATION = {"messages_source": "CONVERSATION_SOURCE"}


def ids(reply_body: dict[str, list[dict[str, str]]]) -> list[str]:
    return [m["id"] for m in reply_body["messages"]]


async def test_dispatch_only_sends_are_listed_only_from_dispatch_source(api: Api) -> None:
    """A DISPATCH_ONLY send is listed from DISPATCH_SOURCE; a plain send from the default."""
    plain = await api.send()
    dispatched = await api.send(processing_strategy="DISPATCH_ONLY")
    assert ids((await api.list()).body) == [plain]
    assert ids((await api.list(**CONVERSATION)).body) == [plain]
    assert ids((await api.list(**DISPATCH)).body) == [dispatched]


@pytest.mark.parametrize(
    ("app_fields", "source"),
    [({}, "DISPATCH_SOURCE"), ({"processing_mode": "CONVERSATION"}, "CONVERSATION_SOURCE")],
    ids=["default-dispatch-app", "conversation-app"],
)
async def test_sends_follow_the_processing_mode_of_their_app(
    api: Api, app_fields: dict[str, str], source: str
) -> None:
    """An app's processing_mode (DISPATCH unless set) decides the source of its sends."""
    app_id = await create_app(api, **app_fields)
    message_id = await api.send(app_id=app_id)
    other = "CONVERSATION_SOURCE" if source == "DISPATCH_SOURCE" else "DISPATCH_SOURCE"
    assert ids((await api.list(app_id=app_id, messages_source=source)).body) == [message_id]
    assert ids((await api.list(app_id=app_id, messages_source=other)).body) == []


async def test_dispatch_only_overrides_a_conversation_app(api: Api) -> None:
    """processing_strategy DISPATCH_ONLY puts a CONVERSATION app's send in DISPATCH_SOURCE."""
    app_id = await create_app(api, processing_mode="CONVERSATION")
    message_id = await api.send(app_id=app_id, processing_strategy="DISPATCH_ONLY")
    assert api.emu.store.messages[message_id].message["processing_mode"] == "DISPATCH"
    assert ids((await api.list(app_id=app_id, **DISPATCH)).body) == [message_id]


async def test_only_recipient_originated_lists_a_dispatch_apps_inbound_messages(
    api: Api,
) -> None:
    """With DISPATCH_SOURCE, only_recipient_originated keeps what contacts wrote to the app."""
    app_id = await create_app(api)
    await api.send(app_id=app_id)
    inbound = api.emu.inbound_message(app_id, ("SMS", "+46700000001"), text="stop")
    reply = await api.list(app_id=app_id, only_recipient_originated="true", **DISPATCH)
    assert ids(reply.body) == [inbound["id"]]


async def test_fetch_last_answers_the_latest_message_of_the_source_asked_for(api: Api) -> None:
    """The last message per identity is picked within the requested source only."""
    plain = await api.send("+111")
    dispatched = await api.send("+111", processing_strategy="DISPATCH_ONLY")
    wanted = {"channel_identities": ["+111"]}
    assert ids((await api.fetch_last(wanted)).body) == [plain]
    assert ids((await api.fetch_last({**wanted, **DISPATCH})).body) == [dispatched]


async def test_one_message_is_found_only_in_its_own_source(api: Api) -> None:
    """GET, PATCH and DELETE of a DISPATCH message answer 404 unless DISPATCH_SOURCE is given,
    and a CONVERSATION message is not found from DISPATCH_SOURCE."""
    dispatched = await api.send(processing_strategy="DISPATCH_ONLY")
    plain = await api.send()
    path = f"/{dispatched}"
    patch = {"metadata": "x"}
    assert (await api.call("GET", path)).status == 404
    assert (await api.call("GET", path, params=CONVERSATION)).status == 404
    assert (await api.call("PATCH", path, json_body=patch)).status == 404
    assert (await api.call("DELETE", path)).status == 404
    assert (await api.call("GET", f"/{plain}", params=DISPATCH)).status == 404
    assert (await api.call("GET", path, params=DISPATCH)).body["id"] == dispatched
    updated = await api.call("PATCH", path, json_body=patch, params=DISPATCH)
    assert updated.body["metadata"] == "x"
    assert (await api.call("DELETE", path, params=DISPATCH)).status == 200
    assert dispatched not in api.emu.store.messages
