"""Sinch's error envelope: the one JSON shape every emulator error goes out in.

Handlers raise :class:`ApiError`; the route wrapper turns it into a response. Keeping the
envelope in one place makes the emulator's errors look exactly like the real API's (§5.1 of
the API catalog), which is what the SDK's error parsing is tested against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from aiohttp import web

JSON_CONTENT_TYPE: Final = "application/json"
BAD_REQUEST_TYPE: Final = "type.googleapis.com/google.rpc.BadRequest"

STATUS_NAMES: Final[Mapping[int, str]] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL_ERROR",
    501: "INTERNAL_ERROR",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""HTTP status -> the envelope's ``status`` string (catalog §5.2)."""


def dumps(value: Any) -> bytes:
    """Compact JSON bytes, the way every emulator body is encoded."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    value: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with the right content type; no per-call encoder set-up."""
    return web.Response(
        body=dumps(value), status=status, headers=headers, content_type=JSON_CONTENT_TYPE
    )


class ApiError(Exception):
    """An API failure that becomes a Sinch error envelope.

    ``violations`` are ``(field, description)`` pairs; when present the envelope carries a
    ``google.rpc.BadRequest`` detail listing them.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        violations: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = tuple(violations)
        self.headers = headers

    def envelope(self) -> dict[str, Any]:
        """The decoded JSON body of this error."""
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "status": STATUS_NAMES.get(self.status, "UNKNOWN"),
        }
        if self.violations:
            error["details"] = [
                {
                    "type": BAD_REQUEST_TYPE,
                    "field_violations": [
                        {"field": field, "description": description}
                        for field, description in self.violations
                    ],
                }
            ]
        return {"error": error}

    def response(self) -> web.Response:
        """This error as an aiohttp response."""
        return json_response(self.envelope(), status=self.status, headers=self.headers)


def invalid_argument(violations: Sequence[tuple[str, str]]) -> ApiError:
    """A 400 INVALID_ARGUMENT carrying field violations."""
    return ApiError(400, "Invalid argument", violations=violations)


def not_found(message: str) -> ApiError:
    """A 404 NOT_FOUND."""
    return ApiError(404, message)
