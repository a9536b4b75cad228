"""The doctor's LINE checks against the sandbox's emulated LINE API over loopback: all pass for
the seeded LINE account; a wrong token, a wrong channel secret, an endpoint elsewhere and
"Use webhook" off are each named by their check."""

from __future__ import annotations

import secrets as random_tokens

from tests.doctor.conftest import report, seeded
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import (
    SEED_LINE_BASIC_ID,
    SEED_LINE_BOT_USER_ID,
    SEED_LINE_CHANNEL_ID,
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
)
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, DoctorSecrets

PASS, FAIL, WARN, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.SKIP
SEED_SECRETS = DoctorSecrets.of(token=SEED_LINE_CHANNEL_TOKEN, channel_secret=SEED_LINE_CHANNEL_SECRET)


async def test_every_check_passes_for_the_seeded_account(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "line")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="sign", time_limit=10)
    assert [result.id for result in results.values() if result.status is not PASS] == [], [
        (result.id, result.summary) for result in results.values() if result.status is not PASS
    ]
    assert len(results) == 8
    token = results["line.token"].summary
    assert SEED_LINE_BOT_USER_ID in token and SEED_LINE_BASIC_ID in token
    assert SEED_LINE_CHANNEL_ID in results["line.channel_secret"].summary


async def test_a_token_line_rejects(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "line")
    wrong = DoctorSecrets.of(token=random_tokens.token_urlsafe(100), channel_secret=SEED_LINE_CHANNEL_SECRET)
    results = await report(connection, account.id, wrong)
    assert results["line.token"].status is FAIL and "rejects the channel access token" in results["line.token"].summary
    for check_id in ("line.channel_secret", "line.webhook_url", "line.webhook_active", "line.webhook_test"):
        assert results[check_id].status is SKIP and "line.token" in results[check_id].summary, results[check_id]


async def test_a_wrong_channel_secret(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "line")
    wrong = DoctorSecrets.of(token=SEED_LINE_CHANNEL_TOKEN, channel_secret=random_tokens.token_hex(16))
    secret = (await report(connection, account.id, wrong))["line.channel_secret"]
    assert secret.status is FAIL and f"refuses this channel secret for channel {SEED_LINE_CHANNEL_ID}" in secret.summary


async def test_no_channel_secret_is_skipped_saying_so(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "line")
    results = await report(connection, account.id, DoctorSecrets.of(token=SEED_LINE_CHANNEL_TOKEN))
    assert results["line.channel_secret"].summary == "needs the channel secret"
    assert results["line.token"].status is PASS


async def test_an_endpoint_elsewhere(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"line.webhook_endpoint": "https://elsewhere.example/line"})
    account = await seeded(connection, "line")
    results = await report(connection, account.id, SEED_SECRETS)
    assert results["line.webhook_url"].status is FAIL
    assert "to https://elsewhere.example/line, not to this account's hook" in results["line.webhook_url"].summary


async def test_use_webhook_off(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"line.webhook_active": False})
    account = await seeded(connection, "line")
    results = await report(connection, account.id, SEED_SECRETS)
    assert (
        results["line.webhook_active"].status is FAIL
        and "'Use webhook' is off" in results["line.webhook_active"].summary
    )
    assert results["line.webhook_url"].status is PASS


async def test_the_test_delivery_to_an_unreachable_endpoint(
    connection: Connection, providers: SandboxProviders
) -> None:
    await providers.set({"line.webhook_endpoint": "http://127.0.0.1:9/nothing-listens"})
    account = await seeded(connection, "line")
    test = (await report(connection, account.id, SEED_SECRETS))["line.webhook_test"]
    assert test.status is FAIL and "test delivery" in test.summary
