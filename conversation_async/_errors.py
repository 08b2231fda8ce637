"""Every exception this SDK raises.

::

    ConversationError                   root: catch this to catch everything below
    ├── ConfigurationError              bad client settings or environment (also a ValueError)
    ├── ClientStateError                client closed, or used from another event loop
    ├── SerializationError              JSON that does not fit a model (also a ValueError)
    ├── CallbackParseError              a callback body that is not a Sinch event (also ValueError)
    ├── JournalError                    a campaign journal cannot be opened, read or written
    │   └── CampaignMismatchError       the input does not match the journal's campaign (ValueError)
    ├── NoResponseError                 no HTTP answer came back
    │   ├── TransportError              connection, DNS or TLS failure, or the connection broke
    │   └── RequestTimeoutError         per-attempt timeout or overall deadline passed
    ├── InvalidResponseError            an answer whose body cannot be read as expected
    │   └── ResponseTooLargeError       the body passed ``max_response_size``
    ├── TokenError                      the OAuth2 token endpoint refused or failed
    └── ApiError                        the API answered with an error status
        ├── RedirectError               3xx: never followed; ``location`` says where to
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404 (unknown id, or the wrong region)
        ├── ConflictError               409
        ├── RateLimitError              429, with ``retry_after``
        └── ServerError                 5xx

Two attributes mean the same on every error. ``status`` is the HTTP status of the answer
(None when no answer came back); the API's own status string (``INVALID_ARGUMENT``...) is
``ApiError.api_status``. ``maybe_processed`` says the API may have processed the call
although it failed here: an attempt went out and nothing ruled out that it was processed
(a timeout, a broken connection, a 5xx other than 503, a 2xx whose body cannot be read).
Resending such a call may do it twice; bulk sends report it as ``ambiguous``.
Messages never contain credentials, tokens or request bodies; errors keep at most
:data:`MAX_ERROR_BODY` bytes of an answer's body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _jsoncodec

__all__ = [
    "MAX_ERROR_BODY",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackParseError",
    "CampaignMismatchError",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "ConversationError",
    "InvalidResponseError",
    "JournalError",
    "NoResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "SerializationError",
    "ServerError",
    "TokenError",
    "TransportError",
    "api_error_from_response",
    "token_error_from_response",
]

MAX_ERROR_BODY = 64 * 1024
"""Bytes of an answer's body an error keeps (the prefix), so errors stay small."""
_MAX_TEXT = 500
"""Characters of server-provided text (message, details summary) put into ``str(error)``."""
_MAX_DETAILS = 5


class ConversationError(Exception):
    """Root of every exception raised by conversation_async.

    ``status``: the HTTP status of the answer, or None when there was none.
    ``maybe_processed``: the API may have processed the call although it failed here, so
    repeating it may do it twice (see the module docstring).
    """

    _status: int | None = None
    maybe_processed: bool = False

    @property
    def status(self) -> int | None:
        """The HTTP status of the answer, or None when no answer came back."""
        return self._status


class ConfigurationError(ConversationError, ValueError):
    """Client settings or environment variables are missing or invalid."""


class ClientStateError(ConversationError, RuntimeError):
    """The client cannot be used now: it is closed, its borrowed session is closed, or it
    belongs to another event loop."""


class SerializationError(ConversationError, ValueError):
    """JSON that cannot become the requested model (wrong types, a missing required field)."""


class CallbackParseError(ConversationError, ValueError):
    """A callback body that is not JSON, not an object, or carries no event payload."""


class JournalError(ConversationError):
    """A campaign journal cannot be opened (in use by another run), read or written."""


class CampaignMismatchError(JournalError, ValueError):
    """This run's input does not match the journal's campaign: a row's request differs
    from the one journaled under its key, or two inputs share a key. Nothing of the
    mismatching row was sent."""


class NoResponseError(ConversationError):
    """No HTTP answer came back; ``maybe_processed`` says whether the request had gone out."""

    def __init__(self, message: str, *, maybe_processed: bool = False) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class TransportError(NoResponseError):
    """The connection, DNS lookup or TLS handshake failed, or the connection broke."""


class RequestTimeoutError(NoResponseError):
    """An attempt ran past its timeout, or the call ran past its overall deadline."""


class InvalidResponseError(ConversationError):
    """An answer whose body cannot be read as expected: a 2xx that is not the JSON this call
    expects (the API accepted the call, so ``maybe_processed`` is set), or a body over the
    size limit."""

    def __init__(self, message: str, *, status: int, body: bytes = b"") -> None:
        super().__init__(message)
        self._status = status
        self.body = body[:MAX_ERROR_BODY]


class ResponseTooLargeError(InvalidResponseError):
    """The answer's (decoded) body passed ``max_response_size``; reading stopped there.

    Whether the API processed the call follows the status, as for any answer.
    """

    def __init__(self, message: str, *, status: int, limit: int) -> None:
        super().__init__(message, status=status)
        self.limit = limit


