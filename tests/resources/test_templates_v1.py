"""client.templates_v1 (deprecated) against the emulator: lifecycle, warnings, host, checks."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conversation_async import ConversationClient, NotFoundError
from conversation_async.models import (
    TemplateChannel,
    TemplateVariable,
    V1Template,
    V1TemplateTranslation,
)
from conversation_async.testing import Emulator
from tests.conftest import FAST_RETRY, unused_port
from tests.resources.conftest import Wire

DEPRECATED = r"deprecated.*use client\.templates "
"""What every v1 warning says: it is deprecated, and where to go instead."""

ENGLISH = V1TemplateTranslation(
    language_code="en-US",
    version="1",
    content='{"text_message": {"text": "Hello ${name}"}}',
    variables=[TemplateVariable(key="name", preview_value="Ada")],
)
SWEDISH = V1TemplateTranslation(
    language_code="sv-SE",
    version="1",
    content='{"text_message": {"text": "Hej ${name}"}}',
)


def deprecated() -> pytest.WarningsRecorder:
    """Expect the v1 DeprecationWarning pointing to client.templates."""
    return pytest.warns(DeprecationWarning, match=DEPRECATED)


async def create(client: ConversationClient, **kwargs: Any) -> V1Template:
    kwargs.setdefault("default_translation", "en-US")
    kwargs.setdefault("translations", [ENGLISH])
    kwargs.setdefault("channel", TemplateChannel.SMS)
    with deprecated():
        return await client.templates_v1.create(**kwargs)


async def get(client: ConversationClient, template_id: str) -> V1Template:
    with deprecated():
        return await client.templates_v1.get(template_id=template_id)


async def call_ignoring_not_found(
    client: ConversationClient, method: str, arguments: dict[str, Any]
) -> None:
    with contextlib.suppress(NotFoundError):
        await getattr(client.templates_v1, method)(**arguments)


async def test_template_v1_lifecycle_create_get_list_update_delete(
    client: ConversationClient,
) -> None:
    """A v1 template goes through create, get, list, update and delete (each call warns)."""
    created = await create(client, id="v1-lifecycle")
    assert await get(client, "v1-lifecycle") == created
    await create(client, id="v1-other")
    with deprecated():
        assert {t.id for t in await client.templates_v1.list()} == {"v1-lifecycle", "v1-other"}
    with deprecated():
        updated = await client.templates_v1.update(
            template_id="v1-lifecycle", description="changed"
        )
    assert updated.description == "changed"
    assert [t.content for t in updated.translations or []] == [ENGLISH.content]
    with deprecated():
        await client.templates_v1.delete(template_id="v1-lifecycle")
    with pytest.raises(NotFoundError), deprecated():
        await client.templates_v1.get(template_id="v1-lifecycle")


async def test_create_returns_the_template(emulator: Emulator, client: ConversationClient) -> None:
    """create() stores the template on the v1 route and returns it."""
    template = await create(client, id="welcome", description="greeting")
    assert template.id == "welcome"
    assert template.description == "greeting"
    assert template.channel == TemplateChannel.SMS
    assert template.default_translation == "en-US"
    assert [t.content for t in template.translations or []] == [ENGLISH.content]
    assert emulator.requests_seen["CreateTemplate"] == 1
    assert emulator.requests_seen["V2CreateTemplate"] == 0


async def test_create_without_id_gets_a_generated_id(client: ConversationClient) -> None:
    """Leaving out id lets the API generate one."""
    template = await create(client)
    assert template.id
    assert (await get(client, template.id)).id == template.id


async def test_get_returns_the_created_template(client: ConversationClient) -> None:
    """get() reads back what create() stored."""
    await create(client, id="welcome", description="greeting")
    fetched = await get(client, "welcome")
    assert fetched.description == "greeting"
    assert fetched.channel == TemplateChannel.SMS
    assert [t.language_code for t in fetched.translations or []] == ["en-US"]


async def test_list_returns_every_template(client: ConversationClient) -> None:
    """list() returns a plain list of all the project's v1 templates."""
    await create(client, id="one")
    await create(client, id="two")
    with deprecated():
        templates = await client.templates_v1.list()
    assert isinstance(templates, list)
    assert sorted(t.id or "" for t in templates) == ["one", "two"]


async def test_update_changes_only_the_given_fields(
    emulator: Emulator, client: ConversationClient
) -> None:
    """A PATCH with one field changes it and keeps the others (update_mask)."""
    await create(client, id="welcome", description="greeting")
    with deprecated():
        updated = await client.templates_v1.update(
            template_id="welcome", translations=[ENGLISH, SWEDISH]
        )
    assert [t.language_code for t in updated.translations or []] == ["en-US", "sv-SE"]
    fetched = await get(client, "welcome")
    assert fetched.description == "greeting"
    assert fetched.channel == TemplateChannel.SMS
    assert [t.language_code for t in fetched.translations or []] == ["en-US", "sv-SE"]
    assert emulator.requests_seen["UpdateTemplate"] == 1


