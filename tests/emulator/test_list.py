"""ListMessages: filters, newest-first order and query-token pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import Api


async def send_many(api: Api, count: int, identity: str = "+46700000001") -> list[str]:
    return [await api.send(identity) for _ in range(count)]


async def collect_pages(api: Api, **params: str) -> list[list[str]]:
    """Every page of a listing, as lists of IDs, following next_page_token."""
    pages: list[list[str]] = []
    token = ""
    while True:
        query = {**params, "page_token": token} if token else params
        reply = await api.list(**query)
        assert reply.status == 200, reply.body
        pages.append([m["id"] for m in reply.body["messages"]])
        token = reply.body["next_page_token"]
        if not token:
            return pages


async def test_empty_store_lists_nothing(api: Api) -> None:
    """With no messages the list is empty and the token is the empty string."""
    reply = await api.list()
    assert reply.body == {"messages": [], "next_page_token": ""}


async def test_pages_cover_every_message_once_newest_first(api: Api) -> None:
    """Paging through 7 messages by 3 gives 3+3+1, newest first, none twice."""
    sent = await send_many(api, 7)
    pages = await collect_pages(api, page_size="3")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [m for page in pages for m in page] == list(reversed(sent))


async def test_full_last_page_has_empty_token(api: Api) -> None:
    """When the messages fill the last page exactly, its next_page_token is empty."""
    await send_many(api, 4)
    pages = await collect_pages(api, page_size="2")
    assert [len(page) for page in pages] == [2, 2]


async def test_default_page_size_is_ten(api: Api) -> None:
    """Without page_size a page holds 10 messages."""
    await send_many(api, 11)
    reply = await api.list()
    assert len(reply.body["messages"]) == 10
    assert reply.body["next_page_token"]


async def test_page_size_of_one_thousand_is_accepted(api: Api) -> None:
    """The maximum page size, 1000, is allowed."""
    assert (await api.list(page_size="1000")).status == 200


@pytest.mark.parametrize("page_size", ["0", "-1", "1001", "ten", "1.5"])
async def test_page_size_out_of_bounds_is_rejected(api: Api, page_size: str) -> None:
    """Zero, negative, over 1000 or non-integer page sizes answer 400 naming page_size."""
    reply = await api.list(page_size=page_size)
    assert reply.status == 400
    assert reply.violations() == ["page_size"]


async def test_messages_sent_while_paging_do_not_shift_pages(api: Api) -> None:
    """A send between two page fetches neither repeats nor skips older messages."""
    sent = await send_many(api, 4)
    first = await api.list(page_size="2")
    await api.send()
    second = await api.list(page_size="2", page_token=first.body["next_page_token"])
    assert [m["id"] for m in second.body["messages"]] == [sent[1], sent[0]]


async def test_tampered_page_token_is_rejected(api: Api) -> None:
    """A page token with a changed character answers 400 naming page_token."""
    await send_many(api, 3)
    token = (await api.list(page_size="1")).body["next_page_token"]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    reply = await api.list(page_size="1", page_token=tampered)
    assert reply.status == 400
    assert reply.violations() == ["page_token"]


async def test_garbage_page_token_is_rejected(api: Api) -> None:
    """A page token the emulator never issued answers 400."""
    assert (await api.list(page_token="not-a-token!")).status == 400


async def test_page_token_with_changed_filters_is_rejected(api: Api) -> None:
    """A page token is only valid with the filters it was issued for."""
    await send_many(api, 3)
    token = (await api.list(page_size="1", app_id="app-1")).body["next_page_token"]
    reply = await api.list(page_size="1", app_id="app-2", page_token=token)
    assert reply.status == 400


async def test_page_size_may_change_while_paging(api: Api) -> None:
    """The page size is not part of the filters a token is bound to."""
    sent = await send_many(api, 3)
    token = (await api.list(page_size="1")).body["next_page_token"]
    reply = await api.list(page_size="5", page_token=token)
    assert [m["id"] for m in reply.body["messages"]] == [sent[1], sent[0]]


async def test_filter_by_app_id(api: Api) -> None:
    """``app_id`` keeps only that app's messages."""
    await api.send(app_id="other-app")
    mine = await api.send()
    reply = await api.list(app_id="app-1")
    assert [m["id"] for m in reply.body["messages"]] == [mine]


