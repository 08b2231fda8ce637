"""Client configuration: regions, hosts, credentials and limits, as one immutable value.

Hosts per region follow catalog §1.1: Conversation ``https://{region}.conversation.api.sinch.com``,
Templates ``https://{region}.template.api.sinch.com``, Batch
``https://{region}.conversationbatch.api.sinch.com`` (batch catalog §1.1), OAuth2 token URL
``https://auth.sinch.com/oauth2/token`` (``https://eu.auth.sinch.com/oauth2/token`` for EU).
Every host can be overridden, which is how the emulator and proxies are reached.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any

import attrs

from ._checked import as_object
from ._core.retry import RetryPolicy
from ._errors import ConfigurationError

__all__ = ["AuthMethod", "ClientConfig", "Region", "config_from_env"]


class Region(enum.StrEnum):
    """The Conversation API regions; a project's apps live in exactly one."""

    US = "us"
    EU = "eu"
    BR = "br"


class AuthMethod(enum.StrEnum):
    """How calls are authenticated (catalog §1.2)."""

    OAUTH = "oauth"
    """OAuth2 client_credentials, then ``Bearer`` tokens (recommended)."""
    BASIC = "basic"
    """``Basic`` key id and secret on every call: for quick tests, heavily rate-limited."""


DEFAULT_MAX_RESPONSE_SIZE = 8 * 1024 * 1024
"""8 MiB: far above any answer of the API (a page of 1,000 messages), far below harm."""

_AUTH_URLS = {
    Region.US: "https://auth.sinch.com/oauth2/token",
    Region.EU: "https://eu.auth.sinch.com/oauth2/token",
    Region.BR: "https://auth.sinch.com/oauth2/token",
}


def _region(value: Region | str) -> Region:
    try:
        return Region(str(value).lower())
    except ValueError:
        known = ", ".join(r.value for r in Region)
        raise ConfigurationError(f"unknown region {value!r}; expected one of {known}") from None


def _auth(value: AuthMethod | str) -> AuthMethod:
    try:
        return AuthMethod(str(value).lower())
    except ValueError:
        raise ConfigurationError(f"unknown auth {value!r}; expected 'oauth' or 'basic'") from None


def _url(value: str) -> str:
    if not isinstance(as_object(value), str) or not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"URL must start with https:// or http://, got {value!r}")
    return value.rstrip("/")


def _non_empty(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(as_object(value), str) or not value.strip():
        raise ConfigurationError(f"{attribute.name} must be a non-empty string")


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(as_object(value), int | float) or not value > 0:
        raise ConfigurationError(f"{attribute.name} must be > 0, got {value!r}")


def _positive_int(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(as_object(value), int) or value <= 0:
        raise ConfigurationError(f"{attribute.name} must be a positive int, got {value!r}")


def _positive_or_none(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        _positive(instance, attribute, value)


def _conversation_url(config: ClientConfig) -> str:
    return f"https://{config.region.value}.conversation.api.sinch.com"


def _templates_url(config: ClientConfig) -> str:
    return f"https://{config.region.value}.template.api.sinch.com"


def _batch_url(config: ClientConfig) -> str:
    return f"https://{config.region.value}.conversationbatch.api.sinch.com"


def _auth_url(config: ClientConfig) -> str:
    return _AUTH_URLS[config.region]


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a :class:`~conversation_async.ConversationClient` needs to reach the API.

    ``timeout`` bounds one HTTP attempt (time spent waiting for a free connection is not
    counted); ``deadline`` bounds a whole call, retries and back-off included.
    ``connection_limit`` caps concurrent HTTP requests of the client; ``rate_limit`` caps
    its requests per second (None: no cap until the API answers 429, then adaptive).
    ``max_response_size`` bounds the (decoded) body of any answer in bytes: past it, reading
    stops and the call fails with ``ResponseTooLargeError``.

    ``conversation_url``, ``templates_url``, ``batch_url`` (the Batch API, beta) and
    ``auth_url`` (the OAuth2 token endpoint) are the hosts actually used: the region's
    unless given (the emulator, a proxy).
    """

    project_id: str = attrs.field(validator=_non_empty)
    client_id: str = attrs.field(validator=_non_empty)
    client_secret: str = attrs.field(validator=_non_empty, repr=False)
    region: Region = attrs.field(default=Region.US, converter=_region)
    auth: AuthMethod = attrs.field(default=AuthMethod.OAUTH, converter=_auth)
    conversation_url: str = attrs.field(
        default=attrs.Factory(_conversation_url, takes_self=True), converter=_url
    )
    templates_url: str = attrs.field(
        default=attrs.Factory(_templates_url, takes_self=True), converter=_url
    )
    batch_url: str = attrs.field(default=attrs.Factory(_batch_url, takes_self=True), converter=_url)
    auth_url: str = attrs.field(default=attrs.Factory(_auth_url, takes_self=True), converter=_url)
    timeout: float = attrs.field(default=30.0, validator=_positive)
    deadline: float = attrs.field(default=120.0, validator=_positive)
    connection_limit: int = attrs.field(default=100, validator=_positive)
    rate_limit: float | None = attrs.field(default=None, validator=_positive_or_none)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    max_response_size: int = attrs.field(default=DEFAULT_MAX_RESPONSE_SIZE, validator=_positive_int)


ENV_VARS = {
    "project_id": "SINCH_PROJECT_ID",
    "client_id": "SINCH_CLIENT_ID",
    "client_secret": "SINCH_CLIENT_SECRET",
    "region": "SINCH_REGION",
    "auth": "SINCH_AUTH",
    "conversation_url": "SINCH_CONVERSATION_URL",
    "templates_url": "SINCH_TEMPLATES_URL",
    "batch_url": "SINCH_BATCH_URL",
    "auth_url": "SINCH_AUTH_URL",
}
"""Environment variable read for each :class:`ClientConfig` field by :func:`config_from_env`."""

REQUIRED_CREDENTIALS = ("project_id", "client_id", "client_secret")
"""The fields the real API cannot be reached without (each from its ``ENV_VARS`` variable)."""


def config_from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> ClientConfig:
    """Build a :class:`ClientConfig` from ``SINCH_*`` variables; keyword overrides win."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {field: env[name] for field, name in ENV_VARS.items() if env.get(name)}
    values.update(overrides)
    missing = [ENV_VARS[f] for f in REQUIRED_CREDENTIALS if not values.get(f)]
    if missing:
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
    return ClientConfig(**values)


def missing_credentials(environ: Mapping[str, str] | None = None) -> list[str]:
    """The credential variables (``SINCH_PROJECT_ID``...) unset or blank, in that order."""
    env = os.environ if environ is None else environ
    return [ENV_VARS[f] for f in REQUIRED_CREDENTIALS if not env.get(ENV_VARS[f], "").strip()]


def credentials_in_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the three credential variables are all set (the demo then uses the real API)."""
    return not missing_credentials(environ)
