"""Callback signature checks: the shared vectors, tampering, headers, windows and replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conversation_async.callbacks import (
    NonceCache,
    SignatureVerifier,
    Verdict,
    sign,
    signature_headers,
    verify_signature,
)
from conversation_async.callbacks._signature import (
    ALGORITHM_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from tests.conftest import SHARED_FIXTURES, shared_fixtures_dir

SECRET = "foo_secret1234"
NONCE = "01FJA8B4A7BM43YGWSG9GBV067"
TIMESTAMP = 1634579353
BODY = b'{"app_id":"a","message_delivery_report":{"message_id":"m","status":"DELIVERED"}}'
VECTORS = sorted((SHARED_FIXTURES / "signatures").glob("*.json"))


def signed_headers(body: bytes = BODY, **overrides: str) -> dict[str, str]:
    headers = signature_headers(SECRET, body, nonce=NONCE, timestamp=TIMESTAMP)
    headers.update(overrides)
    return headers


def test_shared_vectors_present() -> None:
    """The shared signature vectors exist (skips, with the reason, without ../shared)."""
    assert list((shared_fixtures_dir() / "signatures").glob("*.json"))


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.name)
def test_shared_vector_and_its_negative_cases(path: Path) -> None:
    """Each official vector verifies, and each of its negative cases does not."""
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert (
        verify_signature(vector["secret"], vector["headers"], vector["raw_body"])
        is (vector["expected_valid"])
    )
    for case in vector["negative_cases"]:
        headers = case.get("headers", {**vector["headers"], **case.get("headers_override", {})})
        secret = case.get("secret", vector["secret"])
        body = case.get("raw_body", vector["raw_body"])
        assert verify_signature(secret, headers, body) is case["expected_valid"], case


def test_documented_worked_example_signs_to_the_published_value() -> None:
    """sign() reproduces catalog §4.3's worked example 2."""
    body = (
        '{"app_id":"01EB37HMH1M6SV18BSNS3G135H","accepted_time":"2020-11-17T15:09:11.659Z",'
        '"project_id":"c36f3d3d-1513-2edd-ae42-11995557ff61","message_delivery_report":'
        '{"message_id":"01EQBC1A3BEK731GY4YXEN0C2R","conversation_id":"01EPYATA64TMNZ1FV02JKF12JF",'
        '"status":"QUEUED_ON_CHANNEL","contact_id":"01EXA07N79THJ20WSN6AS30TMW"}}'
    )
    assert sign(SECRET, body, NONCE, TIMESTAMP) == "Yc+3R1pIS78xLASybulhs8BsSo9BPB3Pr92QCUoczfk="


def test_signature_is_padded_base64_of_32_bytes() -> None:
    """The header value is 44 characters of standard base64."""
    value = sign(SECRET, BODY, NONCE, TIMESTAMP)
    assert len(value) == 44
    assert value.endswith("=")


def test_signed_body_verifies() -> None:
    """A body signed with the secret verifies."""
    assert verify_signature(SECRET, signed_headers(), BODY)


def test_header_bytes_that_are_not_utf8_verify_as_sent() -> None:
    """A nonce with non-UTF-8 bytes (aiohttp hands them over surrogate-escaped) is checked
    against the bytes Sinch signed, not refused with an exception."""
    nonce = b"n\xff".decode("utf-8", "surrogateescape")
    headers = signature_headers(SECRET, BODY, nonce=nonce, timestamp=TIMESTAMP)
    assert verify_signature(SECRET, headers, BODY)
    assert not verify_signature(SECRET, signed_headers(**{NONCE_HEADER: "\ud800"}), BODY)


@pytest.mark.parametrize("index", range(0, len(BODY), 7))
def test_changing_any_body_byte_fails(index: int) -> None:
    """Flipping one byte anywhere in the body breaks the signature."""
    tampered = bytearray(BODY)
    tampered[index] ^= 0x01
    assert not verify_signature(SECRET, signed_headers(), bytes(tampered))


