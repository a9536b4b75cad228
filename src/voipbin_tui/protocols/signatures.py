"""Sign and check webhook signatures (Meta, LINE, VoIPBIN) over the exact raw body bytes.

Every provider signs the bytes it sent, not the JSON value: re-serializing a parsed body
(Meta escapes ``é`` as ``\\u00e9`` and ``/`` as ``\\/``) yields other bytes and a different
signature. So every function here takes ``raw_body: bytes`` and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import StrEnum

_HEX_DIGITS = frozenset("0123456789abcdef")
_SHA256_PREFIX = "sha256="
_SHA256_HEX_LENGTH = 64
# Header values may arrive with surrounding blanks; they are never part of a signature.
_HEADER_BLANKS = " \t\r\n"


class SignatureCheck(StrEnum):
    """The outcome of checking one signature header."""

    VALID = "valid"
    MISSING = "missing"
    """No header, or an empty one."""
    INVALID = "invalid"
    """A header that is not a well-formed signature, or one that does not match."""
    NO_SECRET = "no_secret"
    """No secret to check with: the request cannot be authenticated at all."""


def _hmac_sha256(secret: str, raw_body: bytes) -> bytes:
    return hmac.new(_to_bytes(secret), raw_body, hashlib.sha256).digest()


def _to_bytes(text: str) -> bytes:
    """UTF-8 bytes of any str, lone surrogates included, so comparisons never raise."""
    return text.encode("utf-8", errors="surrogatepass")


def constant_time_equals(a: str, b: str) -> bool:
    """Compare two strings without leaking, through timing, how much of them matched.

    Used for the WhatsApp verify token. ``hmac.compare_digest`` refuses non-ASCII ``str``,
    so both sides are compared as UTF-8 bytes instead.
    """
    return hmac.compare_digest(_to_bytes(a), _to_bytes(b))


def _sign_sha256_hex(secret: str, raw_body: bytes) -> str:
    return _SHA256_PREFIX + _hmac_sha256(secret, raw_body).hex()


def _verify_sha256_hex(secret: str | None, raw_body: bytes, header: str | None) -> SignatureCheck:
    """Check a ``sha256=<hex>`` header, the format shared by Meta and VoIPBIN.

    Lenient only where it costs nothing: the prefix in any case and upper-case hex are
    accepted, because proxies and hand-written test tools produce them.
    """
    if not secret:
        return SignatureCheck.NO_SECRET
    if not header:
        return SignatureCheck.MISSING
    value = header.strip(_HEADER_BLANKS)
    if not value:
        return SignatureCheck.MISSING
    prefix, digest = value[: len(_SHA256_PREFIX)], value[len(_SHA256_PREFIX) :]
    if prefix.lower() != _SHA256_PREFIX:
        return SignatureCheck.INVALID
    # Lower-case ASCII letters only: str.lower() on some non-ASCII characters changes the
    # length, so the check is on the characters, after lowering, against a fixed set.
    digest = digest.lower()
    if len(digest) != _SHA256_HEX_LENGTH or not set(digest) <= _HEX_DIGITS:
        return SignatureCheck.INVALID
    expected = _hmac_sha256(secret, raw_body).hex()
    if hmac.compare_digest(digest.encode("ascii"), expected.encode("ascii")):
        return SignatureCheck.VALID
    return SignatureCheck.INVALID


def sign_hub_signature(app_secret: str, raw_body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends: ``sha256=`` + HMAC-SHA256 hex.

    The key is the Meta **app secret** (not the access token, not the verify token).
    """
    return _sign_sha256_hex(app_secret, raw_body)


def verify_hub_signature(app_secret: str | None, raw_body: bytes, header: str | None) -> SignatureCheck:
    """Check ``X-Hub-Signature-256`` against the raw body, in constant time.

    NO_SECRET when there is no app secret, MISSING when the header is absent or empty,
    INVALID when it is malformed or does not match. Never raises, whatever the header holds.
    """
    return _verify_sha256_hex(app_secret, raw_body, header)


def sign_line_signature(channel_secret: str, raw_body: bytes) -> str:
    """The ``x-line-signature`` value LINE sends: standard padded base64 of HMAC-SHA256."""
    return base64.b64encode(_hmac_sha256(channel_secret, raw_body)).decode("ascii")


def verify_line_signature(channel_secret: str | None, raw_body: bytes, header: str | None) -> SignatureCheck:
    """Check ``x-line-signature`` against the raw body, in constant time.

    The header must be exactly the standard padded base64 LINE sends (a url-safe or unpadded
    variant is INVALID, as LINE never produces one). Same outcomes as
    :func:`verify_hub_signature`; never raises.
    """
    if not channel_secret:
        return SignatureCheck.NO_SECRET
    if not header:
        return SignatureCheck.MISSING
    value = header.strip(_HEADER_BLANKS)
    if not value:
        return SignatureCheck.MISSING
    expected = sign_line_signature(channel_secret, raw_body)
    if hmac.compare_digest(_to_bytes(value), expected.encode("ascii")):
        return SignatureCheck.VALID
    return SignatureCheck.INVALID


def sign_voipbin_signature(webhook_secret: str, raw_body: bytes) -> str:
    """The ``X-VoIPBIN-Signature`` value VoIPBIN sends on customer webhooks: ``sha256=<hex>``."""
    return _sign_sha256_hex(webhook_secret, raw_body)


def verify_voipbin_signature(webhook_secret: str | None, raw_body: bytes, header: str | None) -> SignatureCheck:
    """Check ``X-VoIPBIN-Signature`` (key: the customer's ``webhook_secret``); never raises."""
    return _verify_sha256_hex(webhook_secret, raw_body, header)
