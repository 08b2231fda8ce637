"""client.templates (Templates v2) against the emulator: lifecycle, versions, host, checks."""

from __future__ import annotations

from typing import Any

import pytest

from conversation_async import BadRequestError, ConversationClient, NotFoundError
from conversation_async.models import (
    TemplateTranslation,
    TemplateV2,
    TemplateVariable,
    TextMessage,
)
from conversation_async.testing import Emulator
from tests.conftest import FAST_RETRY, unused_port
from tests.resources.conftest import Wire


def translation(language_code: str, text: str, version: str = "1") -> TemplateTranslation:
    return TemplateTranslation(
        language_code=language_code,
        version=version,
        message=TextMessage(text=text),
        variables=[TemplateVariable(key="name", preview_value="Ada")],
    )


ENGLISH = translation("en-US", "Hello ${name}")
SWEDISH = translation("sv-SE", "Hej ${name}")


async def create(client: ConversationClient, **kwargs: Any) -> TemplateV2:
    kwargs.setdefault("default_translation", "en-US")
    kwargs.setdefault("translations", [ENGLISH, SWEDISH])
    return await client.templates.create(**kwargs)


async def test_template_lifecycle_create_get_list_update_delete(client: ConversationClient) -> None:
    """A template goes through create, get, list, a versioned update and delete."""
    created = await create(client, id="lifecycle")
    assert await client.templates.get(template_id="lifecycle") == created
    await create(client, id="other")
    assert {t.id for t in await client.templates.list()} == {"lifecycle", "other"}
    updated = await client.templates.update(
        template_id="lifecycle",
        version=1,
        default_translation="sv-SE",
        translations=[SWEDISH],
        description="now Swedish only",
    )
    assert (updated.version, updated.default_translation) == (2, "sv-SE")
    await client.templates.delete(template_id="lifecycle")
    with pytest.raises(NotFoundError):
        await client.templates.get(template_id="lifecycle")
    assert [t.id for t in await client.templates.list()] == ["other"]


async def test_create_returns_the_template_at_version_1(client: ConversationClient) -> None:
    """create() returns the stored template, with the given fields, at version 1."""
    template = await create(client, id="welcome", description="greeting")
    assert template.id == "welcome"
    assert template.description == "greeting"
    assert template.version == 1
    assert template.default_translation == "en-US"
    assert [t.language_code for t in template.translations or []] == ["en-US", "sv-SE"]
    assert template.translations is not None
    assert template.translations[0].message == TextMessage(text="Hello ${name}")


