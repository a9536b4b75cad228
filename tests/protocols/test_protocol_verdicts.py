"""Verdict and kind vocabulary: stored values, explanations, acceptance."""

from __future__ import annotations

import pytest

from voipbin_tui.protocols import HookVerdict, RequestKind, explain_verdict, would_be_accepted


def test_kind_values_are_the_stored_strings() -> None:
    assert [k.value for k in RequestKind] == [
        "verify",
        "message",
        "status",
        "line",
        "line_verify",
        "voipbin_event",
        "unknown",
    ]


def test_verdict_values_are_the_stored_strings() -> None:
    assert [v.value for v in HookVerdict] == [
        "ok",
        "bad_signature",
        "missing_signature",
        "no_app_secret",
        "bad_verify_token",
        "unknown_account",
        "malformed",
        "too_large",
        "duplicate",
        "dashboard_test",
        "unsupported_account",
        "cross_site",
    ]


@pytest.mark.parametrize("kind", [None, *RequestKind])
@pytest.mark.parametrize("verdict", list(HookVerdict))
def test_every_verdict_has_a_real_explanation_for_every_kind(verdict: HookVerdict, kind: RequestKind | None) -> None:
    text = explain_verdict(verdict, kind)
    assert len(text) > 40
    assert text.endswith((".", ")"))
    assert "The hook's verdict was" not in text


def test_whatsapp_bad_signature_names_the_header_and_the_app_secret() -> None:
    expected = (
        "The X-Hub-Signature-256 computed with the account's app secret does not match: the "
        "body was re-encoded on the way, or the app secret is wrong."
    )
    assert explain_verdict(HookVerdict.BAD_SIGNATURE, RequestKind.MESSAGE) == expected
    assert explain_verdict(HookVerdict.BAD_SIGNATURE) == expected


@pytest.mark.parametrize("kind", [RequestKind.LINE, RequestKind.LINE_VERIFY])
def test_line_explanations_name_the_line_header_and_channel_secret(kind: RequestKind) -> None:
    bad = explain_verdict(HookVerdict.BAD_SIGNATURE, kind)
    assert "x-line-signature" in bad
    assert "channel secret" in bad
    assert "app secret" not in bad
    no_secret = explain_verdict(HookVerdict.NO_APP_SECRET, kind)
    assert "channel secret" in no_secret
    assert "app_secret" not in no_secret


def test_voipbin_event_explanations_name_the_voipbin_header() -> None:
    assert "X-VoIPBIN-Signature" in explain_verdict(HookVerdict.BAD_SIGNATURE, RequestKind.VOIPBIN_EVENT)
    assert "webhook secret" in explain_verdict(HookVerdict.NO_APP_SECRET, RequestKind.VOIPBIN_EVENT)


def test_specific_explanations() -> None:
    assert "VoIPBIN drops every message" in explain_verdict(HookVerdict.NO_APP_SECRET)
    assert "provider_data.app_secret" in explain_verdict(HookVerdict.NO_APP_SECRET)
    dashboard = explain_verdict(HookVerdict.DASHBOARD_TEST, RequestKind.MESSAGE)
    assert "App Dashboard" in dashboard and "not a real message" in dashboard
    token = explain_verdict(HookVerdict.BAD_VERIFY_TOKEN, RequestKind.VERIFY)
    assert "hub.verify_token" in token and "`secret`" in token and "subscribe" in token
    assert "SMS" in explain_verdict(HookVerdict.UNSUPPORTED_ACCOUNT)
    assert "webhookEventId" in explain_verdict(HookVerdict.DUPLICATE, RequestKind.LINE)
    assert "wamid" in explain_verdict(HookVerdict.DUPLICATE, RequestKind.MESSAGE)
    assert "verified" in explain_verdict(HookVerdict.OK, RequestKind.VERIFY)
    assert "Verify request" in explain_verdict(HookVerdict.OK, RequestKind.LINE_VERIFY)


@pytest.mark.parametrize("verdict", list(HookVerdict))
def test_only_ok_is_accepted(verdict: HookVerdict) -> None:
    assert would_be_accepted(verdict) is (verdict is HookVerdict.OK)
