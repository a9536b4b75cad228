"""LINE webhooks: the providers' examples, sources, odd events, and building payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voipbin_tui.protocols import (
    LineEvent,
    LineWebhook,
    MalformedPayload,
    SignatureCheck,
    build_line_text_payload,
    parse_line_webhook,
    sign_line_signature,
    verify_line_signature,
)
from voipbin_tui.protocols.line import new_webhook_event_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


def test_text_message_fixture(fixtures_dir: Path) -> None:
    webhook = parse_line_webhook((fixtures_dir / "line" / "text-message.json").read_bytes())
    assert webhook == LineWebhook(
        destination="U11298214116e3afbad432b5794a6d3a0",
        events=(
            LineEvent(
                type="message",
                webhook_event_id="01G49KHTWA1D2WF05D0VHEMGZE",
                is_redelivery=False,
                source_type="user",
                source_id="Ud871bcaf7c3ad13d2a0b0d78a42a287f",
                user_id="Ud871bcaf7c3ad13d2a0b0d78a42a287f",
                message_type="text",
                message_id="16173792131295",
                text="Hello",
                timestamp=1653884906096,
            ),
        ),
    )
    assert webhook.is_verify_request is False


def test_follow_fixture(fixtures_dir: Path) -> None:
    webhook = parse_line_webhook((fixtures_dir / "line" / "follow.json").read_bytes())
    (event,) = webhook.events
    assert (event.type, event.webhook_event_id, event.timestamp) == (
        "follow",
        "01G49KGV3YYCWA0CPZHP9AA6H9",
        1653884873348,
    )
    assert (event.message_type, event.message_id, event.text) == (None, None, None)
    assert event.user_id == "Ud871bcaf7c3ad13d2a0b0d78a42a287f"


def test_verify_fixture(fixtures_dir: Path) -> None:
    webhook = parse_line_webhook((fixtures_dir / "line" / "verify.json").read_bytes())
    assert webhook == LineWebhook(destination="U11298214116e3afbad432b5794a6d3a0", events=())
    assert webhook.is_verify_request is True


@pytest.mark.parametrize(
    ("source", "source_type", "source_id", "user_id"),
    [
        ({"type": "group", "groupId": "Cabc", "userId": "U1"}, "group", "Cabc", "U1"),
        ({"type": "room", "roomId": "Rdef", "userId": "U2"}, "room", "Rdef", "U2"),
        ({"type": "group", "groupId": "Cabc"}, "group", "Cabc", None),
        ({"type": "user", "userId": "U3"}, "user", "U3", "U3"),
        ({"type": "space", "roomId": "R9", "groupId": "C9"}, "space", "C9", None),
        ({"userId": "U4"}, None, "U4", "U4"),
        ({}, None, None, None),
    ],
)
def test_sources(source: dict[str, Any], source_type: str | None, source_id: str | None, user_id: str | None) -> None:
    webhook = parse_line_webhook(_body({"events": [{"type": "message", "source": source}]}))
    (event,) = webhook.events
    assert (event.source_type, event.source_id, event.user_id) == (source_type, source_id, user_id)


def test_odd_events_are_read_leniently() -> None:
    webhook = parse_line_webhook(
        _body(
            {
                "destination": 5,
                "events": [
                    {"type": "brand_new_event", "deliveryContext": {"isRedelivery": True}},
                    "not an event",
                    None,
                    {"deliveryContext": {"isRedelivery": "true"}, "timestamp": "1653884906096"},
                    {"type": "message", "message": {"type": "image", "id": 123}, "timestamp": -1},
                ],
            }
        )
    )
    assert webhook.destination == "5"
    first, second, third = webhook.events
    assert (first.type, first.is_redelivery) == ("brand_new_event", True)
    assert (second.type, second.is_redelivery, second.timestamp) == (
        "unknown",
        False,
        1653884906096,
    )
    assert (third.message_type, third.message_id, third.text, third.timestamp) == (
        "image",
        "123",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"nope", "the body is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[]", "the top level is an array, expected a JSON object"),
        (b'{"destination":"U1"}', "'events' is missing, expected an array"),
        (b'{"events":null}', "'events' is null, expected an array"),
        (b'{"events":"[]"}', "'events' is a string, expected an array"),
        (b"\xc3", "the body is not valid UTF-8 (unexpected end of data at byte 0)"),
    ],
)
def test_malformed(body: bytes, message: str) -> None:
    with pytest.raises(MalformedPayload) as excinfo:
        parse_line_webhook(body)
    assert str(excinfo.value) == message


def test_build_text_payload_round_trips_and_verifies() -> None:
    body = build_line_text_payload(
        text="héllo / 你好",
        webhook_event_id="01G49KHTWA1D2WF05D0VHEMGZE",
        timestamp_ms=1653884906096,
        message_id="16173792131295",
    )
    assert "héllo / 你好".encode() in body  # LINE sends raw UTF-8, unlike Meta
    webhook = parse_line_webhook(body)
    assert webhook.destination == "U11298214116e3afbad432b5794a6d3a0"
    (event,) = webhook.events
    assert event == LineEvent(
        type="message",
        webhook_event_id="01G49KHTWA1D2WF05D0VHEMGZE",
        is_redelivery=False,
        source_type="user",
        source_id="Ud871bcaf7c3ad13d2a0b0d78a42a287f",
        user_id="Ud871bcaf7c3ad13d2a0b0d78a42a287f",
        message_type="text",
        message_id="16173792131295",
        text="héllo / 你好",
        timestamp=1653884906096,
    )
    signature = sign_line_signature("channel-secret", body)
    assert verify_line_signature("channel-secret", body, signature) is SignatureCheck.VALID
    escaped = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert verify_line_signature("channel-secret", escaped, signature) is SignatureCheck.INVALID


def test_build_text_payload_generates_ids() -> None:
    webhook = parse_line_webhook(build_line_text_payload(text="x", user_id="U" + "0" * 32, destination="Ubot"))
    (event,) = webhook.events
    assert webhook.destination == "Ubot"
    assert event.user_id == "U" + "0" * 32
    assert event.webhook_event_id is not None and len(event.webhook_event_id) == 26
    assert set(event.webhook_event_id) <= set(CROCKFORD)
    assert event.message_id is not None and event.message_id.isdigit()
    assert event.timestamp is not None and event.timestamp > 1_700_000_000_000


def test_webhook_event_id_encodes_the_time_like_a_ulid() -> None:
    event_id = new_webhook_event_id(1653884906096)
    assert len(event_id) == 26
    assert set(event_id) <= set(CROCKFORD)
    decoded = 0
    for char in event_id[:10]:
        decoded = decoded * 32 + CROCKFORD.index(char)
    assert decoded == 1653884906096
    # LINE's own id for that very millisecond starts the same way.
    assert event_id[:8] == "01G49KHTWA1D2WF05D0VHEMGZE"[:8]
    assert new_webhook_event_id(1653884906096) != event_id
