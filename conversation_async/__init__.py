"""asyncio-native client for the Sinch Conversation API.

The public API is what this module exports, plus :mod:`conversation_async.models` (every
request, response and message type) and :mod:`conversation_async.testing` (the emulator).
"""

from ._core.retry import RetryPolicy
from ._http.ratelimit import LocalRateLimiter, RateLimiter
from ._version import __version__
from .client import ConversationClient
from .config import AuthMethod, ClientConfig, Region
from .errors import (
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
from .pagination import AsyncPager, Page

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
]
