"""Callback signatures: the check never raises, and never accepts a modified body, nonce or
timestamp."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from conversation_async.callbacks import (
    SignatureVerifier,
    Verdict,
    sign,
    verify_signature,
)
from conversation_async.callbacks._signature import (
    ALGORITHM,
    ALGORITHM_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_signature,
)

from . import fuzz_settings
from .strategies import header_names, random_case, raw_text, unicode_text

# --- strategies ---------------------------------------------------------------------------

_secrets = st.one_of(st.none(), unicode_text)
_bodies = st.one_of(st.binary(max_size=64), unicode_text)
_nonces = unicode_text.filter(bool)
_timestamps = st.one_of(
    st.integers(-(10**12), 10**12),
    st.integers(-(10**400), 10**400),  # beyond float range too
    unicode_text.filter(bool),
)


def _as_container(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> Any:
    """The pairs as a dict, a list, a tuple, or a case-insensitive multidict (as aiohttp's
    ``request.headers`` is), so repeated names reach the verifier in every form."""
    kind = draw(st.sampled_from(["dict", "list", "tuple", "multidict"]))
    if kind == "dict":
        return dict(pairs)
    if kind == "multidict":
        return CIMultiDict(pairs)
    return pairs if kind == "list" else tuple(pairs)


def _sign_if_encodable(secret: str | None, body: bytes | str, nonce: str, timestamp: Any) -> str:
    """The signature, or "" without a secret or when an argument cannot be UTF-8 encoded (so
    generating a request never raises; the verifier meets those arguments itself)."""
    if not secret:
        return ""
    try:
        return sign(secret, body, nonce, timestamp)
    except UnicodeEncodeError:
        return ""


def _requests(
    values: st.SearchStrategy[str] = unicode_text,
    secrets: st.SearchStrategy[str | None] = _secrets,
    bodies: st.SearchStrategy[Any] = _bodies,
) -> st.SearchStrategy[tuple[str | None, Any, bytes | str]]:
    """``(secret, headers, body)``: often correctly signed, with header names in any case,
    noise headers before or after (a name may repeat; the first one wins), an algorithm
    header or not, and any header replaced by arbitrary text."""
    return _request(values, secrets, bodies, _timestamps)


@st.composite  # no strategy defaults here: hypothesis labels a composite by their repr
def _request(
    draw: st.DrawFn,
    values: st.SearchStrategy[str],
    secrets: st.SearchStrategy[str | None],
    bodies: st.SearchStrategy[Any],
    timestamps: st.SearchStrategy[Any],
) -> tuple[str | None, Any, bytes | str]:
    secret, body = draw(secrets), draw(bodies)
    nonce, timestamp = draw(values), draw(timestamps)
    signature = _sign_if_encodable(secret, body, nonce, timestamp) or draw(values)
    wanted = {
        SIGNATURE_HEADER: signature,
        NONCE_HEADER: nonce,
        TIMESTAMP_HEADER: str(timestamp),
        ALGORITHM_HEADER: draw(st.sampled_from([ALGORITHM, ALGORITHM.lower(), "HmacSHA1"])),
    }
    pairs: list[tuple[str, str]] = []
    for name, value in wanted.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # header left out
        if draw(st.integers(0, 9)) == 0:
            value = draw(values)  # header replaced by noise
        pairs.append((draw(random_case(name)), value))
    noise = draw(st.lists(st.tuples(header_names, values), max_size=4))
    cut = draw(st.integers(0, len(noise)))
    pairs = noise[:cut] + draw(st.permutations(pairs)) + noise[cut:]
    return secret, _as_container(draw, pairs), body


@st.composite
def _signed(draw: st.DrawFn) -> tuple[str, bytes, str, str]:
    """``(secret, body, nonce, timestamp)`` for a correct signature."""
    timestamp = draw(st.one_of(st.integers(0, 2**40), unicode_text.filter(bool)))
    return draw(unicode_text.filter(bool)), draw(st.binary()), draw(_nonces), str(timestamp)


def _headers(signature: str, nonce: str, timestamp: str) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature, NONCE_HEADER: nonce, TIMESTAMP_HEADER: timestamp}


@st.composite
def _modified_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with one character replaced, inserted or deleted, or any other text."""
    how = draw(st.sampled_from(["replace", "insert", "delete", "append", "other"]))
    at = draw(st.integers(0, len(text)))
    char = draw(st.characters(codec="utf-8"))
    changed = {
        "replace": text[:at] + char + text[at + 1 :],
        "insert": text[:at] + char + text[at:],
        "delete": text[:at] + text[at + 1 :],
        "append": text + char,
        "other": draw(unicode_text),
    }[how]
    return changed if changed != text else text + char


