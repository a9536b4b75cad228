"""WhatsApp notifications: parsing every update, senders, dashboard tests, the hub challenge,
and building payloads byte-for-byte like Meta."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voipbin_tui.protocols import (
    HubChallengeResult,
    InboundMessage,
    MalformedPayload,
    SignatureCheck,
    StatusUpdate,
    build_status_payload,
    build_text_message_payload,
    check_hub_challenge,
    new_wamid,
    parse_whatsapp_notification,
    serialize_like_meta,
    sign_hub_signature,
    verify_hub_signature,
)

APP_SECRET = "0123456789abcdef0123456789abcdef"


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


# --- the providers' own example payloads -----------------------------------------------------


def test_text_message_fixture(fixtures_dir: Path) -> None:
    n = parse_whatsapp_notification((fixtures_dir / "whatsapp" / "text-message.json").read_bytes())
    assert n.object == "whatsapp_business_account"
    assert n.messages == (
        InboundMessage(
            wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            sender="16505551234",
            sender_user_id=None,
            profile_name="Sheena Nelson",
            type="text",
            text="Does it come in another color?",
            timestamp=1749416383,
            phone_number_id="106540352242922",
            waba_id="102290129340398",
        ),
    )
    assert n.statuses == ()
    assert n.phone_number_ids == ("106540352242922",)
    assert n.unknown_fields == ()
    assert n.is_dashboard_test is False


def test_status_sent_fixture(fixtures_dir: Path) -> None:
    n = parse_whatsapp_notification((fixtures_dir / "whatsapp" / "status-sent.json").read_bytes())
    assert n.messages == ()
    assert n.statuses == (
        StatusUpdate(
            wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
            status="sent",
            timestamp=1750030073,
            recipient_id="16505551234",
            error_codes=(),
            error_titles=(),
            phone_number_id="106540352242922",
            waba_id="102290129340398",
        ),
    )
    assert n.is_dashboard_test is False


def test_status_failed_fixture(fixtures_dir: Path) -> None:
    n = parse_whatsapp_notification((fixtures_dir / "whatsapp" / "status-failed.json").read_bytes())
    (status,) = n.statuses
    assert status.status == "failed"
    assert status.timestamp == 1751142888
    assert status.error_codes == (131049,)
    assert status.error_titles == ("This message was not delivered to maintain healthy ecosystem engagement.",)


def test_dashboard_test_fixture(fixtures_dir: Path) -> None:
    n = parse_whatsapp_notification((fixtures_dir / "whatsapp" / "dashboard-test.json").read_bytes())
    assert n.is_dashboard_test is True
    (message,) = n.messages
    assert message.wamid == "ABGGFlA5Fpa"
    assert message.sender == "16315551181"
    assert message.profile_name == "test user name"
    assert message.text == "this is a text message"
    assert message.timestamp == 1504902988
    assert message.phone_number_id == "123456123"
    assert message.waba_id == "0"


# --- dashboard test detection ---------------------------------------------------------------


def _single(*, entry_id: str, phone_number_id: str, wamid: str) -> bytes:
    return _body(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": entry_id,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": phone_number_id},
                                "messages": [{"from": "1", "id": wamid, "type": "text"}],
                            },
                        }
                    ],
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("entry_id", "phone_number_id", "wamid", "expected"),
    [
        ("0", "123456123", "ABGGFlA5Fpa", True),
        ("0", "106540352242922", "ABGGFlA5Fpa", True),
        ("102290129340398", "123456123", "ABGGFlA5Fpa", True),
        ("0", "123456123", "wamid.HBgLMTY1MDM4", False),
        ("102290129340398", "106540352242922", "ABGGFlA5Fpa", False),
        ("102290129340398", "106540352242922", "wamid.HBgLMTY1MDM4", False),
    ],
)
def test_dashboard_test_detection(entry_id: str, phone_number_id: str, wamid: str, expected: bool) -> None:
    n = parse_whatsapp_notification(_single(entry_id=entry_id, phone_number_id=phone_number_id, wamid=wamid))
    assert n.is_dashboard_test is expected


def test_placeholder_ids_without_any_update_are_not_a_dashboard_test() -> None:
    body = _body(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "0", "changes": [{"field": "messages", "value": {}}]}],
        }
    )
    assert parse_whatsapp_notification(body).is_dashboard_test is False


# --- batches --------------------------------------------------------------------------------


def _batch() -> dict[str, Any]:
    entries = []
    for e in range(2):
        changes: list[Any] = []
        for c in range(2):
            tag = f"{e}{c}"
            changes.append(
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "1555", "phone_number_id": f"pn{tag}"},
                        "contacts": [
                            {"profile": {"name": f"Name {tag}a"}, "wa_id": f"{tag}1"},
                            {"profile": {"name": f"Name {tag}b"}, "wa_id": f"{tag}2"},
                        ],
                        "messages": [
                            {
                                "from": f"{tag}1",
                                "id": f"wamid.m{tag}a",
                                "timestamp": "100",
                                "type": "text",
                                "text": {"body": f"text {tag}a"},
                            },
                            "not a message",
                            {
                                "from": f"{tag}2",
                                "id": f"wamid.m{tag}b",
                                "timestamp": "200",
                                "type": "text",
                                "text": {"body": f"text {tag}b"},
                            },
                        ],
                        "statuses": [
                            {
                                "id": f"wamid.s{tag}a",
                                "status": "delivered",
                                "timestamp": "300",
                                "recipient_id": f"{tag}1",
                            },
                            {
                                "id": f"wamid.s{tag}b",
                                "status": "read",
                                "timestamp": "400",
                                "recipient_id": f"{tag}2",
                            },
                        ],
                    },
                }
            )
        changes.append({"field": "account_update", "value": {"messages": [{"id": "ignored"}]}})
        changes.append({"value": {"messages": [{"id": "also ignored"}]}})
        changes.append(17)
        entries.append({"id": f"waba{e}", "changes": changes})
    entries.append("not an entry")
    return {"object": "whatsapp_business_account", "entry": entries}


def test_batch_walks_every_entry_change_message_and_status() -> None:
    n = parse_whatsapp_notification(_body(_batch()))
    tags = ["00", "01", "10", "11"]
    assert [m.wamid for m in n.messages] == [f"wamid.m{t}{x}" for t in tags for x in "ab"]
    assert [m.sender for m in n.messages] == [f"{t}{x}" for t in tags for x in "12"]
    assert [m.profile_name for m in n.messages] == [f"Name {t}{x}" for t in tags for x in "ab"]
    assert [m.text for m in n.messages] == [f"text {t}{x}" for t in tags for x in "ab"]
    assert [m.phone_number_id for m in n.messages] == [f"pn{t}" for t in tags for _ in "ab"]
    assert [m.waba_id for m in n.messages] == [f"waba{t[0]}" for t in tags for _ in "ab"]
    assert [(s.wamid, s.status, s.timestamp) for s in n.statuses] == [
        (f"wamid.s{t}{x}", st, ts) for t in tags for x, st, ts in (("a", "delivered", 300), ("b", "read", 400))
    ]
    assert [s.waba_id for s in n.statuses] == [f"waba{t[0]}" for t in tags for _ in "ab"]
    assert n.phone_number_ids == ("pn00", "pn01", "pn10", "pn11")
    assert n.unknown_fields == ("account_update", "(no field)")
    assert n.is_dashboard_test is False


def test_a_thousand_updates_in_one_post() -> None:
    messages = [{"from": str(i), "id": f"wamid.{i}", "type": "text", "text": {"body": str(i)}} for i in range(1000)]
    body = _body(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"messages": messages}}]}],
        }
    )
    n = parse_whatsapp_notification(body)
    assert len(n.messages) == 1000
    assert n.messages[999].text == "999"


# --- senders --------------------------------------------------------------------------------


def _value(value: dict[str, Any]) -> bytes:
    return _body(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    )


def test_username_only_sender() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": [
                    {
                        "profile": {"name": "Jane", "username": "@jane"},
                        "user_id": "US.13491208655302741918",
                    }
                ],
                "messages": [{"id": "wamid.x", "timestamp": "1", "type": "text", "text": {"body": "hi"}}],
            }
        )
    )
    (message,) = n.messages
    assert message.sender is None
    assert message.sender_user_id == "US.13491208655302741918"
    assert message.profile_name == "Jane"
    assert message.text == "hi"


def test_contacts_matched_by_wa_id_before_position() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": [
                    {"profile": {"name": "Username user"}, "user_id": "US.1"},
                    {"profile": {"name": "Phone user"}, "wa_id": "111"},
                ],
                "messages": [
                    {"from": "111", "id": "wamid.a", "type": "text"},
                    {"id": "wamid.b", "type": "text"},
                ],
            }
        )
    )
    first, second = n.messages
    assert (first.sender, first.sender_user_id, first.profile_name) == ("111", None, "Phone user")
    # No `from`: matched by position (index 1 is the phone user, who contradicts nothing here,
    # since the message names no one).
    assert (second.sender, second.sender_user_id, second.profile_name) == (
        "111",
        None,
        "Phone user",
    )


def test_contacts_matched_by_position_when_message_has_no_from() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": [
                    {"profile": {"name": "A"}, "wa_id": "111"},
                    {"profile": {"name": "B"}, "user_id": "US.2"},
                ],
                "messages": [
                    {"from": "111", "id": "wamid.a", "type": "text"},
                    {"id": "wamid.b", "type": "text"},
                ],
            }
        )
    )
    assert [(m.sender, m.sender_user_id, m.profile_name) for m in n.messages] == [
        ("111", None, "A"),
        (None, "US.2", "B"),
    ]


def test_from_user_id_matches_contact_user_id() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": [
                    {"profile": {"name": "A"}, "user_id": "US.1"},
                    {"profile": {"name": "B"}, "user_id": "US.2"},
                ],
                "messages": [{"from_user_id": "US.2", "id": "wamid.a", "type": "text"}],
            }
        )
    )
    (message,) = n.messages
    assert (message.sender, message.sender_user_id, message.profile_name) == (None, "US.2", "B")


def test_a_contradicting_positional_contact_is_not_used() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": [{"profile": {"name": "Someone else"}, "wa_id": "999"}],
                "messages": [{"from": "111", "id": "wamid.a", "type": "text"}],
            }
        )
    )
    (message,) = n.messages
    assert (message.sender, message.profile_name) == ("111", None)


# --- message contents -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected_type", "expected_text"),
    [
        ({"type": "text", "text": {"body": "hello"}}, "text", "hello"),
        ({"type": "image", "image": {"caption": "a cat", "id": "1"}}, "image", "a cat"),
        ({"type": "image", "image": {"id": "1"}}, "image", None),
        ({"type": "document", "document": {"caption": "cv.pdf"}}, "document", "cv.pdf"),
        ({"type": "button", "button": {"text": "Yes", "payload": "Y"}}, "button", "Yes"),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "1", "title": "Book"},
                },
            },
            "interactive",
            "Book",
        ),
        (
            {
                "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": {"id": "1", "title": "Row"}},
            },
            "interactive",
            "Row",
        ),
        (
            {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
            "reaction",
            "👍",
        ),
        ({"type": "location", "location": {"latitude": 1, "longitude": 2}}, "location", None),
        ({"type": "text", "text": "not an object"}, "text", None),
        ({"type": "text", "text": {"body": 42}}, "text", None),
        ({"text": {"body": "typeless"}}, "unknown", None),
        ({"type": 5}, "unknown", None),
    ],
)
def test_message_type_and_text(message: dict[str, Any], expected_type: str, expected_text: str | None) -> None:
    n = parse_whatsapp_notification(_value({"messages": [{"id": "wamid.x", **message}]}))
    (parsed,) = n.messages
    assert parsed.type == expected_type
    assert parsed.text == expected_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1749416383", 1749416383),
        (1749416383, 1749416383),
        ("", None),
        ("-5", None),
        ("12a", None),
        ("1.5", None),
        (1.5, None),
        (True, None),
        (None, None),
        ("٣", None),
        ("9" * 25, None),
    ],
)
def test_timestamp_parsing(raw: Any, expected: int | None) -> None:
    n = parse_whatsapp_notification(_value({"messages": [{"id": "wamid.x", "timestamp": raw}]}))
    assert n.messages[0].timestamp == expected


def test_missing_ids_and_numeric_ids() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "metadata": {"phone_number_id": 106540352242922},
                "messages": [{"from": 16505551234}],
                "statuses": [
                    {
                        "errors": [
                            {"code": "131047", "message": "Re-engagement message"},
                            {"title": 3},
                        ]
                    }
                ],
            }
        )
    )
    (message,) = n.messages
    assert (message.wamid, message.sender, message.type) == ("", "16505551234", "unknown")
    assert message.phone_number_id == "106540352242922"
    (status,) = n.statuses
    assert (status.wamid, status.status, status.recipient_id) == ("", "", None)
    assert status.error_codes == (131047,)
    assert status.error_titles == ("Re-engagement message",)


def test_status_recipient_user_id_fallback() -> None:
    n = parse_whatsapp_notification(
        _value({"statuses": [{"id": "wamid.s", "status": "read", "recipient_user_id": "US.7"}]})
    )
    assert n.statuses[0].recipient_id == "US.7"


# --- the envelope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"  \n", "the body is empty"),
        (b"\xff\xfe{}", "the body is not valid UTF-8 (invalid start byte at byte 0)"),
        (
            b"{",
            "the body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b"[]", "the top level is an array, expected a JSON object"),
        (b'"x"', "the top level is a string, expected a JSON object"),
        (b"null", "the top level is null, expected a JSON object"),
        (b"{}", "'object' is missing, expected 'whatsapp_business_account'"),
        (
            b'{"object":"page","entry":[]}',
            "'object' is 'page', expected 'whatsapp_business_account'",
        ),
        (b'{"object":1,"entry":[]}', "'object' is a number, expected 'whatsapp_business_account'"),
        (b'{"object":"whatsapp_business_account"}', "'entry' is missing, expected an array"),
        (
            b'{"object":"whatsapp_business_account","entry":{}}',
            "'entry' is an object, expected an array",
        ),
        (
            b'{"object":"whatsapp_business_account","entry":[NaN]}',
            "the body is not valid JSON: NaN is not valid JSON",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "the body is not valid JSON: it is nested too deeply"),
    ],
)
def test_malformed_envelopes(body: bytes, message: str) -> None:
    with pytest.raises(MalformedPayload) as excinfo:
        parse_whatsapp_notification(body)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


def test_empty_entry_list_is_a_valid_notification_with_nothing_in_it() -> None:
    n = parse_whatsapp_notification(b'{"object":"whatsapp_business_account","entry":[]}')
    assert (n.messages, n.statuses, n.phone_number_ids, n.is_dashboard_test) == ((), (), (), False)


# --- hub challenge --------------------------------------------------------------------------


def _params(
    mode: str | None = "subscribe",
    token: str | None = "my-token",
    challenge: str | None = "1158201444",
) -> dict[str, str]:
    params = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
    return {k: v for k, v in params.items() if v is not None}


def test_hub_challenge_accepted_echoes_the_challenge_exactly() -> None:
    result = check_hub_challenge(_params(), "my-token")
    assert result == HubChallengeResult(
        accepted=True,
        challenge="1158201444",
        reason="hub.mode is 'subscribe' and hub.verify_token matches the account's verify token",
    )
    odd = 'any "string" / with spaces=&é'
    assert check_hub_challenge(_params(challenge=odd), "my-token").challenge == odd
    assert check_hub_challenge(_params(token="tökén"), "tökén").accepted is True


@pytest.mark.parametrize(
    ("params", "verify_token", "reason"),
    [
        (_params(), None, "the account has no verify token (secret) set"),
        (_params(), "", "the account has no verify token (secret) set"),
        (
            _params(mode="unsubscribe"),
            "my-token",
            "hub.mode is 'unsubscribe', expected 'subscribe'",
        ),
        (_params(mode=None), "my-token", "hub.mode is missing, expected 'subscribe'"),
        (_params(mode="Subscribe"), "my-token", "hub.mode is 'Subscribe', expected 'subscribe'"),
        (
            _params(token="wrong"),
            "my-token",
            "hub.verify_token does not match the account's verify token",
        ),
        (
            _params(token="my-token "),
            "my-token",
            "hub.verify_token does not match the account's verify token",
        ),
        (
            _params(token=""),
            "my-token",
            "hub.verify_token does not match the account's verify token",
        ),
        (_params(token=None), "my-token", "hub.verify_token is missing"),
        (_params(challenge=None), "my-token", "hub.challenge is missing"),
        (_params(challenge=""), "my-token", "hub.challenge is empty"),
        (
            {"hub.mode": ["subscribe"], "hub.verify_token": "my-token", "hub.challenge": "1"},
            "my-token",
            "hub.mode is missing, expected 'subscribe'",
        ),
    ],
)
def test_hub_challenge_refused(params: dict[str, Any], verify_token: str | None, reason: str) -> None:
    assert check_hub_challenge(params, verify_token) == HubChallengeResult(
        accepted=False, challenge=None, reason=reason
    )


def test_hub_challenge_quotes_a_long_mode_shortened() -> None:
    result = check_hub_challenge(_params(mode="x" * 500), "my-token")
    assert result.accepted is False
    assert len(result.reason) < 120
    assert result.reason.startswith("hub.mode is 'xxxx")


# --- building payloads ----------------------------------------------------------------------


def test_build_text_message_reproduces_metas_example(fixtures_dir: Path) -> None:
    body = build_text_message_payload(
        phone_number_id="106540352242922",
        text="Does it come in another color?",
        sender_wa_id="16505551234",
        profile_name="Sheena Nelson",
        wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        timestamp=1749416383,
    )
    fixture = json.loads((fixtures_dir / "whatsapp" / "text-message.json").read_bytes())
    assert json.loads(body) == fixture
    assert body == serialize_like_meta(fixture)
    assert body.startswith(b'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398",')


def test_build_text_message_round_trips_and_verifies() -> None:
    body = build_text_message_payload(phone_number_id="123456789012345", text="hello", timestamp=1700000000)
    n = parse_whatsapp_notification(body)
    (message,) = n.messages
    assert message.wamid.startswith("wamid.")
    assert (message.sender, message.profile_name, message.text, message.timestamp) == (
        "16505551234",
        "Test Sender",
        "hello",
        1700000000,
    )
    assert n.phone_number_ids == ("123456789012345",)
    assert n.is_dashboard_test is False
    signature = sign_hub_signature(APP_SECRET, body)
    assert verify_hub_signature(APP_SECRET, body, signature) is SignatureCheck.VALID


def test_build_escapes_unicode_and_slash_like_meta() -> None:
    body = build_text_message_payload(phone_number_id="1", text="café 1/2", wamid="wamid.fixed", timestamp=1)
    assert b'"body":"caf\\u00e9 1\\/2"' in body
    assert b"caf\\u00e9" in body
    assert "é".encode() not in body
    assert body.isascii()
    assert parse_whatsapp_notification(body).messages[0].text == "café 1/2"
    signature = sign_hub_signature(APP_SECRET, body)
    assert verify_hub_signature(APP_SECRET, body, signature) is SignatureCheck.VALID
    re_encoded = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(re_encoded) == json.loads(body)
    assert verify_hub_signature(APP_SECRET, re_encoded, signature) is SignatureCheck.INVALID


def test_build_defaults_are_fresh() -> None:
    first = parse_whatsapp_notification(build_text_message_payload(phone_number_id="1", text="a"))
    second = parse_whatsapp_notification(build_text_message_payload(phone_number_id="1", text="a"))
    assert first.messages[0].wamid != second.messages[0].wamid
    assert first.messages[0].timestamp is not None and first.messages[0].timestamp > 1_700_000_000


def test_new_wamid_shape() -> None:
    wamid = new_wamid()
    assert wamid.startswith("wamid.")
    assert len(wamid) == len("wamid.") + 40
    assert new_wamid() != wamid


def test_build_status_round_trips() -> None:
    body = build_status_payload(
        phone_number_id="106540352242922",
        wamid="wamid.sent1",
        status="failed",
        recipient_id="16505551234",
        timestamp=1751142888,
        error_code=131047,
        error_title="Re-engagement message",
    )
    assert body.isascii()
    n = parse_whatsapp_notification(body)
    assert n.messages == ()
    assert n.statuses == (
        StatusUpdate(
            wamid="wamid.sent1",
            status="failed",
            timestamp=1751142888,
            recipient_id="16505551234",
            error_codes=(131047,),
            error_titles=("Re-engagement message",),
            phone_number_id="106540352242922",
            waba_id="102290129340398",
        ),
    )
    plain = parse_whatsapp_notification(
        build_status_payload(phone_number_id="1", wamid="wamid.x", status="read", recipient_id="2", timestamp=5)
    )
    assert (plain.statuses[0].status, plain.statuses[0].error_codes) == ("read", ())
    signature = sign_hub_signature(APP_SECRET, body)
    assert verify_hub_signature(APP_SECRET, body, signature) is SignatureCheck.VALID


def test_positions_count_contacts_that_are_not_objects() -> None:
    n = parse_whatsapp_notification(
        _value(
            {
                "contacts": ["junk", {"profile": {"name": "B"}, "user_id": "US.2"}],
                "messages": [
                    {"from": "111", "id": "wamid.a", "type": "text"},
                    {"id": "wamid.b", "type": "text"},
                ],
            }
        )
    )
    assert [(m.sender, m.sender_user_id, m.profile_name) for m in n.messages] == [
        ("111", None, None),
        (None, "US.2", "B"),
    ]
