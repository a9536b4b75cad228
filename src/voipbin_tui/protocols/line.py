"""The LINE Messaging API webhook wire format: parse webhook bodies and build realistic ones.

Parsing is lenient inside the envelope (unknown event types, sources and odd fields are read
as far as they go, never raised on), because LINE adds event types over time and a hook must
keep answering 200 within LINE's 2-second limit.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from voipbin_tui.protocols.errors import MalformedPayload
from voipbin_tui.protocols.untrusted_json import (
    decode_json_body,
    dicts,
    get_bool,
    get_dict,
    get_int,
    get_str,
    get_text,
    json_type_name,
)

DEFAULT_LINE_USER_ID = "Ud871bcaf7c3ad13d2a0b0d78a42a287f"
DEFAULT_LINE_DESTINATION = "U11298214116e3afbad432b5794a6d3a0"
# Crockford's base32, the alphabet of ULIDs (no I, L, O, U).
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Which id names the conversation, by source type.
_SOURCE_ID_KEYS = {"user": "userId", "group": "groupId", "room": "roomId"}


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One ``events[]`` item, with absent or mistyped fields as None (``type`` "unknown")."""

    type: str
    webhook_event_id: str | None
    is_redelivery: bool
    """``deliveryContext.isRedelivery``: LINE resends after a failed delivery."""
    source_type: str | None
    source_id: str | None
    """The conversation: ``userId``, ``groupId`` or ``roomId`` depending on the source type."""
    user_id: str | None
    """The user who caused the event (``source.userId``), also inside groups and rooms."""
    message_type: str | None
    message_id: str | None
    text: str | None
    timestamp: int | None
    """Milliseconds since the epoch."""


@dataclass(frozen=True, slots=True)
class LineWebhook:
    """One parsed LINE webhook POST."""

    destination: str | None
    """The bot's user id the webhook was sent for."""
    events: tuple[LineEvent, ...]

    @property
    def is_verify_request(self) -> bool:
        """The console's "Verify" button posts a webhook with no events; it must get 200."""
        return not self.events


def parse_line_webhook(raw_body: bytes) -> LineWebhook:
    """Parse a LINE webhook POST body.

    Raises MalformedPayload (and nothing else) when the body is not UTF-8 JSON or not an
    object with an ``events`` array. Events that are not objects are skipped; fields of the
    wrong type read as absent.
    """
    document = decode_json_body(raw_body)
    if not isinstance(document, dict):
        raise MalformedPayload(f"the top level is {json_type_name(document)}, expected a JSON object")
    events = document.get("events")
    if not isinstance(events, list):
        found = "missing" if "events" not in document else json_type_name(events)
        raise MalformedPayload(f"'events' is {found}, expected an array")
    return LineWebhook(
        destination=get_str(document, "destination"),
        events=tuple(_read_event(event) for event in dicts(events)),
    )


def _source_id(source: dict[str, Any], source_type: str | None) -> str | None:
    key = _SOURCE_ID_KEYS.get(source_type) if source_type is not None else None
    if key is not None:
        return get_str(source, key)
    # An unknown source type: the most specific id it carries.
    for candidate in ("groupId", "roomId", "userId"):
        value = get_str(source, candidate)
        if value is not None:
            return value
    return None


def _read_event(event: dict[str, Any]) -> LineEvent:
    source = get_dict(event, "source")
    source_type = get_text(source, "type")
    message = get_dict(event, "message")
    return LineEvent(
        type=get_text(event, "type") or "unknown",
        webhook_event_id=get_str(event, "webhookEventId"),
        is_redelivery=get_bool(get_dict(event, "deliveryContext"), "isRedelivery"),
        source_type=source_type,
        source_id=_source_id(source, source_type),
        user_id=get_str(source, "userId"),
        message_type=get_text(message, "type"),
        message_id=get_str(message, "id"),
        text=get_text(message, "text"),
        timestamp=get_int(event, "timestamp"),
    )


def new_webhook_event_id(timestamp_ms: int | None = None) -> str:
    """A ULID-like id as LINE uses for ``webhookEventId``: 26 upper-case Crockford characters.

    Ten characters of millisecond time then sixteen random ones, so ids sort by time like
    LINE's own.
    """
    ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    ms &= (1 << 48) - 1
    time_part = "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -5, -5))
    random_part = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return time_part + random_part


def build_line_text_payload(
    *,
    text: str,
    user_id: str = DEFAULT_LINE_USER_ID,
    destination: str = DEFAULT_LINE_DESTINATION,
    webhook_event_id: str | None = None,
    timestamp_ms: int | None = None,
    message_id: str | None = None,
) -> bytes:
    """The bytes LINE would POST for one text message from a user.

    LINE sends compact UTF-8 JSON (non-ASCII characters unescaped), unlike Meta. Ids, the
    reply token and the timestamp are generated when not given: pass them for reproducible
    bytes.
    """
    ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    event = {
        "type": "message",
        "message": {
            "type": "text",
            "id": message_id if message_id is not None else str(secrets.randbelow(10**18)),
            "quoteToken": secrets.token_urlsafe(24),
            "text": text,
        },
        "webhookEventId": (webhook_event_id if webhook_event_id is not None else new_webhook_event_id(ms)),
        "deliveryContext": {"isRedelivery": False},
        "timestamp": ms,
        "source": {"type": "user", "userId": user_id},
        "replyToken": secrets.token_hex(16),
        "mode": "active",
    }
    document = {"destination": destination, "events": [event]}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