# --- never raises -------------------------------------------------------------------------


@fuzz_settings(150)
@given(_requests())
def test_verify_signature_returns_a_bool(request: tuple[str | None, Any, bytes | str]) -> None:
    """Any secret, headers (any case, repeated names, dict or pairs) and bytes/str body give
    True or False, never an exception."""
    assert verify_signature(*request) in (True, False)


@fuzz_settings(80)
@given(_requests())
def test_check_signature_agrees_with_verify_signature(
    request: tuple[str | None, Any, bytes | str],
) -> None:
    """check_signature gives a Verdict that is truthy exactly when verify_signature is True."""
    verdict = check_signature(*request)
    assert isinstance(verdict, Verdict)
    assert bool(verdict) is verify_signature(*request)


_clocks = st.floats(allow_nan=False, allow_infinity=False)
_skews = st.one_of(st.none(), st.floats(min_value=0, allow_nan=False))


@fuzz_settings(100)
@given(
    _requests(secrets=unicode_text.filter(bool)),
    _skews,
    st.booleans(),
    _clocks,
)
def test_signature_verifier_returns_a_verdict(
    request: tuple[str, Any, bytes | str], max_skew: float | None, replay: bool, now: float
) -> None:
    """SignatureVerifier.verify gives a Verdict for any request (timestamps within float range),
    any window and any clock, also when the same request comes twice."""
    secret, headers, body = request
    verifier = SignatureVerifier(secret, max_skew=max_skew, nonce_cache=replay, clock=lambda: now)
    for _ in range(2):
        assert isinstance(verifier.verify(headers, body), Verdict)


# --- a signed body verifies; any modification fails ----------------------------------------


@fuzz_settings(200)
@given(_signed(), st.booleans(), st.booleans())
def test_signed_body_verifies(
    signed: tuple[str, bytes, str, str], with_algorithm: bool, upper_names: bool
) -> None:
    """A body signed with sign(secret, body, nonce, timestamp) verifies, with or without the
    algorithm header and whatever the case of the header names."""
    secret, body, nonce, timestamp = signed
    headers = _headers(sign(secret, body, nonce, timestamp), nonce, timestamp)
    if with_algorithm:
        headers[ALGORITHM_HEADER] = ALGORITHM
    if upper_names:
        headers = {name.upper(): value for name, value in headers.items()}
    assert verify_signature(secret, headers, body)


@fuzz_settings(100)
@given(unicode_text.filter(bool), unicode_text, _nonces, st.integers(0, 2**40))
def test_str_body_verifies_as_its_utf8_bytes(
    secret: str, body: str, nonce: str, timestamp: int
) -> None:
    """A str body signs and verifies as its UTF-8 encoding, in either form."""
    headers = _headers(sign(secret, body, nonce, timestamp), nonce, str(timestamp))
    assert verify_signature(secret, headers, body)
    assert verify_signature(secret, headers, body.encode("utf-8"))


