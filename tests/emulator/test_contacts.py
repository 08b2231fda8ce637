"""Contacts: CRUD, filters, pagination, merge, channel profiles and identity conflicts."""

from __future__ import annotations

import pytest

from .conftest import Api, bad_fields, contact_body, create_contact, is_not_found


async def test_contact_lifecycle(api: Api) -> None:
    """Create, get, list over pages, update via update_mask, delete, then get is 404."""
    created = await api.ok("POST", "contacts", json_body=contact_body(display_name="Ann"))
    contact_id = created["id"]
    assert await api.ok("GET", f"contacts/{contact_id}") == created
    others = [await create_contact(api, f"+4670000000{i}") for i in range(2, 5)]
    pages = await api.pages("contacts", "contacts", page_size="2")
    assert [[c["id"] for c in page] for page in pages] == [[contact_id, others[0]], others[1:]]
    updated = await api.ok(
        "PATCH",
        f"contacts/{contact_id}",
        json_body={"display_name": "Bo", "email": "ignored@example.com"},
        params={"update_mask": "display_name"},
    )
    assert (updated["display_name"], updated["email"]) == ("Bo", "")
    assert await api.ok("DELETE", f"contacts/{contact_id}") == {}
    assert is_not_found(await api.v1("GET", f"contacts/{contact_id}"))


async def test_create_answers_the_contact_with_defaults(api: Api) -> None:
    """A created contact has an ID and the documented defaults for fields not sent."""
    contact = await api.ok("POST", "contacts", json_body=contact_body())
    assert contact == {
        "id": contact["id"],
        "channel_identities": [{"channel": "SMS", "identity": "+46700000001", "app_id": ""}],
        "channel_priority": [],
        "display_name": "Unknown",
        "email": "",
        "external_id": "",
        "metadata": "",
        "language": "EN_US",
    }


async def test_channel_identities_carry_an_app_id_as_the_api_answers_them(api: Api) -> None:
    """Identities created or updated without ``app_id`` get ``""`` (catalog §3.2); an
    app-scoped identity keeps the app ID it was given."""
    scoped = {"channel": "MESSENGER", "identity": "psid-1", "app_id": "app-9"}
    contact_id = await create_contact(api)
    updated = await api.ok(
        "PATCH",
        f"contacts/{contact_id}",
        json_body={"channel_identities": [{"channel": "SMS", "identity": "+46700000002"}, scoped]},
    )
    expected = [{"channel": "SMS", "identity": "+46700000002", "app_id": ""}, scoped]
    assert updated["channel_identities"] == expected
    assert (await api.ok("GET", f"contacts/{contact_id}"))["channel_identities"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "EN"}, "channel_identities"),
        ({"channel_identities": [], "language": "EN"}, "channel_identities"),
        (
            {"channel_identities": [{"channel": "SMS"}], "language": "EN"},
            "channel_identities[0].identity",
        ),
        ({"channel_identities": [{"channel": "SMS", "identity": "+1"}]}, "language"),
        ({**contact_body(), "metadata": "x" * 1025}, "metadata"),
    ],
)
async def test_create_rejects_invalid_contacts(
    api: Api, body: dict[str, object], field: str
) -> None:
    """Missing identities or language and oversized metadata are 400s naming the field."""
    assert field in bad_fields(await api.v1("POST", "contacts", json_body=body))


async def test_contacts_created_by_sends_are_listed(api: Api) -> None:
    """A contact created implicitly by messages:send is a contact like any other."""
    await api.send("+46711111111")
    [contact] = (await api.ok("GET", "contacts"))["contacts"]
    assert contact["channel_identities"][0]["identity"] == "+46711111111"


async def test_sends_reach_a_created_contact(api: Api) -> None:
    """messages:send to a created contact's identity uses that contact."""
    contact_id = await create_contact(api, "+46722222222")
    message_id = await api.send("+46722222222")
    assert api.emu.store.messages[message_id].message["contact_id"] == contact_id


async def test_list_filters_by_external_id(api: Api) -> None:
    """``external_id`` keeps the contact with that external ID."""
    wanted = await create_contact(api, "+1", external_id="crm-1")
    await create_contact(api, "+2", external_id="crm-2")
    body = await api.ok("GET", "contacts", params={"external_id": "crm-1"})
    assert [c["id"] for c in body["contacts"]] == [wanted]


