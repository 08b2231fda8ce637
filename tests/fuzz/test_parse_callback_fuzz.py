"""``parse_callback`` on arbitrary input: an event or ``CallbackParseError``, nothing else."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conversation_async import CallbackParseError, _jsoncodec
from conversation_async import _serde as serde
from conversation_async.callbacks import CallbackEvent, parse_callback

from . import fuzz_settings
from .strategies import (
    callback_bodies,
    json_objects,
    json_text,
    json_values,
    raw_bytes,
    raw_text,
)


def _parse(body: Any) -> CallbackEvent | None:
    """The event, or None when ``parse_callback`` refused the body with its own error."""
    try:
        event = parse_callback(body)
    except CallbackParseError:
        return None
    assert isinstance(event, CallbackEvent)
    return event


_buffers = st.sampled_from([bytes, bytearray, memoryview])


@fuzz_settings(200)
@given(raw_bytes, _buffers)
def test_arbitrary_bytes_give_an_event_or_a_parse_error(body: bytes, buffer: type) -> None:
    """Any bytes (as bytes, bytearray or memoryview) parse or raise CallbackParseError."""
    _parse(buffer(body))


@fuzz_settings(200)
@given(raw_text)
def test_arbitrary_str_gives_an_event_or_a_parse_error(body: str) -> None:
    """Any str, lone surrogates included, parses or raises CallbackParseError."""
    _parse(body)


@fuzz_settings(150)
@given(json_text(st.one_of(json_values, json_objects, callback_bodies())))
def test_arbitrary_json_text_gives_an_event_or_a_parse_error(body: str) -> None:
    """Any valid JSON text (any value, any object, callback-shaped objects) parses or raises
    CallbackParseError."""
    _parse(body)


@fuzz_settings(200, too_slow=True)
@given(callback_bodies())
def test_callback_shaped_objects_give_an_event_or_a_parse_error(body: dict[str, Any]) -> None:
    """Decoded objects with envelope keys and real payload keys holding valid, near-valid or
    arbitrary values parse or raise CallbackParseError."""
    _parse(body)


_not_bodies = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(json_values, max_size=3),
    st.lists(json_values, max_size=3).map(tuple),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.builds(object),
)


@fuzz_settings(100)
@given(_not_bodies)
def test_other_body_types_raise_a_parse_or_type_error(body: object) -> None:
    """A body that is neither raw JSON nor a mapping raises CallbackParseError (or TypeError)."""
    try:
        parse_callback(body)  # type: ignore[arg-type]
    except (CallbackParseError, TypeError):
        return
    raise AssertionError(f"parse_callback accepted a {type(body).__name__}")


@fuzz_settings(200, too_slow=True)
@given(callback_bodies())
def test_parsed_event_unstructures(body: dict[str, Any]) -> None:
    """Every event parse_callback returns can be written back to JSON values (timestamps in
    years 2..9998; the edges of datetime's range are a known bug, see test_serde_fuzz)."""
    event = _parse(body)
    if event is not None:
        serde.unstructure(event)


@fuzz_settings(150, too_slow=True)
@given(json_text(callback_bodies()))
def test_bytes_str_and_decoded_object_agree(text: str) -> None:
    """The same JSON as str, as UTF-8 bytes and as the decoded object gives equal results
    (the object is what the SDK's own decoder yields: integers past 64 bits become floats;
    numbers past float range are refused by that decoder, so then there is no object)."""
    outcomes = [_parse(text), _parse(text.encode("utf-8"))]
    try:
        decoded = _jsoncodec.loads(text)
    except _jsoncodec.JSONDecodeError:
        assert outcomes == [None, None]
        return
    outcomes.append(_parse(decoded))
    assert outcomes[0] == outcomes[1] == outcomes[2]