def test_reserialized_body_fails() -> None:
    """Whitespace matters: re-encoding the parsed JSON does not verify."""
    reencoded = json.dumps(json.loads(BODY)).encode()
    assert not verify_signature(SECRET, signed_headers(), reencoded)


@pytest.mark.parametrize(
    ("header", "value"),
    [(NONCE_HEADER, NONCE[:-1] + "8"), (TIMESTAMP_HEADER, str(TIMESTAMP + 1))],
)
def test_changing_nonce_or_timestamp_fails(header: str, value: str) -> None:
    """Nonce and timestamp are part of the signed data."""
    assert not verify_signature(SECRET, signed_headers(**{header: value}), BODY)


def test_wrong_secret_fails() -> None:
    """Another secret gives another MAC."""
    assert not verify_signature("other-secret", signed_headers(), BODY)


@pytest.mark.parametrize("missing", [SIGNATURE_HEADER, NONCE_HEADER, TIMESTAMP_HEADER])
def test_missing_header_fails(missing: str) -> None:
    """Without any of the three signature headers the callback is not verified."""
    headers = signed_headers()
    del headers[missing]
    assert not verify_signature(SECRET, headers, BODY)


@pytest.mark.parametrize("secret", [None, ""])
def test_missing_secret_fails(secret: str | None) -> None:
    """No secret means nothing can be verified."""
    assert not verify_signature(secret, signed_headers(), BODY)


def test_headers_are_case_insensitive() -> None:
    """Header names in any case are found."""
    upper = {name.upper(): value for name, value in signed_headers().items()}
    assert verify_signature(SECRET, upper, BODY)


def test_header_pairs_take_the_first_value() -> None:
    """With repeated headers the first value counts, as in the official SDKs."""
    pairs = [*signed_headers().items(), (SIGNATURE_HEADER, "forged")]
    assert verify_signature(SECRET, pairs, BODY)


def test_other_algorithm_header_fails() -> None:
    """The header cannot switch the algorithm: anything but HmacSHA256 is refused."""
    assert not verify_signature(SECRET, signed_headers(**{ALGORITHM_HEADER: "HmacSHA1"}), BODY)


def test_algorithm_header_is_optional_and_case_insensitive() -> None:
    """No algorithm header, or 'hmacsha256', both verify."""
    headers = signed_headers(**{ALGORITHM_HEADER: "hmacsha256"})
    assert verify_signature(SECRET, headers, BODY)
    del headers[ALGORITHM_HEADER]
    assert verify_signature(SECRET, headers, BODY)


def test_str_and_bytes_bodies_are_the_same() -> None:
    """A str body is signed as its UTF-8 bytes."""
    assert verify_signature(SECRET, signed_headers(), BODY.decode())


def test_parsed_body_is_refused_with_a_clear_error() -> None:
    """Passing a dict is a mistake (it cannot be the raw body): TypeError."""
    with pytest.raises(TypeError, match="raw request body"):
        verify_signature(SECRET, signed_headers(), json.loads(BODY))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_verifier_accepts_a_fresh_callback_once() -> None:
    """Within the window a callback is valid; the same nonce again is a replay."""
    verifier = SignatureVerifier(SECRET, clock=Clock(TIMESTAMP + 10))
    assert verifier.verify(signed_headers(), BODY) is Verdict.VALID
    assert verifier.verify(signed_headers(), BODY) is Verdict.REPLAYED


@pytest.mark.parametrize("offset", [-301, 301])
def test_verifier_refuses_timestamps_outside_the_window(offset: int) -> None:
    """A timestamp more than max_skew away from now is stale."""
    verifier = SignatureVerifier(SECRET, clock=Clock(TIMESTAMP + offset))
    assert verifier.verify(signed_headers(), BODY) is Verdict.STALE


