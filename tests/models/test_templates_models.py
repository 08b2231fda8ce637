"""Behaviour of the template-management models (v2 and the deprecated v1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from conversation_async import SerializationError
from conversation_async import _serde as serde
from conversation_async._serde import UnknownVariant
from conversation_async.models import (
    CardMessage,
    CarouselMessage,
    ChannelTemplateOverride,
    ChoiceMessage,
    ContactInfoMessage,
    ConversationChannel,
    ListMessage,
    ListTemplatesV2Response,
    ListTranslationsResponse,
    ListV1TemplatesResponse,
    LocationMessage,
    MediaMessage,
    TemplateChannel,
    TemplateMessage,
    TemplateReference,
    TemplateTranslation,
    TemplateV2,
    TemplateVariable,
    TextMessage,
    V1Template,
    V1TemplateTranslation,
    V1TemplateUpdateRequest,
)


def dump(obj: Any) -> Any:
    """Unstructure to plain JSON values (StrEnum members become str)."""
    return json.loads(json.dumps(serde.unstructure(obj)))


OVERRIDE = {
    "template_reference": {"template_id": "wa_welcome", "version": "2", "language_code": "en"},
    "parameter_mappings": {"1": "name"},
}


BODIES: list[tuple[str, dict[str, Any], type]] = [
    ("text_message", {"text": "Hi ${name}"}, TextMessage),
    ("media_message", {"url": "https://example.com/a.png"}, MediaMessage),
    ("card_message", {"title": "Card", "description": "d"}, CardMessage),
    ("carousel_message", {"cards": [{"title": "one"}, {"title": "two"}]}, CarouselMessage),
    (
        "choice_message",
        {"text_message": {"text": "pick"}, "choices": [{"text_message": {"text": "a"}}]},
        ChoiceMessage,
    ),
    (
        "list_message",
        {"title": "L", "sections": [{"items": [{"choice": {"title": "row"}}]}]},
        ListMessage,
    ),
    (
        "location_message",
        {"coordinates": {"latitude": 59.3, "longitude": 18.1}, "title": "HQ"},
        LocationMessage,
    ),
    ("template_message", {"omni_template": {"template_id": "t", "version": "1"}}, TemplateMessage),
    (
        "contact_info_message",
        {"name": {"full_name": "Ada"}, "phone_numbers": [{"phone_number": "+46700000000"}]},
        ContactInfoMessage,
    ),
]


@pytest.mark.parametrize(("key", "body", "model"), BODIES, ids=[b[0] for b in BODIES])
def test_translation_body_key_selects_message_model(
    key: str, body: dict[str, Any], model: type
) -> None:
    """Each body key becomes its message model in ``message`` and is written back under it."""
    data = {"language_code": "en-US", "version": "1", key: body}
    translation = serde.structure(data, TemplateTranslation)
    assert isinstance(translation.message, model)
    assert translation.language_code == "en-US"
    assert dump(translation) == data


def test_translation_built_in_code_writes_body_under_its_key() -> None:
    """A translation built from a message model is sent with the body under its wire key."""
    translation = TemplateTranslation(
        language_code="sv-SE",
        message=TextMessage(text="Hej ${name}"),
        variables=[TemplateVariable(key="name", preview_value="Ada")],
    )
    assert dump(translation) == {
        "language_code": "sv-SE",
        "text_message": {"text": "Hej ${name}"},
        "variables": [{"key": "name", "preview_value": "Ada"}],
    }


def test_unknown_translation_body_is_kept_and_written_back() -> None:
    """A body key this SDK does not know becomes UnknownVariant and round-trips unchanged."""
    data = {
        "language_code": "en-US",
        "version": "3",
        "hologram_message": {"depth": 3},
        "create_time": "2024-07-07T02:59:59Z",
    }
    translation = serde.structure(data, TemplateTranslation)
    assert translation.message == UnknownVariant({"hologram_message": {"depth": 3}})
    assert translation.version == "3"
    assert translation.create_time == datetime(2024, 7, 7, 2, 59, 59, tzinfo=UTC)
    assert dump(translation) == data


def test_channel_template_overrides_map_channels_to_override_models() -> None:
    """Override keys become ConversationChannel members and values ChannelTemplateOverride."""
    data = {
        "language_code": "en-US",
        "text_message": {"text": "hi"},
        "channel_template_overrides": {"WHATSAPP": OVERRIDE, "KAKAOTALK": OVERRIDE},
    }
    overrides = serde.structure(data, TemplateTranslation).channel_template_overrides
    assert overrides is not None
    assert set(overrides) == {ConversationChannel.WHATSAPP, ConversationChannel.KAKAOTALK}
    assert all(isinstance(k, ConversationChannel) for k in overrides)
    assert overrides[ConversationChannel.WHATSAPP] == ChannelTemplateOverride(
        template_reference=TemplateReference(
            template_id="wa_welcome", version="2", language_code="en"
        ),
        parameter_mappings={"1": "name"},
    )


def test_unknown_override_channel_is_kept_as_str() -> None:
    """An override for a channel this SDK does not know stays a plain string key."""
    data = {
        "language_code": "en-US",
        "text_message": {"text": "hi"},
        "channel_template_overrides": {"NEWCHAT": OVERRIDE},
    }
    translation = serde.structure(data, TemplateTranslation)
    assert translation.channel_template_overrides is not None
    (key,) = translation.channel_template_overrides
    assert key == "NEWCHAT"
    assert not isinstance(key, ConversationChannel)
    assert dump(translation) == data


def test_override_without_version_leaves_version_unset() -> None:
    """An override whose template reference has no version reads None and writes no key."""
    data = {"template_reference": {"template_id": "wa_welcome"}}
    override = serde.structure(data, ChannelTemplateOverride)
    assert override.template_reference.version is None
    assert override.parameter_mappings is None
    assert dump(override) == data


def test_template_timestamps_are_timezone_aware() -> None:
    """Template and translation timestamps parse to aware UTC datetimes, nanoseconds trimmed."""
    data = {
        "id": "t1",
        "create_time": "2024-06-06T14:42:42.379863404Z",
        "update_time": "2024-08-26T08:07:44+02:00",
        "translations": [
            {
                "language_code": "en-US",
                "text_message": {"text": "hi"},
                "update_time": "2024-07-07T06:07:44Z",
            }
        ],
    }
    template = serde.structure(data, TemplateV2)
    assert template.create_time == datetime(2024, 6, 6, 14, 42, 42, 379863, tzinfo=UTC)
    assert template.update_time == datetime(2024, 8, 26, 6, 7, 44, tzinfo=UTC)
    assert template.create_time is not None
    assert template.create_time.utcoffset() == timedelta(0)
    assert template.translations is not None
    assert template.translations[0].update_time == datetime(2024, 7, 7, 6, 7, 44, tzinfo=UTC)


def test_create_body_without_id_or_timestamps_sends_only_what_is_set() -> None:
    """A TemplateV2 create body with no id sends no id, version or read-only timestamps."""
    body = TemplateV2(
        description="welcome",
        default_translation="en-US",
        translations=[TemplateTranslation(language_code="en-US", message=TextMessage(text="hi"))],
    )
    assert dump(body) == {
        "description": "welcome",
        "default_translation": "en-US",
        "translations": [{"language_code": "en-US", "text_message": {"text": "hi"}}],
    }


def test_update_body_carries_integer_version() -> None:
    """The PUT body sends ``version`` as a JSON number, as the API expects."""
    body = TemplateV2(version=4, default_translation="en-US", translations=[])
    assert dump(body) == {"version": 4, "default_translation": "en-US", "translations": []}


def test_translation_without_language_code_is_rejected() -> None:
    """``language_code`` is required on a v2 translation; its absence is a SerializationError."""
    with pytest.raises(SerializationError):
        serde.structure({"text_message": {"text": "hi"}}, TemplateTranslation)


def test_empty_list_responses_read_as_none() -> None:
    """List responses without their list key read as None instead of failing."""
    assert serde.structure({}, ListTemplatesV2Response).templates is None
    assert serde.structure({}, ListTranslationsResponse).translations is None
    assert serde.structure({}, ListV1TemplatesResponse).templates is None


V1_TEMPLATE = {
    "id": "v1tpl",
    "description": "legacy",
    "channel": "WHATSAPP",
    "default_translation": "en-US",
    "translations": [
        {
            "language_code": "en-US",
            "version": "1",
            "content": '{"text_message":{"text":"Hi ${name}"}}',
            "variables": [{"key": "name", "preview_value": "Ada"}],
            "create_time": "2023-01-02T03:04:05Z",
            "update_time": "2023-01-02T03:04:06Z",
        }
    ],
    "create_time": "2023-01-02T03:04:05Z",
    "update_time": "2023-01-02T03:04:06Z",
}


def test_v1_template_reads_catalog_shape_and_writes_it_back() -> None:
    """A v1 template in the catalog's shape structures fully and round-trips."""
    template = serde.structure(V1_TEMPLATE, V1Template)
    assert template.channel is TemplateChannel.WHATSAPP
    assert template.translations == [
        V1TemplateTranslation(
            language_code="en-US",
            version="1",
            content='{"text_message":{"text":"Hi ${name}"}}',
            variables=[TemplateVariable(key="name", preview_value="Ada")],
            create_time=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
            update_time=datetime(2023, 1, 2, 3, 4, 6, tzinfo=UTC),
        )
    ]
    assert dump(template) == V1_TEMPLATE


def test_unknown_v1_template_channel_is_kept_as_str() -> None:
    """A v1 channel value this SDK does not know stays a plain string and is written back."""
    template = serde.structure({"id": "x", "channel": "PIGEON"}, V1Template)
    assert template.channel == "PIGEON"
    assert not isinstance(template.channel, TemplateChannel)
    assert dump(template) == {"id": "x", "channel": "PIGEON"}


def test_v1_update_request_with_nothing_set_has_every_field_none() -> None:
    """An empty V1TemplateUpdateRequest has every field None and sends an empty object."""
    request = V1TemplateUpdateRequest()
    assert all(getattr(request, f.name) is None for f in attrs.fields(V1TemplateUpdateRequest))
    assert dump(request) == {}


def test_v1_update_request_sends_only_the_fields_set() -> None:
    """The PATCH body holds exactly the fields the caller set, under their wire names."""
    request = V1TemplateUpdateRequest(description="new", channel=TemplateChannel.SMS)
    assert dump(request) == {"description": "new", "channel": "SMS"}
