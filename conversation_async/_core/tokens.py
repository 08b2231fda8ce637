"""Credentials and token timing, pure: the bearer token with its monotonic deadlines, the
fixed Basic credential, and when a token is due for refresh (DESIGN.md "Token manager
policy"). Time is passed in; :mod:`conversation_async._http.auth` fetches and caches.
"""

from __future__ import annotations

import base64
import enum

import attrs

from .. import _jsoncodec
from .._errors import TokenError

__all__ = [
    "AccessToken",
    "BasicCredential",
    "Credential",
    "TokenState",
    "basic_header",
    "parse_token_answer",
    "refresh_margin",
    "token_state",
]

MAX_EXPIRES_IN = 366 * 24 * 3600.0
"""Longest token lifetime accepted from the endpoint (a year); longer is not a real answer."""
MAX_TOKEN_LENGTH = 16 * 1024
"""Longest token accepted: servers refuse much shorter header lines."""

MAX_REFRESH_MARGIN = 300.0


def basic_header(client_id: str, client_secret: str) -> str:
    """``Basic base64(client_id:client_secret)``."""
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def refresh_margin(expires_in: float) -> float:
    """How long before expiry a token is refreshed: ``min(300 s, expires_in / 2)``."""
    return min(MAX_REFRESH_MARGIN, expires_in / 2)


class TokenState(enum.Enum):
    FRESH = "fresh"
    """Use it."""
    STALE = "stale"
    """Still valid, but due for refresh: use it while one task fetches the next."""
    EXPIRED = "expired"
    """Unusable: callers must wait for a new one."""


def _bearer_header(token: AccessToken) -> str:
    return f"Bearer {token.value}"


def _refresh_at(token: AccessToken) -> float:
    return token.obtained_at + token.expires_in - refresh_margin(token.expires_in)


def _expires_at(token: AccessToken) -> float:
    return token.obtained_at + token.expires_in


@attrs.frozen(repr=False, eq=False)
class AccessToken:
    """A bearer token with its monotonic timing; its value never appears in ``repr``."""

    value: str
    obtained_at: float
    expires_in: float
    header: str = attrs.field(init=False, default=attrs.Factory(_bearer_header, takes_self=True))
    """The ``Authorization`` value, built once: every request sends it."""
    refresh_at: float = attrs.field(init=False, default=attrs.Factory(_refresh_at, takes_self=True))
    expires_at: float = attrs.field(init=False, default=attrs.Factory(_expires_at, takes_self=True))

    def __repr__(self) -> str:
        return f"AccessToken(value=<redacted>, expires_in={self.expires_in:g})"


def token_state(token: AccessToken | None, now: float) -> TokenState:
    """Where ``token`` stands at monotonic time ``now``."""
    if token is None or now >= token.expires_at:
        return TokenState.EXPIRED
    if now >= token.refresh_at:
        return TokenState.STALE
    return TokenState.FRESH


@attrs.frozen(repr=False, eq=False)
class BasicCredential:
    """The fixed ``Authorization: Basic`` value of ``auth="basic"``."""

    header: str

    def __repr__(self) -> str:
        return "BasicCredential(<redacted>)"


Credential = AccessToken | BasicCredential


def parse_token_answer(body: bytes) -> tuple[str, float]:
    """``(access_token, expires_in)`` from the token endpoint's 2xx answer, validated: a
    non-empty token of visible ASCII (it goes into a header as is) and a finite, positive,
    bounded ``expires_in`` (3600 when absent). Anything else raises ``TokenError``."""
    try:
        data = _jsoncodec.loads(body) if body else None
    except ValueError:
        data = None
    if not _jsoncodec.is_object(data):
        raise TokenError("token endpoint answered without a JSON object", status=200)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenError("token endpoint answered without an access_token", status=200)
    if len(token) > MAX_TOKEN_LENGTH or not all("!" <= c <= "~" for c in token):
        raise TokenError(
            "token endpoint answered with an access_token that is not a header-safe string "
            "(visible ASCII only)",
            status=200,
        )
    expires_in = data.get("expires_in", 3600)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        raise TokenError("token endpoint answered with an invalid expires_in", status=200)
    if not 0 < expires_in <= MAX_EXPIRES_IN:  # also refuses NaN and infinity
        raise TokenError(
            f"token endpoint answered with an expires_in outside 0..{MAX_EXPIRES_IN:g} s",
            status=200,
        )
    return token, float(expires_in)
