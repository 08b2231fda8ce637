"""Regions, hosts, overrides and environment configuration."""

from __future__ import annotations

import pytest

from conversation_async import (
    AuthMethod,
    ClientConfig,
    ConfigurationError,
    ConversationClient,
    Region,
)
from conversation_async._config import config_from_env, credentials_in_env

CREDS = {"project_id": "p", "client_id": "id", "client_secret": "s3cr3t-value"}


@pytest.mark.parametrize(
    ("region", "conversation", "templates", "token"),
    [
        (
            Region.US,
            "https://us.conversation.api.sinch.com",
            "https://us.template.api.sinch.com",
            "https://auth.sinch.com/oauth2/token",
        ),
        (
            Region.EU,
            "https://eu.conversation.api.sinch.com",
            "https://eu.template.api.sinch.com",
            "https://eu.auth.sinch.com/oauth2/token",
        ),
        (
            Region.BR,
            "https://br.conversation.api.sinch.com",
            "https://br.template.api.sinch.com",
            "https://auth.sinch.com/oauth2/token",
        ),
    ],
)
def test_each_region_has_its_hosts(
    region: Region, conversation: str, templates: str, token: str
) -> None:
    """Hosts follow the region, with the EU token endpoint for EU."""
    config = ClientConfig(**CREDS, region=region)
    assert (config.conversation_url, config.templates_url, config.auth_url) == (
        conversation,
        templates,
        token,
    )


def test_region_defaults_to_us_and_accepts_strings() -> None:
    """'EU' and 'eu' both mean Region.EU; no region means US."""
    assert ClientConfig(**CREDS).region is Region.US
    assert ClientConfig(**CREDS, region="EU").region is Region.EU


def test_unknown_region_is_refused() -> None:
    """A typo in the region fails at construction, naming the choices."""
    with pytest.raises(ConfigurationError, match="us, eu, br"):
        ClientConfig(**CREDS, region="ap")


def test_every_host_can_be_overridden() -> None:
    """Conversation, templates and auth URLs can point anywhere (emulator, proxy)."""
    config = ClientConfig(
        **CREDS,
        conversation_url="http://127.0.0.1:1/",
        templates_url="http://127.0.0.1:2",
        auth_url="http://127.0.0.1:3/oauth2/token",
    )
    assert config.conversation_url == "http://127.0.0.1:1"
    assert config.templates_url == "http://127.0.0.1:2"
    assert config.auth_url == "http://127.0.0.1:3/oauth2/token"


def test_url_without_scheme_is_refused() -> None:
    """A host without http(s):// is a configuration error."""
    with pytest.raises(ConfigurationError, match="https://"):
        ClientConfig(**CREDS, conversation_url="us.conversation.api.sinch.com")


@pytest.mark.parametrize("field", ["project_id", "client_id", "client_secret"])
def test_empty_credentials_are_refused(field: str) -> None:
    """Each credential must be a non-empty string, named in the error."""
    with pytest.raises(ConfigurationError, match=field):
        ClientConfig(**{**CREDS, field: " "})


def test_non_positive_limits_are_refused() -> None:
    """timeout, deadline and connection_limit must be positive."""
    for field in ("timeout", "deadline", "connection_limit"):
        with pytest.raises(ConfigurationError, match=field):
            ClientConfig(**CREDS, **{field: 0})


def test_repr_hides_the_secret() -> None:
    """The config can be logged: the secret is not in its repr."""
    assert "s3cr3t-value" not in repr(ClientConfig(**CREDS))


def test_auth_accepts_basic() -> None:
    """auth='basic' selects Basic authentication."""
    assert ClientConfig(**CREDS, auth="basic").auth is AuthMethod.BASIC


def test_from_env_reads_credentials_region_and_urls() -> None:
    """SINCH_* variables fill the config."""
    env = {
        "SINCH_PROJECT_ID": "proj",
        "SINCH_CLIENT_ID": "key",
        "SINCH_CLIENT_SECRET": "secret",
        "SINCH_REGION": "br",
        "SINCH_AUTH": "basic",
        "SINCH_CONVERSATION_URL": "http://localhost:1",
        "SINCH_TEMPLATES_URL": "http://localhost:2",
        "SINCH_AUTH_URL": "http://localhost:3/oauth2/token",
    }
    config = config_from_env(env)
    assert (config.project_id, config.client_id, config.client_secret) == ("proj", "key", "secret")
    assert config.region is Region.BR
    assert config.auth is AuthMethod.BASIC
    assert config.conversation_url == "http://localhost:1"
    assert config.templates_url == "http://localhost:2"
    assert config.auth_url == "http://localhost:3/oauth2/token"


def test_from_env_names_missing_variables() -> None:
    """Missing credentials are reported by variable name."""
    with pytest.raises(ConfigurationError, match="SINCH_CLIENT_ID, SINCH_CLIENT_SECRET"):
        config_from_env({"SINCH_PROJECT_ID": "p"})


def test_client_from_env_names_every_missing_variable() -> None:
    """ConversationClient.from_env() with nothing set names all three variables at once."""
    missing = "SINCH_PROJECT_ID, SINCH_CLIENT_ID, SINCH_CLIENT_SECRET"
    with pytest.raises(ConfigurationError, match=missing):
        ConversationClient.from_env({})


def test_from_env_overrides_win() -> None:
    """Keyword overrides replace environment values."""
    env = {"SINCH_PROJECT_ID": "p", "SINCH_CLIENT_ID": "i", "SINCH_CLIENT_SECRET": "s"}
    assert config_from_env(env, region="eu").region is Region.EU


def test_credentials_in_env_needs_all_three() -> None:
    """The demo only targets the real API when all credentials are present."""
    assert not credentials_in_env({"SINCH_PROJECT_ID": "p", "SINCH_CLIENT_ID": "i"})
    assert credentials_in_env(
        {"SINCH_PROJECT_ID": "p", "SINCH_CLIENT_ID": "i", "SINCH_CLIENT_SECRET": "s"}
    )
