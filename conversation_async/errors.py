"""Every exception this SDK raises.

::

    ConversationError                   root: catch this to catch everything below
    ├── ConfigurationError              bad client settings or environment (also a ValueError)
    ├── ClientStateError                client closed, or used from another event loop
    ├── SerializationError              JSON that does not fit a model (also a ValueError)
    ├── TransportError                  connection, DNS or TLS failure; no HTTP answer
    ├── RequestTimeoutError             per-attempt timeout or overall deadline passed
    ├── InvalidResponseError            a 2xx answer whose body is not the expected JSON
    ├── TokenError                      the OAuth2 token endpoint refused or failed
    ├── CallbackParseError              a callback body that is not a Sinch event (also ValueError)
    └── ApiError                        the API answered with an error status
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404 (unknown id, or the wrong region)
        ├── ConflictError               409
        ├── RateLimitError              429, with ``retry_after``
        └── ServerError                 5xx

``request_sent`` on ``TransportError`` and ``RequestTimeoutError`` says whether the request may
have reached the API: when True a ``send`` may have been processed even though it failed here
(the same holds for a ``ServerError`` answer to a POST). ``earlier_attempt_processed`` on any
of them says the same of an earlier, retried attempt.
Messages never contain credentials, tokens or request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _jsoncodec

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackParseError",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "ConversationError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "SerializationError",
    "ServerError",
    "TokenError",
    "TransportError",
    "api_error_from_response",
]


class ConversationError(Exception):
    """Root of every exception raised by conversation_async.

    ``earlier_attempt_processed`` is True when the call failed after retrying an attempt the
    API may have processed (only POSTs with ``retry_non_idempotent``): the message may have
    been sent although this call failed.
    """

    earlier_attempt_processed: bool = False


class ConfigurationError(ConversationError, ValueError):
    """Client settings or environment variables are missing or invalid."""


class ClientStateError(ConversationError, RuntimeError):
    """The client cannot be used now: it is closed, or bound to another event loop."""


class SerializationError(ConversationError, ValueError):
    """JSON that cannot become the requested model (wrong types, a missing required field)."""


class CallbackParseError(ConversationError, ValueError):
    """A callback body that is not JSON, not an object, or carries no event payload."""


class TransportError(ConversationError):
    """No HTTP answer: the connection, DNS lookup or TLS handshake failed, or it broke."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class RequestTimeoutError(ConversationError):
    """An attempt ran past its timeout, or the call ran past its overall deadline."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class InvalidResponseError(ConversationError):
    """The API answered 2xx with a body that is not the JSON this call expects."""

    def __init__(self, message: str, *, status: int, body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class TokenError(ConversationError):
    """The OAuth2 token endpoint did not issue a token.

    ``error`` and ``error_description`` are the endpoint's own fields; ``status`` is None when
    no HTTP answer came back (then ``__cause__`` holds the transport failure).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.error_description = error_description


class ApiError(ConversationError):
    """The API answered with an error status; the fields come from its error envelope.

    ``code``, ``status``, ``message`` and ``details`` are read from ``{"error": {...}}`` or the
    flat form; ``body`` is the raw response, ``headers`` the response headers.
    """

    def __init__(
        self,
        *,
        http_status: int,
        code: int | None = None,
        status: str | None = None,
        message: str | None = None,
        details: list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.status = status
        self.message = message
        self.details = details or []
        self.headers: Mapping[str, str] = headers or {}
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"HTTP {self.http_status}"]
        if self.status:
            parts.append(self.status)
        text = " ".join(parts)
        return f"{text}: {self.message}" if self.message else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(http_status={self.http_status}, status={self.status!r}, "
            f"message={self.message!r})"
        )


class BadRequestError(ApiError):
    """400: the request was invalid (see ``details`` for field violations)."""


class AuthenticationError(ApiError):
    """401: the credentials or token were refused."""


class PermissionDeniedError(ApiError):
    """403: no access to this project, resource or feature."""


class NotFoundError(ApiError):
    """404: unknown id, or a resource that lives in another region."""


class ConflictError(ApiError):
    """409: the resource is in a conflicting state."""


class RateLimitError(ApiError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class ServerError(ApiError):
    """5xx: the API failed; for a POST, the request may still have been processed."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def parse_error_envelope(body: bytes) -> dict[str, Any]:
    """Read ``code``/``status``/``message``/``details`` from a nested, flat or non-JSON body."""
    try:
        data = _jsoncodec.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = body.decode("utf-8", "replace").strip()
        return {"message": text[:500] or None}
    inner = data.get("error")
    fields = inner if isinstance(inner, dict) else data
    code = fields.get("code")
    status = fields.get("status")
    message = fields.get("message")
    details = fields.get("details")
    return {
        "code": code if isinstance(code, int) and not isinstance(code, bool) else None,
        "status": status if isinstance(status, str) else None,
        "message": message if isinstance(message, str) else None,
        "details": details if isinstance(details, list) else None,
    }


def api_error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    retry_after: float | None = None,
) -> ApiError:
    """Build the ``ApiError`` subclass for an HTTP error status."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    fields = parse_error_envelope(body)
    if cls is RateLimitError:
        return RateLimitError(
            retry_after=retry_after, http_status=status, headers=headers, body=body, **fields
        )
    return cls(http_status=status, headers=headers, body=body, **fields)