async def test_create_sends_the_template_on_the_v2_route(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The create body reaches V2CreateTemplate with the translation's message key."""
    await create(client, id="welcome", translations=[ENGLISH])
    assert emulator.requests_seen["V2CreateTemplate"] == 1
    assert emulator.requests_seen["CreateTemplate"] == 0
    stored = emulator.store.templates["welcome"]
    assert stored["default_translation"] == "en-US"
    assert stored["translations"][0]["language_code"] == "en-US"
    assert stored["translations"][0]["text_message"] == {"text": "Hello ${name}"}


async def test_create_and_update_send_only_writable_fields(
    wire: Wire,
) -> None:
    """POST sends no version or times; PUT sends the whole template with its version."""
    client, sent = wire
    one = [translation("en-US", "Hi")]
    created = await client.templates.create(default_translation="en-US", translations=one)
    assert created.id
    assert created.version is not None
    post = sent[-1]
    assert (post.method, post.url.path) == ("POST", "/v2/projects/emulator-project/templates")
    assert post.json() == {
        "default_translation": "en-US",
        "translations": [
            {
                "language_code": "en-US",
                "version": "1",
                "text_message": {"text": "Hi"},
                "variables": [{"key": "name", "preview_value": "Ada"}],
            }
        ],
    }
    await client.templates.update(
        template_id=created.id,
        version=created.version,
        default_translation="en-US",
        translations=one,
    )
    put = sent[-1]
    assert (put.method, put.url.path) == (
        "PUT",
        f"/v2/projects/emulator-project/templates/{created.id}",
    )
    assert put.json() == {**post.json(), "id": created.id, "version": created.version}


async def test_list_translations_sends_the_filters_as_query(
    wire: Wire,
) -> None:
    """language_code and translation_version travel as query parameters; None ones don't."""
    client, sent = wire
    await create(client, id="welcome")
    await client.templates.list_translations(template_id="welcome")
    assert dict(sent[-1].url.query) == {}
    await client.templates.list_translations(
        template_id="welcome", language_code="en-US", translation_version="latest"
    )
    get = sent[-1]
    assert get.url.path == "/v2/projects/emulator-project/templates/welcome/translations"
    assert dict(get.url.query) == {"language_code": "en-US", "translation_version": "latest"}


async def test_create_without_id_gets_a_generated_id(client: ConversationClient) -> None:
    """Leaving out id lets the API generate one."""
    template = await create(client)
    assert template.id
    assert (await client.templates.get(template_id=template.id)).id == template.id


async def test_get_returns_the_created_template(client: ConversationClient) -> None:
    """get() reads back what create() stored."""
    created = await create(client, id="welcome", description="greeting")
    fetched = await client.templates.get(template_id="welcome")
    assert fetched.id == created.id
    assert fetched.description == "greeting"
    assert fetched.version == created.version
    assert fetched.translations is not None
    assert [t.message for t in fetched.translations] == [
        TextMessage(text="Hello ${name}"),
        TextMessage(text="Hej ${name}"),
    ]


async def test_list_returns_every_template(client: ConversationClient) -> None:
    """list() returns a plain list of all the project's templates."""
    assert await client.templates.list() == []
    await create(client, id="one")
    await create(client, id="two")
    templates = await client.templates.list()
    assert isinstance(templates, list)
    assert sorted(t.id or "" for t in templates) == ["one", "two"]


async def test_update_with_the_current_version_increments_it(client: ConversationClient) -> None:
    """A PUT carrying the current version replaces the template and bumps its version."""
    created = await create(client, id="welcome")
    assert created.version is not None
    updated = await client.templates.update(
        template_id="welcome",
        version=created.version,
        default_translation="sv-SE",
        translations=[translation("sv-SE", "Tjena ${name}")],
        description="informal",
    )
    assert updated.version == created.version + 1
    fetched = await client.templates.get(template_id="welcome")
    assert fetched.version == created.version + 1
    assert fetched.default_translation == "sv-SE"
    assert fetched.description == "informal"
    assert [t.message for t in fetched.translations or []] == [TextMessage(text="Tjena ${name}")]


async def test_update_is_a_full_replacement(client: ConversationClient) -> None:
    """Fields left out of an update (description) are cleared, not kept."""
    created = await create(client, id="welcome", description="greeting")
    assert created.version is not None
    await client.templates.update(
        template_id="welcome",
        version=created.version,
        default_translation="en-US",
        translations=[ENGLISH],
    )
    fetched = await client.templates.get(template_id="welcome")
    assert fetched.description is None
    assert [t.language_code for t in fetched.translations or []] == ["en-US"]


async def test_update_with_a_stale_version_raises_bad_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """Optimistic concurrency: a PUT with an outdated version is refused and changes nothing."""
    created = await create(client, id="welcome")
    assert created.version is not None
    arguments: dict[str, Any] = {
        "template_id": "welcome",
        "default_translation": "en-US",
        "translations": [ENGLISH],
    }
    await client.templates.update(version=created.version, description="first", **arguments)
    with pytest.raises(BadRequestError):
        await client.templates.update(version=created.version, description="second", **arguments)
    fetched = await client.templates.get(template_id="welcome")
    assert fetched.version == created.version + 1
    assert fetched.description == "first"
    assert emulator.requests_seen["V2UpdateTemplate"] == 2


async def test_list_translations_returns_every_translation(client: ConversationClient) -> None:
    """Without filters, every translation of the template comes back as a list."""
    await create(client, id="welcome")
    translations = await client.templates.list_translations(template_id="welcome")
    assert isinstance(translations, list)
    assert sorted(t.language_code for t in translations) == ["en-US", "sv-SE"]


async def test_list_translations_filters_by_language_code(client: ConversationClient) -> None:
    """language_code narrows the translations to that language."""
    await create(client, id="welcome")
    translations = await client.templates.list_translations(
        template_id="welcome", language_code="sv-SE"
    )
    assert [t.language_code for t in translations] == ["sv-SE"]
    assert translations[0].message == TextMessage(text="Hej ${name}")


async def test_list_translations_filters_by_translation_version(
    client: ConversationClient,
) -> None:
    """translation_version narrows the translations to that version."""
    await create(
        client,
        id="welcome",
        translations=[translation("en-US", "Hello", "1"), translation("sv-SE", "Hej", "2")],
    )
    translations = await client.templates.list_translations(
        template_id="welcome", translation_version="2"
    )
    assert [(t.language_code, t.version) for t in translations] == [("sv-SE", "2")]


async def test_delete_removes_the_template(emulator: Emulator, client: ConversationClient) -> None:
    """After delete(), get() raises NotFoundError and list() no longer has it."""
    await create(client, id="welcome")
    await client.templates.delete(template_id="welcome")
    with pytest.raises(NotFoundError):
        await client.templates.get(template_id="welcome")
    assert await client.templates.list() == []
    assert emulator.requests_seen["V2DeleteTemplate"] == 1


async def test_get_unknown_template_raises_not_found(client: ConversationClient) -> None:
    """An unknown template id is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await client.templates.get(template_id="missing")


async def test_template_ids_are_sent_as_one_path_segment(client: ConversationClient) -> None:
    """An id with '/' is percent-encoded, so it still names one template."""
    await create(client, id="a/b")
    assert (await client.templates.get(template_id="a/b")).id == "a/b"


async def test_templates_use_the_templates_host(emulator: Emulator) -> None:
    """With conversation_url pointing nowhere, templates still work through templates_url."""
    async with ConversationClient(
        emulator.project_id,
        emulator.client_id,
        emulator.client_secret,
        conversation_url=f"http://127.0.0.1:{unused_port()}",
        templates_url=emulator.templates_url,
        auth_url=emulator.auth_url,
        retry=FAST_RETRY,
    ) as client:
        created = await create(client, id="welcome")
        assert [t.id for t in await client.templates.list()] == [created.id]
        assert (await client.templates.get(template_id="welcome")).id == "welcome"
        await client.templates.delete(template_id="welcome")
    assert emulator.requests_seen["V2CreateTemplate"] == 1
    assert emulator.requests_seen["V2DeleteTemplate"] == 1


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("get", {"template_id": ""}),
        ("delete", {"template_id": ""}),
        ("list_translations", {"template_id": ""}),
    ],
)
async def test_missing_template_id_raises_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str, arguments: dict[str, Any]
) -> None:
    """An empty template_id is named in a ValueError and nothing is sent."""
    with pytest.raises(ValueError, match="template_id"):
        await getattr(client.templates, method)(**arguments)
    assert sum(emulator.requests_seen.values()) == 0


async def test_create_without_translations_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """create() names a missing default_translation / translations and sends nothing."""
    with pytest.raises(ValueError, match="default_translation, translations"):
        await client.templates.create(default_translation="", translations=None)  # type: ignore[arg-type]
    assert emulator.requests_seen["V2CreateTemplate"] == 0


async def test_default_translation_outside_translations_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """The default translation must be one of the translations' language codes."""
    with pytest.raises(ValueError, match="fr-FR"):
        await client.templates.create(default_translation="fr-FR", translations=[ENGLISH])
    assert emulator.requests_seen["V2CreateTemplate"] == 0


async def test_update_without_version_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """update() requires the current version and sends nothing without it."""
    with pytest.raises(ValueError, match="version"):
        await client.templates.update(
            template_id="welcome",
            version=None,  # type: ignore[arg-type]
            default_translation="en-US",
            translations=[ENGLISH],
        )
    assert emulator.requests_seen["V2UpdateTemplate"] == 0


async def test_update_with_a_non_integer_version_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A version that is not an int (e.g. "2") is a TypeError, not a request."""
    with pytest.raises(TypeError, match="version"):
        await client.templates.update(
            template_id="welcome",
            version="2",  # type: ignore[arg-type]
            default_translation="en-US",
            translations=[ENGLISH],
        )
    assert emulator.requests_seen["V2UpdateTemplate"] == 0
