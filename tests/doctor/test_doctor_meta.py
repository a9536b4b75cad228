"""The doctor's Meta checks against the sandbox's emulated Graph API over loopback: every one
passes for the seeded WhatsApp account, and each failure mode of the issue is named by the
check that explains it (a wrong or expired token, another app's secret, a number the token
cannot see, webhooks going elsewhere, ``messages`` off, a blocked number)."""

from __future__ import annotations

import secrets as random_tokens

import pytest

from tests.doctor.conftest import report, seeded
from voipbin_tui.api import AccountDraft, AccountType
from voipbin_tui.api.models import Account
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import (
    SEED_DISPLAY_PHONE_NUMBER,
    SEED_META_ACCESS_TOKEN,
    SEED_META_APP_ID,
    SEED_PHONE_NUMBER_ID,
    SEED_VERIFIED_NAME,
    SEED_WABA_ID,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, DoctorSecrets

PASS, FAIL, WARN, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.SKIP
SEED_SECRETS = DoctorSecrets.of(token=SEED_META_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
META_CHECKS = ("meta.token", "meta.phone_number", "meta.app_secret", "meta.health", "meta.webhook_url")


async def whatsapp_account(connection: Connection, **fields: str) -> Account:
    values = {
        "type": AccountType.WHATSAPP,
        "name": "Doctor Meta test",
        "token": SEED_META_ACCESS_TOKEN,
        "secret": "verify-" + random_tokens.token_hex(4),
        "phone_number_id": SEED_PHONE_NUMBER_ID,
        "app_secret": random_tokens.token_hex(16),
    } | fields
    return await connection.client.create_account(AccountDraft(**values))  # type: ignore[arg-type]


async def test_every_check_passes_for_the_seeded_account(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="sign", time_limit=10)
    assert {check_id: result.status for check_id, result in results.items()} == dict.fromkeys(results, PASS), [
        (result.id, result.summary) for result in results.values() if result.status is not PASS
    ]
    assert len(results) == 12
    number = results["meta.phone_number"].summary
    assert SEED_DISPLAY_PHONE_NUMBER.lstrip("+") in number and SEED_VERIFIED_NAME in number
    assert SEED_META_APP_ID in results["meta.token"].summary and "never expires" in results["meta.token"].summary
    assert "app callback URL" in results["meta.webhook_url"].summary
    assert SEED_WABA_ID in results["meta.subscription"].summary
    assert any("appsecret_proof=[redacted]" in line for line in results["meta.app_secret"].evidence)


async def test_a_token_meta_does_not_know(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "whatsapp")
    wrong = DoctorSecrets.of(token="EAA" + random_tokens.token_urlsafe(80))
    results = await report(connection, account.id, wrong)
    assert results["meta.token"].status is FAIL and "Meta rejects the token" in results["meta.token"].summary
    for check_id in ("meta.phone_number", "meta.app_secret", "meta.health", "meta.webhook_url"):
        assert results[check_id].status is SKIP and "meta.token" in results[check_id].summary, results[check_id]
    assert results["meta.subscription"].status is SKIP


async def test_an_expired_token(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"meta.token_expired": True})
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS)
    assert results["meta.token"].status is FAIL and "has expired" in results["meta.token"].summary


async def test_another_apps_secret_is_named_by_meta_app_secret(
    connection: Connection, providers: SandboxProviders
) -> None:
    account = await whatsapp_account(connection)
    results = await report(connection, account.id, SEED_SECRETS)
    app_secret = results["meta.app_secret"]
    assert app_secret.status is FAIL and "Invalid appsecret_proof" in app_secret.summary
    assert "drops every inbound message" in app_secret.summary
    assert len([line for line in app_secret.evidence if line.startswith("GET ")]) == 2  # timed, then untimed
    assert results["meta.phone_number"].status is PASS  # learnt again without the proof
    assert results["meta.token"].status is PASS


async def test_another_apps_secret_with_require_app_secret_on(
    connection: Connection, providers: SandboxProviders
) -> None:
    await providers.set({"meta.require_app_secret": True})
    account = await whatsapp_account(connection)
    results = await report(connection, account.id, SEED_SECRETS)
    assert results["meta.app_secret"].status is FAIL
    assert results["meta.phone_number"].status is SKIP and "meta.app_secret" in results["meta.phone_number"].summary


async def test_a_number_the_token_cannot_see(connection: Connection, providers: SandboxProviders) -> None:
    account = await whatsapp_account(connection, phone_number_id=str(random_tokens.randbelow(9 * 10**14) + 10**14))
    results = await report(connection, account.id, SEED_SECRETS)
    number = results["meta.phone_number"]
    assert number.status is FAIL and "may see" in number.summary
    assert results["meta.health"].status is SKIP and "meta.phone_number" in results["meta.health"].summary


@pytest.mark.parametrize(
    ("switch", "level"),
    [
        ("meta.app_callback_url", "app callback URL"),
        ("meta.waba_override_url", "WABA override"),
        ("meta.number_override_url", "phone number override"),
    ],
)
async def test_webhooks_going_elsewhere_name_the_winning_level(
    connection: Connection, providers: SandboxProviders, switch: str, level: str
) -> None:
    await providers.set({switch: "https://elsewhere.example/hook"})
    account = await seeded(connection, "whatsapp")
    webhook = (await report(connection, account.id, SEED_SECRETS))["meta.webhook_url"]
    assert webhook.status is FAIL
    assert f"https://elsewhere.example/hook (the {level} wins)" in webhook.summary


async def test_messages_not_subscribed(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"meta.messages_subscribed": False})
    account = await seeded(connection, "whatsapp")
    subscription = (await report(connection, account.id, SEED_SECRETS))["meta.subscription"]
    assert subscription.status is FAIL and "'messages' webhook field is off" in subscription.summary


async def test_app_not_subscribed_to_the_waba(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"meta.app_subscribed_to_waba": False})
    account = await seeded(connection, "whatsapp")
    subscription = (await report(connection, account.id, SEED_SECRETS))["meta.subscription"]
    assert subscription.status is FAIL and f"/{SEED_WABA_ID}/subscribed_apps" in subscription.summary


async def test_the_app_id_can_be_given(connection: Connection, providers: SandboxProviders) -> None:
    account = await seeded(connection, "whatsapp")
    given = (await report(connection, account.id, SEED_SECRETS, app_id="999"))["meta.subscription"]
    assert given.status is FAIL and "app 999 is not subscribed" in given.summary


async def test_a_blocked_number_warns_without_failing_receiving(
    connection: Connection, providers: SandboxProviders
) -> None:
    await providers.set({"meta.health": "BLOCKED"})
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="sign", time_limit=10)
    assert results["meta.health"].status is WARN and "messages still arrive" in results["meta.health"].summary
    assert results["end_to_end"].status is PASS
    await providers.set({"meta.health": "LIMITED"})
    assert (await report(connection, account.id, SEED_SECRETS))["meta.health"].status is WARN
