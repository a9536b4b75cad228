"""``end_to_end`` in wait mode on the sandbox: the emulated Meta (or LINE) sends a customer
message signed with the provider app's own secret, so the whole path is proven without a
phone; when VoIPBIN holds another app secret, nothing arrives and the report names
``meta.app_secret`` as the likeliest reason."""

from __future__ import annotations

import secrets as random_tokens

from tests.doctor.conftest import report, seeded
from voipbin_tui.api import AccountDraft, AccountType
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import (
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_META_ACCESS_TOKEN,
    SEED_META_APP_SECRET,
    SEED_PHONE_NUMBER_ID,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, DoctorSecrets
from voipbin_tui.workflows.hook_test import hook_test_url

SEED_SECRETS = DoctorSecrets.of(token=SEED_META_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)


async def test_wait_is_completed_by_the_emulated_meta(connection: Connection) -> None:
    told: list[str] = []
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="wait", time_limit=10, on_wait=told.append)
    assert results["end_to_end"].status is CheckStatus.PASS, results["end_to_end"]
    assert told and "emulated provider sends a message" in told[0]


async def test_wait_names_the_app_secret_when_voipbin_holds_another(
    connection: Connection, providers: SandboxProviders
) -> None:
    draft = AccountDraft(
        type=AccountType.WHATSAPP,
        name="Doctor wrong secret",
        token=SEED_META_ACCESS_TOKEN,
        secret="verify-" + random_tokens.token_hex(4),
        phone_number_id=SEED_PHONE_NUMBER_ID,
        app_secret=random_tokens.token_hex(16),  # not the Meta app's: every signature fails
    )
    account = await connection.client.create_account(draft)
    await providers.set({"meta.app_callback_url": connection.hook_url_for(account.id)})  # Meta sends it there
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="wait", time_limit=3)
    end_to_end = results["end_to_end"]
    assert end_to_end.status is CheckStatus.FAIL
    assert "no incoming message arrived in VoIPBIN within 3 s" in end_to_end.summary
    assert "likeliest reason, meta.app_secret" in end_to_end.summary
    assert results["meta.webhook_url"].status is CheckStatus.PASS  # only the secret is wrong


async def test_wait_fails_when_meta_sends_to_another_hook(connection: Connection, providers: SandboxProviders) -> None:
    await providers.set({"meta.app_callback_url": "http://127.0.0.1:9/elsewhere"})
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="wait", time_limit=2)
    assert results["end_to_end"].status is CheckStatus.FAIL
    assert "likeliest reason, meta.webhook_url" in results["end_to_end"].summary


async def test_wait_is_completed_by_the_emulated_line(connection: Connection) -> None:
    account = await seeded(connection, "line")
    secrets = DoctorSecrets.of(token=SEED_LINE_CHANNEL_TOKEN, channel_secret=SEED_LINE_CHANNEL_SECRET)
    results = await report(connection, account.id, secrets, end_to_end="wait", time_limit=10)
    assert results["end_to_end"].status is CheckStatus.PASS, results["end_to_end"]


async def test_a_message_that_reaches_another_account_does_not_count(connection: Connection) -> None:
    """The same number in a second account: Meta still sends to the first one's hook (the app's
    callback URL), so nothing arrives for this one, and ``meta.webhook_url`` says why."""
    draft = AccountDraft(
        type=AccountType.WHATSAPP,
        name="Doctor second account",
        token=SEED_META_ACCESS_TOKEN,
        secret="verify-" + random_tokens.token_hex(4),
        phone_number_id=SEED_PHONE_NUMBER_ID,
        app_secret=SEED_META_APP_SECRET,
    )
    account = await connection.client.create_account(draft)
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="wait", time_limit=2)
    assert results["end_to_end"].status is CheckStatus.FAIL
    assert "likeliest reason, meta.webhook_url" in results["end_to_end"].summary


async def test_a_message_in_an_old_conversation_is_found(connection: Connection) -> None:
    """The emulated Meta writes as a customer who wrote before: the message lands in an old
    conversation, behind newer ones of other accounts (VoIPBIN lists them by creation)."""
    other = await connection.client.create_account(
        AccountDraft(
            type=AccountType.WHATSAPP,
            name="Doctor busy neighbour",
            token=SEED_META_ACCESS_TOKEN,
            secret="verify-" + random_tokens.token_hex(4),
            phone_number_id=str(random_tokens.randbelow(9 * 10**14) + 10**14),
            app_secret=random_tokens.token_hex(16),
        )
    )
    async with connection.hook_sender() as sender:
        for number in range(25):  # more newer conversations than a page of the newest, none its own
            url = hook_test_url(connection, other.id)
            delivery = await sender.send_test_message(url, other, text="hi", sender=f"1555000{number:04d}")
            assert delivery.accepted
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, SEED_SECRETS, end_to_end="wait", time_limit=10)
    assert results["end_to_end"].status is CheckStatus.PASS, results["end_to_end"]
