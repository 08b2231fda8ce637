"""The update_mask encodings every PATCH route shares: one comma-joined ``update_mask`` or
repeated ``update_mask.paths`` (catalog §2.13)."""

from __future__ import annotations

import pytest

from conversation_async.testing._masks import mask_paths

from .conftest import Api, bad_fields, create_app, create_contact

FIELDS = {"display_name": "", "email": "", "metadata": ""}


async def patch_contact(api: Api, query: str, body: dict[str, object]) -> tuple[int, object]:
    """PATCH a fresh contact with a raw query string; returns (status, body)."""
    contact_id = await create_contact(api, display_name="Ann", email="a@example.com")
    url = f"{api.emu.base_url}/v1/projects/{api.emu.project_id}/contacts/{contact_id}?{query}"
    headers = {"Authorization": f"Bearer {api.token}"}
    async with api.http.patch(url, json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_comma_joined_mask_changes_exactly_the_masked_fields(api: Api) -> None:
    """``update_mask=a,b`` sets a and b from the body and nothing else."""
    status, body = await patch_contact(
        api,
        "update_mask=display_name,email",
        {"display_name": "Bo", "email": "b@example.com", "metadata": "not masked"},
    )
    assert status == 200
    assert isinstance(body, dict)
    assert (body["display_name"], body["email"], body["metadata"]) == ("Bo", "b@example.com", "")


async def test_masked_field_absent_from_the_body_is_cleared(api: Api) -> None:
    """A field in the mask but not in the body goes back to its default."""
    status, body = await patch_contact(api, "update_mask=email", {})
    assert status == 200
    assert isinstance(body, dict)
    assert (body["display_name"], body["email"]) == ("Ann", "")


async def test_spaces_around_mask_paths_are_ignored(api: Api) -> None:
    """``update_mask=a, b`` is the same mask as ``a,b``."""
    status, _ = await patch_contact(api, "update_mask=display_name,%20email", {})
    assert status == 200


async def test_repeated_mask_paths_change_exactly_the_masked_fields(api: Api) -> None:
    """``update_mask.paths=a&update_mask.paths=b``, as the official Python 1.1.4 and .NET SDKs
    send it, sets a and b from the body and nothing else."""
    status, body = await patch_contact(
        api,
        "update_mask.paths=display_name&update_mask.paths=email",
        {"display_name": "Bo", "email": "b@example.com", "metadata": "not masked"},
    )
    assert status == 200
    assert isinstance(body, dict)
    assert (body["display_name"], body["email"], body["metadata"]) == ("Bo", "b@example.com", "")


async def test_one_mask_path_parameter_is_a_mask_of_one_field(api: Api) -> None:
    """A single ``update_mask.paths`` masks that field alone (absent from the body: cleared)."""
    status, body = await patch_contact(api, "update_mask.paths=email", {"display_name": "Bo"})
    assert status == 200
    assert isinstance(body, dict)
    assert (body["display_name"], body["email"]) == ("Ann", "")


@pytest.mark.parametrize(
    ("joined", "repeated", "expected"),
    [
        ([], [], None),
        ([""], [], None),
        (["email, display_name,email"], [], ["email", "display_name"]),
        ([], ["email", "display_name", "email"], ["email", "display_name"]),
    ],
)
def test_both_mask_encodings_give_the_same_paths(
    joined: list[str], repeated: list[str], expected: list[str] | None
) -> None:
    """The two encodings name the same paths, in order, each once; nothing given, no mask."""
    assert mask_paths(joined, repeated, FIELDS) == expected


@pytest.mark.parametrize(
    "query",
    [
        "update_mask=display_name,nickname",
        "update_mask=display_name,,email",
        "update_mask=display_name&update_mask=email",
        "update_mask.paths=display_name,email",
        "update_mask.paths=nickname",
        "update_mask=email&update_mask.paths=display_name",
    ],
)
async def test_other_mask_encodings_are_rejected(api: Api, query: str) -> None:
    """Unknown paths, empty segments, a repeated update_mask, a comma inside one
    update_mask.paths or both encodings at once are 400s naming update_mask."""
    status, body = await patch_contact(api, query, {"display_name": "Bo"})
    assert status == 400
    assert isinstance(body, dict)
    fields = [v["field"] for d in body["error"]["details"] for v in d["field_violations"]]
    assert fields == ["update_mask"]


async def test_empty_mask_means_the_fields_in_the_body(api: Api) -> None:
    """``update_mask=`` behaves like no mask at all."""
    status, body = await patch_contact(api, "update_mask=", {"email": "b@example.com"})
    assert status == 200
    assert isinstance(body, dict)
    assert (body["display_name"], body["email"]) == ("Ann", "b@example.com")


async def test_rejected_update_changes_nothing(api: Api) -> None:
    """A PATCH refused by validation leaves the stored resource as it was."""
    app_id = await create_app(api, display_name="Kept")
    reply = await api.v1(
        "PATCH",
        f"apps/{app_id}",
        json_body={"display_name": "New", "channel_credentials": []},
    )
    assert bad_fields(reply) == ["channel_credentials"]
    assert api.emu.store.apps[app_id]["display_name"] == "Kept"
