"""client.messages against the emulator: every endpoint, its arguments and its checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async._resources._messages import format_ttl
from conversation_async.models import (
    AppMessage,
    ContactRecipient,
    ConversationDirection,
    IdentifiedRecipient,
    MessageSource,
    SendMessageRequest,
    TextMessage,
)
from conversation_async.testing import Emulator

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


def sent_body(emulator: Emulator, message_id: str) -> dict[str, Any]:
    """The JSON the emulator received for a send."""
    return emulator.store.messages[message_id].request


async def send_text(client: ConversationClient, text: str = "hi", **kwargs: Any) -> str:
    kwargs.setdefault("app_id", "app")
    kwargs.setdefault("recipient", RECIPIENT)
    response = await client.messages.send(message=TextMessage(text=text), **kwargs)
    return response.message_id


async def test_send_posts_the_request_and_returns_id_and_time(
    emulator: Emulator, client: ConversationClient
) -> None:
    """send() returns the API's message id and an aware acceptance time."""
    response = await client.messages.send(
        app_id="app", recipient=RECIPIENT, message=TextMessage(text="hello")
    )
    assert response.message_id in emulator.store.messages
    assert response.accepted_time is not None
    assert response.accepted_time.tzinfo is not None
    body = sent_body(emulator, response.message_id)
    assert body == {
        "app_id": "app",
        "recipient": {
            "identified_by": {
                "channel_identities": [{"channel": "SMS", "identity": "+46700000001"}]
            }
        },
        "message": {"text_message": {"text": "hello"}},
    }


