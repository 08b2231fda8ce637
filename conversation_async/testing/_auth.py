"""The OAuth2 token endpoint and the credential check in front of every API route.

Mirrors catalog §1.2: ``POST /oauth2/token`` with HTTP Basic client credentials and
``grant_type=client_credentials`` issues opaque bearer tokens; API routes accept either
``Bearer <token>`` or the same Basic credentials. An expired token is rejected with a
``WWW-Authenticate`` header containing ``expired`` — the only 401 SDKs refresh and replay on.
The client secret is never echoed in a response.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from typing import Final

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


def _unauthenticated(message: str, challenge: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


class Auth:
    """Credentials, issued tokens and their monotonic deadlines, plus the counters on them.

    ``tokens`` maps each issued access token to its ``time.monotonic()`` deadline.
    """

    __slots__ = (
        "_credentials",
        "client_id",
        "expired_token_rejections",
        "token_expires_in",
        "tokens",
    )

    def __init__(self, client_id: str, client_secret: str, token_expires_in: int) -> None:
        self.client_id = client_id
        self._credentials = f"{client_id}:{client_secret}".encode()
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
        token = secrets.token_urlsafe(32)
        expires_in = self.token_expires_in
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
