"""``voipbin-tui sandbox providers``: show, set and reset the emulated Meta and LINE from the
command line, on a sandbox the command starts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from voipbin_tui.backend import seed
from voipbin_tui.cli import main

pytestmark = pytest.mark.slow  # each runs the CLI against a sandbox it starts


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_show_prints_the_state_with_every_secret_masked() -> None:
    result = run("sandbox", "providers", "show")
    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert state["meta"]["number"]["phone_number_id"] == seed.SEED_PHONE_NUMBER_ID
    for secret in seed.SEEDED_SECRETS:
        assert secret not in result.output


def test_set_changes_a_switch_that_show_then_reports_and_reset_undoes() -> None:
    result = run("sandbox", "providers", "set", "meta.messages_subscribed", "false")
    assert result.exit_code == 0, result.output
    assert "meta.messages_subscribed = false" in result.stdout
    assert run("sandbox", "providers", "set", "meta.health", "BLOCKED").exit_code == 0
    state = json.loads(run("sandbox", "providers", "show").stdout)
    assert state["meta"]["app"]["messages_subscribed"] is False and state["meta"]["number"]["health"] == "BLOCKED"
    assert run("sandbox", "providers", "reset").exit_code == 0
    state = json.loads(run("sandbox", "providers", "show").stdout)
    assert state["meta"]["app"]["messages_subscribed"] is True and state["meta"]["number"]["health"] == "AVAILABLE"


def test_a_bad_switch_is_one_line_and_exit_1() -> None:
    result = run("sandbox", "providers", "set", "meta.health", "SICK")
    assert result.exit_code == 1
    assert "meta.health: must be AVAILABLE, LIMITED or BLOCKED" in result.output
    assert "Traceback" not in result.output


def test_read_only_refuses_set_and_reset_but_allows_show() -> None:
    for args in (("set", "meta.health", "BLOCKED"), ("reset",)):
        result = run("--read-only", "sandbox", "providers", *args)
        assert result.exit_code == 2 and "--read-only" in result.output
    assert run("--read-only", "sandbox", "providers", "show").exit_code == 0


def test_a_live_target_has_no_emulated_providers() -> None:
    result = run("sandbox", "providers", "show", "--api-url", "http://127.0.0.1:9/v1.0", "--accesskey", "k")
    assert result.exit_code == 2 and "only the sandbox emulates Meta and LINE" in result.output


def test_inbound_has_the_emulated_provider_send_a_message_to_the_account() -> None:
    listed = run("accounts", "list", "--type", "whatsapp", "--json")
    account_id = json.loads(listed.stdout)[0]["id"]
    result = run("sandbox", "providers", "inbound", account_id, "Hello from Meta")
    assert result.exit_code == 0, result.output
    assert (
        "Meta posted to http://127.0.0.1:" in result.stdout
        and f"/conversation/accounts/{account_id}: 200" in result.stdout
    )
    assert run("sandbox", "providers", "set", "meta.messages_subscribed", "false").exit_code == 0
    refused = run("sandbox", "providers", "inbound", account_id, "Hello again")
    assert (
        refused.exit_code == 1 and "Meta delivered nothing: the app's 'messages' webhook field is off" in refused.stdout
    )
    assert run("--read-only", "sandbox", "providers", "inbound", account_id, "x").exit_code == 2
