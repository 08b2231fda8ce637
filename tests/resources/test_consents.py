"""client.consents against the emulator: paged opt-out lists and audit records."""

from __future__ import annotations

import pytest

from conversation_async import ConversationClient
from conversation_async.models import AuditRecordOperation, ConsentsListType
from conversation_async.testing import Emulator

APP = "consents-app"


async def test_consents_lifecycle_listed_across_pages_and_audited(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Seven identities come back over three pages of three, then one's history is read."""
    identities = [f"+4670000{i:04d}" for i in range(7)]
    for identity in identities:
        emulator.add_consent(APP, "OPT_OUT_MARKETING", identity)
    listed = await client.consents.list_identities(
        app_id=APP, list_type=ConsentsListType.OPT_OUT_MARKETING, page_size=3
    ).to_list()
    assert [c.identity for c in listed] == identities
    assert emulator.requests_seen["ListIdentitiesFromConsentsList"] == 3

    history = await client.consents.list_audit_records(app_id=APP, identity=identities[0])
    assert history.identity is not None
    assert history.identity.identity == identities[0]
    assert history.audit_records is not None
    [record] = history.audit_records
    assert (record.app_id, record.list_type, record.operation) == (
        APP,
        ConsentsListType.OPT_OUT_MARKETING,
        AuditRecordOperation.OPERATION_INSERT,
    )
    assert record.datetime is not None
    assert emulator.requests_seen["ListAuditRecordsFromConsentsList"] == 1


async def test_lists_are_kept_apart_by_type(emulator: Emulator, client: ConversationClient) -> None:
    """An identity on the notification list is not on the marketing list."""
    emulator.add_consent(APP, "OPT_OUT_NOTIFICATION", "+46700000001")
    marketing = client.consents.list_identities(app_id=APP, list_type="OPT_OUT_MARKETING")
    notification = client.consents.list_identities(app_id=APP, list_type="OPT_OUT_NOTIFICATION")
    assert await marketing.to_list() == []
    assert [c.identity for c in await notification.to_list()] == ["+46700000001"]


@pytest.mark.parametrize("page_size", [0, 51])
async def test_page_size_is_checked_before_any_request(
    emulator: Emulator, client: ConversationClient, page_size: int
) -> None:
    """A page size outside 1..50 is refused locally."""
    with pytest.raises(ValueError, match="between 1 and 50"):
        client.consents.list_identities(app_id=APP, list_type="OPT_OUT_ALL", page_size=page_size)
    assert emulator.requests_seen["ListIdentitiesFromConsentsList"] == 0


async def test_list_identities_requires_app_and_list_type_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Both path arguments are named and nothing is sent."""
    with pytest.raises(ValueError, match="app_id, list_type"):
        client.consents.list_identities(app_id="", list_type="")
    assert emulator.requests_seen["ListIdentitiesFromConsentsList"] == 0


async def test_audit_records_require_app_and_identity_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Both path arguments are named and nothing is sent."""
    with pytest.raises(ValueError, match="app_id, identity"):
        await client.consents.list_audit_records(app_id="", identity="")
    assert emulator.requests_seen["ListAuditRecordsFromConsentsList"] == 0


async def test_identity_is_escaped_in_the_path(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An identity with a slash stays one path segment and finds its own records."""
    emulator.add_consent(APP, "OPT_OUT_ALL", "user/1")
    history = await client.consents.list_audit_records(app_id=APP, identity="user/1")
    assert history.identity is not None
    assert history.identity.identity == "user/1"
