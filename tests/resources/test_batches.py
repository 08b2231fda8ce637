"""client.batches against the emulator over loopback: every endpoint, the substitution, the
metadata merge, scheduling and cancellation on a manual clock, callbacks, errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from conversation_async import (
    BadRequestError,
    ConversationClient,
    NotFoundError,
    PermissionDeniedError,
)
from conversation_async.callbacks import (
    BatchStatusUpdateEvent,
    MessageDeliveryEvent,
    batch_id_of,
    batch_message_index_of,
)
from conversation_async.models import (
    AppMessage,
    BatchStatus,
    CardMessage,
    ChannelIdentity,
    ConsentRecord,
    ContactCreateRequest,
    ContactRecipient,
    IdentifiedRecipient,
    MediaMessage,
    ProcessingStrategy,
    RecipientAndParam,
    TextMessage,
)
from conversation_async.testing import BatchSettings, Emulator, ManualClock
from tests.conftest import FAST_RETRY
from tests.emulator.callback_receiver import Receiver


def to(identity: str, **extra: Any) -> RecipientAndParam:
    return RecipientAndParam(recipient=IdentifiedRecipient.of(("SMS", identity)), **extra)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[Emulator]:
    """An emulator on a manual clock, with millisecond callback delays."""
    async with Emulator(clock=clock) as emulator:
        emulator.delivery_delay = 0.001
        emulator.callback_retry_base = 0.002
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[ConversationClient]:
    async with emu.client(retry=FAST_RETRY) as batch_client:
        yield batch_client


@pytest.fixture
async def receiver(emu: Emulator) -> AsyncIterator[Receiver]:
    """A webhook of app 'app' for batch status, delivery and inbound callbacks."""
    collector = Receiver()
    await collector.start()
    try:
        emu.add_webhook(
            "app",
            collector.url(),
            triggers=[
                "BATCH_STATUS_UPDATE",
                "MESSAGE_DELIVERY",
                "MESSAGE_INBOUND",
                "CONTACT_CREATE",
                "CONTACT_DELETE",
            ],
        )
        yield collector
    finally:
        await collector.stop()


def events(receiver: Receiver, kind: type) -> list[Any]:
    return [e for e in (r.event() for r in receiver.received) if isinstance(e, kind)]


def statuses(receiver: Receiver, batch_id: str) -> list[str]:
    found = events(receiver, BatchStatusUpdateEvent)
    return [e.payload.batch_status for e in found if e.payload.batch_id == batch_id]


async def test_send_generates_one_message_per_recipient_with_its_parameters(
    emu: Emulator, client: ConversationClient
) -> None:
    """An immediate batch is PROCESSED at once: each recipient got its own filled text."""
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="Hi ${name}, code ${code} ✓"),
        recipients=[
            to("+46700000001", parameters={"name": "Anna", "code": "1"}),
            to("+46700000002", parameters={"name": "Björn 🐻", "code": "2"}),
        ],
    )
    assert sent.batch_id in emu.store.batches
    assert sent.send_after is not None  # an immediate batch answers its acceptance time
    batch = await client.batches.get(batch_id=sent.batch_id)
    assert batch.status is BatchStatus.PROCESSED
    texts = [e.request["message"]["text_message"]["text"] for e in emu.ledger]
    assert texts == ["Hi Anna, code 1 ✓", "Hi Björn 🐻, code 2 ✓"]
    assert [e.batch_id for e in emu.ledger] == [sent.batch_id] * 2
    stored = emu.store.batches[sent.batch_id].message_ids
    identities = [emu.store.messages[m].message["channel_identity"]["identity"] for m in stored]
    assert identities == ["+46700000001", "+46700000002"]


async def test_substitution_reaches_nested_string_fields(
    emu: Emulator, client: ConversationClient
) -> None:
    """Placeholders in a card's title, description and media URL are filled too."""
    card = CardMessage(
        title="${title}",
        description="For ${name}: ${title}",
        media_message=MediaMessage(url="https://cdn.example/${name}.png"),
    )
    await client.batches.send(
        app_id="app",
        message=card,
        recipients=[to("+1", parameters={"title": "Sale", "name": "anna"})],
    )
    (entry,) = emu.ledger
    assert entry.request["message"] == {
        "card_message": {
            "title": "Sale",
            "description": "For anna: Sale",
            "media_message": {"url": "https://cdn.example/anna.png"},
        }
    }