async def test_list_filters_by_channel_and_identity(api: Api) -> None:
    """``channel`` + ``identity`` keep the contacts holding that identity."""
    wanted = await create_contact(api, "+1")
    await create_contact(api, "+2")
    body = await api.ok("GET", "contacts", params={"channel": "SMS", "identity": "+1"})
    assert [c["id"] for c in body["contacts"]] == [wanted]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"channel": "SMS"}, "identity"),
        ({"identity": "+1"}, "channel"),
        ({"external_id": "x", "channel": "SMS", "identity": "+1"}, "external_id"),
    ],
)
async def test_list_filter_combinations_are_checked(
    api: Api, params: dict[str, str], field: str
) -> None:
    """channel and identity go together, and not with external_id."""
    assert bad_fields(await api.v1("GET", "contacts", params=params)) == [field]


@pytest.mark.parametrize("page_size", ["0", "21", "x"])
async def test_list_page_size_is_at_most_20(api: Api, page_size: str) -> None:
    """Page sizes outside 1..20 answer 400 naming page_size."""
    reply = await api.v1("GET", "contacts", params={"page_size": page_size})
    assert bad_fields(reply) == ["page_size"]


async def test_list_default_page_is_ten(api: Api) -> None:
    """Without page_size a page holds 10 contacts."""
    for i in range(11):
        await create_contact(api, f"+{i}")
    body = await api.ok("GET", "contacts")
    assert len(body["contacts"]) == 10
    assert body["next_page_token"]


async def test_list_token_is_bound_to_its_filters(api: Api) -> None:
    """A page token replayed with another filter is a 400 naming page_token."""
    for i in range(2):
        await create_contact(api, f"+{i}", external_id="same")
    token = (await api.ok("GET", "contacts", params={"page_size": "1"}))["next_page_token"]
    reply = await api.v1(
        "GET", "contacts", params={"page_size": "1", "external_id": "same", "page_token": token}
    )
    assert bad_fields(reply) == ["page_token"]


async def test_update_without_mask_changes_fields_in_the_body(api: Api) -> None:
    """Without update_mask, the fields present in the body change."""
    contact_id = await create_contact(api, display_name="Ann", email="a@example.com")
    updated = await api.ok("PATCH", f"contacts/{contact_id}", json_body={"email": "b@example.com"})
    assert (updated["display_name"], updated["email"]) == ("Ann", "b@example.com")


async def test_update_of_identities_is_seen_by_sends(api: Api) -> None:
    """After an identity change, sends to the new identity reach the contact."""
    contact_id = await create_contact(api, "+1")
    await api.ok(
        "PATCH",
        f"contacts/{contact_id}",
        json_body={"channel_identities": [{"channel": "SMS", "identity": "+9"}]},
        params={"update_mask": "channel_identities"},
    )
    message_id = await api.send("+9")
    assert api.emu.store.messages[message_id].message["contact_id"] == contact_id


