"""Verdict and kind vocabulary: stored values and explanations, per provider."""

from __future__ import annotations

import re

import pytest

from voipbin_tui.protocols import HookVerdict, RequestKind, explain_verdict


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
        "unchecked",
    ]


# Each provider's kinds, and words that belong to the other providers only: an explanation
# that borrows them sends the operator to the wrong console (a LINE request told about Meta).
_KINDS_OF_PROVIDER: dict[str, list[RequestKind | None]] = {
    "whatsapp": [None, RequestKind.VERIFY, RequestKind.MESSAGE, RequestKind.STATUS, RequestKind.UNKNOWN],
    "line": [RequestKind.LINE, RequestKind.LINE_VERIFY],
    "voipbin": [RequestKind.VOIPBIN_EVENT],
}
_WHATSAPP_WORDS = ("Meta", "WhatsApp", "X-Hub-Signature", "hub.", "wamid", "app secret", "app_secret")
_LINE_WORDS = ("LINE", "x-line-signature", "channel secret", "webhookEventId")
_FOREIGN_WORDS = {
    "whatsapp": (*_LINE_WORDS, "X-VoIPBIN", "webhook secret"),
    "line": (*_WHATSAPP_WORDS, "X-VoIPBIN", "webhook secret"),
    "voipbin": (*_WHATSAPP_WORDS, *_LINE_WORDS),
}


def test_every_request_kind_belongs_to_one_provider() -> None:
    kinds = [kind for kinds in _KINDS_OF_PROVIDER.values() for kind in kinds]
    assert sorted(kinds, key=str) == sorted([None, *RequestKind], key=str)


@pytest.mark.parametrize("provider", list(_KINDS_OF_PROVIDER))
def test_explanations_never_borrow_another_providers_words(provider: str) -> None:
    borrowed = [
        (verdict.value, kind and kind.value, word)
        for kind in _KINDS_OF_PROVIDER[provider]
        for verdict in HookVerdict
        for word in _FOREIGN_WORDS[provider]
        if re.search(rf"(?<![\w-]){re.escape(word)}", explain_verdict(verdict, kind))
    ]
    assert borrowed == []


@pytest.mark.parametrize("provider", list(_KINDS_OF_PROVIDER))
def test_every_verdict_has_its_own_explanation(provider: str) -> None:
    generic = [
        (verdict.value, kind and kind.value)
        for kind in _KINDS_OF_PROVIDER[provider]
        for verdict in HookVerdict
        if explain_verdict(verdict, kind).startswith("The hook's verdict was")
    ]
    assert generic == []


def test_a_line_request_to_no_account_is_not_told_about_meta() -> None:
    text = explain_verdict(HookVerdict.UNKNOWN_ACCOUNT, RequestKind.LINE)
    assert text == "The account id in the path matches no conversation account, so the request is dropped."
    assert "Meta" not in explain_verdict(HookVerdict.TOO_LARGE, RequestKind.LINE)
    assert "Meta never learns" in explain_verdict(HookVerdict.UNKNOWN_ACCOUNT, RequestKind.MESSAGE)


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


def test_an_unchecked_line_signature_is_neither_a_pass_nor_a_fail() -> None:
    """VoIPBIN checks no LINE signature: a relayed LINE webhook is not judged on it."""
    text = explain_verdict(HookVerdict.UNCHECKED, RequestKind.LINE)
    assert "not checked" in text and "neither a pass nor a fail" in text
    assert "x-line-signature" in text
    whatsapp = explain_verdict(HookVerdict.UNCHECKED, RequestKind.MESSAGE)
    assert "X-Hub-Signature-256 was not checked here" in whatsapp and "drops it" in whatsapp
