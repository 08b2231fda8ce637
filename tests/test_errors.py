"""The error tree and the parsing of Sinch's error envelopes."""

from __future__ import annotations

import json

import pytest

from conversation_async import _errors as errors
from conversation_async._errors import api_error_from_response

NESTED = {
    "error": {
        "code": 400,
        "message": "Invalid argument",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "type": "type.googleapis.com/google.rpc.BadRequest",
                "field_violations": [{"field": "message_id", "description": "Field is mandatory"}],
            }
        ],
    }
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.ApiError),
    ],
)
def test_status_maps_to_its_exception(status: int, cls: type[errors.ApiError]) -> None:
    """Each HTTP status becomes its own ApiError subclass."""
    error = api_error_from_response(status, {}, b"")
    assert type(error) is cls
    assert error.status == status


def test_every_error_derives_from_conversation_error() -> None:
    """Catching ConversationError catches everything the SDK raises."""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.ConversationError), name


def test_nested_envelope_is_parsed() -> None:
    """{"error": {...}} fills code, status, message and details."""
    error = api_error_from_response(400, {"X-Request-Id": "r1"}, json.dumps(NESTED).encode())
    assert (error.code, error.api_status, error.message) == (
        400,
        "INVALID_ARGUMENT",
        "Invalid argument",
    )
    assert error.details[0]["field_violations"][0]["field"] == "message_id"
    assert error.headers["X-Request-Id"] == "r1"
    assert str(error) == (
        "HTTP 400 INVALID_ARGUMENT: Invalid argument (message_id: Field is mandatory)"
    )


def test_flat_envelope_is_parsed() -> None:
    """The older flat {code, message, status} body works too."""
    body = json.dumps({"code": 404, "message": "Not found", "status": "NOT_FOUND"}).encode()
    error = api_error_from_response(404, {}, body)
    assert (error.code, error.api_status, error.message) == (404, "NOT_FOUND", "Not found")


def test_non_json_body_is_kept_as_message_and_raw_body() -> None:
    """An HTML or text error page is kept, not a crash."""
    body = b"<html>502 Bad Gateway</html>"
    error = api_error_from_response(502, {}, body)
    assert error.body == body
    assert error.message == "<html>502 Bad Gateway</html>"
    assert error.api_status is None


def test_wrongly_typed_envelope_fields_are_ignored() -> None:
    """Fields of unexpected types are dropped instead of crashing."""
    body = json.dumps({"error": {"code": "x", "status": 5, "details": "no"}}).encode()
    error = api_error_from_response(500, {}, body)
    assert (error.code, error.api_status, error.details) == (None, None, [])


def test_rate_limit_error_carries_retry_after() -> None:
    """A 429 keeps the server's Retry-After hint."""
    error = api_error_from_response(429, {}, b"", retry_after=2.5)
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 2.5


def test_config_and_serialization_errors_are_value_errors() -> None:
    """Bad settings and bad JSON can also be caught as ValueError."""
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.SerializationError, ValueError)


def test_exception_tree_is_drawn_in_the_module_docstring() -> None:
    """Every exception class appears in the tree at the top of errors.py."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if isinstance(getattr(errors, name), type):
            assert name in doc, name


def _violations(count: int, description: str = "is wrong") -> bytes:
    details = [
        {
            "type": "type.googleapis.com/google.rpc.BadRequest",
            "field_violations": [
                {"field": f"f{i}", "description": description} for i in range(count)
            ],
        }
    ]
    body = {"error": {"code": 400, "message": "Invalid argument", "details": details}}
    return json.dumps(body).encode()


def test_str_summarises_field_violations_and_says_how_many_more() -> None:
    """Five violations are shown; the rest are counted, not listed."""
    error = api_error_from_response(400, {}, _violations(8))
    assert "f0: is wrong; f1: is wrong" in str(error)
    assert "f4: is wrong; and 3 more" in str(error)
    assert "f5" not in str(error)


def test_str_stays_bounded_whatever_the_server_sends() -> None:
    """A huge message or description cannot make a huge exception message."""
    body = json.dumps(
        {"error": {"message": "m" * 100_000, "details": [{"description": "d" * 100_000}]}}
    ).encode()
    error = api_error_from_response(500, {}, body)
    assert len(str(error)) < 1_100


def test_details_without_violations_show_their_description_or_reason() -> None:
    """ErrorInfo-like details ({reason}) and free descriptions are summarised too."""
    body = json.dumps(
        {"error": {"message": "Denied", "details": [{"reason": "BILLING_DISABLED"}, "junk"]}}
    ).encode()
    assert str(api_error_from_response(403, {}, body)) == "HTTP 403: Denied (BILLING_DISABLED)"


def test_an_error_keeps_a_bounded_prefix_of_a_huge_body() -> None:
    """A 5 MB error page is not kept whole by the exception (and whatever holds it)."""
    error = api_error_from_response(502, {}, b"x" * 5_000_000)
    assert error.body == b"x" * errors.MAX_ERROR_BODY


def test_a_redirect_is_an_error_carrying_its_location() -> None:
    """3xx answers become RedirectError; the message says it was not followed."""
    error = api_error_from_response(307, {"Location": "https://elsewhere.example/x"}, b"")
    assert isinstance(error, errors.RedirectError)
    assert error.location == "https://elsewhere.example/x"
    assert "not followed" in str(error)


def test_every_error_has_the_http_status_under_one_name() -> None:
    """status is the HTTP status on every error that has an answer, None otherwise."""
    assert errors.TransportError("down").status is None
    assert errors.InvalidResponseError("x", status=200).status == 200
    assert errors.TokenError("x", status=401).status == 401
    assert api_error_from_response(404, {}, b"").status == 404


def test_status_cannot_be_rebound_on_an_error() -> None:
    """status is read-only: an error keeps the status of the answer it was made from."""
    error = api_error_from_response(404, {}, b"")
    with pytest.raises(AttributeError):
        error.status = 500  # type: ignore[misc]
    assert error.status == 404
