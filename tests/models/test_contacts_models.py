"""Behaviour of the contacts-area models that SDK users rely on."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from conversation_async import _serde as serde
from conversation_async.models import (
    ChannelIdentity,
    Contact,
    ContactCreateRequest,
    ContactLanguage,
    ContactRecipient,
    ContactUpdateRequest,
    ConversationChannel,
    ConversationMergeStrategy,
    GetChannelProfileRequest,
    IdentifiedRecipient,
    ListContactsResponse,
    ListIdentityConflictsResponse,
    MergeContactRequest,
)


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


def test_unknown_contact_language_is_kept_as_str() -> None:
    """A language this SDK does not know stays a plain string and is written back."""
    contact = serde.structure({"id": "c1", "language": "TLH"}, Contact)
    assert contact.language == "TLH"
    assert not isinstance(contact.language, ContactLanguage)
    assert dump(contact) == {"id": "c1", "language": "TLH"}


@pytest.mark.parametrize("value", ["UNSPECIFIED", "ZH_TW", "PT_BR", "FIL"])
def test_known_contact_language_becomes_member(value: str) -> None:
    """Languages of the catalog, and the server's UNSPECIFIED, are read as members."""
    language = serde.structure({"language": value}, Contact).language
    assert isinstance(language, ContactLanguage)
    assert language == value


def test_contact_reads_with_every_field_missing() -> None:
    """The API leaving fields out of a contact never breaks reading it."""
    assert serde.structure({}, Contact) == Contact()


def test_contact_unknown_channel_in_priority_is_kept_as_str() -> None:
    """A channel this SDK does not know stays a plain string in ``channel_priority``."""
    contact = serde.structure({"channel_priority": ["SMS", "PIGEON"]}, Contact)
    assert contact.channel_priority == [ConversationChannel.SMS, "PIGEON"]


def test_contact_create_request_requires_identities_and_language() -> None:
    """Creating a contact without channel identities or a language fails at construction."""
    with pytest.raises(TypeError):
        ContactCreateRequest(language=ContactLanguage.EN)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ContactCreateRequest(  # type: ignore[call-arg]
            channel_identities=[ChannelIdentity(channel="SMS", identity="+1")]
        )


def test_contact_create_request_leaves_unset_fields_out() -> None:
    """Only the fields given are sent when creating a contact."""
    request = ContactCreateRequest(
        channel_identities=[
            ChannelIdentity(channel=ConversationChannel.MESSENGER, identity="p1", app_id="a1")
        ],
        language=ContactLanguage.EN_GB,
    )
    assert dump(request) == {
        "channel_identities": [{"channel": "MESSENGER", "identity": "p1", "app_id": "a1"}],
        "language": "EN_GB",
    }


def test_contact_update_request_with_nothing_set_has_every_field_none() -> None:
    """An empty update request sets no field and writes an empty body."""
    request = ContactUpdateRequest()
    assert all(getattr(request, f.name) is None for f in attrs.fields(ContactUpdateRequest))
    assert dump(request) == {}


def test_contact_update_request_writes_only_the_fields_set() -> None:
    """A partial update sends just the fields given, so the update mask can be derived."""
    request = ContactUpdateRequest(display_name="Ada", language=ContactLanguage.FR)
    assert dump(request) == {"display_name": "Ada", "language": "FR"}


def test_merge_request_without_strategy_sends_only_source() -> None:
    """``strategy`` is optional and left out when unset."""
    assert dump(MergeContactRequest(source_id="c2")) == {"source_id": "c2"}
    merge = MergeContactRequest(source_id="c2", strategy=ConversationMergeStrategy.MERGE)
    assert dump(merge) == {"source_id": "c2", "strategy": "MERGE"}


@pytest.mark.parametrize(
    ("recipient_json", "recipient_type"),
    [
        ({"contact_id": "c1"}, ContactRecipient),
        (
            {"identified_by": {"channel_identities": [{"channel": "LINE", "identity": "u1"}]}},
            IdentifiedRecipient,
        ),
    ],
)
def test_channel_profile_request_takes_either_recipient_form(
    recipient_json: dict[str, Any], recipient_type: type
) -> None:
    """The channel profile request reads a contact id or channel identities as its recipient."""
    raw = {"app_id": "a1", "recipient": recipient_json, "channel": "LINE"}
    request = serde.structure(raw, GetChannelProfileRequest)
    assert isinstance(request.recipient, recipient_type)
    assert dump(request) == raw


def test_last_contacts_page_has_empty_token() -> None:
    """The last page of contacts reads with an empty list and an empty token."""
    page = serde.structure({"contacts": [], "next_page_token": ""}, ListContactsResponse)
    assert page.contacts == []
    assert page.next_page_token == ""


def test_identity_conflicts_page_reads_conflicts() -> None:
    """Each identity conflict lists the channels and the contacts sharing the identity."""
    page = serde.structure(
        {
            "conflicts": [{"identity": "123", "channels": ["RCS"], "contact_ids": ["a", "b"]}],
            "next_page_token": "t",
        },
        ListIdentityConflictsResponse,
    )
    assert page.conflicts is not None
    (conflict,) = page.conflicts
    assert conflict.channels == [ConversationChannel.RCS]
    assert conflict.contact_ids == ["a", "b"]
