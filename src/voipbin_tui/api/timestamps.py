"""Parse every timestamp form VoIPBIN has ever returned, and format its page tokens.

VoIPBIN answers RFC 3339 UTC with 0-9 fractional digits, older rows use a space-separated
form with no zone, and the year 9999 is a legacy sentinel for "never" (e.g. not deleted).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)

SENTINEL_YEAR = 9999


def parse_voipbin_time(value: str | datetime | None) -> datetime | None:
    """Return an aware UTC datetime, or None for null, empty and the year-9999 sentinel.

    Raises ValueError for text that is not a timestamp at all, so bad data is noticed
    rather than silently shown as "never".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value if value.tzinfo else value.replace(tzinfo=UTC)
        return None if parsed.year >= SENTINEL_YEAR else parsed.astimezone(UTC)
    text = value.strip()
    if not text:
        return None
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not a VoIPBIN timestamp: {value!r}")
    if int(match["date"][:4]) >= SENTINEL_YEAR:
        return None
    # Python keeps microseconds: digits past the sixth are nanoseconds and are dropped.
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    zone = match["zone"] or "Z"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{zone}")
    return parsed.astimezone(UTC)


def format_voipbin_time(value: datetime) -> str:
    """Format as VoIPBIN does: UTC, ``Z``, fraction trimmed of trailing zeros."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    base = utc.replace(tzinfo=None).isoformat(timespec="seconds")
    fraction = f"{utc.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def format_page_token(value: datetime) -> str:
    """Format a page token the way VoIPBIN does: always six fractional digits."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
