"""Consents lists, their audit records, the test hooks and legacy opt-in/opt-out."""

from __future__ import annotations

from typing import Any

import pytest

from conversation_async.testing import Emulator

from .conftest import Api, bad_fields, create_contact, is_not_found


def register_body(*identities: str, **extra: Any) -> dict[str, Any]:
    """A valid opt-in/opt-out registration body for SMS identities."""
    channel_identities = [{"channel": "SMS", "identity": i} for i in identities]
    return {
        "app_id": "app-1",
        "channels": ["SMS"],
        "recipient": {"identified_by": {"channel_identities": channel_identities}},
        **extra,
    }


async def test_consents_list_paginates_in_insertion_order(api: Api) -> None:
    """Identities added by the hook come back oldest first, in pages."""
    identities = [f"+{i}" for i in range(5)]
    for identity in identities:
        assert api.emu.add_consent("app-1", "OPT_OUT_MARKETING", identity)
    pages = await api.pages("apps/app-1/consents/OPT_OUT_MARKETING", "identities", page_size="2")
    assert [[i["identity"] for i in page] for page in pages] == [
        identities[:2],
        identities[2:4],
        identities[4:],
    ]


async def test_lists_are_kept_apart_by_app_and_type(api: Api) -> None:
    """An identity on one app's list is not on another list or another app's."""
    api.emu.add_consent("app-1", "OPT_OUT_ALL", "+1")
    for path in ("apps/app-1/consents/OPT_OUT_MARKETING", "apps/app-2/consents/OPT_OUT_ALL"):
        assert (await api.ok("GET", path))["identities"] == []


async def test_unknown_list_type_is_rejected(api: Api) -> None:
    """list_type must be OPT_OUT_ALL, OPT_OUT_MARKETING or OPT_OUT_NOTIFICATION."""
    assert bad_fields(await api.v1("GET", "apps/app-1/consents/OPT_IN_ALL")) == ["list_type"]


@pytest.mark.parametrize(("page_size", "status"), [("50", 200), ("51", 400), ("0", 400)])
async def test_consents_page_size_is_at_most_50(api: Api, page_size: str, status: int) -> None:
    """Consents pages hold 1 to 50 identities."""
    reply = await api.v1("GET", "apps/app-1/consents/OPT_OUT_ALL", params={"page_size": page_size})
    assert reply.status == status


async def test_audit_records_follow_inserts_and_deletes(api: Api) -> None:
    """Adding then removing an identity leaves an INSERT then a DELETE record."""
    api.emu.add_consent("app-1", "OPT_OUT_ALL", "+1")
    assert api.emu.remove_consent("app-1", "OPT_OUT_ALL", "+1")
    body = await api.ok("GET", "apps/app-1/consents/identities/+1")
    assert body["identity"] == {"identity": "+1"}
    records = body["audit_records"]
    assert [r["operation"] for r in records] == ["OPERATION_INSERT", "OPERATION_DELETE"]
    assert records[0] == {
        "origin": "ORIGIN_API",
        "operation": "OPERATION_INSERT",
        "list_type": "OPT_OUT_ALL",
        "project_id": api.emu.project_id,
        "app_id": "app-1",
        "datetime": records[0]["datetime"],
    }


async def test_audit_records_of_an_unknown_identity_are_not_found(api: Api) -> None:
    """An identity without consent history answers 404."""
    assert is_not_found(await api.v1("GET", "apps/app-1/consents/identities/+999"))


async def test_hooks_report_whether_anything_changed(emu: Emulator) -> None:
    """add_consent/remove_consent answer False (and audit nothing) when nothing changes."""
    assert emu.add_consent("a", "OPT_OUT_ALL", "+1")
    assert not emu.add_consent("a", "OPT_OUT_ALL", "+1")
    assert emu.remove_consent("a", "OPT_OUT_ALL", "+1")
    assert not emu.remove_consent("a", "OPT_OUT_ALL", "+1")
    assert len(emu.store.audit_records[("a", "+1")]) == 2


async def test_hooks_reject_unknown_list_types(emu: Emulator) -> None:
    """A list type outside the three consents lists is a ValueError."""
    with pytest.raises(ValueError, match="list_type"):
        emu.add_consent("a", "OPT_IN", "+1")


async def test_opt_out_puts_identities_on_opt_out_all(api: Api) -> None:
    """optouts:register adds the recipient's identities to OPT_OUT_ALL and echoes the request."""
    body = register_body("+1", "+2")
    reply = await api.ok("POST", "optouts:register", json_body=body, params={"request_id": "req-1"})
    assert reply == {"request_id": "req-1", "opt_out": body}
    listed = await api.ok("GET", "apps/app-1/consents/OPT_OUT_ALL")
    assert [i["identity"] for i in listed["identities"]] == ["+1", "+2"]


async def test_opt_in_takes_identities_off_opt_out_all(api: Api) -> None:
    """optins:register removes the recipient's identities from OPT_OUT_ALL."""
    await api.ok("POST", "optouts:register", json_body=register_body("+1", "+2"))
    reply = await api.ok("POST", "optins:register", json_body=register_body("+1"))
    assert reply["opt_in"] == register_body("+1")
    assert reply["request_id"]
    listed = await api.ok("GET", "apps/app-1/consents/OPT_OUT_ALL")
    assert [i["identity"] for i in listed["identities"]] == ["+2"]


async def test_opt_out_of_a_contact_uses_its_identities_on_the_channels(api: Api) -> None:
    """A contact recipient opts out its identities on the requested channels."""
    contact_id = await create_contact(api, "+7")
    body = {"app_id": "app-1", "channels": ["SMS"], "recipient": {"contact_id": contact_id}}
    await api.ok("POST", "optouts:register", json_body=body)
    listed = await api.ok("GET", "apps/app-1/consents/OPT_OUT_ALL")
    assert listed["identities"] == [{"identity": "+7"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"app_id": None}, "app_id"),
        ({"channels": []}, "channels"),
        ({"recipient": None}, "recipient"),
        ({"recipient": {"contact_id": "01NOSUCHCONTACT"}}, "recipient.contact_id"),
        ({"processing_strategy": "LATER"}, "processing_strategy"),
    ],
)
async def test_registration_validates_its_body(
    api: Api, change: dict[str, Any], field: str
) -> None:
    """app_id, channels and an existing recipient are required."""
    body = {k: v for k, v in {**register_body("+1"), **change}.items() if v is not None}
    assert bad_fields(await api.v1("POST", "optouts:register", json_body=body)) == [field]
