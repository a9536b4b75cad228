"""The hook's judgement: every verdict the pure functions can reach, and the summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voipbin_tui.protocols import (
    HookVerdict,
    RequestKind,
    RequestSummary,
    build_line_text_payload,
    build_status_payload,
    build_text_message_payload,
    explain_verdict,
    inspect_line_post,
    inspect_voipbin_event,
    inspect_whatsapp_post,
    inspect_whatsapp_verify,
    sign_hub_signature,
    sign_line_signature,
    sign_voipbin_signature,
)

APP_SECRET = "0123456789abcdef0123456789abcdef"
CHANNEL_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
SHEENA = RequestSummary(
    sender="16505551234",
    sender_name="Sheena Nelson",
    wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
    text="Does it come in another color?",
    statuses=(),
    message_count=1,
    status_count=0,
    event_types=("text",),
)


@pytest.fixture
def text_message(fixtures_dir: Path) -> bytes:
    return (fixtures_dir / "whatsapp" / "text-message.json").read_bytes()


# --- WhatsApp verification ------------------------------------------------------------------


def test_verify_ok() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "42"}
    inspection, result = inspect_whatsapp_verify(params, "tok")
    assert (inspection.kind, inspection.verdict) == (RequestKind.VERIFY, HookVerdict.OK)
    assert (result.accepted, result.challenge) == (True, "42")
    assert inspection.detail == explain_verdict(HookVerdict.OK, RequestKind.VERIFY)
    assert inspection.summary == RequestSummary.empty()
    assert (inspection.notification, inspection.line_webhook) == (None, None)


def test_verify_refused_carries_the_reason() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    inspection, result = inspect_whatsapp_verify(params, "tok")
    assert (inspection.kind, inspection.verdict) == (
        RequestKind.VERIFY,
        HookVerdict.BAD_VERIFY_TOKEN,
    )
    assert (result.accepted, result.challenge) == (False, None)
    assert inspection.detail == (
        explain_verdict(HookVerdict.BAD_VERIFY_TOKEN, RequestKind.VERIFY)
        + " Reason: hub.verify_token does not match the account's verify token."
    )
    inspection, _ = inspect_whatsapp_verify(params, None)
    assert inspection.detail.endswith("Reason: the account has no verify token (secret) set.")


# --- WhatsApp notifications -----------------------------------------------------------------


def test_ok_message(text_message: bytes) -> None:
    inspection = inspect_whatsapp_post(text_message, sign_hub_signature(APP_SECRET, text_message), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.MESSAGE, HookVerdict.OK)
    assert inspection.summary == SHEENA
    assert inspection.notification is not None
    assert inspection.notification.messages[0].sender == "16505551234"
    assert inspection.line_webhook is None
    assert inspection.detail == (
        explain_verdict(HookVerdict.OK, RequestKind.MESSAGE)
        + " The notification holds 1 message and 0 statuses for phone_number_id '106540352242922'."
    )


def test_ok_status(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "whatsapp" / "status-failed.json").read_bytes()
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.STATUS, HookVerdict.OK)
    assert inspection.summary == RequestSummary(
        sender=None,
        sender_name=None,
        wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",
        text=None,
        statuses=("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA:failed",),
        message_count=0,
        status_count=1,
        event_types=(),
    )
    assert "1 message" not in inspection.detail
    assert "0 messages and 1 status for phone_number_id '106540352242922'." in inspection.detail


def test_ok_but_nothing_to_take_is_unknown() -> None:
    body = (
        b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_alerts","value":{}}]}]}'
    )
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.UNKNOWN, HookVerdict.OK)
    assert inspection.summary.event_types == ("field:account_alerts",)
    assert "Changes with field 'account_alerts' are not message updates" in inspection.detail


def test_no_app_secret_still_summarizes_the_sender(text_message: bytes) -> None:
    inspection = inspect_whatsapp_post(text_message, sign_hub_signature(APP_SECRET, text_message), None)
    assert (inspection.kind, inspection.verdict) == (RequestKind.MESSAGE, HookVerdict.NO_APP_SECRET)
    assert inspection.summary == SHEENA
    assert inspection.detail.startswith(explain_verdict(HookVerdict.NO_APP_SECRET, RequestKind.MESSAGE))
    assert inspect_whatsapp_post(text_message, None, "").verdict is HookVerdict.NO_APP_SECRET


def test_no_app_secret_on_garbage() -> None:
    inspection = inspect_whatsapp_post(b"garbage", None, None)
    assert (inspection.kind, inspection.verdict) == (RequestKind.UNKNOWN, HookVerdict.NO_APP_SECRET)
    assert inspection.summary == RequestSummary.empty()
    assert inspection.notification is None
    assert inspection.detail.endswith(
        "Also, the body does not parse: the body is not valid JSON: Expecting value: line 1 column 1 (char 0)."
    )


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature(text_message: bytes, header: str | None) -> None:
    inspection = inspect_whatsapp_post(text_message, header, APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (
        RequestKind.MESSAGE,
        HookVerdict.MISSING_SIGNATURE,
    )
    assert inspection.summary == SHEENA


def test_bad_signature_wrong_secret(text_message: bytes) -> None:
    inspection = inspect_whatsapp_post(text_message, sign_hub_signature("f" * 32, text_message), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.MESSAGE, HookVerdict.BAD_SIGNATURE)
    assert inspection.summary == SHEENA
    assert inspection.detail.startswith("The X-Hub-Signature-256 computed with the account's app secret does not match")


def test_bad_signature_after_re_encoding() -> None:
    body = build_text_message_payload(phone_number_id="1", text="café", wamid="wamid.c", timestamp=1)
    signature = sign_hub_signature(APP_SECRET, body)
    re_encoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert inspect_whatsapp_post(body, signature, APP_SECRET).verdict is HookVerdict.OK
    inspection = inspect_whatsapp_post(re_encoded, signature, APP_SECRET)
    assert inspection.verdict is HookVerdict.BAD_SIGNATURE
    assert inspection.summary.text == "café"


def test_malformed_with_a_good_signature() -> None:
    body = b'{"object":"page","entry":[]}'
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.UNKNOWN, HookVerdict.MALFORMED)
    assert inspection.notification is None
    assert inspection.detail == (
        explain_verdict(HookVerdict.MALFORMED, RequestKind.UNKNOWN)
        + " Parser: 'object' is 'page', expected 'whatsapp_business_account'."
    )


def test_dashboard_test(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "whatsapp" / "dashboard-test.json").read_bytes()
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (
        RequestKind.MESSAGE,
        HookVerdict.DASHBOARD_TEST,
    )
    assert inspection.summary.sender == "16315551181"
    assert inspection.summary.wamid == "ABGGFlA5Fpa"
    assert inspection.detail.startswith(explain_verdict(HookVerdict.DASHBOARD_TEST, RequestKind.MESSAGE))


def test_signature_is_checked_before_dashboard_test(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "whatsapp" / "dashboard-test.json").read_bytes()
    assert inspect_whatsapp_post(body, "sha256=" + "0" * 64, APP_SECRET).verdict is HookVerdict.BAD_SIGNATURE


def test_built_status_summary() -> None:
    body = build_status_payload(phone_number_id="1", wamid="wamid.out", status="read", recipient_id="2", timestamp=3)
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.STATUS, HookVerdict.OK)
    assert inspection.summary.statuses == ("wamid.out:read",)


# --- LINE -----------------------------------------------------------------------------------


def test_line_ok(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "line" / "text-message.json").read_bytes()
    inspection = inspect_line_post(body, sign_line_signature(CHANNEL_SECRET, body), CHANNEL_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.LINE, HookVerdict.OK)
    assert inspection.summary == RequestSummary(
        sender="Ud871bcaf7c3ad13d2a0b0d78a42a287f",
        sender_name=None,
        wamid=None,
        text="Hello",
        statuses=(),
        message_count=1,
        status_count=0,
        event_types=("message",),
    )
    assert inspection.line_webhook is not None and len(inspection.line_webhook.events) == 1
    assert inspection.notification is None
    assert inspection.detail == explain_verdict(HookVerdict.OK, RequestKind.LINE) + " The webhook holds 1 event."


def test_line_verify(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "line" / "verify.json").read_bytes()
    inspection = inspect_line_post(body, sign_line_signature(CHANNEL_SECRET, body), CHANNEL_SECRET)
    assert (inspection.kind, inspection.verdict) == (RequestKind.LINE_VERIFY, HookVerdict.OK)
    assert inspection.summary == RequestSummary.empty()
    assert inspection.detail == explain_verdict(HookVerdict.OK, RequestKind.LINE_VERIFY)


def test_line_follow_counts_no_message(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "line" / "follow.json").read_bytes()
    inspection = inspect_line_post(body, sign_line_signature(CHANNEL_SECRET, body), CHANNEL_SECRET)
    assert inspection.summary.message_count == 0
    assert inspection.summary.event_types == ("follow",)


def test_line_no_channel_secret_reuses_no_app_secret() -> None:
    body = build_line_text_payload(text="hi", timestamp_ms=1)
    inspection = inspect_line_post(body, sign_line_signature(CHANNEL_SECRET, body), None)
    assert (inspection.kind, inspection.verdict) == (RequestKind.LINE, HookVerdict.NO_APP_SECRET)
    assert "channel secret" in inspection.detail
    assert "app_secret" not in inspection.detail
    assert inspection.summary.text == "hi"


def test_line_missing_bad_and_malformed() -> None:
    body = build_line_text_payload(text="hi", timestamp_ms=1)
    missing = inspect_line_post(body, None, CHANNEL_SECRET)
    assert (missing.kind, missing.verdict) == (RequestKind.LINE, HookVerdict.MISSING_SIGNATURE)
    bad = inspect_line_post(body, sign_line_signature("other", body), CHANNEL_SECRET)
    assert (bad.kind, bad.verdict) == (RequestKind.LINE, HookVerdict.BAD_SIGNATURE)
    assert bad.summary.text == "hi"
    assert "x-line-signature" in bad.detail
    garbage = b'{"destination":"U1"}'
    malformed = inspect_line_post(garbage, sign_line_signature(CHANNEL_SECRET, garbage), CHANNEL_SECRET)
    assert (malformed.kind, malformed.verdict) == (RequestKind.LINE, HookVerdict.MALFORMED)
    assert malformed.line_webhook is None
    assert malformed.detail.endswith("Parser: 'events' is missing, expected an array.")


# --- VoIPBIN customer webhooks --------------------------------------------------------------


def test_voipbin_event_verdicts() -> None:
    body = b'{"type":"conversation_message_created","data":{"id":"x"}}'
    ok = inspect_voipbin_event(body, sign_voipbin_signature("whsec", body), "whsec")
    assert (ok.kind, ok.verdict) == (RequestKind.VOIPBIN_EVENT, HookVerdict.OK)
    assert ok.summary.event_types == ("conversation_message_created",)
    assert inspect_voipbin_event(body, sign_voipbin_signature("x", body), "whsec").verdict is HookVerdict.BAD_SIGNATURE
    assert inspect_voipbin_event(body, None, "whsec").verdict is HookVerdict.MISSING_SIGNATURE
    assert inspect_voipbin_event(body, None, None).verdict is HookVerdict.NO_APP_SECRET
    bad_body = b'{"data":{}}'
    malformed = inspect_voipbin_event(bad_body, sign_voipbin_signature("whsec", bad_body), "whsec")
    assert malformed.verdict is HookVerdict.MALFORMED
    assert malformed.detail.endswith("Parser: 'type' is missing or not a non-empty string.")


# --- the stored summary ---------------------------------------------------------------------


def test_summary_round_trips_through_json() -> None:
    summary = RequestSummary(
        sender="1",
        sender_name="N",
        wamid="wamid.x",
        text="t",
        statuses=("wamid.a:read", "wamid.b:sent"),
        message_count=2,
        status_count=2,
        event_types=("text", "image"),
    )
    stored = json.dumps(summary.to_dict())
    assert json.loads(stored) == {
        "sender": "1",
        "sender_name": "N",
        "wamid": "wamid.x",
        "text": "t",
        "statuses": ["wamid.a:read", "wamid.b:sent"],
        "message_count": 2,
        "status_count": 2,
        "event_types": ["text", "image"],
    }
    assert RequestSummary.from_dict(json.loads(stored)) == summary


def test_summary_from_dict_is_lenient() -> None:
    assert RequestSummary.from_dict({}) == RequestSummary.empty()
    assert RequestSummary.from_dict(
        {
            "sender": 5,
            "statuses": ["ok", 3],
            "message_count": "2",
            "status_count": -1,
            "event_types": "text",
        }
    ) == RequestSummary(None, None, None, None, ("ok",), 0, 0, ())
    assert RequestSummary.from_dict([]) == RequestSummary.empty()  # type: ignore[arg-type]


def test_detail_stays_short_on_hostile_batches() -> None:
    changes = [{"field": "messages", "value": {"metadata": {"phone_number_id": str(i)}}} for i in range(50)] + [
        {"field": "x" * 1000, "value": {}}
    ]
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]}).encode()
    inspection = inspect_whatsapp_post(body, sign_hub_signature(APP_SECRET, body), APP_SECRET)
    assert "for phone_number_id '0', '1', '2', '3', '4' and 45 more." in inspection.detail
    assert f"Changes with field '{'x' * 40}…' are not message updates" in inspection.detail
    assert len(inspection.detail) < 500
