"""Decode untrusted webhook bodies and read values out of them without ever raising.

Provider payloads are read leniently: a field of the wrong type is treated as absent, so one
odd value never costs the operator the rest of a 1000-update batch.
"""

from __future__ import annotations

import json
from typing import Any

from voipbin_tui.protocols.errors import MalformedPayload

# Long enough for any real id or unix timestamp (ms included), short enough that int() on a
# hostile string stays cheap.
_MAX_TIMESTAMP_DIGITS = 20
_ASCII_DIGITS = frozenset("0123456789")


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are accepted by Python's json module but are not JSON; no provider
    # sends them, so a body containing them is not a provider payload.
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
"""Made once: ``json.loads`` with an option builds a decoder per call, half the cost of a
provider POST's decoding."""


def decode_json_body(raw_body: bytes) -> Any:
    """Decode a raw body as strict UTF-8 JSON, or raise MalformedPayload saying why not."""
    if isinstance(raw_body, str):
        raw_body = raw_body.encode("utf-8", errors="surrogatepass")
    try:
        text = bytes(raw_body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise MalformedPayload("the body is empty")
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise MalformedPayload("the body is not valid JSON: it is nested too deeply") from None
    except ValueError as exc:
        # JSONDecodeError, the int digit limit and refused constants are all ValueErrors.
        raise MalformedPayload(f"the body is not valid JSON: {exc}") from None


def json_type_name(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages about a wrong shape."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def get_dict(container: Any, key: str) -> dict[str, Any]:
    """``container[key]`` if both are JSON objects, else an empty dict."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, dict):
            return value
    return {}


def get_list(container: Any, key: str) -> list[Any]:
    """``container[key]`` if the container is an object and the value an array, else []."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, list):
            return value
    return []


def get_str(container: Any, key: str) -> str | None:
    """``container[key]`` as a string: strings as they are, integers in decimal, else None.

    Integers are accepted because an id sent as a number is still the same id.
    """
    if not isinstance(container, dict):
        return None
    value = container.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def get_text(container: Any, key: str) -> str | None:
    """``container[key]`` if it is a string (message text is never a number), else None."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, str):
            return value
    return None


def get_int(container: Any, key: str) -> int | None:
    """``container[key]`` as a non-negative integer: an integer, or a string of ASCII digits.

    Meta sends timestamps as strings of seconds, LINE as numbers of milliseconds; anything
    else (negative, fractional, too long, not digits) is None rather than a guess.
    """
    if not isinstance(container, dict):
        return None
    value = container.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        digits = value.strip()
        if 0 < len(digits) <= _MAX_TIMESTAMP_DIGITS and set(digits) <= _ASCII_DIGITS:
            return int(digits)
    return None


def get_bool(container: Any, key: str) -> bool:
    """True only if ``container[key]`` is the JSON value ``true``."""
    return isinstance(container, dict) and container.get(key) is True


def dicts(items: list[Any]) -> list[dict[str, Any]]:
    """The JSON objects of an array, skipping anything else."""
    return [item for item in items if isinstance(item, dict)]


def unique(values: list[str]) -> tuple[str, ...]:
    """Values without repeats, first occurrence first."""
    return tuple(dict.fromkeys(values))
