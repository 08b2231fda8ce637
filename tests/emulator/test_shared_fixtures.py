"""The shared request fixtures are valid bodies, and answers have the response fixtures' shape.

IDs in a fixture that must name an existing resource (a contact to merge, an app for a
webhook) are replaced with ones created first; everything else is posted as the file has it.
Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import load_shared_json

from .conftest import Api, create_app, create_contact

V1 = "conversation/v1/"
TEMPLATES = "conversation/templates/v2/"


def fixture(relative: str) -> Any:
    """One shared fixture (skips the test without ``../shared``)."""
    return load_shared_json(relative)


def same_keys(answer: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether ``answer`` has exactly the top-level keys of the response fixture."""
    return set(answer) == set(expected)


async def fixture_contact(api: Api) -> dict[str, Any]:
    """The ContactCreateRequest fixture, created."""
    return dict(
        await api.ok(
            "POST", "contacts", json_body=fixture(V1 + "contacts/ContactCreateRequestDto.json")
        )
    )


async def test_app_create_and_update_fixtures(api: Api) -> None:
    """AppCreateRequest and AppUpdateRequest are accepted; answers look like AppResponse."""
    created = await api.ok("POST", "apps", json_body=fixture(V1 + "apps/AppCreateRequestDto.json"))
    expected = fixture(V1 + "apps/AppResponseDto.json")
    assert same_keys(created, expected)
    assert same_keys(created["channel_credentials"][0], expected["channel_credentials"][0])
    update = fixture(V1 + "apps/AppUpdateRequestDto.json")
    assert same_keys(await api.ok("PATCH", f"apps/{created['id']}", json_body=update), expected)
    listed = await api.ok("GET", "apps")
    assert same_keys(listed, fixture(V1 + "apps/AppListResponseDto.json"))


async def test_contact_fixtures(api: Api) -> None:
    """ContactCreate/Update/Merge requests are accepted; answers look like Contact."""
    expected = fixture(V1 + "contacts/ContactDto.json")
    contact = await fixture_contact(api)
    assert same_keys(contact, expected)
    update = fixture(V1 + "contacts/ContactUpdateRequestDto.json")
    assert same_keys(await api.ok("PATCH", f"contacts/{contact['id']}", json_body=update), expected)
    merge = {
        **fixture(V1 + "contacts/ContactMergeRequestDto.json"),
        "source_id": await create_contact(api),
    }
    assert same_keys(
        await api.ok("POST", f"contacts/{contact['id']}:merge", json_body=merge), expected
    )
    page = await api.ok("GET", "contacts")
    assert same_keys(page, fixture(V1 + "contacts/ContactListResponseDtoPage0.json"))


async def test_channel_profile_fixtures(api: Api) -> None:
    """Both GetChannelProfile request forms are accepted; answers are {profile_name}."""
    expected = fixture(V1 + "contacts/ContactGetChannelResponseDto.json")
    by_channel = fixture(V1 + "contacts/ContactGetChannelProfileByChannelRequestDto.json")
    assert same_keys(
        await api.ok("POST", "contacts:getChannelProfile", json_body=by_channel), expected
    )
    by_contact = fixture(V1 + "contacts/ContactGetChannelProfileByContactRequestDto.json")
    by_contact["recipient"]["contact_id"] = (await fixture_contact(api))["id"]
    assert same_keys(
        await api.ok("POST", "contacts:getChannelProfile", json_body=by_contact), expected
    )


async def test_identity_conflicts_answer_the_fixture_shape(api: Api) -> None:
    """ListIdentityConflicts answers look like the fixture, conflicts included."""
    await create_contact(api, "+1")
    await create_contact(api, "+1")
    page = await api.ok("GET", "contacts:identityConflicts")
    expected = fixture(V1 + "contacts/ListIdentityConflictsResponseDtoPage0.json")
    assert same_keys(page, expected)
    assert same_keys(page["conflicts"][0], fixture(V1 + "contacts/IdentityConflictsDto.json"))


async def test_conversation_fixtures(api: Api) -> None:
    """CreateConversation and the update body are accepted; answers look like Conversation."""
    expected = fixture(V1 + "conversations/ConversationResponseDto.json")
    create = fixture(V1 + "conversations/request/CreateConversationRequestDto.json")
    create["contact_id"] = await create_contact(api)
    conversation = await api.ok("POST", "conversations", json_body=create)
    assert set(expected) <= set(conversation)
    update = fixture(V1 + "conversations/ConversationRequestDto.json")
    updated = await api.ok("PATCH", f"conversations/{conversation['id']}", json_body=update)
    assert set(expected) <= set(updated)
    listed = await api.ok("GET", "conversations", params={"app_id": create["app_id"]})
    assert same_keys(
        listed, fixture(V1 + "conversations/response/ConversationsListResponse-page-0.json")
    )


async def test_inject_fixtures(api: Api) -> None:
    """Both InjectMessage fixtures and InjectEvent are accepted into a conversation."""
    message_id = await api.send()
    conversation_id = api.emu.store.messages[message_id].message["conversation_id"]
    base = f"conversations/{conversation_id}"
    for name in ("InjectAppMessageRequestDto.json", "InjectContactMessageRequestDto.json"):
        body = fixture(V1 + "conversations/request/" + name)
        assert await api.ok("POST", base + ":inject-message", json_body=body) == {}
    event = fixture(V1 + "conversations/request/InjectEventRequestDto.json")
    reply = await api.ok("POST", base + ":inject-event", json_body=event)
    assert same_keys(reply, fixture(V1 + "events/response/SendEventResponseDto.json"))


