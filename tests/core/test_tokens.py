"""The token endpoint's answer as a table: what is accepted as a usable token, what is
refused with ``TokenError`` before anything is cached or put into a header. No sockets."""

from __future__ import annotations

import json

import pytest

from conversation_async import TokenError
from conversation_async._core.tokens import MAX_EXPIRES_IN, MAX_TOKEN_LENGTH, parse_token_answer


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (body(access_token="abc.DEF-123_~+/=", expires_in=3600), ("abc.DEF-123_~+/=", 3600.0)),
        (body(access_token="t", expires_in=0.5), ("t", 0.5)),
        (body(access_token="t"), ("t", 3600.0)),
        (body(access_token="t", expires_in=MAX_EXPIRES_IN), ("t", MAX_EXPIRES_IN)),
        (body(access_token="t" * MAX_TOKEN_LENGTH, expires_in=60), ("t" * MAX_TOKEN_LENGTH, 60.0)),
    ],
    ids=["typical", "fractional-lifetime", "lifetime-missing", "longest-lifetime", "longest"],
)
def test_a_usable_answer_gives_the_token_and_its_lifetime(
    answer: bytes, expected: tuple[str, float]
) -> None:
    """Visible-ASCII tokens up to 16 KiB with a lifetime in (0, 1 year] are accepted; a
    missing ``expires_in`` means an hour."""
    assert parse_token_answer(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        body(access_token="abc\r\nX-Injected: 1", expires_in=3600),
        body(access_token="abc\ndef", expires_in=3600),
        body(access_token="abc def", expires_in=3600),
        body(access_token="abc\tdef", expires_in=3600),
        body(access_token="abc\x00def", expires_in=3600),
        body(access_token="abc\x7fdef", expires_in=3600),
        body(access_token="jeton-é", expires_in=3600),
        body(access_token="", expires_in=3600),
        body(access_token="t" * (MAX_TOKEN_LENGTH + 1), expires_in=3600),
        body(access_token=12345, expires_in=3600),
        body(access_token=None, expires_in=3600),
        body(expires_in=3600),
    ],
    ids=[
        "crlf",
        "lf",
        "space",
        "tab",
        "nul",
        "del",
        "non-ascii",
        "empty",
        "too-long",
        "number",
        "null",
        "missing",
    ],
)
def test_a_token_that_cannot_go_into_a_header_is_refused(answer: bytes) -> None:
    """Anything but 1 to 16 Ki visible ASCII characters raises TokenError (status 200)."""
    with pytest.raises(TokenError) as caught:
        parse_token_answer(answer)
    assert caught.value.status == 200


@pytest.mark.parametrize(
    "answer",
    [
        body(access_token="t", expires_in=0),
        body(access_token="t", expires_in=-1),
        body(access_token="t", expires_in=-0.0),
        body(access_token="t", expires_in=MAX_EXPIRES_IN + 1),
        body(access_token="t", expires_in=1e300),
        b'{"access_token": "t", "expires_in": NaN}',
        b'{"access_token": "t", "expires_in": Infinity}',
        b'{"access_token": "t", "expires_in": 1e400}',
        b'{"access_token": "t", "expires_in": 1' + b"0" * 400 + b"}",
        body(access_token="t", expires_in=True),
        body(access_token="t", expires_in="3600"),
        body(access_token="t", expires_in=None),
        body(access_token="t", expires_in=[3600]),
    ],
    ids=[
        "zero",
        "negative",
        "negative-zero",
        "over-a-year",
        "1e300",
        "nan",
        "infinity",
        "1e400",
        "10**400",
        "bool",
        "string",
        "null",
        "list",
    ],
)
def test_a_lifetime_that_is_not_a_finite_positive_bounded_number_is_refused(
    answer: bytes,
) -> None:
    """``expires_in`` must be a number in (0, 1 year]: anything else raises TokenError,
    so no token is cached with a nonsense (or no) expiry."""
    with pytest.raises(TokenError) as caught:
        parse_token_answer(answer)
    assert caught.value.status == 200


@pytest.mark.parametrize(
    "answer", [b"", b"not json", b"[]", b'"token"', b"null", b"\xff\xfe"], ids=repr
)
def test_an_answer_that_is_not_a_json_object_is_refused(answer: bytes) -> None:
    """An empty, non-JSON or non-object 2xx body raises TokenError."""
    with pytest.raises(TokenError, match="JSON object"):
        parse_token_answer(answer)


def test_the_refusal_never_shows_the_token() -> None:
    """A refused token's value is not put into the error message."""
    with pytest.raises(TokenError) as caught:
        parse_token_answer(body(access_token="S3cret-token\r\n", expires_in=60))
    assert "S3cret-token" not in str(caught.value)
    assert "S3cret-token" not in repr(caught.value)
