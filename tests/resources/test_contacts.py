"""client.contacts against the emulator: every endpoint, its arguments and its checks."""

from __future__ import annotations

from typing import Any

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import (
    ChannelIdentity,
    Contact,
    ContactRecipient,
    IdentifiedRecipient,
    IdentityConflict,
)
from conversation_async.testing import Emulator
from tests.resources.conftest import Wire


def sms(identity: str) -> ChannelIdentity:
    return ChannelIdentity(channel="SMS", identity=identity)


async def new_contact(
    client: ConversationClient, identity: str | ChannelIdentity, **kwargs: Any
) -> Contact:
    """Create a contact holding one identity (an SMS number unless a ChannelIdentity)."""
    kwargs.setdefault("language", "EN")
    held = identity if isinstance(identity, ChannelIdentity) else sms(identity)
    return await client.contacts.create(channel_identities=[held], **kwargs)


async def test_contact_lifecycle(emulator: Emulator, wire: Wire) -> None:
    """create -> get -> list over pages -> update one field -> delete -> get is 404."""
    client, sent = wire
    created = await new_contact(client, "+46700000001", display_name="Ada", email="a@x.se")
    assert created.id is not None
    assert created.display_name == "Ada"
    assert await client.contacts.get(contact_id=created.id) == created

    others = [(await new_contact(client, f"+4670000000{i}")).id for i in (2, 3)]
    listed = await client.contacts.list(page_size=2).to_list()
    assert [c.id for c in listed] == [created.id, *others]
    assert emulator.requests_seen["ListContacts"] == 2

    updated = await client.contacts.update(contact_id=created.id, display_name="Grace")
    patch = next(s for s in sent if s.method == "PATCH")
    assert patch.url.query["update_mask"] == "display_name"
    assert patch.json() == {"display_name": "Grace"}
    assert (updated.display_name, updated.email) == ("Grace", "a@x.se")
    assert updated.channel_identities == created.channel_identities

    await client.contacts.delete(contact_id=created.id)
    with pytest.raises(NotFoundError):
        await client.contacts.get(contact_id=created.id)


async def test_create_sends_every_field(emulator: Emulator, wire: Wire) -> None:
    """create() sends the create-request fields under their wire names, and nothing else."""
    client, sent = wire
    await new_contact(
        client,
        "+46700000001",
        channel_priority=["SMS"],
        external_id="ext-1",
        metadata="m",
        language="SV",
    )
    post = next(s for s in sent if s.method == "POST" and s.url.path.endswith("/contacts"))
    assert post.json() == {
        "channel_identities": [{"channel": "SMS", "identity": "+46700000001"}],
        "language": "SV",
        "channel_priority": ["SMS"],
        "external_id": "ext-1",
        "metadata": "m",
    }


async def test_list_filters_by_external_id(emulator: Emulator, client: ConversationClient) -> None:
    """external_id selects the contact that carries it."""
    await new_contact(client, "+46700000001", external_id="a")
    wanted = await new_contact(client, "+46700000002", external_id="b")
    assert await client.contacts.list(external_id="b").to_list() == [wanted]


async def test_list_filters_by_channel_and_identity(
    emulator: Emulator, client: ConversationClient
) -> None:
    """channel + identity select the contacts holding that identity."""
    await new_contact(client, "+46700000001")
    wanted = await new_contact(client, "+46700000002")
    listed = await client.contacts.list(channel="SMS", identity="+46700000002").to_list()
    assert listed == [wanted]


async def test_list_pages_keep_the_same_filters(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Every page of a filtered listing is filtered the same way."""
    for i in range(3):
        await new_contact(client, f"+4670000001{i}", external_id="shared")
        await new_contact(client, f"+4670000002{i}", external_id="other")
    pages = [p async for p in client.contacts.list(external_id="shared", page_size=2).pages()]
    assert [len(p.items) for p in pages] == [2, 1]
    assert all(c.external_id == "shared" for p in pages for c in p.items)


@pytest.mark.parametrize(
    ("filters", "match"),
    [
        ({"channel": "SMS"}, "together"),
        ({"identity": "+46700000001"}, "together"),
        ({"external_id": "e", "channel": "SMS", "identity": "+4670"}, "only one of"),
        ({"page_size": 21}, "page_size"),
        ({"page_size": 0}, "page_size"),
    ],
)
async def test_list_refuses_bad_filters_before_any_request(
    emulator: Emulator, client: ConversationClient, filters: dict[str, Any], match: str
) -> None:
    """Unpaired channel/identity, external_id with them, or a bad page size fail locally."""
    with pytest.raises(ValueError, match=match):
        client.contacts.list(**filters)
    assert emulator.requests_seen["ListContacts"] == 0


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"channel_identities": [], "language": "EN"}, "channel_identities"),
        ({"channel_identities": None, "language": "EN"}, "channel_identities"),
        ({"channel_identities": [sms("+4670")], "language": ""}, "language"),
    ],
)
async def test_create_checks_required_arguments_before_any_request(
    emulator: Emulator, client: ConversationClient, arguments: dict[str, Any], match: str
) -> None:
    """A contact needs at least one channel identity and a language."""
    with pytest.raises(ValueError, match=match):
        await client.contacts.create(**arguments)
    assert emulator.requests_seen["CreateContact"] == 0


async def test_update_without_changes_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update that sets nothing is refused locally."""
    with pytest.raises(ValueError, match="nothing to update"):
        await client.contacts.update(contact_id="c1")
    assert emulator.requests_seen["UpdateContact"] == 0


@pytest.mark.parametrize("method", ["get", "delete", "update"])
async def test_contact_id_is_required_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str
) -> None:
    """An empty contact_id is named in a ValueError and nothing is sent."""
    extra = {"display_name": "x"} if method == "update" else {}
    with pytest.raises(ValueError, match="contact_id"):
        await getattr(client.contacts, method)(contact_id="", **extra)
    assert sum(emulator.requests_seen.values()) == 0


