"""The doctor's public shape: which checks a type gets (from the registry), the report's JSON,
and a secrets holder that never shows what it holds."""

from __future__ import annotations

import pickle

import pytest

from voipbin_tui.api.account_types import ACCOUNT_TYPES
from voipbin_tui.api.models import AccountType
from voipbin_tui.doctor import (
    CHECK_TITLES,
    CheckResult,
    CheckStatus,
    DoctorSecrets,
    planned_checks,
    report_json,
    secret_prompt,
    secrets_needed,
    tally,
)
from voipbin_tui.doctor.runner import CHECK_FUNCTIONS

ISSUE_IDS = {
    "voipbin.account",
    "voipbin.flow",
    "whatsapp.phone_number_id",
    "whatsapp.app_secret_shape",
    "meta.token",
    "meta.phone_number",
    "meta.app_secret",
    "meta.health",
    "meta.webhook_url",
    "meta.subscription",
    "hook.verify_token",
    "line.token",
    "line.webhook_url",
    "line.webhook_active",
    "line.webhook_test",
    "line.channel_secret",
    "end_to_end",
}


def test_every_check_of_the_issue_is_known_and_runnable() -> None:
    assert set(CHECK_TITLES) == ISSUE_IDS
    assert set(CHECK_FUNCTIONS) | {"voipbin.account"} == ISSUE_IDS


def test_each_type_plans_only_known_checks_account_first() -> None:
    for spec in ACCOUNT_TYPES:
        ids = [check.id for check in planned_checks(spec.type)]
        assert ids[0] == "voipbin.account"
        assert set(ids) <= ISSUE_IDS and len(ids) == len(set(ids))
    assert [check.id for check in planned_checks(AccountType.SMS)] == ["voipbin.account"]  # the number's flow
    whatsapp = [check.id for check in planned_checks(AccountType.WHATSAPP)]
    assert not any(check_id.startswith("line.") for check_id in whatsapp)
    assert whatsapp[-1] == "end_to_end"
    line = [check.id for check in planned_checks(AccountType.LINE)]
    assert not any(check_id.startswith(("meta.", "whatsapp.", "hook.")) for check_id in line)


def test_an_unknown_type_gets_voipbins_checks_only() -> None:
    assert [check.id for check in planned_checks("telegram")] == ["voipbin.account", "voipbin.flow"]
    assert secrets_needed("telegram") == ()


def test_the_secrets_a_type_needs_and_how_to_ask_for_them() -> None:
    assert secrets_needed(AccountType.WHATSAPP) == ("token", "verify_token")
    assert secrets_needed(AccountType.LINE) == ("token", "channel_secret")
    assert secrets_needed(AccountType.SMS) == ()
    assert secret_prompt(AccountType.WHATSAPP, "token") == "Meta access token"
    assert secret_prompt(AccountType.LINE, "channel_secret") == "LINE channel secret"


def test_report_json_has_the_documented_shape() -> None:
    result = CheckResult("meta.token", "title", CheckStatus.WARN, "expires soon", ("GET /v26.0/debug_token",), 0.1)
    assert report_json("c3d4e5f6-a7b8-9012-cdef-123456789012", [result]) == {
        "account_id": "c3d4e5f6-a7b8-9012-cdef-123456789012",
        "checks": [
            {"id": "meta.token", "status": "warn", "summary": "expires soon", "evidence": ["GET /v26.0/debug_token"]}
        ],
    }


def test_secrets_never_show_in_repr_str_or_format() -> None:
    secrets = DoctorSecrets.of(token="EAAsecret-token-value", verify_token="verify-me", channel_secret=None)
    for shown in (repr(secrets), str(secrets), f"{secrets}", f"{secrets!r}"):
        assert "EAAsecret" not in shown and "verify-me" not in shown
        assert "token=given" in shown and "channel_secret=missing" in shown
    assert "EAAsecret" not in repr(pickle.loads(pickle.dumps(secrets)))


def test_secrets_refuse_unknown_names() -> None:
    with pytest.raises(TypeError):
        DoctorSecrets.of(app_secret="x")


def test_each_status_has_a_mark_readable_without_colour_and_a_report_tallies_them() -> None:
    assert [status.mark for status in CheckStatus] == ["✓", "✗", "!", "-"]
    results = [
        CheckResult("voipbin.account", "t", CheckStatus.PASS, "ok"),
        CheckResult("voipbin.flow", "t", CheckStatus.WARN, "no flow"),
        CheckResult("meta.token", "t", CheckStatus.SKIP, "needs the access token"),
        CheckResult("meta.health", "t", CheckStatus.SKIP, "needs the access token"),
    ]
    assert tally(results) == "1 passed, 0 failed, 1 warning, 2 skipped"
    assert tally(results[:1]) == "1 passed, 0 failed, 0 warnings, 0 skipped"
