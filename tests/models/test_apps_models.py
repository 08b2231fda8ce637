"""Behaviour of the apps and channel-credential models that SDK users rely on."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from conversation_async.models import (
    AppCreateRequest,
    AppleBusinessChatCredentials,
    AppResponse,
    AppUpdateRequest,
    BasicAuthCredential,
    CallbackSettings,
    ChannelIntegrationState,
    ConversationChannel,
    ConversationChannelCredential,
    CredentialStatus,
    DispatchRetentionPolicy,
    InstagramCredentials,
    KakaoTalkChatCredentials,
    KakaoTalkCredentials,
    LineCredentials,
    LineEnterpriseCredentials,
    LineEnterpriseCredentialsJapan,
    LineEnterpriseCredentialsThailand,
    ListAppsResponse,
    MMSCredentials,
    ProcessingMode,
    RetentionPolicy,
    RetentionType,
    StaticBearerCredential,
    StaticTokenCredential,
    TelegramCredentials,
    WeChatCredentials,
)


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


def test_sms_entry_reads_static_bearer_credential() -> None:
    """An SMS entry's ``static_bearer`` object becomes a StaticBearerCredential."""
    entry = serde.structure(
        {
            "channel": "SMS",
            "static_bearer": {"claimed_identity": "plan-1", "token": "tok"},
            "callback_secret": "cb",
            "credential_ordinal_number": 0,
        },
        ConversationChannelCredential,
    )
    assert entry.channel is ConversationChannel.SMS
    assert entry.credential == StaticBearerCredential(claimed_identity="plan-1", token="tok")
    assert entry.callback_secret == "cb"
    assert entry.credential_ordinal_number == 0


@pytest.mark.parametrize(
    ("channel", "credential", "key"),
    [
        ("WHATSAPP", StaticBearerCredential(claimed_identity="bot", token="t"), "static_bearer"),
        ("MESSENGER", StaticTokenCredential(token="t"), "static_token"),
        (
            "MMS",
            MMSCredentials(
                account_id="acc",
                api_key="k",
                basic_auth=BasicAuthCredential(username="u", password="p"),
            ),
            "mms_credentials",
        ),
        (
            "KAKAOTALK",
            KakaoTalkCredentials(kakaotalk_plus_friend_id="f", kakaotalk_sender_key="s"),
            "kakaotalk_credentials",
        ),
        (
            "KAKAOTALKCHAT",
            KakaoTalkChatCredentials(kakaotalk_plus_friend_id="f", api_key="k"),
            "kakaotalkchat_credentials",
        ),
        ("TELEGRAM", TelegramCredentials(token="t"), "telegram_credentials"),
        ("LINE", LineCredentials(token="t", secret="s", is_default=True), "line_credentials"),
        (
            "WECHAT",
            WeChatCredentials(app_id="a", app_secret="s", token="t", aes_key="k"),
            "wechat_credentials",
        ),
        (
            "INSTAGRAM",
            InstagramCredentials(token="t", business_account_id="b"),
            "instagram_credentials",
        ),
        (
            "APPLEBC",
            AppleBusinessChatCredentials(business_chat_account_id="b", merchant_id="m"),
            "applebc_credentials",
        ),
    ],
)
def test_credential_is_written_under_its_wire_key_and_read_back(
    channel: str, credential: Any, key: str
) -> None:
    """Each credential kind is sent under its own key next to ``channel`` and read back."""
    entry = ConversationChannelCredential(channel=channel, credential=credential)
    written = dump(entry)
    assert written == {"channel": channel, key: dump(credential)}
    assert serde.structure(written, ConversationChannelCredential) == entry


def test_line_enterprise_japan_credentials_are_read_from_line_japan() -> None:
    """``line_enterprise_credentials.line_japan`` becomes LineEnterpriseCredentialsJapan."""
    data = {
        "channel": "LINE",
        "line_enterprise_credentials": {
            "line_japan": {"token": "jt", "secret": "js"},
            "is_default": True,
        },
        "credential_ordinal_number": 1,
    }
    entry = serde.structure(data, ConversationChannelCredential)
    assert entry.credential == LineEnterpriseCredentials(
        credentials=LineEnterpriseCredentialsJapan(token="jt", secret="js"), is_default=True
    )
    assert dump(entry) == data


def test_line_enterprise_thailand_credentials_are_read_from_line_thailand() -> None:
    """``line_enterprise_credentials.line_thailand`` becomes LineEnterpriseCredentialsThailand."""
    data = {
        "channel": "LINE",
        "line_enterprise_credentials": {"line_thailand": {"token": "tt", "secret": "ts"}},
    }
    entry = serde.structure(data, ConversationChannelCredential)
    assert isinstance(entry.credential, LineEnterpriseCredentials)
    assert entry.credential.credentials == LineEnterpriseCredentialsThailand(
        token="tt", secret="ts"
    )
    assert dump(entry) == data