async def test_metadata_merges_request_and_recipient_levels_plus_batch_id(
    emu: Emulator, client: ConversationClient
) -> None:
    """Each message's metadata: request keys, the recipient's winning, and _batch_id."""
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="hi"),
        recipients=[to("+1", message_metadata={"order": "A-1"}), to("+2")],
        message_metadata={"source": "shop", "order": "unknown"},
        conversation_metadata={"campaign": "spring"},
        batch_metadata={"campaign_id": "spring_2025"},
    )
    first, second = (json.loads(e.request["message_metadata"]) for e in emu.ledger)
    assert first == {"source": "shop", "order": "A-1", "_batch_id": sent.batch_id}
    assert second == {"source": "shop", "order": "unknown", "_batch_id": sent.batch_id}
    assert emu.ledger[0].request["conversation_metadata"] == {
        "campaign": "spring",
        "_batch_id": sent.batch_id,
    }
    batch = await client.batches.get(batch_id=sent.batch_id)
    assert batch.meta_data == {"campaign_id": "spring_2025"}


async def test_every_send_option_reaches_the_batch_host(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """The batch request carries each option under its wire name; messages inherit them."""
    sent = await client.batches.send(
        app_id="app",
        message=AppMessage(content=TextMessage(text="x")),
        recipients=[ContactRecipient(contact_id="c-1")],
        processing_strategy=ProcessingStrategy.DISPATCH_ONLY,
        send_after=clock.now() + timedelta(minutes=10),
        callback_url="http://127.0.0.1:9/cb",
        channel_priority_order=["SMS"],
        ttl=timedelta(hours=1),
        channel_properties={"SMS_SENDER": "+4670"},
        correlation_id="corr-1",
    )
    request = emu.store.batches[sent.batch_id].request
    assert request == {
        "app_id": "app",
        "message": {"text_message": {"text": "x"}},
        "recipient_and_params": [{"recipient": {"contact_id": "c-1"}}],
        "processing_strategy": "DISPATCH_ONLY",
        "send_after": "2030-01-01T00:10:00Z",
        "callback_url": "http://127.0.0.1:9/cb",
        "channel_priority_order": ["SMS"],
        "ttl": "3600s",
        "channel_properties": {"SMS_SENDER": "+4670"},
        "correlation_id": "corr-1",
    }
    clock.advance(timedelta(minutes=10))
    await emu.batches_settled()
    (entry,) = emu.ledger
    assert entry.correlation_id == "corr-1"
    message = emu.store.messages[entry.message_id].message
    assert message["processing_mode"] == "DISPATCH"


async def test_scheduled_batch_waits_for_the_clock_then_is_processed(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """send_after 3 min ahead is rounded to the 5-min mark; nothing is sent before it."""
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="later"),
        recipients=[to("+1")],
        send_after=clock.now() + timedelta(minutes=3),
    )
    assert sent.send_after == clock.now() + timedelta(minutes=5)
    assert (await client.batches.get(batch_id=sent.batch_id)).status is BatchStatus.SCHEDULED
    clock.advance(timedelta(minutes=4))
    await emu.batches_settled()
    assert emu.ledger == []
    clock.advance(timedelta(minutes=1))
    await emu.batches_settled()
    assert (await client.batches.get(batch_id=sent.batch_id)).status is BatchStatus.PROCESSED
    assert len(emu.ledger) == 1


