"""Templates v2 (optimistic versioning) and v1 (update_mask), on the same server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, bad_fields, is_not_found


def translation(code: str = "en-US", text: str = "Hello ${name}") -> dict[str, Any]:
    """A TemplateTranslation with a text message body."""
    return {
        "language_code": code,
        "variables": [{"key": "name", "preview_value": "Ann"}],
        "text_message": {"text": text},
    }


def v2_body(**extra: Any) -> dict[str, Any]:
    """A valid TemplateV2 create body with English and Swedish translations."""
    body: dict[str, Any] = {
        "description": "greeting",
        "default_translation": "en-US",
        "translations": [translation(), translation("sv-SE", "Hej ${name}")],
    }
    body.update(extra)
    return body


async def create_v2(api: Api, **extra: Any) -> dict[str, Any]:
    reply = await api.v2("POST", "templates", json_body=v2_body(**extra))
    assert reply.status == 200, reply.body
    return dict(reply.body)


async def test_v2_template_lifecycle(api: Api) -> None:
    """Create, get, list, update with the current version, delete, then get is 404."""
    created = await create_v2(api)
    template_id = created["id"]
    assert (await api.v2("GET", f"templates/{template_id}")).body == created
    assert (await api.v2("GET", "templates")).body == {"templates": [created]}
    update = v2_body(version=1, description="informal")
    updated = (await api.v2("PUT", f"templates/{template_id}", json_body=update)).body
    assert (updated["version"], updated["description"]) == (2, "informal")
    assert (await api.v2("DELETE", f"templates/{template_id}")).body == {}
    assert is_not_found(await api.v2("GET", f"templates/{template_id}"))


async def test_v2_create_sets_version_and_times(api: Api) -> None:
    """A new template has version 1, a generated ID and create/update times."""
    created = await create_v2(api, version=7)
    assert created["version"] == 1
    assert created["id"]
    assert created["create_time"] == created["update_time"]
    assert all(t["create_time"] and t["update_time"] for t in created["translations"])


async def test_v2_create_keeps_a_given_id(api: Api) -> None:
    """A template ID in the create body is used."""
    assert (await create_v2(api, id="welcome"))["id"] == "welcome"


async def test_v2_duplicate_id_is_rejected(api: Api) -> None:
    """Template IDs are unique per project."""
    await create_v2(api, id="welcome")
    reply = await api.v2("POST", "templates", json_body=v2_body(id="welcome"))
    assert bad_fields(reply) == ["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_translation": "fr-FR"}, "default_translation"),
        ({"default_translation": None}, "default_translation"),
        ({"translations": []}, "translations"),
        ({"translations": [{"text_message": {"text": "x"}}]}, "translations[0].language_code"),
        ({"translations": [{"language_code": "en-US"}]}, "translations[0]"),
        ({"translations": [translation(), translation()]}, "translations[1].language_code"),
    ],
)
async def test_v2_create_validates_translations(
    api: Api, change: dict[str, Any], field: str
) -> None:
    """The default translation must exist; translations need a code and one message body."""
    body = {k: v for k, v in {**v2_body(), **change}.items() if v is not None}
    assert field in bad_fields(await api.v2("POST", "templates", json_body=body))


async def test_v2_update_bumps_version_and_update_time(api: Api) -> None:
    """A successful PUT increments version and moves update_time, keeping create_time."""
    created = await create_v2(api)
    updated = (await api.v2("PUT", f"templates/{created['id']}", json_body=v2_body(version=1))).body
    assert updated["version"] == 2
    assert updated["create_time"] == created["create_time"]
    assert updated["update_time"] > created["update_time"]


@pytest.mark.parametrize("version", [None, 0, 2, "one", True])
async def test_v2_update_needs_the_current_version(api: Api, version: object) -> None:
    """A missing or stale version is a 400 naming version, and nothing changes."""
    created = await create_v2(api)
    body = v2_body(description="changed")
    if version is not None:
        body["version"] = version
    reply = await api.v2("PUT", f"templates/{created['id']}", json_body=body)
    assert bad_fields(reply) == ["version"]
    assert api.emu.store.templates[created["id"]]["description"] == "greeting"


async def test_v2_update_accepts_the_version_as_a_decimal_string(api: Api) -> None:
    """proto3 JSON may quote an int32: ``"1"`` is version 1."""
    created = await create_v2(api)
    reply = await api.v2("PUT", f"templates/{created['id']}", json_body=v2_body(version="1"))
    assert reply.body["version"] == 2


async def test_v2_update_is_a_full_replacement(api: Api) -> None:
    """Translations and description left out of a PUT are gone."""
    created = await create_v2(api)
    body = {"version": 1, "default_translation": "sv-SE", "translations": [translation("sv-SE")]}
    updated = (await api.v2("PUT", f"templates/{created['id']}", json_body=body)).body
    assert [t["language_code"] for t in updated["translations"]] == ["sv-SE"]
    assert "description" not in updated


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_v2_unknown_template_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown template answer 404."""
    reply = await api.v2(method, "templates/nope", json_body=v2_body(version=1))
    assert is_not_found(reply)


