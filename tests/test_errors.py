"""The error tree and the parsing of Sinch's error envelopes."""

from __future__ import annotations

import json

import pytest

from conversation_async import errors
from conversation_async.errors import api_error_from_response

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
