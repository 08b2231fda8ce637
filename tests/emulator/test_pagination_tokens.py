"""Page tokens and page sizes as pure functions (no sockets)."""

from __future__ import annotations

import pytest

from conversation_async.testing._envelope import ApiError
from conversation_async.testing._pagination import PageTokens, parse_page_size


def test_token_round_trips_its_cursor() -> None:
    """A token decodes to the cursor it was issued for, under the same scope."""
    tokens = PageTokens()
    assert tokens.decode("scope", tokens.encode("scope", 42)) == 42


def test_empty_token_means_first_page() -> None:
    """An absent or empty token decodes to ``None`` (start from the newest)."""
    assert PageTokens().decode("scope", "") is None
    assert PageTokens().decode("scope", None) is None


def test_token_from_another_scope_is_rejected() -> None:
    """A token replayed with different filters is a 400."""
    tokens = PageTokens()
    with pytest.raises(ApiError) as raised:
        tokens.decode("other", tokens.encode("scope", 1))
    assert raised.value.violations[0][0] == "page_token"


def test_token_from_another_emulator_is_rejected() -> None:
    """Tokens are keyed per emulator instance."""
    with pytest.raises(ApiError):
        PageTokens().decode("scope", PageTokens().encode("scope", 1))


def test_token_is_url_safe() -> None:
    """Tokens need no escaping in a query string."""
    token = PageTokens().encode("scope", 2**40)
    assert token.replace("-", "").replace("_", "").isalnum()


@pytest.mark.parametrize(("raw", "expected"), [(None, 10), ("", 10), ("7", 7), (1000, 1000)])
def test_page_size_defaults_and_parses(raw: object, expected: int) -> None:
    """Missing means 10; ints and decimal strings up to 1000 are accepted."""
    assert parse_page_size(raw) == expected


@pytest.mark.parametrize("raw", [0, -3, 1001, "x", 2.5, True, [1]])
def test_bad_page_size_names_the_field(raw: object) -> None:
    """Out-of-range or non-integer page sizes raise a 400 naming page_size."""
    with pytest.raises(ApiError) as raised:
        parse_page_size(raw)
    assert raised.value.status == 400
    assert raised.value.violations[0][0] == "page_size"