async def test_v2_translations_are_listed(api: Api) -> None:
    """V2ListTranslations answers every translation of the template."""
    created = await create_v2(api)
    body = (await api.v2("GET", f"templates/{created['id']}/translations")).body
    assert [t["language_code"] for t in body["translations"]] == ["en-US", "sv-SE"]


async def test_v2_translations_filter_by_language_and_version(api: Api) -> None:
    """language_code and translation_version narrow the translations."""
    created = await create_v2(api)
    path = f"templates/{created['id']}/translations"
    by_language = (await api.v2("GET", path, params={"language_code": "sv-SE"})).body
    by_version = (await api.v2("GET", path, params={"translation_version": "2"})).body
    assert [t["language_code"] for t in by_language["translations"]] == ["sv-SE"]
    assert by_version == {"translations": []}


async def test_v2_translations_of_unknown_template_are_not_found(api: Api) -> None:
    """Listing the translations of an unknown template answers 404."""
    assert is_not_found(await api.v2("GET", "templates/nope/translations"))


def v1_body(**extra: Any) -> dict[str, Any]:
    """A valid V1Template create body."""
    body: dict[str, Any] = {
        "description": "v1 greeting",
        "channel": "WHATSAPP",
        "default_translation": "en-US",
        "translations": [{"language_code": "en-US", "version": "1", "content": "{}"}],
    }
    body.update(extra)
    return body


async def test_v1_template_lifecycle(api: Api) -> None:
    """Create, get, list, update via update_mask, delete, then get is 404."""
    created = await api.ok("POST", "templates", json_body=v1_body())
    template_id = created["id"]
    assert await api.ok("GET", f"templates/{template_id}") == created
    assert (await api.ok("GET", "templates"))["templates"] == [created]
    updated = await api.ok(
        "PATCH",
        f"templates/{template_id}",
        json_body={"description": "new", "channel": "SMS"},
        params={"update_mask": "description"},
    )
    assert (updated["description"], updated["channel"]) == ("new", "WHATSAPP")
    assert await api.ok("DELETE", f"templates/{template_id}") == {}
    assert is_not_found(await api.v1("GET", f"templates/{template_id}"))


async def test_v1_and_v2_templates_are_separate(api: Api) -> None:
    """A v1 template is not listed by v2, and the other way round."""
    await api.ok("POST", "templates", json_body=v1_body(id="same"))
    await create_v2(api, id="same")
    assert len((await api.ok("GET", "templates"))["templates"]) == 1
    assert len((await api.v2("GET", "templates")).body["templates"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "CARRIER_PIGEON"}, "channel"),
        ({"default_translation": "fr-FR"}, "default_translation"),
        ({"translations": [{"content": "{}"}]}, "translations[0].language_code"),
    ],
)
async def test_v1_create_validates_its_body(api: Api, change: dict[str, Any], field: str) -> None:
    """channel is a TemplateChannel; translations need a code; the default must exist."""
    assert field in bad_fields(await api.v1("POST", "templates", json_body=v1_body(**change)))


async def test_v1_unknown_mask_path_is_rejected(api: Api) -> None:
    """Masking a field v1 templates do not have is a 400 naming update_mask."""
    created = await api.ok("POST", "templates", json_body=v1_body())
    reply = await api.v1(
        "PATCH", f"templates/{created['id']}", json_body={}, params={"update_mask": "version"}
    )
    assert bad_fields(reply) == ["update_mask"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_v1_unknown_template_is_not_found(api: Api, method: str) -> None:
    """Get, update and delete of an unknown v1 template answer 404."""
    assert is_not_found(await api.v1(method, "templates/nope", json_body={}))
