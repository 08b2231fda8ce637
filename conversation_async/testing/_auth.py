"""The OAuth2 token endpoint and the credential check in front of every API route.

Mirrors catalog §1.2: ``POST /oauth2/token`` with HTTP Basic client credentials and
``grant_type=client_credentials`` issues bearer tokens shaped like Sinch's JWTs (HS256
over ``iss``, ``sub`` = client ID, ``iat``, ``exp`` = ``iat + expires_in``, ``jti``), so a
client that reads ``exp`` to refresh early (the official Node SDK) works; the emulator
itself only looks tokens up. API routes accept either ``Bearer <token>`` or the same Basic
credentials. An expired token is rejected with a
``WWW-Authenticate`` header containing ``expired`` — the only 401 SDKs refresh and replay on.
The client secret is never echoed in a response.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._envelope import ApiError, json_response

TOKEN_PATH: Final = "/oauth2/token"  # noqa: S105 - a URL path, not a secret
EXPIRED_CHALLENGE: Final = (
    'Bearer error="invalid_token", error_description="The access token expired"'
)
INVALID_CHALLENGE: Final = (
    'Bearer error="invalid_token", error_description="The access token is not valid"'
)
MISSING_CHALLENGE: Final = 'Bearer realm="conversation-emulator"'
_BASIC_CHALLENGE: Final = 'Basic realm="conversation-emulator"'
JWT_ISSUER: Final = "conversation-emulator"
_JWT_HEADER: Final = {"alg": "HS256", "typ": "JWT"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_jwt(claims: Mapping[str, Any], key: bytes) -> str:
    """``header.payload.signature``, each base64url without padding, signed HS256 with
    ``key``: the JWT (RFC 7519) shape of Sinch's access tokens."""

    def part(value: Mapping[str, Any]) -> str:
        return _b64url(json.dumps(value, separators=(",", ":")).encode())

    signing_input = f"{part(_JWT_HEADER)}.{part(claims)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def token_claims(client_id: str, issued_at: int, expires_in: int, jti: str) -> dict[str, Any]:
    """The claims of a token issued to ``client_id`` at ``issued_at`` (Unix seconds),
    expiring ``expires_in`` seconds later; a random ``jti`` makes every token unique."""
    return {
        "iss": JWT_ISSUER,
        "sub": client_id,
        "iat": issued_at,
        "exp": issued_at + expires_in,
        "jti": jti,
    }


def _unauthenticated(message: str, challenge: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


class Auth:
    """Credentials, issued tokens and their monotonic deadlines, plus the counters on them.

    ``tokens`` maps each issued access token to its ``time.monotonic()`` deadline.
    """

    __slots__ = (
        "_credentials",
        "_signing_key",
        "client_id",
        "expired_token_rejections",
        "token_expires_in",
        "tokens",
    )

    def __init__(self, client_id: str, client_secret: str, token_expires_in: int) -> None:
        self.client_id = client_id
        self._credentials = f"{client_id}:{client_secret}".encode()
        self._signing_key = secrets.token_bytes(32)
        self.token_expires_in = token_expires_in
        self.tokens: dict[str, float] = {}
        self.expired_token_rejections = 0

    def _basic_matches(self, encoded: str) -> bool:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(decoded, self._credentials)

    def issue(self) -> tuple[str, int]:
        """A fresh token and its lifetime in seconds (``token_expires_in`` at issue time)."""
        expires_in = self.token_expires_in
        claims = token_claims(
            self.client_id, int(time.time()), expires_in, secrets.token_urlsafe(12)
        )
        token = encode_jwt(claims, self._signing_key)
        self.tokens[token] = time.monotonic() + expires_in
        return token, expires_in

    def expire_all(self) -> None:
        """Make every token issued so far expired from now on."""
        for token in self.tokens:
            self.tokens[token] = float("-inf")

    def check(self, header: str | None) -> None:
        """Accept a valid Bearer token or the Basic credentials; raise a 401 otherwise."""
        if header is None:
            raise _unauthenticated("Missing Authorization header", MISSING_CHALLENGE)
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            deadline = self.tokens.get(value.strip())
            if deadline is None:
                raise _unauthenticated("Invalid access token", INVALID_CHALLENGE)
            if deadline <= time.monotonic():
                self.expired_token_rejections += 1
                raise _unauthenticated("The access token expired", EXPIRED_CHALLENGE)
            return
        if scheme == "basic":
            if self._basic_matches(value):
                return
            raise _unauthenticated("Invalid client credentials", _BASIC_CHALLENGE)
        raise _unauthenticated("Unsupported authorization scheme", MISSING_CHALLENGE)

    async def token_endpoint(self, request: web.Request) -> web.Response:
        """``POST /oauth2/token`` (client_credentials grant only)."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not self._basic_matches(value):
            return json_response(
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed",
                },
                status=401,
                headers={"WWW-Authenticate": _BASIC_CHALLENGE},
            )
        form = await request.post()
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            error = "invalid_request" if grant_type is None else "unsupported_grant_type"
            return json_response(
                {
                    "error": error,
                    "error_description": "Only grant_type=client_credentials is supported",
                },
                status=400,
            )
        token, expires_in = self.issue()
        return json_response(
            {
                "access_token": token,
                "expires_in": expires_in,
                "token_type": "bearer",
                "scope": "",
            }
        )