def test_line_enterprise_thailand_is_written_under_line_thailand() -> None:
    """A Thailand region object is sent as ``line_thailand``, not ``line_japan``."""
    entry = ConversationChannelCredential(
        channel=ConversationChannel.LINE,
        credential=LineEnterpriseCredentials(
            credentials=LineEnterpriseCredentialsThailand(token="t", secret="s")
        ),
    )
    assert dump(entry)["line_enterprise_credentials"] == {
        "line_thailand": {"token": "t", "secret": "s"}
    }


def test_unknown_line_enterprise_region_is_kept_and_written_back() -> None:
    """A LINE enterprise region this SDK does not know is kept raw and sent back unchanged."""
    data = {"line_korea": {"token": "kt"}, "is_default": False}
    creds = serde.structure(data, LineEnterpriseCredentials)
    assert creds.credentials == UnknownVariant({"line_korea": {"token": "kt"}})
    assert creds.is_default is False
    assert dump(creds) == data


def test_unknown_credential_key_is_kept_as_unknown_variant_and_written_back() -> None:
    """A credential key from a newer API stays raw; the entry's other fields are still read."""
    data = {
        "channel": "SIGNAL",
        "signal_credentials": {"token": "new-token"},
        "callback_secret": "cb",
        "state": {"status": "ACTIVE", "description": ""},
        "channel_known_id": "known",
    }
    entry = serde.structure(data, ConversationChannelCredential)
    assert entry.credential == UnknownVariant({"signal_credentials": {"token": "new-token"}})
    assert entry.channel == "SIGNAL"
    assert entry.state == ChannelIntegrationState(status=CredentialStatus.ACTIVE, description="")
    assert entry.channel_known_id == "known"
    assert dump(entry) == data


def test_credential_status_unknown_value_is_kept_as_str() -> None:
    """A credential state the SDK does not know stays a plain string."""
    state = serde.structure({"status": "SUSPENDED"}, ChannelIntegrationState)
    assert state.status == "SUSPENDED"
    assert not isinstance(state.status, CredentialStatus)


def test_credential_missing_its_required_token_is_refused() -> None:
    """A ``static_bearer`` object without its token raises SerializationError."""
    with pytest.raises(SerializationError):
        serde.structure(
            {"channel": "SMS", "static_bearer": {"claimed_identity": "plan"}},
            ConversationChannelCredential,
        )


SECRETS = {
    "bearer-token-SECRET",
    "static-token-SECRET",
    "mms-api-key-SECRET",
    "mms-password-SECRET",
    "kakao-sender-key-SECRET",
    "kakaochat-api-key-SECRET",
    "telegram-token-SECRET",
    "line-token-SECRET",
    "line-secret-SECRET",
    "line-jp-token-SECRET",
    "line-jp-secret-SECRET",
    "wechat-app-secret-SECRET",
    "wechat-token-SECRET",
    "wechat-aes-key-SECRET",
    "instagram-token-SECRET",
    "applepay-password-SECRET",
    "callback-secret-SECRET",
    "overridden-urls-SECRET",
    "unknown-token-SECRET",
}


def _app_with_every_secret() -> AppResponse:
    entries: list[tuple[str, Any]] = [
        ("SMS", StaticBearerCredential(claimed_identity="plan-id", token="bearer-token-SECRET")),
        ("MESSENGER", StaticTokenCredential(token="static-token-SECRET")),
        (
            "MMS",
            MMSCredentials(
                account_id="mms-account",
                api_key="mms-api-key-SECRET",
                basic_auth=BasicAuthCredential(username="mms-user", password="mms-password-SECRET"),
            ),
        ),
        (
            "KAKAOTALK",
            KakaoTalkCredentials(
                kakaotalk_plus_friend_id="friend", kakaotalk_sender_key="kakao-sender-key-SECRET"
            ),
        ),
        (
            "KAKAOTALKCHAT",
            KakaoTalkChatCredentials(
                kakaotalk_plus_friend_id="friend", api_key="kakaochat-api-key-SECRET"
            ),
        ),
        ("TELEGRAM", TelegramCredentials(token="telegram-token-SECRET")),
        ("LINE", LineCredentials(token="line-token-SECRET", secret="line-secret-SECRET")),
        (
            "LINE",
            LineEnterpriseCredentials(
                credentials=LineEnterpriseCredentialsJapan(
                    token="line-jp-token-SECRET", secret="line-jp-secret-SECRET"
                )
            ),
        ),
        (
            "WECHAT",
            WeChatCredentials(
                app_id="wechat-app",
                app_secret="wechat-app-secret-SECRET",
                token="wechat-token-SECRET",
                aes_key="wechat-aes-key-SECRET",
            ),
        ),
        ("INSTAGRAM", InstagramCredentials(token="instagram-token-SECRET")),
        (
            "APPLEBC",
            AppleBusinessChatCredentials(
                business_chat_account_id="abc",
                apple_pay_certificate_password="applepay-password-SECRET",
            ),
        ),
        ("SIGNAL", UnknownVariant({"signal_credentials": {"token": "unknown-token-SECRET"}})),
    ]
    return AppResponse(
        id="app-1",
        display_name="Visible App",
        channel_credentials=[
            ConversationChannelCredential(
                channel=channel, credential=credential, callback_secret="callback-secret-SECRET"
            )
            for channel, credential in entries
        ],
        callback_settings=CallbackSettings(
            secret_for_overridden_callback_urls="overridden-urls-SECRET"
        ),
    )


