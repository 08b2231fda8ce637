"""Behaviour of the project settings, capability, transcoding, consents and opt-in models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import conversation_async.models._apps as apps
import conversation_async.models._capability as capability
import conversation_async.models._consents as consents
import conversation_async.models._opt_ins as opt_ins
import conversation_async.models._project_settings as project_settings
import conversation_async.models._transcoding as transcoding
import conversation_async.models._webhooks as webhooks
from conversation_async import _serde as serde
from conversation_async import models
from conversation_async.models import (
    AppMessage,
    AuditRecord,
    AuditRecordOperation,
    AuditRecordOrigin,
    AuditRecordsResponse,
    ConsentIdentity,
    ConsentsListType,
    ContactRecipient,
    ContactSettings,
    ConversationChannel,
    IdentifiedRecipient,
    ListConsentIdentitiesResponse,
    OptIn,
    OptInRegisterRequest,
    OptInRegisterResponse,
    OptInStatus,
    OptOutRegisterRequest,
    OptOutRegisterResponse,
    OptOutStatus,
    ProcessingStrategy,
    ProjectSettingsRequest,
    ProjectSettingsResponse,
    QueryCapabilityRequest,
    QueryCapabilityResponse,
    TextMessage,
    TranscodeMessageRequest,
    TranscodeMessageResponse,
)


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


# --- transcoding ------------------------------------------------------------------------


def test_transcode_request_sends_from_under_its_wire_name() -> None:
    """The ``from_`` attribute is sent as ``"from"`` (a Python keyword) and read back."""
    request = TranscodeMessageRequest(
        app_id="app",
        app_message=AppMessage(content=TextMessage(text="hi")),
        channels=[ConversationChannel.WHATSAPP],
        from_="+46700000001",
        to="+46700000002",
    )
    written = dump(request)
    assert written == {
        "app_id": "app",
        "app_message": {"text_message": {"text": "hi"}},
        "channels": ["WHATSAPP"],
        "from": "+46700000001",
        "to": "+46700000002",
    }
    assert serde.structure(written, TranscodeMessageRequest) == request


def test_transcode_request_without_from_leaves_it_out() -> None:
    """An unset ``from_`` is not sent at all (neither as ``from`` nor ``from_``)."""
    request = TranscodeMessageRequest(
        app_id="app", app_message=AppMessage(content=TextMessage(text="hi")), channels=["SMS"]
    )
    assert set(dump(request)) == {"app_id", "app_message", "channels"}


def test_transcode_response_keys_become_channels() -> None:
    """Known channel keys of ``transcoded_message`` become ConversationChannel members."""
    response = serde.structure(
        {"transcoded_message": {"WHATSAPP": "{}", "FAX": "x"}}, TranscodeMessageResponse
    )
    assert response.transcoded_message == {ConversationChannel.WHATSAPP: "{}", "FAX": "x"}
    assert response.transcoded_message is not None
    assert isinstance(next(iter(response.transcoded_message)), ConversationChannel)


# --- capability -------------------------------------------------------------------------


def test_capability_request_takes_either_recipient_form() -> None:
    """A capability query's recipient is a contact ID or channel identities."""
    by_contact = serde.structure(
        {"app_id": "a", "recipient": {"contact_id": "c1"}}, QueryCapabilityRequest
    )
    assert by_contact.recipient == ContactRecipient(contact_id="c1")
    by_identity = QueryCapabilityRequest(
        app_id="a", recipient=IdentifiedRecipient.of(("SMS", "+4670")), request_id="r"
    )
    assert dump(by_identity) == {
        "app_id": "a",
        "recipient": {
            "identified_by": {"channel_identities": [{"channel": "SMS", "identity": "+4670"}]}
        },
        "request_id": "r",
    }


def test_capability_response_without_recipient_is_read() -> None:
    """A capability response that only echoes the request ID is read."""
    response = serde.structure({"request_id": "r"}, QueryCapabilityResponse)
    assert response == QueryCapabilityResponse(request_id="r")


# --- project settings -------------------------------------------------------------------


def test_project_settings_request_sends_nested_contact_settings() -> None:
    """The settings request nests ``unified_contact_id_enabled`` under contact_settings."""
    request = ProjectSettingsRequest(
        contact_settings=ContactSettings(unified_contact_id_enabled=False)
    )
    assert dump(request) == {"contact_settings": {"unified_contact_id_enabled": False}}


def test_project_settings_response_with_nothing_is_read() -> None:
    """An empty settings response is read rather than refused."""
    assert serde.structure({}, ProjectSettingsResponse) == ProjectSettingsResponse()


# --- consents ---------------------------------------------------------------------------


def test_audit_record_datetime_is_an_aware_datetime() -> None:
    """An audit record's ``datetime`` becomes an aware UTC datetime and enums become members."""
    record = serde.structure(
        {
            "origin": "ORIGIN_MO",
            "operation": "OPERATION_DELETE",
            "list_type": "OPT_OUT_MARKETING",
            "datetime": "2025-06-06T14:42:56.031323456Z",
        },
        AuditRecord,
    )
    assert record.datetime == datetime(2025, 6, 6, 14, 42, 56, 31323, tzinfo=UTC)
    assert record.origin is AuditRecordOrigin.ORIGIN_MO
    assert record.operation is AuditRecordOperation.OPERATION_DELETE
    assert record.list_type is ConsentsListType.OPT_OUT_MARKETING


