"""A finished HTTP exchange, as the transport hands it to resources and the token endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .. import _jsoncodec
from .._errors import InvalidResponseError

__all__ = ["RawResponse", "decode_json"]


class RawResponse(NamedTuple):
    """A finished HTTP exchange: status, headers and the whole body (a tuple: one is made
    per call)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def decode_json(response: RawResponse) -> Any:
    """The decoded JSON body of a successful answer (None for an empty body)."""
    if not response.body:
        return None
    try:
        return _jsoncodec.loads(response.body)
    except ValueError:
        raise InvalidResponseError(
            f"HTTP {response.status} answer is not valid JSON",
            status=response.status,
            body=response.body,
        ) from None