async def test_send_accepts_an_app_message_with_extras(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A full AppMessage is sent with its per-channel extras."""
    message = AppMessage(
        content=TextMessage(text="hi"), explicit_channel_message={"WHATSAPP": '{"a":1}'}
    )
    response = await client.messages.send(app_id="app", recipient=RECIPIENT, message=message)
    assert sent_body(emulator, response.message_id)["message"] == {
        "text_message": {"text": "hi"},
        "explicit_channel_message": {"WHATSAPP": '{"a":1}'},
    }


async def test_send_passes_every_option_on_the_wire(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Optional send arguments reach the API under their wire names."""
    message_id = await send_text(
        client,
        recipient=ContactRecipient(contact_id="contact-1"),
        callback_url="https://example.com/cb",
        channel_priority_order=["WHATSAPP", "SMS"],
        channel_properties={"SMS_SENDER": "Acme"},
        message_metadata="m",
        conversation_metadata={"order": 42},
        conversation_metadata_update_strategy="MERGE_PATCH",
        queue="HIGH_PRIORITY",
        ttl=timedelta(minutes=2),
        processing_strategy="DISPATCH_ONLY",
        correlation_id="corr-1",
        message_content_type="CONTENT_MARKETING",
    )
    body = sent_body(emulator, message_id)
    assert body["recipient"] == {"contact_id": "contact-1"}
    assert body["ttl"] == "120s"
    assert body["conversation_metadata"] == {"order": 42}
    assert body["channel_priority_order"] == ["WHATSAPP", "SMS"]
    assert (body["queue"], body["correlation_id"]) == ("HIGH_PRIORITY", "corr-1")


async def test_send_request_sends_a_prepared_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """send_request() takes a SendMessageRequest as is."""
    request = SendMessageRequest(
        app_id="app", recipient=RECIPIENT, message=AppMessage(content=TextMessage(text="x"))
    )
    response = await client.messages.send_request(request)
    assert sent_body(emulator, response.message_id)["message"] == {"text_message": {"text": "x"}}


@pytest.mark.parametrize(("ttl", "wire"), [(10, "10s"), (timedelta(days=1), "86400s")])
def test_ttl_accepts_seconds_or_timedelta(ttl: int | timedelta, wire: str) -> None:
    """ttl is whole seconds, written as "<n>s"."""
    assert format_ttl(ttl) == wire


@pytest.mark.parametrize("ttl", [2, timedelta(seconds=1.5), 315_576_000_001])
def test_ttl_out_of_range_or_fractional_is_refused(ttl: int | timedelta) -> None:
    """A ttl the API would reject fails before sending."""
    with pytest.raises(ValueError, match="ttl"):
        format_ttl(ttl)


async def test_missing_app_id_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An empty app_id is named in a ValueError and nothing is sent."""
    with pytest.raises(ValueError, match="app_id"):
        await send_text(client, app_id="")
    assert emulator.requests_seen["SendMessage"] == 0


async def test_wrong_message_type_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A plain string is not message content."""
    with pytest.raises(TypeError, match="message"):
        await client.messages.send(app_id="app", recipient=RECIPIENT, message="hi")  # type: ignore[arg-type]
    assert emulator.requests_seen["SendMessage"] == 0


async def test_get_update_delete_lifecycle(emulator: Emulator, client: ConversationClient) -> None:
    """A sent message can be read, have its metadata replaced, and be deleted."""
    message_id = await send_text(client, "lifecycle", message_metadata="v1")
    message = await client.messages.get(message_id=message_id)
    assert message.id == message_id
    assert message.direction == ConversationDirection.TO_CONTACT
    assert message.app_message is not None
    assert message.app_message.content == TextMessage(text="lifecycle")
    updated = await client.messages.update(message_id=message_id, metadata="v2")
    assert updated.metadata == "v2"
    assert (await client.messages.get(message_id=message_id)).metadata == "v2"
    await client.messages.delete(message_id=message_id)
    with pytest.raises(NotFoundError):
        await client.messages.get(message_id=message_id)


async def test_message_ids_are_escaped_in_the_path(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An id with / or ? cannot reach another endpoint."""
    with pytest.raises(NotFoundError):
        await client.messages.get(message_id="../messages:send?x=1")
    assert emulator.requests_seen["SendMessage"] == 0


@pytest.mark.parametrize("message_id", [".", ".."])
async def test_dot_ids_are_refused_before_any_request(
    emulator: Emulator, client: ConversationClient, message_id: str
) -> None:
    """ "." or ".." would be normalised out of the URL: DELETE .../messages/.. would reach
    the project itself. Refused before anything is sent."""
    with pytest.raises(ValueError, match="not a valid id"):
        await client.messages.delete(message_id=message_id)
    with pytest.raises(ValueError, match="not a valid id"):
        await client.messages.get(message_id=message_id)
    assert sum(emulator.requests_seen.values()) == 0


async def test_list_walks_every_page_newest_first(
    emulator: Emulator, client: ConversationClient
) -> None:
    """25 messages in pages of 10: three requests, all items, newest first."""
    ids = [await send_text(client, f"m{i}", app_id="list-app") for i in range(25)]
    listed = await client.messages.list(app_id="list-app", page_size=10).to_list()
    assert [m.id for m in listed] == list(reversed(ids))
    assert emulator.requests_seen["ListMessages"] == 3


async def test_list_pages_keep_the_same_filters(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Filters apply on every page, not just the first."""
    for i in range(6):
        await send_text(client, f"a{i}", app_id="app-a")
        await send_text(client, f"b{i}", app_id="app-b")
    pages = [p async for p in client.messages.list(app_id="app-a", page_size=4).pages()]
    assert [len(p.items) for p in pages] == [4, 2]
    assert pages[-1].next_page_token is None
    assert all(
        m.app_message is not None
        and isinstance(m.app_message.content, TextMessage)
        and m.app_message.content.text.startswith("a")
        for p in pages
        for m in p.items
    )


async def test_list_filters_by_time_window(emulator: Emulator, client: ConversationClient) -> None:
    """start_time/end_time are sent as RFC 3339 and honoured."""
    await send_text(client, "old")
    cutoff = datetime.now(UTC)
    newer = await send_text(client, "new")
    listed = await client.messages.list(start_time=cutoff).to_list()
    assert [m.id for m in listed] == [newer]


async def test_list_combines_recipient_app_direction_and_time_window(
    emulator: Emulator, client: ConversationClient
) -> None:
    """One recipient's TO_CONTACT messages of one app inside a window, and nothing else:
    the listing that reconciles a campaign's sends by their message_metadata."""
    ada, bob = ("SMS", "+46700000001"), ("SMS", "+46700000002")

    async def campaign_send(text: str, to: tuple[str, str], app_id: str = "app") -> str:
        recipient = IdentifiedRecipient.of(to)
        return await send_text(
            client, text, recipient=recipient, app_id=app_id, message_metadata="campaign-7"
        )

    await campaign_send("before the window", ada)
    first = await campaign_send("first", ada)
    await campaign_send("another recipient", bob)
    await campaign_send("another app", ada, app_id="other-app")
    emulator.inbound_message("app", ada, text="a reply")
    second = await campaign_send("second", ada)
    after = await campaign_send("at the window's end", ada)
    stored = emulator.store.messages
    listed = await client.messages.list(
        app_id="app",
        channel_identity=ada[1],
        contact_id=stored[first].message["contact_id"],
        direction=ConversationDirection.TO_CONTACT,
        start_time=stored[first].accepted,
        end_time=stored[after].accepted,
    ).to_list()
    assert [m.id for m in listed] == [second, first]
    assert {m.metadata for m in listed} == {"campaign-7"}


async def test_list_from_dispatch_source_finds_dispatch_only_sends(
    emulator: Emulator, client: ConversationClient
) -> None:
    """DISPATCH_ONLY sends are listed with messages_source=DISPATCH_SOURCE, not by default."""
    plain = await send_text(client, "plain")
    dispatched = await send_text(client, "dispatched", processing_strategy="DISPATCH_ONLY")
    by_default = await client.messages.list().to_list()
    from_dispatch = await client.messages.list(
        messages_source=MessageSource.DISPATCH_SOURCE
    ).to_list()
    assert [m.id for m in by_default] == [plain]
    assert [m.id for m in from_dispatch] == [dispatched]
    message = await client.messages.get(
        message_id=dispatched, messages_source=MessageSource.DISPATCH_SOURCE
    )
    assert message.id == dispatched


@pytest.mark.parametrize("page_size", [0, 1001])
async def test_list_page_size_is_checked_before_any_request(
    emulator: Emulator, client: ConversationClient, page_size: int
) -> None:
    """A page size outside 1..1000 is refused locally."""
    with pytest.raises(ValueError, match="page_size"):
        client.messages.list(page_size=page_size)
    assert emulator.requests_seen["ListMessages"] == 0


def test_list_refuses_conversation_filters_on_dispatch_source() -> None:
    """contact_id only works with CONVERSATION_SOURCE."""
    client = ConversationClient("p", "id", "s")
    with pytest.raises(ValueError, match="CONVERSATION_SOURCE"):
        client.messages.list(contact_id="c", messages_source=MessageSource.DISPATCH_SOURCE)


def test_only_recipient_originated_needs_dispatch_source() -> None:
    """only_recipient_originated is a DISPATCH_SOURCE filter."""
    client = ConversationClient("p", "id", "s")
    with pytest.raises(ValueError, match="DISPATCH_SOURCE"):
        client.messages.list(only_recipient_originated=True)


async def test_last_message_per_identity_paginates_with_the_token_in_the_body(
    emulator: Emulator, client: ConversationClient
) -> None:
    """fetch-last-message returns one message per identity across body-token pages."""
    identities = [f"+4670000{i:04d}" for i in range(5)]
    last: dict[str, str] = {}
    for identity in identities:
        recipient = IdentifiedRecipient.of(("SMS", identity))
        await send_text(client, "first", recipient=recipient)
        last[identity] = await send_text(client, "last", recipient=recipient)
    pager = client.messages.list_last_by_channel_identity(
        channel_identities=identities, page_size=2
    )
    listed = await pager.to_list()
    assert sorted(m.id for m in listed) == sorted(last.values())
    assert emulator.requests_seen["ListMessagesByChannelIdentity"] == 3


def test_last_message_needs_exactly_one_of_identities_or_contacts() -> None:
    """channel_identities and contact_ids are mutually exclusive, and one is needed."""
    client = ConversationClient("p", "id", "s")
    with pytest.raises(ValueError, match="only one of"):
        client.messages.list_last_by_channel_identity(channel_identities=["a"], contact_ids=["b"])
    with pytest.raises(ValueError, match="channel_identities or contact_ids"):
        client.messages.list_last_by_channel_identity()