async def test_update_sends_the_set_fields_as_update_mask(
    wire: Wire,
) -> None:
    """The PATCH body holds only the fields given, and update_mask names exactly them."""
    client, sent = wire
    await create(client, id="welcome")
    with deprecated():
        await client.templates_v1.update(
            template_id="welcome", description="hello", channel=TemplateChannel.RCS
        )
    patch = sent[-1]
    assert (patch.method, patch.url.path) == (
        "PATCH",
        "/v1/projects/emulator-project/templates/welcome",
    )
    assert patch.url.query.getall("update_mask") == ["description,channel"]
    assert patch.json() == {"description": "hello", "channel": "RCS"}


async def test_update_of_description_keeps_the_translations(client: ConversationClient) -> None:
    """Changing description alone leaves translations and default untouched."""
    await create(client, id="welcome", description="greeting")
    with deprecated():
        await client.templates_v1.update(template_id="welcome", description="hello")
    fetched = await get(client, "welcome")
    assert fetched.description == "hello"
    assert fetched.default_translation == "en-US"
    assert [t.content for t in fetched.translations or []] == [ENGLISH.content]


async def test_delete_removes_the_template(emulator: Emulator, client: ConversationClient) -> None:
    """After delete(), get() raises NotFoundError."""
    await create(client, id="welcome")
    with deprecated():
        await client.templates_v1.delete(template_id="welcome")
    with deprecated(), pytest.raises(NotFoundError):
        await client.templates_v1.get(template_id="welcome")
    assert emulator.requests_seen["DeleteTemplate"] == 1


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("list", {}),
        ("create", {"default_translation": "en-US", "translations": [ENGLISH]}),
        ("get", {"template_id": "missing"}),
        ("update", {"template_id": "missing", "description": "x"}),
        ("delete", {"template_id": "missing"}),
    ],
)
async def test_every_call_warns_at_the_callers_line(
    client: ConversationClient, method: str, arguments: dict[str, Any]
) -> None:
    """Each v1 method emits a DeprecationWarning naming client.templates, at the caller."""
    with deprecated() as record:
        await call_ignoring_not_found(client, method, arguments)
    assert [w.filename for w in record] == [__file__]
    assert f"templates_v1.{method}()" in str(record[0].message)


async def test_templates_use_the_templates_host(emulator: Emulator) -> None:
    """With conversation_url pointing nowhere, v1 templates still work through templates_url."""
    async with ConversationClient(
        emulator.project_id,
        emulator.client_id,
        emulator.client_secret,
        conversation_url=f"http://127.0.0.1:{unused_port()}",
        templates_url=emulator.templates_url,
        auth_url=emulator.auth_url,
        retry=FAST_RETRY,
    ) as client:
        await create(client, id="welcome")
        assert (await get(client, "welcome")).id == "welcome"
    assert emulator.requests_seen["CreateTemplate"] == 1
    assert emulator.requests_seen["GetTemplate"] == 1


@pytest.mark.parametrize("method", ["get", "update", "delete"])
async def test_missing_template_id_raises_before_any_request(
    emulator: Emulator, client: ConversationClient, method: str
) -> None:
    """An empty template_id is named in a ValueError (after the warning); nothing is sent."""
    arguments: dict[str, Any] = {"template_id": ""}
    if method == "update":
        arguments["description"] = "x"
    with (
        deprecated(),
        pytest.raises(ValueError, match="template_id"),
    ):
        await getattr(client.templates_v1, method)(**arguments)
    assert sum(emulator.requests_seen.values()) == 0


async def test_create_without_translations_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """create() names missing default_translation / translations and sends nothing."""
    with (
        deprecated(),
        pytest.raises(ValueError, match="translations"),
    ):
        await client.templates_v1.create(default_translation="en-US", translations=None)  # type: ignore[arg-type]
    assert emulator.requests_seen["CreateTemplate"] == 0


async def test_update_with_nothing_to_change_raises_before_any_request(
    emulator: Emulator, client: ConversationClient
) -> None:
    """An update without any field to change is a ValueError, not an empty PATCH."""
    with (
        deprecated(),
        pytest.raises(ValueError, match="nothing to update"),
    ):
        await client.templates_v1.update(template_id="welcome")
    assert emulator.requests_seen["UpdateTemplate"] == 0