@st.composite
def _modified_body(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` with one bit flipped, or one byte inserted, deleted or appended."""
    ways = ["insert", "append"] + (["flip", "delete"] if body else [])
    how = draw(st.sampled_from(ways))
    if how == "append":
        return body + bytes([draw(st.integers(0, 255))])
    if how == "insert":
        at = draw(st.integers(0, len(body)))
        return body[:at] + bytes([draw(st.integers(0, 255))]) + body[at:]
    at = draw(st.integers(0, len(body) - 1))
    if how == "delete":
        return body[:at] + body[at + 1 :]
    flipped = body[at] ^ (1 << draw(st.integers(0, 7)))
    return body[:at] + bytes([flipped]) + body[at + 1 :]


@fuzz_settings(120)
@given(_signed(), st.data())
def test_modified_body_fails(signed: tuple[str, bytes, str, str], data: st.DataObject) -> None:
    """Flipping any bit of the body, or inserting, deleting or appending any byte, fails."""
    secret, body, nonce, timestamp = signed
    headers = _headers(sign(secret, body, nonce, timestamp), nonce, timestamp)
    modified = data.draw(_modified_body(body), label="modified body")
    assert not verify_signature(secret, headers, modified)


@fuzz_settings(120)
@given(_signed(), st.data())
def test_modified_nonce_fails(signed: tuple[str, bytes, str, str], data: st.DataObject) -> None:
    """A nonce header that differs from the signed nonce in any way fails."""
    secret, body, nonce, timestamp = signed
    signature = sign(secret, body, nonce, timestamp)
    other = data.draw(_modified_text(nonce), label="modified nonce")
    assert not verify_signature(secret, _headers(signature, other, timestamp), body)


@fuzz_settings(120)
@given(_signed(), st.data())
def test_modified_timestamp_fails(signed: tuple[str, bytes, str, str], data: st.DataObject) -> None:
    """A timestamp header that differs from the signed timestamp in any way fails."""
    secret, body, nonce, timestamp = signed
    signature = sign(secret, body, nonce, timestamp)
    other = data.draw(_modified_text(timestamp), label="modified timestamp")
    assert not verify_signature(secret, _headers(signature, nonce, other), body)


# --- regressions found by fuzzing ---------------------------------------------------------

_undecodable = st.binary(min_size=1, max_size=16).map(
    lambda raw: raw.decode("utf-8", "surrogateescape")
)
"""Header values as aiohttp's parser hands them over: UTF-8 decoded with surrogateescape,
so a byte that is not UTF-8 (``b"\\xff"``) arrives as a lone surrogate (``"\\udcff"``)."""


@fuzz_settings(100)
@given(_requests(values=_undecodable, secrets=unicode_text.filter(bool)))
def test_verify_signature_returns_a_bool_for_undecodable_header_bytes(
    request: tuple[str, Any, bytes | str],
) -> None:
    """Header values holding bytes that are not UTF-8 (as aiohttp decodes them) give False."""
    assert verify_signature(*request) in (True, False)


@fuzz_settings(100)
@given(_requests(secrets=st.one_of(st.none(), raw_text), bodies=raw_text))
def test_verify_signature_returns_a_bool_for_lone_surrogates_in_str_arguments(
    request: tuple[str | None, Any, str],
) -> None:
    """Any Python str as secret or body, lone surrogates included, gives True or False."""
    assert verify_signature(*request) in (True, False)


_beyond_float = st.one_of(st.integers(min_value=2**1024), st.integers(max_value=-(2**1024)))


@fuzz_settings(50)
@given(unicode_text.filter(bool), st.binary(max_size=16), _nonces, _beyond_float)
def test_signature_verifier_returns_a_verdict_for_huge_timestamps(
    secret: str, body: bytes, nonce: str, timestamp: int
) -> None:
    """A correctly signed timestamp too large for a float gives a Verdict (STALE)."""
    headers = _headers(sign(secret, body, nonce, timestamp), nonce, str(timestamp))
    verifier = SignatureVerifier(secret, clock=lambda: 1_700_000_000.0)
    assert verifier.verify(headers, body) is Verdict.STALE