def test_app_repr_and_str_hide_every_secret() -> None:
    """No token, key, password or secret of any credential shows in repr() or str() of an app."""
    app = _app_with_every_secret()
    for text in (repr(app), str(app), repr(ListAppsResponse(apps=[app]))):
        leaked = sorted(s for s in SECRETS if s in text)
        assert leaked == []
        assert "Visible App" in text
        assert "plan-id" in text  # non-secret credential fields stay visible


def test_hidden_secrets_are_still_sent() -> None:
    """Hiding secrets from repr() does not drop them from the JSON sent."""
    written = json.dumps(dump(_app_with_every_secret()))
    assert sorted(s for s in SECRETS if s not in written) == []


def test_unknown_credential_repr_shows_keys_not_values() -> None:
    """An unknown credential's repr names its keys so it can be debugged, without values."""
    entry = ConversationChannelCredential(
        channel="SIGNAL", credential=UnknownVariant({"signal_credentials": {"token": "tok-XYZ"}})
    )
    assert "signal_credentials" in repr(entry)
    assert "tok-XYZ" not in repr(entry)


def test_update_request_with_nothing_set_has_every_field_none() -> None:
    """``AppUpdateRequest()`` is valid, all its fields are None and it sends ``{}``."""
    request = AppUpdateRequest()
    assert all(getattr(request, f.name) is None for f in attrs.fields(AppUpdateRequest))
    assert dump(request) == {}


def test_update_request_sends_only_the_fields_set() -> None:
    """An update with one field set sends just that field (the resource derives the mask)."""
    assert dump(AppUpdateRequest(display_name="Renamed")) == {"display_name": "Renamed"}


def test_create_request_requires_display_name_and_channel_credentials() -> None:
    """AppCreateRequest refuses to be built without its two required fields."""
    with pytest.raises(TypeError, match="display_name"):
        AppCreateRequest(channel_credentials=[])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="channel_credentials"):
        AppCreateRequest(display_name="App")  # type: ignore[call-arg]


def test_app_response_with_only_an_id_is_read() -> None:
    """A server that omits every optional app field does not break reading the app."""
    assert serde.structure({"id": "app-1"}, AppResponse) == AppResponse(id="app-1")


def test_zero_and_empty_values_are_written_back() -> None:
    """``ttl_days: 0`` and ``callback_secret: ""`` are real values, not dropped as unset."""
    request = AppCreateRequest(
        display_name="App",
        channel_credentials=[
            ConversationChannelCredential(
                channel=ConversationChannel.MESSENGER,
                credential=StaticTokenCredential(token="t"),
                callback_secret="",
            )
        ],
        dispatch_retention_policy=DispatchRetentionPolicy(
            retention_type=RetentionType.MESSAGE_EXPIRE_POLICY, ttl_days=0
        ),
    )
    written = dump(request)
    assert written["channel_credentials"][0]["callback_secret"] == ""
    assert written["dispatch_retention_policy"]["ttl_days"] == 0


def test_app_enums_become_members() -> None:
    """Retention type and processing mode values become their StrEnum members."""
    app = serde.structure(
        {
            "id": "a",
            "processing_mode": "CONVERSATION",
            "retention_policy": {"retention_type": "PERSIST_RETENTION_POLICY"},
        },
        AppResponse,
    )
    assert app.processing_mode is ProcessingMode.CONVERSATION
    assert app.retention_policy == RetentionPolicy(
        retention_type=RetentionType.PERSIST_RETENTION_POLICY
    )