async def test_recent_conversations_answer_the_fixture_shape(api: Api) -> None:
    """ListRecentConversations items look like ConversationRecentMessage."""
    await api.send()
    page = await api.ok("GET", "conversations:recent", params={"app_id": "app-1"})
    assert same_keys(
        page, fixture(V1 + "conversations/response/ConversationsListRecentResponse-page-0.json")
    )
    item = fixture(V1 + "conversations/response/ConversationRecentMessageDto.json")
    assert same_keys(page["conversations"][0], item)


async def test_event_fixtures(api: Api) -> None:
    """SendEventRequest is accepted; the stored event looks like ConversationEvent."""
    reply = await api.ok(
        "POST", "events:send", json_body=fixture(V1 + "events/request/SendEventRequestDto.json")
    )
    assert same_keys(reply, fixture(V1 + "events/response/SendEventResponseDto.json"))
    event = await api.ok("GET", f"events/{reply['event_id']}")
    assert same_keys(event, fixture(V1 + "events/ConversationEventGenericEventDto.json"))


async def test_webhook_fixture(api: Api) -> None:
    """EventDestinationRequest is accepted and echoed like EventDestinationResponse."""
    body = {**fixture(V1 + "eventdestinations/request/EventDestinationRequestDto.json")}
    body["app_id"] = await create_app(api)
    created = await api.ok("POST", "webhooks", json_body=body)
    assert created == {
        **fixture(V1 + "eventdestinations/response/EventDestinationResponseDto.json"),
        "id": created["id"],
        "app_id": body["app_id"],
    }


async def test_capability_fixture(api: Api) -> None:
    """QueryCapabilityRequest is accepted; the answer looks like the response fixture."""
    body = fixture(V1 + "capability/request/QueryCapabilityRequestDto.json")
    reply = await api.ok("POST", "capability:query", json_body=body)
    assert same_keys(reply, fixture(V1 + "capability/response/QueryCapabilityResponseDto.json"))


async def test_transcoding_fixture(api: Api) -> None:
    """TranscodeMessageRequest is accepted; one string per requested channel."""
    body = fixture(V1 + "transcoding/request/TranscodeMessageRequestDto.json")
    reply = await api.ok("POST", "messages:transcode", json_body=body)
    expected = fixture(V1 + "transcoding/response/TranscodeMessageResponseDto.json")
    assert set(reply["transcoded_message"]) == set(expected["transcoded_message"])


async def test_project_settings_fixture(api: Api) -> None:
    """ProjectSettingsRequest creates and updates; answers look like the response fixture."""
    body = fixture(V1 + "projectsettings/request/ProjectSettingsRequestDto.json")
    expected = fixture(V1 + "projectsettings/response/ProjectSettingsResponseDto.json")
    assert await api.ok("POST", "settings", json_body=body) == {
        **expected,
        "project_id": api.emu.project_id,
    }
    assert same_keys(await api.ok("PATCH", "settings", json_body=body), expected)


async def test_consents_answer_the_fixture_shapes(api: Api) -> None:
    """Consents pages and audit records look like their fixtures."""
    api.emu.add_consent("app-1", "OPT_OUT_ALL", "+1")
    page = await api.ok("GET", "apps/app-1/consents/OPT_OUT_ALL")
    assert same_keys(page, fixture(V1 + "consents/ConsentsListResponseDtoPage0.json"))
    records = await api.ok("GET", "apps/app-1/consents/identities/+1")
    expected = fixture(V1 + "consents/AuditRecordsResponseDto.json")
    assert same_keys(records, expected)
    assert same_keys(records["audit_records"][0], expected["audit_records"][0])


async def test_template_v2_fixtures(api: Api) -> None:
    """TemplateV2Request creates and updates; answers look like TemplateV2Response."""
    body = fixture(TEMPLATES + "request/TemplateV2RequestDto.json")
    expected = fixture(TEMPLATES + "response/TemplateV2ResponseDto.json")
    created = (await api.v2("POST", "templates", json_body=body)).body
    assert same_keys(created, expected)
    assert same_keys(created["translations"][0], expected["translations"][0])
    updated = await api.v2("PUT", f"templates/{created['id']}", json_body=body)
    assert updated.status == 200, updated.body
    listed = (await api.v2("GET", "templates")).body
    assert same_keys(listed, fixture(TEMPLATES + "response/TemplatesV2ListResponseDto.json"))
    translations = (await api.v2("GET", f"templates/{created['id']}/translations")).body
    assert same_keys(
        translations, fixture(TEMPLATES + "response/TranslationsV2ListResponseDto.json")
    )


async def test_template_translation_fixture_is_a_valid_translation(api: Api) -> None:
    """TemplateTranslationV2Request is accepted as a template's translation."""
    translation = fixture(TEMPLATES + "request/TemplateTranslationV2RequestDto.json")
    body = {"default_translation": translation["language_code"], "translations": [translation]}
    reply = await api.v2("POST", "templates", json_body=body)
    assert reply.status == 200, reply.body
    expected = fixture(TEMPLATES + "response/TemplateTranslationV2ResponseDto.json")
    assert same_keys(reply.body["translations"][0], expected)
