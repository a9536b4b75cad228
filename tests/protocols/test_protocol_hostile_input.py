"""Hostile input never raises: parsers raise MalformedPayload or return, checks never raise.

Arbitrary bytes, and arbitrary JSON trees planted at every position of real payloads, so the
lenient readers are exercised deep inside the envelope and not only at its top.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from voipbin_tui.protocols import (
    HookVerdict,
    MalformedPayload,
    RequestSummary,
    SignatureCheck,
    check_hub_challenge,
    constant_time_equals,
    inspect_line_post,
    inspect_voipbin_event,
    inspect_whatsapp_post,
    parse_line_webhook,
    parse_whatsapp_notification,
    verify_hub_signature,
    verify_line_signature,
    verify_voipbin_signature,
)
from voipbin_tui.terminal_text import unsafe_characters

pytestmark = pytest.mark.slow  # long hypothesis runs

SKELETONS = [
    json.loads((FIXTURES / "whatsapp" / name).read_bytes())
    for name in ("text-message.json", "status-failed.json", "dashboard-test.json")
]
LINE_SKELETONS = [json.loads((FIXTURES / "line" / name).read_bytes()) for name in ("text-message.json", "follow.json")]
# Keys the parsers look up, so generated objects often hit a real code path.
KNOWN_KEYS = [
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "contacts",
    "wa_id",
    "user_id",
    "profile",
    "name",
    "messages",
    "from",
    "from_user_id",
    "timestamp",
    "type",
    "text",
    "body",
    "statuses",
    "status",
    "recipient_id",
    "recipient_user_id",
    "errors",
    "code",
    "title",
    "message",
    "caption",
    "image",
    "button",
    "interactive",
    "button_reply",
    "list_reply",
    "reaction",
    "emoji",
    "events",
    "destination",
    "source",
    "userId",
    "groupId",
    "roomId",
    "webhookEventId",
    "deliveryContext",
    "isRedelivery",
]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["messages", "text", "subscribe", "wamid.x", "123456123", "0", "user"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a JSON tree, as the keys and indexes that lead there."""
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replaced(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replaced(node[head], rest, value)
    return copy


@st.composite
def planted(draw: st.DrawFn, skeletons: list[Any]) -> bytes:
    """A real payload with one position replaced by an arbitrary JSON value."""
    skeleton = draw(st.sampled_from(skeletons))
    path = draw(st.sampled_from(_paths(skeleton)))
    return json.dumps(_replaced(skeleton, path, draw(json_values))).encode()


def _parse_whatsapp_or_malformed(body: bytes) -> None:
    try:
        parse_whatsapp_notification(body)
    except MalformedPayload as exc:
        assert str(exc)


def _parse_line_or_malformed(body: bytes) -> None:
    try:
        parse_line_webhook(body)
    except MalformedPayload as exc:
        assert str(exc)


def _inspect_everything(body: bytes) -> None:
    for header in (None, "sha256=" + "0" * 64):
        inspection = inspect_whatsapp_post(body, header, "secret")
        assert inspection.verdict in HookVerdict
        assert RequestSummary.from_dict(json.loads(json.dumps(inspection.summary.to_dict()))) == inspection.summary
        line = inspect_line_post(body, header, "secret")
        assert line.verdict in HookVerdict
        assert RequestSummary.from_dict(json.loads(json.dumps(line.summary.to_dict()))) == line.summary
        event = inspect_voipbin_event(body, header, "secret")
        for judged in (inspection, line, event):  # a sender chose the values the sentence cites
            assert unsafe_characters(judged.detail) == [], judged.detail


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes(body: bytes) -> None:
    _parse_whatsapp_or_malformed(body)
    _parse_line_or_malformed(body)
    _inspect_everything(body)


@SETTINGS
@given(json_values)
def test_arbitrary_json_documents(document: Any) -> None:
    body = json.dumps(document).encode()
    _parse_whatsapp_or_malformed(body)
    _parse_line_or_malformed(body)


@SETTINGS
@given(planted(SKELETONS))
def test_arbitrary_json_planted_in_whatsapp_payloads(body: bytes) -> None:
    _parse_whatsapp_or_malformed(body)
    _inspect_everything(body)


@SETTINGS
@given(planted(LINE_SKELETONS))
def test_arbitrary_json_planted_in_line_payloads(body: bytes) -> None:
    _parse_line_or_malformed(body)
    _inspect_everything(body)


headers = st.none() | st.text(st.characters(), max_size=80) | st.text(max_size=60).map(lambda t: "sha256=" + t)


@SETTINGS
@given(st.none() | st.text(st.characters(), max_size=40), st.binary(max_size=50), headers)
def test_signature_checks_never_raise(secret: str | None, body: bytes, header: str | None) -> None:
    for verify in (verify_hub_signature, verify_line_signature, verify_voipbin_signature):
        result = verify(secret, body, header)
        assert result in SignatureCheck
        if not secret:
            assert result is SignatureCheck.NO_SECRET
        elif not header or not header.strip(" \t\r\n"):
            assert result is SignatureCheck.MISSING
        else:
            assert result in (SignatureCheck.VALID, SignatureCheck.INVALID)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"]) | st.text(max_size=5),
        st.text(st.characters(), max_size=30),
    ),
    st.none() | st.text(st.characters(), max_size=30),
)
def test_hub_challenge_never_raises(params: dict[str, str], verify_token: str | None) -> None:
    result = check_hub_challenge(params, verify_token)
    expected = (
        bool(verify_token)
        and params.get("hub.mode") == "subscribe"
        and params.get("hub.verify_token") == verify_token
        and bool(params.get("hub.challenge"))
    )
    assert result.accepted is expected
    assert result.challenge == (params["hub.challenge"] if expected else None)
    assert result.reason


@SETTINGS
@given(st.text(st.characters(), max_size=30), st.text(st.characters(), max_size=30))
def test_constant_time_equals_matches_equality(a: str, b: str) -> None:
    assert constant_time_equals(a, b) is (a == b)


HOSTILE_VALUE = "\x1b]0;PWNED\x07\x1b]52;c;Y3VybCB4fHNo\x07\n\u202e\x9b"


def test_explanations_quote_sender_values_escaped() -> None:
    """The two values a sender could plant in an explanation: the event type of an unsigned
    VoIPBIN event, and a WhatsApp phone_number_id."""
    event = inspect_voipbin_event(json.dumps({"type": HOSTILE_VALUE}).encode(), None, None)
    assert "Event type: '\\x1b]0;PWNED\\x07" in event.detail
    notification = json.loads((FIXTURES / "whatsapp" / "text-message.json").read_bytes())
    notification["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = HOSTILE_VALUE
    whatsapp = inspect_whatsapp_post(json.dumps(notification).encode(), None, "secret")
    assert "for phone_number_id '\\x1b]0;PWNED" in whatsapp.detail
    for judged in (event, whatsapp):
        assert unsafe_characters(judged.detail) == [], judged.detail
