"""No secret the doctor holds (access tokens, the verify token, the channel secret, the stored
app secret, app access tokens and proofs made from them) ever shows in a result, the JSON, the
CLI's output, a log record or an exception, whether checks pass or fail."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from tests.doctor.conftest import report, seeded
from voipbin_tui.api.graph import appsecret_proof
from voipbin_tui.backend.seed import (
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_META_ACCESS_TOKEN,
    SEED_META_APP_SECRET,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.cli import main
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import DoctorSecrets, report_json
from voipbin_tui.doctor.context import DoctorRun, Outcome
from voipbin_tui.doctor.runner import CHECK_FUNCTIONS

WRONG_TOKEN = "EAAwrong-token-that-must-not-show-" + "x" * 40
SECRETS = (
    SEED_META_ACCESS_TOKEN,
    SEED_META_APP_SECRET,
    SEED_WHATSAPP_VERIFY_TOKEN,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_LINE_CHANNEL_SECRET,
    WRONG_TOKEN,
    appsecret_proof(SecretStr(SEED_META_APP_SECRET), SecretStr(SEED_META_ACCESS_TOKEN))["appsecret_proof"],
)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked: {secret[:5]}…"


@pytest.mark.parametrize("token", [SEED_META_ACCESS_TOKEN, WRONG_TOKEN])
async def test_whatsapp_results_and_logs_hold_no_secret(
    connection: Connection, caplog: pytest.LogCaptureFixture, token: str
) -> None:
    caplog.set_level(logging.DEBUG)
    account = await seeded(connection, "whatsapp")
    secrets = DoctorSecrets.of(token=token, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
    results = await report(connection, account.id, secrets, end_to_end="sign", time_limit=10)
    assert any(result.evidence for result in results.values())
    assert_clean(repr(list(results.values())))
    assert_clean(json.dumps(report_json(account.id, results.values())))
    assert_clean("\n".join(record.getMessage() for record in caplog.records))
    assert_clean(repr(secrets))


async def test_a_check_that_fails_quoting_a_secret_logs_its_traceback_without_it(
    connection: Connection, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def buggy(run: DoctorRun) -> Outcome:
        raise RuntimeError(f"could not use {run.secrets.values()}")

    monkeypatch.setitem(CHECK_FUNCTIONS, "meta.token", buggy)
    caplog.set_level(logging.DEBUG)
    account = await seeded(connection, "whatsapp")
    secrets = DoctorSecrets.of(token=WRONG_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
    results = await report(connection, account.id, secrets, end_to_end="skip", time_limit=10)
    assert "the check itself failed (RuntimeError)" in results["meta.token"].summary
    assert "RuntimeError: could not use" in caplog.text and "in buggy" in caplog.text
    assert_clean(caplog.text)


async def test_line_results_hold_no_secret(connection: Connection) -> None:
    account = await seeded(connection, "line")
    for secrets in (
        DoctorSecrets.of(token=SEED_LINE_CHANNEL_TOKEN, channel_secret=SEED_LINE_CHANNEL_SECRET),
        DoctorSecrets.of(token=WRONG_TOKEN, channel_secret=SEED_LINE_CHANNEL_SECRET),
    ):
        results = await report(connection, account.id, secrets, end_to_end="sign", time_limit=10)
        assert_clean(repr(list(results.values())))


@pytest.mark.slow
def test_cli_text_and_json_hold_no_secret() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["accounts", "list", "--type", "whatsapp", "--json"], catch_exceptions=False)
    account = json.loads(listed.stdout)[-1]["id"]
    given = f"{SEED_META_ACCESS_TOKEN}\n{SEED_WHATSAPP_VERIFY_TOKEN}\n"
    for extra in ([], ["--json"]):
        result = runner.invoke(
            main,
            ["accounts", "check", account, "--token", "-", "--verify-token", "-", "--end-to-end=sign", *extra],
            input=given,
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        assert_clean(result.output)
