"""Credentials and token timing, pure: the bearer token with its monotonic deadlines, the
fixed Basic credential, and when a token is due for refresh (DESIGN.md "Token manager
policy"). Time is passed in; :mod:`conversation_async._http.auth` fetches and caches.
"""

from __future__ import annotations

import base64
import enum

import attrs

__all__ = [
    "AccessToken",
    "BasicCredential",
    "Credential",
    "TokenState",
    "basic_header",
    "refresh_margin",
    "token_state",
]

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


@attrs.frozen(repr=False, eq=False)
class AccessToken:
    """A bearer token with its monotonic timing; its value never appears in ``repr``."""

    value: str
    obtained_at: float
    expires_in: float
    header: str = attrs.field(init=False)
    """The ``Authorization`` value, built once: every request sends it."""
    refresh_at: float = attrs.field(init=False)
    expires_at: float = attrs.field(init=False)

    @header.default
    def _header(self) -> str:
        return f"Bearer {self.value}"

    @refresh_at.default
    def _refresh_at(self) -> float:
        return self.obtained_at + self.expires_in - refresh_margin(self.expires_in)

    @expires_at.default
    def _expires_at(self) -> float:
        return self.obtained_at + self.expires_in

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