def test_unknown_consents_list_type_is_kept_as_str() -> None:
    """A list type this SDK does not know stays a plain string."""
    record = serde.structure({"list_type": "OPT_OUT_POLITICAL"}, AuditRecord)
    assert record.list_type == "OPT_OUT_POLITICAL"
    assert not isinstance(record.list_type, ConsentsListType)


def test_consent_identities_page_keeps_its_next_page_token() -> None:
    """A consents page gives its identities and the token of the next page."""
    page = serde.structure(
        {"identities": [{"identity": "+4670"}], "next_page_token": "t2"},
        ListConsentIdentitiesResponse,
    )
    assert page.identities == [ConsentIdentity(identity="+4670")]
    assert page.next_page_token == "t2"


def test_audit_records_response_reads_identity_object() -> None:
    """The audit history names its identity as an object, not a bare string."""
    response = serde.structure(
        {"identity": {"identity": "+4670"}, "audit_records": []}, AuditRecordsResponse
    )
    assert response.identity == ConsentIdentity(identity="+4670")
    assert response.audit_records == []


# --- opt-in / opt-out -------------------------------------------------------------------


@pytest.mark.parametrize("model", [OptInRegisterRequest, OptOutRegisterRequest])
def test_register_request_sends_app_channels_recipient_and_strategy(model: Any) -> None:
    """An opt-in/out registration sends app_id, channels, recipient and processing strategy."""
    request = model(
        app_id="app",
        channels=[ConversationChannel.WHATSAPP],
        recipient=ContactRecipient(contact_id="c1"),
        processing_strategy=ProcessingStrategy.DISPATCH_ONLY,
    )
    assert dump(request) == {
        "app_id": "app",
        "channels": ["WHATSAPP"],
        "recipient": {"contact_id": "c1"},
        "processing_strategy": "DISPATCH_ONLY",
    }


def test_opt_in_response_reads_the_echoed_registration() -> None:
    """The opt-in response gives the request ID and the registration with defaults filled in."""
    response = serde.structure(
        {
            "request_id": "r1",
            "opt_in": {"app_id": "app", "channels": ["WHATSAPP"], "recipient": {"contact_id": "c"}},
        },
        OptInRegisterResponse,
    )
    assert response.request_id == "r1"
    assert response.opt_in == OptIn(
        app_id="app",
        channels=[ConversationChannel.WHATSAPP],
        recipient=ContactRecipient(contact_id="c"),
    )


def test_opt_out_response_reads_the_echoed_registration() -> None:
    """The opt-out response carries its registration under ``opt_out``."""
    response = serde.structure(
        {"request_id": "r2", "opt_out": {"app_id": "app"}}, OptOutRegisterResponse
    )
    assert response.opt_out is not None
    assert response.opt_out.app_id == "app"


def test_opt_in_and_out_statuses_are_the_callback_values() -> None:
    """The opt-in/out status enums hold the OPT_IN / OPT_OUT callback statuses."""
    assert {s.value for s in OptInStatus} == {
        "OPT_IN_SUCCEEDED",
        "OPT_IN_FAILED",
        "OPT_IN_STATUS_UNSPECIFIED",
    }
    assert {s.value for s in OptOutStatus} == {
        "OPT_OUT_SUCCEEDED",
        "OPT_OUT_FAILED",
        "OPT_OUT_STATUS_UNSPECIFIED",
    }


# --- secrets across the areas -----------------------------------------------------------

_SECRET_WORDS = ("token", "secret", "password", "api_key", "aes_key", "sender_key")
_NOT_SECRETS = {"next_page_token", "token_request_type"}


def _secret_named_fields() -> list[tuple[str, str]]:
    found = []
    for module in (apps, webhooks, project_settings, capability, transcoding, consents, opt_ins):
        for name in module.__all__:
            cls = getattr(models, name)
            if not (isinstance(cls, type) and attrs.has(cls)):
                continue
            for field in attrs.fields(cls):
                if field.name in _NOT_SECRETS:
                    continue
                if any(word in field.name for word in _SECRET_WORDS):
                    found.append((name, field.name))
    return found


def test_secret_fields_are_found() -> None:
    """The secret-field scan below sees the fields it is meant to check."""
    found = _secret_named_fields()
    assert ("StaticBearerCredential", "token") in found
    assert ("Webhook", "secret") in found
    assert ("ClientCredentials", "client_secret") in found


@pytest.mark.parametrize(("model", "field"), _secret_named_fields())
def test_every_secret_named_field_is_hidden_from_repr(model: str, field: str) -> None:
    """Each field whose name says token/secret/password/key is left out of repr()."""
    attribute = attrs.fields_dict(getattr(models, model))[field]
    assert attribute.repr is False