async def test_filter_by_channel_identity(api: Api) -> None:
    """``channel_identity`` keeps messages to that identity."""
    wanted = await api.send("+111")
    await api.send("+222")
    reply = await api.list(channel_identity="+111")
    assert [m["id"] for m in reply.body["messages"]] == [wanted]


async def test_filter_by_contact_and_conversation(api: Api) -> None:
    """``contact_id`` and ``conversation_id`` keep that contact's conversation."""
    wanted = await api.send("+111")
    await api.send("+222")
    stored = api.emu.store.messages[wanted].message
    by_contact = await api.list(contact_id=stored["contact_id"])
    by_conversation = await api.list(conversation_id=stored["conversation_id"])
    assert [m["id"] for m in by_contact.body["messages"]] == [wanted]
    assert [m["id"] for m in by_conversation.body["messages"]] == [wanted]


async def test_filter_by_channel(api: Api) -> None:
    """``channel`` matches the channel of the message's identity."""
    await api.send()
    assert len((await api.list(channel="SMS")).body["messages"]) == 1
    assert (await api.list(channel="WHATSAPP")).body["messages"] == []


async def test_filter_by_direction(api: Api) -> None:
    """``direction`` keeps messages going that way; sends are TO_CONTACT."""
    await api.send()
    assert len((await api.list(direction="TO_CONTACT")).body["messages"]) == 1
    assert (await api.list(direction="TO_APP")).body["messages"] == []


async def test_only_recipient_originated_excludes_sent_messages(api: Api) -> None:
    """``only_recipient_originated=true`` keeps only TO_APP messages."""
    await api.send()
    assert (await api.list(only_recipient_originated="true")).body["messages"] == []
    assert len((await api.list(only_recipient_originated="false")).body["messages"]) == 1


async def test_filter_by_time_window(api: Api) -> None:
    """``start_time`` (inclusive) and ``end_time`` (exclusive) filter on accept_time."""
    first, second = await send_many(api, 2)
    accepted = api.emu.store.messages[second].message["accept_time"]
    since = await api.list(start_time=accepted)
    before = await api.list(end_time=accepted)
    assert [m["id"] for m in since.body["messages"]] == [second]
    assert [m["id"] for m in before.body["messages"]] == [first]


async def test_time_window_in_the_future_is_empty(api: Api) -> None:
    """A window that starts tomorrow lists nothing."""
    await api.send()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await api.list(start_time=tomorrow)).body["messages"] == []


@pytest.mark.parametrize("value", ["yesterday", "2026-01-01", "2026-01-01T00:00:00"])
async def test_bad_start_time_is_rejected(api: Api, value: str) -> None:
    """A start_time that is not RFC 3339 with a zone answers 400 naming start_time."""
    reply = await api.list(start_time=value)
    assert reply.status == 400
    assert reply.violations() == ["start_time"]


async def test_without_metadata_view_blanks_metadata(api: Api) -> None:
    """``view=WITHOUT_METADATA`` answers messages with empty metadata."""
    message_id = await api.send(message_metadata="secret-ish")
    reply = await api.list(view="WITHOUT_METADATA")
    assert reply.body["messages"][0]["metadata"] == ""
    assert api.emu.store.messages[message_id].message["metadata"] == "secret-ish"


@pytest.mark.parametrize(
    ("name", "value"),
    [("messages_source", "SOMEWHERE"), ("view", "ALL"), ("direction", "UP")],
)
async def test_unknown_enum_filter_is_rejected(api: Api, name: str, value: str) -> None:
    """Enum-valued parameters with unknown values answer 400 naming the parameter."""
    reply = await api.list(**{name: value})
    assert reply.status == 400
    assert reply.violations() == [name]


async def test_dispatch_source_is_accepted(api: Api) -> None:
    """``messages_source=DISPATCH_SOURCE`` is a valid listing."""
    assert (await api.list(messages_source="DISPATCH_SOURCE")).status == 200


async def test_conversation_filter_with_dispatch_source_is_rejected(api: Api) -> None:
    """``conversation_id`` is only allowed with CONVERSATION_SOURCE."""
    reply = await api.list(messages_source="DISPATCH_SOURCE", conversation_id="c")
    assert reply.status == 400
    assert reply.violations() == ["conversation_id"]