async def test_cancel_by_id_stops_a_scheduled_batch_only(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """A scheduled batch cancelled before send_after never sends; cancelling an immediate
    or unknown batch answers 200 and changes nothing."""
    later = await client.batches.send(
        app_id="app",
        message=TextMessage(text="later"),
        recipients=[to("+1")],
        send_after=clock.now() + timedelta(hours=1),
    )
    now = await client.batches.send(
        app_id="app", message=TextMessage(text="now"), recipients=[to("+2")]
    )
    await client.batches.cancel(later.batch_id)
    await client.batches.cancel(now.batch_id)
    await client.batches.cancel("01UNKNOWNBATCH")
    assert (await client.batches.get(batch_id=later.batch_id)).status is BatchStatus.CANCELLED
    assert (await client.batches.get(batch_id=now.batch_id)).status is BatchStatus.PROCESSED
    clock.advance(timedelta(hours=2))
    await emu.batches_settled()
    assert [e.request["message"]["text_message"]["text"] for e in emu.ledger] == ["now"]


async def test_cancel_and_list_by_metadata_hit_every_matching_batch(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """list_by_metadata finds the batches with key=value; cancel by metadata stops them all."""
    ids = []
    for campaign in ("spring", "spring", "autumn"):
        sent = await client.batches.send(
            app_id="app",
            message=TextMessage(text=campaign),
            recipients=[to("+1")],
            send_after=clock.now() + timedelta(days=1),
            batch_metadata={"campaign": campaign},
        )
        ids.append(sent.batch_id)
    spring = await client.batches.list_by_metadata(key="campaign", value="spring")
    assert [b.batch_id for b in spring] == ids[:2]
    assert await client.batches.list_by_metadata(key="campaign", value="winter") == []
    await client.batches.cancel(metadata_key="campaign", metadata_value="spring")
    after = {
        b.batch_id: b.status
        for b in await client.batches.list_by_metadata(key="campaign", value="spring")
    }
    assert after == dict.fromkeys(ids[:2], BatchStatus.CANCELLED)
    assert (await client.batches.get(batch_id=ids[2])).status is BatchStatus.SCHEDULED


async def test_cancel_raw_sends_other_metadata_shapes(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """cancel_raw reaches the emulator's snake_case and map shapes; a body naming nothing
    is a 400 by default."""
    for campaign in ("a", "b"):
        await client.batches.send(
            app_id="app",
            message=TextMessage(text=campaign),
            recipients=[to("+1")],
            send_after=clock.now() + timedelta(days=1),
            batch_metadata={"c": campaign},
        )
    await client.batches.cancel_raw({"metadata_key": "c", "metadata_value": "a"})
    await client.batches.cancel_raw({"batch_metadata": {"c": "b"}})
    assert {b.status for b in emu.store.batches.values()} == {"CANCELLED"}
    with pytest.raises(BadRequestError):
        await client.batches.cancel_raw({"nothing": "here"})
    emu.batch_settings = BatchSettings(cancel_malformed="ignore")
    await client.batches.cancel_raw({"nothing": "here"})


async def test_list_by_metadata_reads_the_object_container_too(
    emu: Emulator, client: ConversationClient
) -> None:
    """With list_response='object' the answer is {"batches": [...]}: the client reads it."""
    emu.batch_settings = BatchSettings(list_response="object")
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="x"),
        recipients=[to("+1")],
        batch_metadata={"k": "v"},
    )
    assert [b.batch_id for b in await client.batches.list_by_metadata(key="k", value="v")] == [
        sent.batch_id
    ]


async def test_get_of_an_unknown_batch_is_not_found(client: ConversationClient) -> None:
    """B4 with an unknown ID raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await client.batches.get(batch_id="01UNKNOWN")


async def test_status_callbacks_follow_every_transition(
    emu: Emulator, client: ConversationClient, clock: ManualClock, receiver: Receiver
) -> None:
    """SCHEDULED on acceptance, READY when due, PROCESSED; CANCELLED for a cancel."""
    runs = await client.batches.send(
        app_id="app",
        message=TextMessage(text="x"),
        recipients=[to("+1")],
        send_after=clock.now() + timedelta(minutes=5),
        batch_metadata={"c": "1"},
    )
    stops = await client.batches.send(
        app_id="app",
        message=TextMessage(text="y"),
        recipients=[to("+2")],
        send_after=clock.now() + timedelta(minutes=5),
    )
    await client.batches.cancel(stops.batch_id)
    clock.advance(timedelta(minutes=5))
    await emu.batches_settled()
    await emu.callbacks_settled()
    assert statuses(receiver, runs.batch_id) == [
        "BATCH_STATUS_SCHEDULED",
        "BATCH_STATUS_READY",
        "BATCH_STATUS_PROCESSED",
    ]
    assert statuses(receiver, stops.batch_id) == [
        "BATCH_STATUS_SCHEDULED",
        "BATCH_STATUS_CANCELLED",
    ]
    update = next(
        e for e in events(receiver, BatchStatusUpdateEvent) if e.payload.batch_id == runs.batch_id
    )
    data = update.payload.additional_data.message_batch_data
    assert data.batch_metadata == {"c": "1"}
    assert data.send_after == runs.send_after


async def test_terminal_only_status_callbacks(
    emu: Emulator, client: ConversationClient, receiver: Receiver
) -> None:
    """status_callbacks='terminal' sends only PROCESSED (and CANCELLED)."""
    emu.batch_settings = BatchSettings(status_callbacks="terminal")
    sent = await client.batches.send(
        app_id="app", message=TextMessage(text="x"), recipients=[to("+1")]
    )
    await emu.callbacks_settled()
    assert statuses(receiver, sent.batch_id) == ["BATCH_STATUS_PROCESSED"]


async def test_delivery_reports_of_batch_messages_name_their_batch(
    emu: Emulator, client: ConversationClient, receiver: Receiver
) -> None:
    """Each generated message gets its receipts; batch_id_of reads the batch from them,
    and FAILED ones carry batch_id and the 0-based message_index."""
    emu.delivery_failure_rate = 1.0
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="x"),
        recipients=[to("+1"), to("+2"), to("+3")],
    )
    await emu.callbacks_settled()
    reports = events(receiver, MessageDeliveryEvent)
    assert len(reports) == 6  # QUEUED_ON_CHANNEL and FAILED per message
    assert {batch_id_of(r) for r in reports} == {sent.batch_id}
    failed = [r for r in reports if r.message_delivery_report.status == "FAILED"]
    assert sorted(batch_message_index_of(r) for r in failed) == [0, 1, 2]
    by_message = {r.message_delivery_report.message_id: batch_message_index_of(r) for r in failed}
    assert [by_message[m] for m in emu.store.batches[sent.batch_id].message_ids] == [0, 1, 2]


async def test_a_reply_to_a_batch_message_carries_the_batch_in_its_metadata(
    emu: Emulator, client: ConversationClient, receiver: Receiver
) -> None:
    """The merged conversation metadata (with _batch_id) comes back on the MO callback."""
    sent = await client.batches.send(
        app_id="app",
        message=TextMessage(text="x"),
        recipients=[to("+1", conversation_metadata={"tier": "gold"})],
        conversation_metadata={"campaign": "spring"},
    )
    emu.inbound_message("app", ("SMS", "+1"), text="thanks")
    await emu.callbacks_settled()
    inbound = [r.json() for r in receiver.received if "message" in r.json()]
    assert json.loads(inbound[-1]["message_metadata"]) == {
        "campaign": "spring",
        "tier": "gold",
        "_batch_id": sent.batch_id,
    }


async def test_missing_parameters_literal_empty_or_refused(
    emu: Emulator, client: ConversationClient
) -> None:
    """Without a value a placeholder stays literal; 'empty' blanks it; 'reject' is a 400
    naming the recipient."""
    message = TextMessage(text="Hi ${name}!")
    await client.batches.send(app_id="app", message=message, recipients=[to("+1")])
    emu.batch_settings = BatchSettings(missing_parameter="empty")
    await client.batches.send(app_id="app", message=message, recipients=[to("+1")])
    texts = [e.request["message"]["text_message"]["text"] for e in emu.ledger]
    assert texts == ["Hi ${name}!", "Hi !"]
    emu.batch_settings = BatchSettings(missing_parameter="reject")
    with pytest.raises(BadRequestError) as refused:
        await client.batches.send(
            app_id="app",
            message=message,
            recipients=[to("+1", parameters={"name": "A"}), to("+2")],
        )
    assert "recipient_and_params[1].parameters" in str(refused.value)


async def test_send_after_too_far_is_refused_or_clamped(
    emu: Emulator, client: ConversationClient, clock: ManualClock
) -> None:
    """More than 7 days ahead: a 400 on send_after, or the 7-day mark with 'clamp'."""
    far = clock.now() + timedelta(days=8)
    with pytest.raises(BadRequestError, match="send_after"):
        await client.batches.send(
            app_id="app", message=TextMessage(text="x"), recipients=[to("+1")], send_after=far
        )
    emu.batch_settings = BatchSettings(send_after_too_far="clamp", send_after_rounding=None)
    clamped = await client.batches.send(
        app_id="app", message=TextMessage(text="x"), recipients=[to("+1")], send_after=far
    )
    assert clamped.send_after == clock.now() + timedelta(days=7)


async def test_an_immediate_batch_may_answer_without_send_after(
    emu: Emulator, client: ConversationClient
) -> None:
    """immediate_send_after='omit': the response has no send_after; the client accepts it."""
    emu.batch_settings = BatchSettings(immediate_send_after="omit")
    sent = await client.batches.send(
        app_id="app", message=TextMessage(text="x"), recipients=[to("+1")]
    )
    assert sent.send_after is None
    assert (await client.batches.get(batch_id=sent.batch_id)).send_after is None


async def test_processing_delay_shows_ready_before_processed(
    emu: Emulator, client: ConversationClient
) -> None:
    """With a processing delay, an immediate batch is READY first, PROCESSED after it."""
    emu.batch_settings = BatchSettings(processing_delay=0.2)
    sent = await client.batches.send(
        app_id="app", message=TextMessage(text="x"), recipients=[to("+1")]
    )
    assert (await client.batches.get(batch_id=sent.batch_id)).status is BatchStatus.READY
    assert emu.ledger == []
    await emu.batches_settled()
    assert (await client.batches.get(batch_id=sent.batch_id)).status is BatchStatus.PROCESSED


async def test_contacts_are_created_and_deleted_in_the_background_with_callbacks(
    emu: Emulator, client: ConversationClient, receiver: Receiver
) -> None:
    """Valid contacts are created (invalid ones skipped), then deleted (unknown IDs
    skipped); each success is one CONTACT_CREATE / CONTACT_DELETE callback."""
    valid = ContactCreateRequest(
        channel_identities=[ChannelIdentity(channel="SMS", identity="+46700000009")],
        language="EN_US",
        display_name="Jane",
    )
    invalid = ContactCreateRequest(channel_identities=[], language="EN_US")
    await client.batches.create_contacts([valid, invalid])
    await emu.batches_settled()
    (contact,) = emu.store.contacts.values()
    assert contact["display_name"] == "Jane"
    await client.batches.delete_contacts([contact["id"], "01UNKNOWNCONTACT"])
    await emu.batches_settled()
    assert not emu.store.contacts
    await emu.callbacks_settled()
    triggers = [r.event().trigger for r in receiver.received]
    assert triggers == ["CONTACT_CREATE", "CONTACT_DELETE"]


async def test_consents_insert_puts_identities_on_the_lists(
    emu: Emulator, client: ConversationClient
) -> None:
    """Each valid record lands on its list (without '+'), audited; a batch id is answered."""
    answer = await client.batches.insert_consents(
        app_id="app",
        consent_records=[
            ConsentRecord(identification="+46701234567", consent_type="OPT_OUT_ALL"),
            ConsentRecord(identification="contact-9", consent_type="OPT_OUT_MARKETING"),
            ConsentRecord(identification="x", consent_type="OPT_OUT_UNKNOWN"),
        ],
    )
    assert answer.batch_id
    everyone = [
        i.identity
        async for i in client.consents.list_identities(app_id="app", list_type="OPT_OUT_ALL")
    ]
    assert everyone == ["46701234567"]
    audit = await client.consents.list_audit_records(app_id="app", identity="contact-9")
    assert [r.origin for r in audit.audit_records or []] == ["ORIGIN_API"]


async def test_a_project_without_the_batch_api_gets_permission_denied(
    emu: Emulator, client: ConversationClient
) -> None:
    """enabled=False: every batch route answers 403 PERMISSION_DENIED."""
    emu.batch_settings = BatchSettings(enabled=False)
    with pytest.raises(PermissionDeniedError) as refused:
        await client.batches.send(
            app_id="app", message=TextMessage(text="x"), recipients=[to("+1")]
        )
    assert refused.value.api_status == "PERMISSION_DENIED"
    with pytest.raises(PermissionDeniedError):
        await client.batches.get(batch_id="b")


async def test_the_project_rate_limit_counts_a_batch_as_one_request(
    emu: Emulator, client: ConversationClient
) -> None:
    """1,000 recipients are one request against the rate limit (the 2nd request waits)."""
    emu.rate_limit = 1
    recipients = [to(f"+4670{i:07d}") for i in range(1000)]
    for _ in range(2):
        await client.batches.send(
            app_id="app", message=TextMessage(text="x"), recipients=recipients
        )
    assert len(emu.ledger) == 2000
    assert emu.requests_seen["SendBatch"] == 2 + emu.rate_limited
    assert emu.rate_limited >= 1
    emu.batch_settings = BatchSettings(shares_rate_limit=False)
    before = emu.rate_limited
    for _ in range(3):
        await client.batches.send(
            app_id="app", message=TextMessage(text="x"), recipients=[to("+1")]
        )
    assert emu.rate_limited == before
