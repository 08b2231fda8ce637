"""Behaviour of the webhook (event destination) models that SDK users rely on."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from conversation_async import _serde as serde
from conversation_async.models import (
    ClientCredentials,
    ClientCredentialsTokenRequestType,
    ListWebhooksResponse,
    Webhook,
    WebhookCreateRequest,
    WebhookTargetType,
    WebhookTrigger,
    WebhookUpdateRequest,
)

CATALOG_TRIGGERS = {
    "MESSAGE_INBOUND",
    "MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION",
    "MESSAGE_SUBMIT",
    "MESSAGE_DELIVERY",
    "EVENT_INBOUND",
    "EVENT_DELIVERY",
    "CONVERSATION_START",
    "CONVERSATION_STOP",
    "CONVERSATION_DELETE",
    "CONTACT_CREATE",
    "CONTACT_UPDATE",
    "CONTACT_DELETE",
    "CONTACT_MERGE",
    "CONTACT_IDENTITIES_DUPLICATION",
    "CAPABILITY",
    "OPT_IN",
    "OPT_OUT",
    "CHANNEL_EVENT",
    "SMART_CONVERSATION",
    "RECORD_NOTIFICATION",
    "UNSUPPORTED",
    "BATCH_STATUS_UPDATE",
}


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


def _credentials() -> ClientCredentials:
    return ClientCredentials(
        client_id="visible-client-id",
        client_secret="client-secret-SECRET",
        endpoint="https://auth.example.com/token",
    )


def test_webhook_trigger_lists_the_catalog_triggers_batch_status_and_unspecified() -> None:
    """WebhookTrigger has exactly the catalog's 21 usable triggers, the Batch API's
    BATCH_STATUS_UPDATE and UNSPECIFIED_TRIGGER."""
    assert {t.value for t in WebhookTrigger} == CATALOG_TRIGGERS | {"UNSPECIFIED_TRIGGER"}


def test_unknown_webhook_trigger_is_kept_as_str() -> None:
    """A trigger this SDK does not know stays a plain string and is written back."""
    data = {"id": "w", "triggers": ["MESSAGE_INBOUND", "SOME_FUTURE_TRIGGER"]}
    hook = serde.structure(data, Webhook)
    assert hook.triggers == [WebhookTrigger.MESSAGE_INBOUND, "SOME_FUTURE_TRIGGER"]
    assert hook.triggers is not None
    assert not isinstance(hook.triggers[1], WebhookTrigger)
    assert dump(hook) == data


def test_smart_conversation_is_the_member_and_plural_spelling_stays_str() -> None:
    """SMART_CONVERSATION is a member; NODE's SMART_CONVERSATIONS is read as a plain string."""
    hook = serde.structure(
        {"id": "w", "triggers": ["SMART_CONVERSATION", "SMART_CONVERSATIONS"]}, Webhook
    )
    assert hook.triggers == [WebhookTrigger.SMART_CONVERSATION, "SMART_CONVERSATIONS"]
    assert hook.triggers is not None
    assert not isinstance(hook.triggers[1], WebhookTrigger)


def test_webhook_repr_hides_secret_and_client_secret() -> None:
    """Neither the signing secret nor the OAuth client secret shows in any webhook repr."""
    hook = Webhook(
        id="w1",
        app_id="app",
        target="https://example.com/cb",
        secret="signing-secret-SECRET",
        client_credentials=_credentials(),
    )
    texts = [repr(hook), str(hook), repr(ListWebhooksResponse(webhooks=[hook]))]
    for text in texts:
        assert "signing-secret-SECRET" not in text
        assert "client-secret-SECRET" not in text
        assert "visible-client-id" in text
        assert "https://example.com/cb" in text


@pytest.mark.parametrize("model", [WebhookCreateRequest, WebhookUpdateRequest])
def test_webhook_requests_repr_hides_secrets(model: Any) -> None:
    """Create and update requests hide the secret and client secret from repr()."""
    request = model(
        app_id="app",
        target="https://example.com/cb",
        secret="signing-secret-SECRET",
        client_credentials=_credentials(),
    )
    assert "SECRET" not in repr(request)
    assert dump(request)["secret"] == "signing-secret-SECRET"
    assert dump(request)["client_credentials"]["client_secret"] == "client-secret-SECRET"


def test_update_request_with_nothing_set_has_every_field_none() -> None:
    """``WebhookUpdateRequest()`` is valid, all its fields are None and it sends ``{}``."""
    request = WebhookUpdateRequest()
    assert all(getattr(request, f.name) is None for f in attrs.fields(WebhookUpdateRequest))
    assert dump(request) == {}


def test_update_request_has_the_webhook_fields_minus_id() -> None:
    """WebhookUpdateRequest can set every Webhook field except the read-only id."""
    webhook_fields = {f.name for f in attrs.fields(Webhook)}
    update_fields = {f.name for f in attrs.fields(WebhookUpdateRequest)}
    assert update_fields == webhook_fields - {"id"}


def test_create_request_requires_app_id_and_target() -> None:
    """WebhookCreateRequest refuses to be built without app_id or target."""
    with pytest.raises(TypeError, match="target"):
        WebhookCreateRequest(app_id="app")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="app_id"):
        WebhookCreateRequest(target="https://example.com")  # type: ignore[call-arg]


def test_create_request_sends_triggers_as_strings() -> None:
    """A create request is sent with its triggers and target type as plain strings."""
    request = WebhookCreateRequest(
        app_id="app",
        target="https://example.com/cb",
        target_type=WebhookTargetType.HTTP,
        triggers=[WebhookTrigger.MESSAGE_INBOUND, WebhookTrigger.MESSAGE_DELIVERY],
    )
    assert dump(request) == {
        "app_id": "app",
        "target": "https://example.com/cb",
        "target_type": "HTTP",
        "triggers": ["MESSAGE_INBOUND", "MESSAGE_DELIVERY"],
    }


def test_webhook_with_only_an_id_is_read() -> None:
    """A server that omits every optional webhook field does not break reading it."""
    assert serde.structure({"id": "w"}, Webhook) == Webhook(id="w")


def test_token_request_type_becomes_member() -> None:
    """``token_request_type: FORM`` becomes the enum member."""
    creds = serde.structure(
        {"client_id": "c", "client_secret": "s", "endpoint": "e", "token_request_type": "FORM"},
        ClientCredentials,
    )
    assert creds.token_request_type is ClientCredentialsTokenRequestType.FORM