def test_verifier_refuses_a_signed_timestamp_too_large_for_a_float() -> None:
    """A signed timestamp of hundreds of digits is stale, not an OverflowError."""
    timestamp = "1" + "0" * 400
    headers = {
        SIGNATURE_HEADER: sign(SECRET, BODY, NONCE, timestamp),
        NONCE_HEADER: NONCE,
        TIMESTAMP_HEADER: timestamp,
    }
    assert SignatureVerifier(SECRET).verify(headers, BODY) is Verdict.STALE


def test_verifier_refuses_a_non_integer_timestamp() -> None:
    """A timestamp that is not whole seconds is refused rather than compared."""
    body, nonce = BODY, NONCE
    headers = {
        SIGNATURE_HEADER: sign(SECRET, body, nonce, "nan"),
        NONCE_HEADER: nonce,
        TIMESTAMP_HEADER: "nan",
    }
    assert SignatureVerifier(SECRET).verify(headers, body) is Verdict.STALE


def test_verifier_window_and_replay_can_be_disabled() -> None:
    """max_skew=None and nonce_cache=False restore the bare check (old vectors verify)."""
    verifier = SignatureVerifier(SECRET, max_skew=None, nonce_cache=False)
    assert verifier.verify(signed_headers(), BODY)
    assert verifier.verify(signed_headers(), BODY)


def test_invalid_signature_does_not_burn_the_nonce() -> None:
    """A forged request cannot block the genuine one by sending its nonce first."""
    verifier = SignatureVerifier(SECRET, clock=Clock(TIMESTAMP))
    forged = signed_headers(**{SIGNATURE_HEADER: sign("guess", BODY, NONCE, TIMESTAMP)})
    assert verifier.verify(forged, BODY) is Verdict.BAD_SIGNATURE
    assert verifier.verify(signed_headers(), BODY) is Verdict.VALID


def test_verdict_is_truthy_only_when_valid() -> None:
    """`if verifier.verify(...)` reads naturally."""
    assert Verdict.VALID
    assert not any(v for v in Verdict if v is not Verdict.VALID)


def test_verifier_repr_hides_the_secret() -> None:
    """The verifier can be logged."""
    assert SECRET not in repr(SignatureVerifier(SECRET))


def test_nonce_cache_forgets_after_its_ttl() -> None:
    """A nonce can be used again once it has left the window."""
    cache = NonceCache(ttl=10)
    assert cache.add("n", now=0)
    assert not cache.add("n", now=9)
    assert cache.add("n", now=10.5)


def test_nonce_cache_seen_checks_without_recording() -> None:
    """seen() answers for the window like add() but remembers nothing itself."""
    cache = NonceCache(ttl=10)
    assert not cache.seen("n", now=0)
    assert not cache.seen("n", now=0)
    assert len(cache) == 0
    assert cache.add("n", now=0)  # seen() did not record it
    assert cache.seen("n", now=9)
    assert not cache.seen("n", now=10)  # expired, as add() would find it
    assert cache.add("n", now=10)


def test_nonce_cache_is_bounded() -> None:
    """The oldest nonces are dropped past max_size, so memory stays bounded."""
    cache = NonceCache(ttl=1000, max_size=3)
    for n in "abcd":
        cache.add(n, now=0)
    assert len(cache) == 3
    assert cache.add("a", now=1)  # "a" was evicted


def test_verifier_shows_the_nonce_cache_it_checks_replays_with() -> None:
    """nonce_cache is the verifier's own cache by default, the one given, or None when
    replay protection is off (what a receiver checks before adding a replay store)."""
    shared = NonceCache(ttl=60)
    assert isinstance(SignatureVerifier(SECRET).nonce_cache, NonceCache)
    assert SignatureVerifier(SECRET, nonce_cache=shared).nonce_cache is shared
    assert SignatureVerifier(SECRET, nonce_cache=False).nonce_cache is None