async def test_update_cannot_remove_every_identity(api: Api) -> None:
    """Clearing channel_identities is a 400."""
    contact_id = await create_contact(api)
    reply = await api.v1(
        "PATCH",
        f"contacts/{contact_id}",
        json_body={},
        params={"update_mask": "channel_identities"},
    )
    assert bad_fields(reply) == ["channel_identities"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_contact_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown contact ID answer 404."""
    assert is_not_found(await api.v1(method, "contacts/01NOSUCHCONTACT", json_body={}))


async def test_delete_removes_the_contacts_conversations_and_messages(api: Api) -> None:
    """Deleting a contact deletes its conversations and their messages."""
    message_id = await api.send("+1")
    stored = api.emu.store.messages[message_id].message
    await api.ok("DELETE", f"contacts/{stored['contact_id']}")
    assert stored["conversation_id"] not in api.emu.store.conversations
    assert message_id not in api.emu.store.messages


async def test_merge_moves_identities_and_deletes_the_source(api: Api) -> None:
    """The destination gains the source's identities; the source is gone."""
    destination = await create_contact(api, "+1")
    source = await create_contact(api, "+2", channel_priority=["SMS"])
    merged = await api.ok(
        "POST",
        f"contacts/{destination}:merge",
        json_body={"source_id": source, "strategy": "MERGE"},
    )
    assert merged["id"] == destination
    assert [i["identity"] for i in merged["channel_identities"]] == ["+1", "+2"]
    assert is_not_found(await api.v1("GET", f"contacts/{source}"))


async def test_merge_moves_conversations_and_messages(api: Api) -> None:
    """The source's conversations and messages now belong to the destination."""
    destination = await create_contact(api, "+1")
    message_id = await api.send("+2")
    source = api.emu.store.messages[message_id].message["contact_id"]
    await api.ok("POST", f"contacts/{destination}:merge", json_body={"source_id": source})
    stored = api.emu.store.messages[message_id].message
    assert stored["contact_id"] == destination
    assert api.emu.store.conversations[stored["conversation_id"]]["contact_id"] == destination


async def test_sends_to_a_merged_identity_reach_the_destination(api: Api) -> None:
    """After a merge the source's identity routes to the destination contact."""
    destination = await create_contact(api, "+1")
    source = await create_contact(api, "+2")
    await api.ok("POST", f"contacts/{destination}:merge", json_body={"source_id": source})
    message_id = await api.send("+2")
    assert api.emu.store.messages[message_id].message["contact_id"] == destination


@pytest.mark.parametrize("source", [None, "", "01NOSUCHCONTACT", "self"])
async def test_merge_needs_another_existing_source(api: Api, source: str | None) -> None:
    """A missing, unknown or identical source_id is a 400 naming source_id."""
    destination = await create_contact(api)
    body = {} if source is None else {"source_id": destination if source == "self" else source}
    reply = await api.v1("POST", f"contacts/{destination}:merge", json_body=body)
    assert bad_fields(reply) == ["source_id"]


async def test_merge_into_unknown_destination_is_not_found(api: Api) -> None:
    """Merging into an unknown contact answers 404."""
    source = await create_contact(api)
    reply = await api.v1("POST", "contacts/01NOSUCHCONTACT:merge", json_body={"source_id": source})
    assert is_not_found(reply)


async def test_channel_profile_names_the_identity(api: Api) -> None:
    """GetChannelProfile answers a deterministic profile name for the recipient."""
    body = {
        "app_id": "app-1",
        "channel": "MESSENGER",
        "recipient": {
            "identified_by": {
                "channel_identities": [{"channel": "MESSENGER", "identity": "psid-1"}]
            }
        },
    }
    first = await api.ok("POST", "contacts:getChannelProfile", json_body=body)
    assert first == {"profile_name": "Messenger user psid-1"}
    assert await api.ok("POST", "contacts:getChannelProfile", json_body=body) == first


async def test_channel_profile_of_a_contact_uses_its_display_name(api: Api) -> None:
    """For a contact recipient with a name, the profile name is that name."""
    contact_id = await api.ok(
        "POST",
        "contacts",
        json_body={
            "channel_identities": [{"channel": "VIBER", "identity": "v-1"}],
            "language": "EN",
            "display_name": "Ann",
        },
    )
    body = {"app_id": "a", "channel": "VIBER", "recipient": {"contact_id": contact_id["id"]}}
    assert await api.ok("POST", "contacts:getChannelProfile", json_body=body) == {
        "profile_name": "Ann"
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "SMS"}, "channel"),
        ({"app_id": None}, "app_id"),
        ({"recipient": {}}, "recipient"),
    ],
)
async def test_channel_profile_validates_its_request(
    api: Api, change: dict[str, object], field: str
) -> None:
    """Only MESSENGER, INSTAGRAM, VIBER and LINE; app_id and recipient are required."""
    body = {
        "app_id": "a",
        "channel": "LINE",
        "recipient": {
            "identified_by": {"channel_identities": [{"channel": "LINE", "identity": "u"}]}
        },
    }
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    assert bad_fields(await api.v1("POST", "contacts:getChannelProfile", json_body=body)) == [field]


async def test_identity_conflicts_report_shared_identities(api: Api) -> None:
    """An identity held by two contacts on one channel is one conflict naming both."""
    first = await create_contact(api, "+1")
    second = await create_contact(api, "+1")
    await create_contact(api, "+2")
    body = await api.ok("GET", "contacts:identityConflicts")
    assert body == {
        "conflicts": [{"identity": "+1", "channels": ["SMS"], "contact_ids": [first, second]}],
        "next_page_token": "",
    }


async def test_identity_conflicts_paginate(api: Api) -> None:
    """Conflicts come in pages, every conflict once."""
    for identity in ("+1", "+2", "+3"):
        await create_contact(api, identity)
        await create_contact(api, identity)
    pages = await api.pages("contacts:identityConflicts", "conflicts", page_size="2")
    assert [[c["identity"] for c in page] for page in pages] == [["+1", "+2"], ["+3"]]


async def test_identity_conflicts_page_size_is_at_most_20(api: Api) -> None:
    """A page size over 20 answers 400 naming page_size."""
    reply = await api.v1("GET", "contacts:identityConflicts", params={"page_size": "21"})
    assert bad_fields(reply) == ["page_size"]
