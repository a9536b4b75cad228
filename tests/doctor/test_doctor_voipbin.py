"""The doctor's VoIPBIN-side checks and the checks that send to the hook, on the sandbox over
loopback: the account, its flow, the stored values, the hub challenge, and a signed message
that must come out of VoIPBIN's API; plus skips that say what they need."""

from __future__ import annotations

import secrets as random_tokens
import ssl
from uuid import uuid4

import httpx
import pytest

from tests.doctor.conftest import report, seeded
from tests.helpers import sandbox_connection
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.models import NIL_UUID, Account
from voipbin_tui.backend.seed import (
    SEED_LINE_CHANNEL_SECRET,
    SEED_WHATSAPP_ACCESS_TOKEN,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.config import RemoteTarget
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, DoctorSecrets

PASS, FAIL, WARN, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.SKIP


async def new_whatsapp(connection: Connection, **fields: object) -> Account:
    values: dict[str, object] = {
        "type": AccountType.WHATSAPP,
        "name": "Doctor test",
        "token": "EAA" + random_tokens.token_urlsafe(60),
        "secret": "verify-" + random_tokens.token_hex(4),
        "phone_number_id": str(random_tokens.randbelow(9 * 10**14) + 10**14),
        "app_secret": random_tokens.token_hex(16),
    }
    values.update(fields)
    return await connection.client.create_account(AccountDraft(**values))


async def test_without_secrets_the_local_checks_run_and_the_rest_say_what_they_need(connection: Connection) -> None:
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id)
    assert list(results)[0] == "voipbin.account"
    for check_id in ("voipbin.account", "voipbin.flow", "whatsapp.phone_number_id", "whatsapp.app_secret_shape"):
        assert results[check_id].status is PASS, results[check_id]
    for check_id in ("meta.token", "meta.phone_number", "meta.app_secret", "meta.health", "meta.webhook_url"):
        assert results[check_id].status is SKIP and results[check_id].summary == "needs the access token"
    assert results["hook.verify_token"].summary == "needs the verify token"
    assert results["end_to_end"].status is SKIP and "not asked for" in results["end_to_end"].summary


async def test_hub_challenge_with_the_right_and_a_wrong_verify_token(connection: Connection) -> None:
    account = await seeded(connection, "whatsapp")
    good = await report(connection, account.id, DoctorSecrets.of(verify_token=SEED_WHATSAPP_VERIFY_TOKEN))
    assert good["hook.verify_token"].status is PASS
    assert good["hook.verify_token"].evidence[0].startswith("GET ")
    wrong = await report(connection, account.id, DoctorSecrets.of(verify_token="not-the-verify-token"))
    assert wrong["hook.verify_token"].status is FAIL
    assert "refuses this verify token (403)" in wrong["hook.verify_token"].summary


async def test_an_unknown_account_fails_first_and_skips_the_rest(connection: Connection) -> None:
    results = await report(connection, uuid4())
    assert results["voipbin.account"].status is FAIL and "has no account" in results["voipbin.account"].summary
    assert [result.status for check_id, result in results.items() if check_id != "voipbin.account"] == [SKIP]


async def test_a_deleted_account_fails(connection: Connection) -> None:
    account = await new_whatsapp(connection)
    await connection.client.delete_account(account.id)
    results = await report(connection, account.id)
    assert results["voipbin.account"].status is FAIL and "deleted" in results["voipbin.account"].summary


async def test_a_missing_flow_warns_and_bad_stored_values_fail(connection: Connection) -> None:
    account = await new_whatsapp(connection, message_flow_id=NIL_UUID, phone_number_id="12345")
    results = await report(connection, account.id)
    assert results["voipbin.flow"].status is WARN and "no flow" in results["voipbin.flow"].summary
    assert results["whatsapp.phone_number_id"].status is WARN  # digits, but not 13-17 of them
    assert account.provider_data is not None
    typed_values = account.provider_data.model_copy(update={"phone_number_id": "+1 555", "app_secret": None})
    unsaved = account.model_copy(update={"provider_data": typed_values})
    typed = await report(connection, unsaved)
    assert typed["voipbin.account"].status is SKIP and "not saved yet" in typed["voipbin.account"].summary
    assert typed["whatsapp.phone_number_id"].status is FAIL
    assert (
        typed["whatsapp.app_secret_shape"].status is FAIL
        and "drops every" in typed["whatsapp.app_secret_shape"].summary
    )
    hub = await report(connection, unsaved, DoctorSecrets.of(verify_token="x"))
    assert hub["hook.verify_token"].status is SKIP and "saved account" in hub["hook.verify_token"].summary


