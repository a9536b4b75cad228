"""Signatures over raw bytes: the published test vectors and the header parsing rules."""

from __future__ import annotations

import base64

import pytest

from voipbin_tui.protocols import (
    SignatureCheck,
    constant_time_equals,
    sign_hub_signature,
    sign_line_signature,
    sign_voipbin_signature,
    verify_hub_signature,
    verify_line_signature,
    verify_voipbin_signature,
)

APP_SECRET = "0123456789abcdef0123456789abcdef"
ESCAPED_BODY = b'{"text":{"body":"caf\\u00e9"}}'
UTF8_BODY = '{"text":{"body":"café"}}'.encode()

# The three vectors of providers.md, exactly as listed there.
VECTORS = [
    ("secret", b"test", "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"),
    (
        APP_SECRET,
        ESCAPED_BODY,
        "sha256=169557e9b4990ef2898b98355b3490cfa076430c9f8c114d6775e77dc0ca30f3",
    ),
    (
        APP_SECRET,
        UTF8_BODY,
        "sha256=f23695946cef986583eec618edfd9b280401d53e21aa1dd1c3ce8807325002b6",
    ),
]


def test_the_escaped_and_utf8_bodies_are_what_the_doc_describes() -> None:
    assert ESCAPED_BODY.isascii()
    assert b"\\u00e9" in ESCAPED_BODY
    assert b"\xc3\xa9" in UTF8_BODY


@pytest.mark.parametrize(("secret", "body", "expected"), VECTORS)
def test_hub_signature_vectors(secret: str, body: bytes, expected: str) -> None:
    assert sign_hub_signature(secret, body) == expected
    assert verify_hub_signature(secret, body, expected) is SignatureCheck.VALID


@pytest.mark.parametrize(("secret", "body", "expected"), VECTORS)
def test_voipbin_signature_uses_the_same_scheme(secret: str, body: bytes, expected: str) -> None:
    assert sign_voipbin_signature(secret, body) == expected
    assert verify_voipbin_signature(secret, body, expected) is SignatureCheck.VALID


def test_the_same_json_value_re_encoded_fails() -> None:
    escaped_signature = VECTORS[1][2]
    assert verify_hub_signature(APP_SECRET, UTF8_BODY, escaped_signature) is SignatureCheck.INVALID
    utf8_signature = VECTORS[2][2]
    assert verify_hub_signature(APP_SECRET, ESCAPED_BODY, utf8_signature) is SignatureCheck.INVALID


def test_hub_signature_header_rules() -> None:
    good = VECTORS[0][2]
    digest = good.removeprefix("sha256=")
    assert verify_hub_signature("secret", b"test", "SHA256=" + digest) is SignatureCheck.VALID
    assert verify_hub_signature("secret", b"test", "sha256=" + digest.upper()) is SignatureCheck.VALID
    assert verify_hub_signature("secret", b"test", f"  {good} ") is SignatureCheck.VALID
    assert verify_hub_signature("secret", b"test", digest) is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test", "sha1=" + digest[:40]) is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test", good[:-1]) is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test", good + "0") is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test", good[:-1] + "g") is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test2", good) is SignatureCheck.INVALID
    assert verify_hub_signature("wrong", b"test", good) is SignatureCheck.INVALID
    assert verify_hub_signature("secret", b"test", "sha256=" + "é" * 64) is SignatureCheck.INVALID
    # İ lower-cases to two characters: length checks must not be fooled by it.
    assert verify_hub_signature("secret", b"test", "sha256=" + "İ" * 32) is SignatureCheck.INVALID


def test_missing_and_no_secret() -> None:
    good = VECTORS[0][2]
    assert verify_hub_signature("secret", b"test", None) is SignatureCheck.MISSING
    assert verify_hub_signature("secret", b"test", "") is SignatureCheck.MISSING
    assert verify_hub_signature("secret", b"test", "   ") is SignatureCheck.MISSING
    assert verify_hub_signature(None, b"test", good) is SignatureCheck.NO_SECRET
    assert verify_hub_signature("", b"test", good) is SignatureCheck.NO_SECRET
    assert verify_hub_signature(None, b"test", None) is SignatureCheck.NO_SECRET
    assert verify_line_signature(None, b"test", "x") is SignatureCheck.NO_SECRET
    assert verify_line_signature("s", b"test", None) is SignatureCheck.MISSING
    assert verify_voipbin_signature("", b"test", good) is SignatureCheck.NO_SECRET
    assert verify_voipbin_signature("secret", b"test", None) is SignatureCheck.MISSING


def test_line_signature_is_padded_base64_of_the_same_hmac() -> None:
    # The first vector's digest, base64-encoded instead of hex.
    expected = base64.b64encode(
        bytes.fromhex("0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")
    ).decode()
    assert expected == "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="
    assert sign_line_signature("secret", b"test") == expected
    assert expected.endswith("=")
    assert verify_line_signature("secret", b"test", expected) is SignatureCheck.VALID
    assert verify_line_signature("secret", b"test", f" {expected}\t") is SignatureCheck.VALID


def test_line_signature_rejects_variants_and_mismatches() -> None:
    good = sign_line_signature("channel-secret", UTF8_BODY)
    assert verify_line_signature("channel-secret", ESCAPED_BODY, good) is SignatureCheck.INVALID
    assert verify_line_signature("other", UTF8_BODY, good) is SignatureCheck.INVALID
    assert verify_line_signature("channel-secret", UTF8_BODY, good.rstrip("=")) is SignatureCheck.INVALID
    urlsafe = good.replace("+", "-").replace("/", "_")
    if urlsafe != good:
        assert verify_line_signature("channel-secret", UTF8_BODY, urlsafe) is SignatureCheck.INVALID
    assert verify_line_signature("channel-secret", UTF8_BODY, "sha256=" + good) is SignatureCheck.INVALID
    assert verify_line_signature("channel-secret", UTF8_BODY, "é" + good) is SignatureCheck.INVALID


def test_constant_time_equals() -> None:
    assert constant_time_equals("token", "token") is True
    assert constant_time_equals("token", "Token") is False
    assert constant_time_equals("tökén", "tökén") is True
    assert constant_time_equals("tökén", "token") is False
    assert constant_time_equals("", "") is True
    assert constant_time_equals("a", "") is False
