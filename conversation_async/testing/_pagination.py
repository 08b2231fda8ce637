"""Opaque page tokens and page-size rules for the emulator's paginated routes.

A token is ``urlsafe_b64(cursor || mac)``: the cursor is the number of the last item on the
previous page — a message's or event's sequence, a row's creation number, or a position in a
derived list — so items added between two page fetches neither repeat nor shift the next
page; the MAC is a keyed BLAKE2b over the route, cursor and filters. A token
that was tampered with, or is replayed with different filters, is rejected with 400 — the
API's rule that every other filter must stay identical while paging.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from collections.abc import Iterable
from typing import Final, TypeVar

from ._envelope import invalid_argument

T = TypeVar("T")

DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 1000

_CURSOR = struct.Struct(">Q")
_MAC_SIZE: Final = 8
_TOKEN_SIZE: Final = _CURSOR.size + _MAC_SIZE


def parse_page_size(raw: object, *, field: str = "page_size", maximum: int = MAX_PAGE_SIZE) -> int:
    """Validate a page size from a query string or JSON body; ``None`` means the default.

    Accepts an int or a decimal string (protobuf JSON accepts both); anything else, zero,
    negative or above ``maximum`` is a 400 naming ``field``.
    """
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        value = int(raw)
    if value is None:
        raise invalid_argument([(field, "must be an integer")])
    if value <= 0 or value > maximum:
        raise invalid_argument([(field, f"must be between 1 and {maximum}")])
    return value


class PageTokens:
    """Issues and checks opaque page tokens; the key is random per emulator instance."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(16)

    def _mac(self, scope: str, cursor_bytes: bytes) -> bytes:
        digest = hashlib.blake2b(
            cursor_bytes + scope.encode(), key=self._key, digest_size=_MAC_SIZE
        )
        return digest.digest()

    def encode(self, scope: str, cursor: int) -> str:
        """A token resuming after ``cursor`` for requests with this ``scope`` (route+filters)."""
        cursor_bytes = _CURSOR.pack(cursor)
        raw = cursor_bytes + self._mac(scope, cursor_bytes)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def decode(self, scope: str, token: object, *, field: str = "page_token") -> int | None:
        """The cursor in ``token``; ``None``/empty means the first page; bad token -> 400."""
        if token is None or token == "":
            return None
        if isinstance(token, str):
            try:
                raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) == _TOKEN_SIZE:
                cursor_bytes, mac = raw[: _CURSOR.size], raw[_CURSOR.size :]
                if hmac.compare_digest(mac, self._mac(scope, cursor_bytes)):
                    cursor: int = _CURSOR.unpack(cursor_bytes)[0]
                    return cursor
        raise invalid_argument([(field, "invalid page token (or filters changed while paging)")])


def paginate(
    numbered: Iterable[tuple[int, T]],
    *,
    tokens: PageTokens,
    scope: str,
    token: object,
    page_size: int,
    descending: bool = False,
) -> tuple[list[T], str]:
    """One page of ``numbered`` after the cursor in ``token``, plus the next page's token.

    ``numbered`` yields ``(number, item)`` with numbers strictly increasing (or decreasing
    when ``descending``); the cursor is the number of the last item already returned, so
    rows added or deleted between two fetches neither repeat nor shift the next page.
    """
    cursor = tokens.decode(scope, token)
    page: list[T] = []
    last = 0
    for number, item in numbered:
        if cursor is not None and (number >= cursor if descending else number <= cursor):
            continue
        if len(page) == page_size:
            return page, tokens.encode(scope, last)
        page.append(item)
        last = number
    return page, ""
