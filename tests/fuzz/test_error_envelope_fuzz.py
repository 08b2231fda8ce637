"""Error bodies: ``parse_error_envelope`` and ``api_error_from_response`` never raise."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conversation_async._errors import (
    MAX_ERROR_BODY,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    api_error_from_response,
)
from conversation_async._errors import parse_error_envelope as parse_envelope

from . import fuzz_settings
from .strategies import header_pairs, huge_ints, json_values, raw_bytes, raw_text, unicode_text

_FIELDS = ("code", "api_status", "message", "details")

_field_values = {
    "code": st.one_of(huge_ints, json_values),
    "status": st.one_of(unicode_text, json_values),
    "message": st.one_of(unicode_text, json_values),
    "details": st.one_of(st.lists(json_values, max_size=3), json_values),
}
_fields = st.fixed_dictionaries({}, optional=_field_values)
_envelopes = st.one_of(
    _fields,  # the flat form
    st.builds(lambda inner: {"error": inner}, _fields),  # the nested form
    st.builds(lambda inner, flat: {"error": inner, **flat}, json_values, _fields),
    json_values,
)


@st.composite
def _envelope_bytes(draw: st.DrawFn) -> bytes:
    """A JSON error envelope (nested, flat, or neither) with fields of any JSON type."""
    text = json.dumps(draw(_envelopes), ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8")


error_bodies = st.one_of(raw_bytes, _envelope_bytes())
"""Response bodies: arbitrary bytes, or JSON shaped like the API's error envelope."""

_TYPES: dict[str, tuple[type, ...]] = {
    "code": (int,),
    "api_status": (str,),
    "message": (str,),
    "details": (list,),
}


@fuzz_settings(150)
@given(error_bodies)
def test_parse_error_envelope_returns_documented_fields(body: bytes) -> None:
    """Any body gives a dict of code/api_status/message/details (all of them, or message alone
    for a non-object body), each None or of its documented type (code an int, not a bool)."""
    fields = parse_envelope(body)
    assert set(fields) in ({"message"}, set(_FIELDS))
    for name, value in fields.items():
        assert value is None or isinstance(value, _TYPES[name]), (name, value)
    assert not isinstance(fields.get("code"), bool)


_statuses = st.integers(400, 599)
_headers = header_pairs(raw_text).map(dict)
_retry_after = st.one_of(st.none(), st.floats())

_CLASSES = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _expected_class(status: int) -> type[ApiError]:
    return _CLASSES.get(status) or (ServerError if status >= 500 else ApiError)


@fuzz_settings(120)
@given(_statuses, _headers, error_bodies, _retry_after)
def test_api_error_from_response_builds_the_status_class(
    status: int, headers: dict[str, str], body: bytes, retry_after: float | None
) -> None:
    """Any 4xx/5xx status, headers and body give the ApiError subclass of that status,
    carrying the status, the body and the envelope's fields."""
    error: Any = api_error_from_response(status, headers, body, retry_after=retry_after)
    assert type(error) is _expected_class(status)
    assert error.status == status
    assert error.body == body[:MAX_ERROR_BODY]
    fields = parse_envelope(body)
    assert (error.code, error.api_status, error.message) == (
        fields.get("code"),
        fields.get("api_status"),
        fields.get("message"),
    )


@fuzz_settings(120)
@given(_statuses, _headers, error_bodies, _retry_after)
def test_api_error_str_and_repr_never_raise(
    status: int, headers: dict[str, str], body: bytes, retry_after: float | None
) -> None:
    """str() and repr() of any error built from a response are strings that name the status."""
    error = api_error_from_response(status, headers, body, retry_after=retry_after)
    assert str(status) in str(error)
    assert str(status) in repr(error)
