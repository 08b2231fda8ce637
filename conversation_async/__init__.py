"""asyncio-native client for the Sinch Conversation API.

The public API is what this module exports (the client, its configuration, the error tree,
pagination), plus :mod:`conversation_async.models` (every request, response and message
type), :mod:`conversation_async.bulk` (bulk sends and resumable campaigns),
:mod:`conversation_async.callbacks` (receiving Sinch Events), :mod:`conversation_async.redis`
(state shared between processes) and :mod:`conversation_async.testing` (the emulator).
Every other module is private (``_``-prefixed).
"""

from ._client import ConversationClient
from ._config import AuthMethod, ClientConfig, Region, credentials_in_env
from ._core.retry import RetryPolicy
from ._errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    CallbackParseError,
    CampaignMismatchError,
    ClientStateError,
    ConfigurationError,
    ConflictError,
    ConversationError,
    InvalidResponseError,
    JournalError,
    NoResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    SerializationError,
    ServerError,
    TokenError,
    TransportError,
)
from ._http.ratelimit import LocalRateLimiter, RateLimiter
from ._pagination import AsyncPager, Page
from ._version import __version__

__all__ = [
    "ApiError",
    "AsyncPager",
    "AuthMethod",
    "AuthenticationError",
    "BadRequestError",
    "CallbackParseError",
    "CampaignMismatchError",
    "ClientConfig",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "ConversationClient",
    "ConversationError",
    "InvalidResponseError",
    "JournalError",
    "LocalRateLimiter",
    "NoResponseError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimiter",
    "RedirectError",
    "Region",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "SerializationError",
    "ServerError",
    "TokenError",
    "TransportError",
    "__version__",
    "credentials_in_env",
]


def _name_this_module_in_errors() -> None:
    """Errors name the public module (tracebacks, OpenTelemetry's error.type), as httpx
    does."""
    for name in __all__:
        value = globals()[name]
        if isinstance(value, type) and issubclass(value, Exception):
            value.__module__ = __name__


_name_this_module_in_errors()
del _name_this_module_in_errors
