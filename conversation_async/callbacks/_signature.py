"""Callback signatures (catalog §4.3). Pure: no I/O; the clock is injectable.

Sinch signs ``raw_body + "." + nonce + "." + timestamp`` with HMAC-SHA256 keyed by the
webhook's secret (used as UTF-8, not base64-decoded) and sends the padded base64 MAC in
``x-sinch-webhook-signature``, with the nonce, the Unix timestamp in seconds and the
algorithm in three more headers. The body must be the bytes exactly as received.

:func:`verify_signature` is the bare check; :class:`SignatureVerifier` adds what the API
recommends but no SDK does: a timestamp window and nonce replay protection.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from .._checked import as_object
from ._stores import ExpiringMarks, Mark

if TYPE_CHECKING:  # typing.TypeIs is new in Python 3.13
    from typing_extensions import TypeIs

__all__ = [
    "ALGORITHM_HEADER",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "NonceCache",
    "SignatureVerifier",
    "Verdict",
    "sign",
    "signature_headers",
    "verify_signature",
]

SIGNATURE_HEADER = "x-sinch-webhook-signature"
NONCE_HEADER = "x-sinch-webhook-signature-nonce"
TIMESTAMP_HEADER = "x-sinch-webhook-signature-timestamp"
ALGORITHM_HEADER = "x-sinch-webhook-signature-algorithm"
ALGORITHM = "HmacSHA256"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""A header mapping (any case) or ``(name, value)`` pairs; the first value of a name wins."""


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, giving back the raw bytes of a value decoded with surrogateescape
    (as aiohttp decodes header bytes that are not UTF-8). Other lone surrogates raise
    ``UnicodeEncodeError``."""
    return text.encode("utf-8", "surrogateescape")


def _body_bytes(body: bytes | str) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(as_object(body), str):
        return _utf8(body)
    raise TypeError(
        f"body must be the raw request body (bytes or str), got {type(body).__name__}; "
        "a parsed and re-serialized body does not verify"
    )


def sign(secret: str, body: bytes | str, nonce: str, timestamp: int | str) -> str:
    """The ``x-sinch-webhook-signature`` value for ``body`` (padded base64 HMAC-SHA256)."""
    signed = b".".join((_body_bytes(body), _utf8(nonce), _utf8(str(timestamp))))
    mac = hmac.new(_utf8(secret), signed, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def signature_headers(
    secret: str, body: bytes | str, *, nonce: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """All four signature headers for ``body``, as Sinch sends them (fresh nonce, now)."""
    nonce = nonce or secrets.token_hex(13).upper()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        SIGNATURE_HEADER: sign(secret, body, nonce, timestamp),
        NONCE_HEADER: nonce,
        TIMESTAMP_HEADER: str(timestamp),
        ALGORITHM_HEADER: ALGORITHM,
    }


def _is_mapping(headers: Headers) -> TypeIs[Mapping[str, str]]:
    return isinstance(headers, Mapping)


def lower_headers(headers: Headers) -> dict[str, str]:
    """``headers`` by lower-case name; the first value of a name wins."""
    pairs = headers.items() if _is_mapping(headers) else headers
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name.lower(), value)
    return found


class Verdict(enum.Enum):
    """The outcome of checking one callback; only ``VALID`` may be processed."""

    VALID = "valid"
    MISSING = "no secret, or a signature header is missing"
    BAD_ALGORITHM = "algorithm header is not HmacSHA256"
    BAD_SIGNATURE = "signature does not match the body"
    STALE = "timestamp outside the allowed window"
    REPLAYED = "nonce already seen"

    def __bool__(self) -> bool:
        return self is Verdict.VALID


def check_signature(secret: str | None, headers: Headers, body: bytes | str) -> Verdict:
    """:func:`verify_signature` with the reason for a refusal."""
    try:
        raw: bytes | None = _body_bytes(body)
    except UnicodeEncodeError:  # a str body with a lone surrogate was never sent as bytes
        raw = None
    found = lower_headers(headers)
    signature = found.get(SIGNATURE_HEADER)
    nonce = found.get(NONCE_HEADER)
    timestamp = found.get(TIMESTAMP_HEADER)
    if not secret or not signature or not nonce or not timestamp:
        return Verdict.MISSING
    algorithm = found.get(ALGORITHM_HEADER)
    if algorithm is not None and algorithm.lower() != ALGORITHM.lower():
        return Verdict.BAD_ALGORITHM
    if raw is None:
        return Verdict.BAD_SIGNATURE
    try:
        expected = sign(secret, raw, nonce, timestamp).encode("ascii")
        received = _utf8(signature.strip())
    except UnicodeEncodeError:  # a lone surrogate no HTTP header can carry: never signed
        return Verdict.BAD_SIGNATURE
    if not hmac.compare_digest(expected, received):
        return Verdict.BAD_SIGNATURE
    return Verdict.VALID


def verify_signature(secret: str | None, headers: Headers, body: bytes | str) -> bool:
    """Whether ``body`` carries a valid Sinch callback signature for ``secret``.

    Headers are looked up case-insensitively; a missing secret or header, or an algorithm
    other than ``HmacSHA256``, gives False. The comparison is constant-time. No timestamp
    or replay check: use :class:`SignatureVerifier` for those.
    """
    return check_signature(secret, headers, body) is Verdict.VALID


class NonceCache:
    """Nonces seen within a time window, bounded in size (oldest forgotten first)."""

    def __init__(self, *, ttl: float = 600.0, max_size: int = 100_000) -> None:
        if ttl <= 0 or max_size <= 0:
            raise ValueError("ttl and max_size must be positive")
        self._ttl = ttl
        self._seen = ExpiringMarks(max_size)

    def add(self, nonce: str, now: float) -> bool:
        """Remember ``nonce``; False if it was already seen within the window."""
        return self._seen.add(nonce, Mark.DONE, now, now + self._ttl) is None

    def seen(self, nonce: str, now: float) -> bool:
        """Whether ``nonce`` was added within the window; unlike :meth:`add`, records nothing."""
        return self._seen.get(nonce, now) is not None

    def __len__(self) -> int:
        return len(self._seen)


class SignatureVerifier:
    """Signature check plus a timestamp window and nonce replay protection.

    ``max_skew`` (seconds, default 300) bounds ``|now - timestamp|``; None disables it.
    ``nonce_cache`` remembers nonces: True (default) makes a fresh :class:`NonceCache`
    spanning twice the window, False disables replay protection, or pass a shared cache.
    A nonce is only remembered once its signature is valid.
    """

    def __init__(
        self,
        secret: str,
        *,
        max_skew: float | None = 300.0,
        nonce_cache: NonceCache | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a callback secret is required")
        self._secret = secret
        self._max_skew = max_skew
        if nonce_cache is True:
            nonce_cache = NonceCache(ttl=2 * (max_skew or 300.0))
        self._nonces = nonce_cache if isinstance(nonce_cache, NonceCache) else None
        self._clock = clock

    @property
    def nonce_cache(self) -> NonceCache | None:
        """The cache that remembers nonces; None when replay protection is off."""
        return self._nonces

    def verify(self, headers: Headers, body: bytes | str) -> Verdict:
        """Check one callback; the verdict is truthy only when it may be processed."""
        verdict = check_signature(self._secret, headers, body)
        if verdict is not Verdict.VALID:
            return verdict
        found = lower_headers(headers)
        now = self._clock()
        if self._max_skew is not None:
            try:
                sent = int(found[TIMESTAMP_HEADER])
            except ValueError:
                return Verdict.STALE
            if abs(round(now) - sent) > self._max_skew:  # ints: any header length is fine
                return Verdict.STALE
        if self._nonces is not None and not self._nonces.add(found[NONCE_HEADER], now):
            return Verdict.REPLAYED
        return Verdict.VALID

    def __repr__(self) -> str:
        return f"SignatureVerifier(secret=<redacted>, max_skew={self._max_skew!r})"
