"""``voipbin-tui accounts check`` on the sandbox: secrets only from stdin, the report as text
or JSON, and the exit code (0 nothing failed, 1 something did, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.backend.server import start_embedded
from voipbin_tui.cli import main

pytestmark = pytest.mark.slow  # each runs the CLI against a sandbox it starts


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def whatsapp_id() -> str:
    listed = run("accounts", "list", "--type", "whatsapp", "--json")
    return json.loads(listed.stdout)[-1]["id"]


def test_secrets_in_arguments_are_refused_before_anything_is_sent() -> None:
    result = run("accounts", "check", "c3d4e5f6-a7b8-9012-cdef-123456789012", "--token", "EAAsecretvalue")
    assert result.exit_code == 2
    assert "standard input" in result.output and "EAAsecretvalue" not in result.output
    assert run("accounts", "check", "c3d4e5f6-a7b8-9012-cdef-123456789012", "--app-id", "abc").exit_code == 2


def test_json_report_and_a_failure_exits_1() -> None:
    account = whatsapp_id()
    result = run("accounts", "check", account, "--verify-token", "-", "--json", input="not-the-token\n")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["account_id"] == account
    checks = {check["id"]: check for check in report["checks"]}
    assert list(checks)[0] == "voipbin.account"
    assert set(report["checks"][0]) == {"id", "status", "summary", "evidence"}
    assert checks["hook.verify_token"]["status"] == "fail"
    assert checks["meta.token"] == {
        "id": "meta.token",
        "status": "skip",
        "summary": "needs the access token",
        "evidence": [],
    }


def test_text_report_in_display_order_and_exit_0_without_failures() -> None:
    account = whatsapp_id()
    result = run("accounts", "check", account, "--verify-token", "-", input=SEED_WHATSAPP_VERIFY_TOKEN + "\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ pass  voipbin.account")
    assert any(line.startswith("✓ pass  hook.verify_token") for line in lines)
    assert lines[-1].endswith("skipped") and " 0 failed" in lines[-1]
    assert SEED_WHATSAPP_VERIFY_TOKEN not in result.output


def test_a_live_hook_is_not_sent_to_without_yes(tmp_path: Path) -> None:
    with start_embedded(tmp_path / "live", accesskey="live-key") as live:
        connection = ["--api-url", live.api_url, "--accesskey", "live-key"]
        listed = run("accounts", "list", "--type", "whatsapp", "--json", *connection)
        account = json.loads(listed.stdout)[-1]["id"]
        given = SEED_WHATSAPP_VERIFY_TOKEN + "\n"
        refused = run("accounts", "check", account, "--verify-token", "-", *connection, input=given)
        assert refused.exit_code == 2 and "would send test traffic to the live hook" in refused.output
        allowed = run("accounts", "check", account, "--verify-token", "-", "--yes", *connection, input=given)
        assert allowed.exit_code == 0, allowed.output
        assert "✓ pass  hook.verify_token" in allowed.stdout