async def test_contact_ids_are_escaped_in_the_path(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An id holding / or : cannot reach another contacts endpoint."""
    source = await new_contact(client, "+46700000001")
    with pytest.raises(NotFoundError):
        await client.contacts.delete(contact_id=f"x/../{source.id}")
    assert await client.contacts.get(contact_id=str(source.id)) == source
    assert emulator.requests_seen["DeleteContact"] == 1


async def test_merge_moves_identities_and_deletes_the_source(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The kept contact holds both identities; the source contact is gone."""
    destination = await new_contact(client, "+46700000001")
    source = await new_contact(client, "+46700000002")
    assert destination.id is not None
    assert source.id is not None
    merged = await client.contacts.merge(
        destination_id=destination.id, source_id=source.id, strategy="MERGE"
    )
    assert emulator.requests_seen["MergeContact"] == 1
    assert merged.id == destination.id
    identities = {(i.channel, i.identity) for i in merged.channel_identities or []}
    assert identities == {("SMS", "+46700000001"), ("SMS", "+46700000002")}
    with pytest.raises(NotFoundError):
        await client.contacts.get(contact_id=source.id)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"destination_id": "", "source_id": "b"}, "destination_id"),
        ({"destination_id": "a", "source_id": ""}, "source_id"),
        ({"destination_id": "a", "source_id": "a"}, "different"),
    ],
)
async def test_merge_checks_its_ids_before_any_request(
    emulator: Emulator, client: ConversationClient, arguments: dict[str, str], match: str
) -> None:
    """Both ids are required and must differ."""
    with pytest.raises(ValueError, match=match):
        await client.contacts.merge(**arguments)
    assert emulator.requests_seen["MergeContact"] == 0


async def test_channel_profile_returns_the_profile_name(
    emulator: Emulator, client: ConversationClient
) -> None:
    """getChannelProfile answers the contact's profile name on the channel."""
    psid = ChannelIdentity(channel="MESSENGER", identity="psid-1", app_id="app")
    contact = await new_contact(client, psid, display_name="Ada")
    assert contact.id is not None
    profile = await client.contacts.get_channel_profile(
        app_id="app", recipient=ContactRecipient(contact_id=contact.id), channel="MESSENGER"
    )
    assert profile.profile_name == "Ada"
    assert emulator.requests_seen["GetChannelProfile"] == 1


@pytest.mark.parametrize("channel", ["SMS", "WHATSAPP", "messenger"])
async def test_channel_profile_refuses_other_channels_before_any_request(
    emulator: Emulator, client: ConversationClient, channel: str
) -> None:
    """Only MESSENGER, INSTAGRAM, VIBER and LINE have channel profiles."""
    recipient = IdentifiedRecipient.of((channel, "x"))
    with pytest.raises(ValueError, match="MESSENGER"):
        await client.contacts.get_channel_profile(
            app_id="app", recipient=recipient, channel=channel
        )
    assert emulator.requests_seen["GetChannelProfile"] == 0


async def test_channel_profile_requires_app_id_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """app_id is required."""
    recipient = IdentifiedRecipient.of(("LINE", "u1"))
    with pytest.raises(ValueError, match="app_id"):
        await client.contacts.get_channel_profile(app_id="", recipient=recipient, channel="LINE")
    assert emulator.requests_seen["GetChannelProfile"] == 0


async def test_identity_conflicts_are_listed_across_pages(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Identities held by two contacts are reported with both contact ids, page by page."""
    expected = []
    for identity in ("+46700000001", "+46700000002", "+46700000003"):
        first = await new_contact(client, identity)
        second = await new_contact(client, identity)
        holders = [str(first.id), str(second.id)]
        expected.append(IdentityConflict(identity=identity, channels=["SMS"], contact_ids=holders))
    await new_contact(client, "+46700000009")
    listed = await client.contacts.list_identity_conflicts(page_size=2).to_list()
    assert listed == expected
    assert emulator.requests_seen["ListIdentityConflicts"] == 2


@pytest.mark.parametrize("page_size", [0, 21])
async def test_identity_conflicts_page_size_is_checked_before_any_request(
    emulator: Emulator, client: ConversationClient, page_size: int
) -> None:
    """A page size outside 1..20 is refused locally."""
    with pytest.raises(ValueError, match="page_size"):
        client.contacts.list_identity_conflicts(page_size=page_size)
    assert emulator.requests_seen["ListIdentityConflicts"] == 0
