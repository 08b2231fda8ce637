"""client.batches refuses what the Batch API would refuse, before any request; its host."""

from __future__ import annotations

from datetime import datetime

import pytest

from conversation_async import ClientConfig, ConfigurationError, ConversationClient
from conversation_async._config import config_from_env
from conversation_async._errors import SerializationError
from conversation_async._resources._batches import check_send_batch, read_batches
from conversation_async.models import (
    AppMessage,
    ChannelIdentity,
    ConsentRecord,
    ContactCreateRequest,
    IdentifiedRecipient,
    RecipientAndParam,
    SendBatchRequest,
    TextMessage,
)
from tests.conftest import unused_port

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))


def request(**changes: object) -> SendBatchRequest:
    fields: dict[str, object] = {
        "app_id": "app",
        "message": AppMessage(content=TextMessage(text="hi ${name}")),
        "recipient_and_params": [RecipientAndParam(recipient=RECIPIENT)],
    }
    fields.update(changes)
    return SendBatchRequest(**fields)  # type: ignore[arg-type]


def nowhere_client(**options: object) -> ConversationClient:
    """A client whose every host refuses connections: a check that passes would fail loudly."""
    url = f"http://127.0.0.1:{unused_port()}"
    return ConversationClient(
        "p",
        "id",
        "secret",
        conversation_url=url,
        batch_url=url,
        auth_url=url,
        max_retries=0,
        **options,
    )


def test_batch_url_defaults_to_the_regional_batch_host() -> None:
    """Without an override, the Batch host follows the region (catalog §1.1)."""
    for region in ("us", "eu", "br"):
        config = ClientConfig(project_id="p", client_id="i", client_secret="s", region=region)
        assert config.batch_url == f"https://{region}.conversationbatch.api.sinch.com"


def test_batch_url_is_overridable_in_code_and_in_the_environment() -> None:
    """batch_url= and SINCH_BATCH_URL override the Batch host, trailing slash dropped."""
    config = ClientConfig(
        project_id="p", client_id="i", client_secret="s", batch_url="http://localhost:1/"
    )
    assert config.batch_url == "http://localhost:1"
    env = {
        "SINCH_PROJECT_ID": "p",
        "SINCH_CLIENT_ID": "i",
        "SINCH_CLIENT_SECRET": "s",
        "SINCH_BATCH_URL": "http://localhost:2",
    }
    assert config_from_env(env).batch_url == "http://localhost:2"
    with pytest.raises(ConfigurationError):
        ClientConfig(project_id="p", client_id="i", client_secret="s", batch_url="ftp://x")


def test_check_send_batch_accepts_1_and_1000_recipients_and_refuses_0_and_1001() -> None:
    """The recipient count must be 1 to 1,000."""
    check_send_batch(request())
    check_send_batch(request(recipient_and_params=[RecipientAndParam(recipient=RECIPIENT)] * 1000))
    for count in (0, 1001):
        items = [RecipientAndParam(recipient=RECIPIENT)] * count
        with pytest.raises(ValueError, match="1 to 1,000"):
            check_send_batch(request(recipient_and_params=items))


def test_check_send_batch_refuses_a_caller_set_batch_id_at_either_level() -> None:
    """_batch_id is reserved in request-level and recipient-level metadata."""
    with pytest.raises(ValueError, match="_batch_id"):
        check_send_batch(request(message_metadata={"_batch_id": "mine"}))
    with pytest.raises(ValueError, match="_batch_id"):
        check_send_batch(request(conversation_metadata={"_batch_id": "mine"}))
    item = RecipientAndParam(recipient=RECIPIENT, message_metadata={"_batch_id": "x"})
    with pytest.raises(ValueError, match=r"recipient_and_params\[0\]"):
        check_send_batch(request(recipient_and_params=[item]))


def test_check_send_batch_refuses_non_string_maps_naive_times_and_missing_app() -> None:
    """Parameters must map str to str, send_after must be aware, app_id is required."""
    item = RecipientAndParam(recipient=RECIPIENT, parameters={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="parameters"):
        check_send_batch(request(recipient_and_params=[item]))
    with pytest.raises(ValueError, match="timezone-aware"):
        check_send_batch(request(send_after=datetime(2030, 1, 1)))
    with pytest.raises(ValueError, match="app_id"):
        check_send_batch(request(app_id=""))
    with pytest.raises(TypeError, match="RecipientAndParam"):
        check_send_batch(request(recipient_and_params=[RECIPIENT]))


async def test_client_checks_run_before_any_request() -> None:
    """Every refused call raises at once: the unreachable host is never contacted."""
    async with nowhere_client() as client:
        batches = client.batches
        with pytest.raises(ValueError, match="1 to 1,000"):
            await batches.send(app_id="a", message=TextMessage(text="x"), recipients=[])
        with pytest.raises(ValueError, match="1 to 1,000"):
            await batches.send(
                app_id="a", message=TextMessage(text="x"), recipients=[RECIPIENT] * 1001
            )
        with pytest.raises(ValueError, match="not both"):
            await batches.cancel("b", metadata_key="k", metadata_value="v")
        with pytest.raises(ValueError, match="metadata_value"):
            await batches.cancel(metadata_key="k")
        with pytest.raises(ValueError, match="batch_id"):
            await batches.get(batch_id="")
        with pytest.raises(ValueError, match="value"):
            await batches.list_by_metadata(key="k", value="")
        contact = ContactCreateRequest(
            channel_identities=[ChannelIdentity(channel="SMS", identity="+1")], language="EN"
        )
        with pytest.raises(ValueError, match="1 to 1,000"):
            await batches.create_contacts([contact] * 1001)
        with pytest.raises(ValueError, match="1 to 1,000"):
            await batches.delete_contacts([])
        with pytest.raises(TypeError, match="not one string"):
            await batches.delete_contacts("abc")
        with pytest.raises(ValueError, match="at least one"):
            await batches.insert_consents(app_id="a", consent_records=[])
        with pytest.raises(ValueError, match="consent_type"):
            await batches.insert_consents(
                app_id="a", consent_records=[ConsentRecord(identification="x", consent_type="")]
            )


async def test_basic_auth_is_refused_for_the_batch_host() -> None:
    """The Batch API documents bearer tokens only: with auth='basic' batch calls refuse."""
    async with nowhere_client(auth="basic") as client:
        with pytest.raises(ConfigurationError, match="OAuth2"):
            await client.batches.get(batch_id="b")


def test_read_batches_accepts_a_bare_array_or_a_wrapping_object() -> None:
    """The status-by-metadata answer reads as an array, {"batches": [...]}, or nothing."""
    item = {"batch_id": "B", "status": "PROCESSED"}
    assert [b.batch_id for b in read_batches([item])] == ["B"]
    assert [b.batch_id for b in read_batches({"batches": [item]})] == ["B"]
    assert [b.batch_id for b in read_batches({"items": [item], "count": 1})] == ["B"]
    assert read_batches(None) == []
    assert read_batches({}) == []


@pytest.mark.parametrize("answer", [{"a": [], "b": []}, "batches", 42])
def test_read_batches_refuses_an_answer_it_cannot_place(answer: object) -> None:
    """Several arrays none named 'batches', or no JSON container at all: an error, not an
    empty list (a journaled batch campaign would read "no batch" as "safe to resend")."""
    with pytest.raises(SerializationError):
        read_batches(answer)