async def test_end_to_end_sign_arrives_through_voipbins_api(connection: Connection) -> None:
    account = await seeded(connection, "whatsapp")
    results = await report(connection, account.id, end_to_end="sign", time_limit=10)
    end_to_end = results["end_to_end"]
    assert end_to_end.status is PASS, end_to_end
    assert "arrived in VoIPBIN after" in end_to_end.summary
    assert any(line.startswith("POST ") for line in end_to_end.evidence)


async def test_end_to_end_sign_for_line_with_the_channel_secret(connection: Connection) -> None:
    account = await seeded(connection, "line")
    secrets = DoctorSecrets.of(channel_secret=SEED_LINE_CHANNEL_SECRET)
    results = await report(connection, account.id, secrets, end_to_end="sign", time_limit=10)
    assert results["end_to_end"].status is PASS, results["end_to_end"]


async def test_a_live_hook_gets_nothing_unless_confirmed(sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        local = sandbox_connection(sandbox, client)
        live = Connection(
            client=client,
            target=RemoteTarget(sandbox.api_url, sandbox.hook_url, sandbox.accesskey, None, None, None),
            hook_base_url=sandbox.hook_url,
            inspector_url=None,
            feed_accesskey=None,
            providers=local.providers,
        )
        account = await seeded(live, "whatsapp")
        secrets = DoctorSecrets.of(verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
        refused = await report(live, account.id, secrets, end_to_end="sign")
        for check_id in ("hook.verify_token", "end_to_end"):
            assert refused[check_id].status is SKIP and "was not confirmed" in refused[check_id].summary
        allowed = await report(live, account.id, secrets, live_hook_confirmed=True)
        assert allowed["hook.verify_token"].status is PASS
        told: list[str] = []
        secrets = DoctorSecrets.of(token=SEED_WHATSAPP_ACCESS_TOKEN)
        waited = await report(live, account.id, secrets, end_to_end="wait", time_limit=1, on_wait=told.append)
        assert told == [
            "send a WhatsApp message from a phone to +1 555-078-3881 (or press Test for 'messages' in Meta's "
            "App Dashboard); waiting up to 1 s"
        ]
        assert waited["end_to_end"].status is FAIL and "within 1 s" in waited["end_to_end"].summary


async def test_a_throttled_graph_is_reported_as_such_once(connection: Connection) -> None:
    calls: list[str] = []

    def throttle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(400, json={"error": {"message": "(#80007) Rate limit hit", "code": 80007}})

    account = await seeded(connection, "whatsapp")
    async with httpx.AsyncClient(transport=httpx.MockTransport(throttle)) as graph_double:
        results = await report(connection, account.id, DoctorSecrets.of(token="EAAx"), http=graph_double)
    token = results["meta.token"]
    assert (
        token.status is SKIP
        and token.summary.startswith("not checked: Meta is rate-limiting")
        and "80007" in token.summary
    )
    assert results["meta.phone_number"].status is SKIP
    assert len(calls) == 2  # debug_token and the number, each asked once


async def test_a_form_account_not_created_yet_has_no_hook_url_to_compare(connection: Connection) -> None:
    """A new account's hook URL comes with its id, on create: Meta's callback cannot match it
    yet, so the comparison is skipped (an edit's account has its id, and is compared)."""
    account = await seeded(connection, "whatsapp")
    secrets = DoctorSecrets.of(token=SEED_WHATSAPP_ACCESS_TOKEN)
    editing = await report(connection, account.model_copy(update={"name": "typed in the form"}), secrets)
    assert editing["meta.webhook_url"].status is PASS, editing["meta.webhook_url"]
    creating = await report(connection, account.model_copy(update={"id": NIL_UUID}), secrets)
    assert creating["meta.webhook_url"].status is SKIP
    assert "VoIPBIN gives its hook URL when it creates it" in creating["meta.webhook_url"].summary
    assert creating["meta.token"].status is PASS and creating["meta.app_secret"].status is PASS
    assert "needs the saved account" in creating["end_to_end"].summary  # asked for or not


async def test_a_sandbox_run_loads_no_certificate_authorities(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading a CA bundle takes a tenth of a second per client; nothing on a sandbox speaks TLS."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("certificate authorities loaded")

    account = await seeded(connection, "whatsapp")
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", refuse)
    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", refuse)
    secrets = DoctorSecrets.of(token=SEED_WHATSAPP_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
    results = await report(connection, account.id, secrets)
    assert results["meta.token"].status is PASS and results["hook.verify_token"].status is PASS