class TokenError(ConversationError):
    """The OAuth2 token endpoint did not issue a usable token.

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
        self._status = status
        self.error = error
        self.error_description = error_description


class ApiError(ConversationError):
    """The API answered with an error status; the fields come from its error envelope.

    ``status`` is the HTTP status; ``code``, ``api_status`` (such as ``INVALID_ARGUMENT``),
    ``message`` and ``details`` are read from ``{"error": {...}}`` or the flat form;
    ``headers`` are the response headers, ``body`` the start of the raw body. ``str()`` adds
    a short summary of the details (field violations, descriptions).
    """

    def __init__(
        self,
        *,
        status: int,
        code: int | None = None,
        api_status: str | None = None,
        message: str | None = None,
        details: list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self._http_status = status
        self.code = code
        self.api_status = api_status
        self.message = message
        self.details = details or []
        self.headers: Mapping[str, str] = headers or {}
        self.body = body[:MAX_ERROR_BODY]
        super().__init__(self._describe())

    @property
    def status(self) -> int:
        """The HTTP status of the error answer (never None: an ApiError is an answer)."""
        return self._http_status

    def _describe(self) -> str:
        text = f"HTTP {self.status}"
        if self.api_status:
            text += f" {self.api_status}"
        if self.message:
            text += f": {_bounded(self.message)}"
        summary = summarize_details(self.details)
        return f"{text} ({summary})" if summary else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, api_status={self.api_status!r}, "
            f"message={self.message!r})"
        )


class RedirectError(ApiError):
    """3xx: redirects are never followed (a send must not be re-posted elsewhere);
    ``location`` is the ``Location`` header, if any."""

    def __init__(self, *, location: str | None = None, **kwargs: Any) -> None:
        self.location = location
        super().__init__(**kwargs)

    def _describe(self) -> str:
        text = super()._describe()
        return (
            f"{text}; redirect to {_bounded(self.location)} not followed" if self.location else text
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
    """5xx: the API failed; unless it was a 503, it may still have processed the call."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _bounded(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decode(body: bytes) -> Any:
    try:
        return _jsoncodec.loads(body) if body else None
    except ValueError:
        return None


def parse_error_envelope(body: bytes) -> dict[str, Any]:
    """Read ``code``/``api_status``/``message``/``details`` from a nested, flat or non-JSON
    body."""
    data = _decode(body)
    if not _jsoncodec.is_object(data):
        text = body[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
        return {"message": text[:_MAX_TEXT] or None}
    inner = data.get("error")
    fields = inner if _jsoncodec.is_object(inner) else data
    code = fields.get("code")
    status = fields.get("status")
    message = fields.get("message")
    details = fields.get("details")
    return {
        "code": code if isinstance(code, int) and not isinstance(code, bool) else None,
        "api_status": status if isinstance(status, str) else None,
        "message": message if isinstance(message, str) else None,
        "details": details if _jsoncodec.is_array(details) else None,
    }


def summarize_details(details: list[Any]) -> str:
    """A short line from an envelope's ``details``: ``field: description`` for each field
    violation, else each detail's ``description`` or ``reason``; at most a few, bounded."""
    parts: list[str] = []
    for detail in details:
        if not _jsoncodec.is_object(detail):
            continue
        violations = detail.get("field_violations", detail.get("fieldViolations"))
        if _jsoncodec.is_array(violations):
            for violation in violations:
                if _jsoncodec.is_object(violation):
                    field, description = violation.get("field"), violation.get("description")
                    if isinstance(field, str) and isinstance(description, str):
                        parts.append(f"{field}: {description}")
                    elif isinstance(description, str):
                        parts.append(description)
            continue
        for key in ("description", "reason", "detail"):
            value = detail.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
                break
    if not parts:
        return ""
    shown = "; ".join(parts[:_MAX_DETAILS])
    if len(parts) > _MAX_DETAILS:
        shown += f"; and {len(parts) - _MAX_DETAILS} more"
    return _bounded(shown)


def api_error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    retry_after: float | None = None,
) -> ApiError:
    """Build the ``ApiError`` subclass for an HTTP error status."""
    fields = parse_error_envelope(body)
    if 300 <= status < 400:
        return RedirectError(
            location=headers.get("Location"), status=status, headers=headers, body=body, **fields
        )
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    if cls is RateLimitError:
        return RateLimitError(
            retry_after=retry_after, status=status, headers=headers, body=body, **fields
        )
    return cls(status=status, headers=headers, body=body, **fields)


def token_error_from_response(status: int, body: bytes) -> TokenError:
    """The ``TokenError`` for an OAuth2 error answer (``{error, error_description}``)."""
    data = _decode(body)
    fields = data if _jsoncodec.is_object(data) else {}
    error = fields.get("error")
    error = _bounded(error) if isinstance(error, str) else None
    description = fields.get("error_description")
    description = _bounded(description) if isinstance(description, str) else None
    text = f"token endpoint answered HTTP {status}"
    if error:
        text += f" {error}"
    if description:
        text += f": {description}"
    return TokenError(text, status=status, error=error, error_description=description)
