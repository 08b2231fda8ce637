"""The update_mask encoding every PATCH route shares: one comma-joined parameter."""

from __future__ import annotations

import pytest

from .conftest import Api, bad_fields, create_app, create_contact


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


@pytest.mark.parametrize(
    "query",
    [
        "update_mask=display_name,nickname",
        "update_mask=display_name,,email",
        "update_mask=display_name&update_mask=email",
        "update_mask.paths=display_name",
    ],
)
async def test_other_mask_encodings_are_rejected(api: Api, query: str) -> None:
    """Unknown paths, empty segments, a repeated parameter or update_mask.paths are 400s."""
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
