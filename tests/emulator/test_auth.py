"""The OAuth2 token endpoint and authentication of API routes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import aiohttp

from conversation_async.testing import Emulator
from conversation_async.testing._auth import encode_jwt, token_claims

from .conftest import Api, basic, fetch, get_token, send_body

FORM = {"grant_type": "client_credentials"}


async def test_token_endpoint_issues_a_bearer_token(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """Valid Basic credentials and the client_credentials grant give a bearer token."""
    reply = await fetch(
        http,
        "POST",
        emu.auth_url,
        data=FORM,
        headers={"Authorization": basic("emulator-client", "emulator-secret")},
    )
    assert reply.status == 200
    assert set(reply.body) == {"access_token", "expires_in", "token_type", "scope"}
    assert reply.body["expires_in"] == 3600
    assert reply.body["token_type"] == "bearer"
    assert reply.body["scope"] == ""
    assert len(reply.body["access_token"]) >= 32


def jwt_part(token: str, index: int) -> dict[str, object]:
    """One decoded JSON part (0 header, 1 claims) of a JWT."""
    segment = token.split(".")[index]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


async def test_tokens_are_jwts_whose_exp_matches_expires_in(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """An access token is header.payload.signature (base64url, no padding) whose claims name
    the client and expire ``expires_in`` seconds after ``iat``, as Sinch's JWTs do."""
    emu.token_expires_in = 120
    before = int(time.time())
    token = await get_token(http, emu)
    after = int(time.time())
    parts = token.split(".")
    assert len(parts) == 3
    assert all(part and "=" not in part for part in parts)
    assert jwt_part(token, 0) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt_part(token, 1)
    assert claims["sub"] == emu.client_id
    issued_at = claims["iat"]
    assert isinstance(issued_at, int)
    assert before <= issued_at <= after
    assert claims["exp"] == issued_at + 120


def test_jwt_signature_is_hs256_over_header_and_payload() -> None:
    """The third part is the HMAC-SHA256 of ``header.payload`` with the signing key."""
    claims = token_claims("id", 1_700_000_000, 3600, "j")
    token = encode_jwt(claims, b"key")
    header, payload, signature = token.split(".")
    expected = hmac.new(b"key", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=") == expected
    assert jwt_part(token, 1) == {
        "iss": "conversation-emulator",
        "sub": "id",
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
        "jti": "j",
    }


async def test_each_token_is_different(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """Two token requests give two distinct tokens."""
    assert await get_token(http, emu) != await get_token(http, emu)


async def test_token_requests_counts_every_call(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """``token_requests`` counts successful and failed calls to the token endpoint."""
    await get_token(http, emu)
    await fetch(http, "POST", emu.auth_url, data=FORM)
    assert emu.token_requests == 2


async def test_wrong_secret_is_invalid_client(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """A wrong secret gives 401 invalid_client, and the secret is not echoed."""
    reply = await fetch(
        http,
        "POST",
        emu.auth_url,
        data=FORM,
        headers={"Authorization": basic(emu.client_id, "guess")},
    )
    assert reply.status == 401
    assert reply.body["error"] == "invalid_client"
    assert "emulator-secret" not in str(reply.body)
    assert "guess" not in str(reply.body)


async def test_missing_credentials_are_invalid_client(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """No Authorization header on the token endpoint gives 401 invalid_client."""
    reply = await fetch(http, "POST", emu.auth_url, data=FORM)
    assert reply.status == 401
    assert reply.body["error"] == "invalid_client"


async def test_wrong_grant_is_unsupported_grant_type(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """A grant other than client_credentials gives 400 unsupported_grant_type."""
    reply = await fetch(
        http,
        "POST",
        emu.auth_url,
        data={"grant_type": "password"},
        headers={"Authorization": basic(emu.client_id, emu.client_secret)},
    )
    assert reply.status == 400
    assert reply.body["error"] == "unsupported_grant_type"


async def test_token_expires_in_applies_to_new_tokens(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """Changing ``token_expires_in`` changes the lifetime of tokens issued afterwards."""
    emu.token_expires_in = 5
    reply = await fetch(
        http,
        "POST",
        emu.auth_url,
        data=FORM,
        headers={"Authorization": basic(emu.client_id, emu.client_secret)},
    )
    assert reply.body["expires_in"] == 5


async def test_valid_bearer_token_is_accepted(api: Api) -> None:
    """A freshly issued bearer token authorizes API calls."""
    assert (await api.list()).status == 200


async def test_expired_bearer_is_rejected_with_expired_challenge(api: Api) -> None:
    """After ``expire_tokens`` a request gets 401 whose WWW-Authenticate says expired."""
    api.emu.expire_tokens()
    reply = await api.list()
    assert reply.status == 401
    assert reply.body["error"]["status"] == "UNAUTHENTICATED"
    assert reply.body["error"]["code"] == 401
    assert "expired" in reply.headers["WWW-Authenticate"]
    assert api.emu.expired_token_rejections == 1


async def test_token_expires_after_its_lifetime(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """A token issued with a zero lifetime is already expired when used."""
    emu.token_expires_in = 0
    api = Api(http, emu, await get_token(http, emu))
    reply = await api.list()
    assert reply.status == 401
    assert "expired" in reply.headers["WWW-Authenticate"]


async def test_new_token_works_after_expire_tokens(api: Api) -> None:
    """``expire_tokens`` only affects tokens issued before it."""
    api.emu.expire_tokens()
    api.token = await get_token(api.http, api.emu)
    assert (await api.list()).status == 200


async def test_unknown_bearer_is_rejected_without_expired(api: Api) -> None:
    """An unknown token gets 401 without 'expired', so clients do not refresh and replay."""
    api.token = "not-a-token"
    reply = await api.list()
    assert reply.status == 401
    assert reply.body["error"]["status"] == "UNAUTHENTICATED"
    assert "expired" not in reply.headers.get("WWW-Authenticate", "")
    assert api.emu.expired_token_rejections == 0


async def test_missing_authorization_is_rejected(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """An API call without credentials gets a 401 envelope."""
    url = f"{emu.base_url}/v1/projects/{emu.project_id}/messages"
    reply = await fetch(http, "GET", url)
    assert reply.status == 401
    assert reply.body["error"]["status"] == "UNAUTHENTICATED"


async def test_basic_credentials_are_accepted_on_api_routes(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """HTTP Basic with the client credentials works on API routes too."""
    url = f"{emu.base_url}/v1/projects/{emu.project_id}/messages:send"
    headers = {"Authorization": basic(emu.client_id, emu.client_secret)}
    reply = await fetch(http, "POST", url, json_body=send_body(), headers=headers)
    assert reply.status == 200
    assert emu.token_requests == 0


async def test_wrong_basic_credentials_are_rejected(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    """HTTP Basic with a wrong secret gets 401 on API routes."""
    url = f"{emu.base_url}/v1/projects/{emu.project_id}/messages"
    reply = await fetch(http, "GET", url, headers={"Authorization": basic(emu.client_id, "no")})
    assert reply.status == 401


async def test_other_project_is_not_found(api: Api) -> None:
    """A project ID other than the emulator's gives 404 NOT_FOUND."""
    url = f"{api.emu.base_url}/v1/projects/someone-else/messages"
    reply = await fetch(api.http, "GET", url, headers={"Authorization": f"Bearer {api.token}"})
    assert reply.status == 404
    assert reply.body["error"]["status"] == "NOT_FOUND"
