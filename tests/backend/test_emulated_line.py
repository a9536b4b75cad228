"""The emulated LINE API over real loopback HTTP, and VoIPBIN's LINE setup in the sandbox: a
LINE account's save points the channel at its hook (create: a failure saves nothing; update:
stored, then the error; delete: the endpoint emptied)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from tests.backend.conftest import ACCESSKEY
from tests.backend.emulation import Emulation, seeded
from voipbin_tui.api import AccountDraft, AccountType, BadRequest, ServerError
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.protocols import HookVerdict, verify_line_signature

TOKEN = seed.SEED_LINE_CHANNEL_TOKEN
BEARER = {"Authorization": f"Bearer {TOKEN}"}
AUTHENTICATION_FAILED = {
    "message": "Authentication failed. Confirm that the access token in the authorization header is valid."
}


@pytest.fixture
async def line(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as emulation:
        yield emulation


async def v3_token(line: Emulation) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": seed.SEED_LINE_CHANNEL_ID,
        "client_secret": seed.SEED_LINE_CHANNEL_SECRET,
    }
    answer = await line.line.post("/oauth2/v3/token", data=form)
    assert answer.status_code == 200
    issued = answer.json()
    assert issued["token_type"] == "Bearer" and 0 < issued["expires_in"] <= 900
    return issued["access_token"]


# -- bot info and tokens -----------------------------------------------------------------


async def test_bot_info_names_the_seeded_bot(line: Emulation) -> None:
    answer = await line.line.get("/v2/bot/info", headers=BEARER)
    assert answer.json() == {
        "userId": seed.SEED_LINE_BOT_USER_ID,
        "basicId": seed.SEED_LINE_BASIC_ID,
        "displayName": seed.SEED_LINE_DISPLAY_NAME,
        "chatMode": "chat",
        "markAsReadMode": "manual",
    }


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer not-the-token"}, {"Authorization": f"Bearer {seed.SEED_LINE_CHANNEL_SECRET}"}],
)
async def test_a_wrong_token_is_401_with_lines_message(line: Emulation, headers: dict[str, str]) -> None:
    for path in ("/v2/bot/info", "/v2/bot/channel/webhook/endpoint"):
        answer = await line.line.get(path, headers=headers)
        assert (answer.status_code, answer.json()) == (401, AUTHENTICATION_FAILED)


async def test_no_token_is_401(line: Emulation) -> None:
    answer = await line.line.get("/v2/bot/info")
    assert answer.status_code == 401 and "Authorization header required" in answer.json()["message"]


async def test_both_verify_calls_name_the_channel(line: Emulation) -> None:
    posted = await line.line.post("/v2/oauth/verify", data={"access_token": TOKEN})
    got = await line.line.get("/oauth2/v2.1/verify", params={"access_token": TOKEN})
    for answer in (posted, got):
        assert answer.status_code == 200
        body = answer.json()
        assert body["client_id"] == seed.SEED_LINE_CHANNEL_ID and body["expires_in"] > 7 * 86400


async def test_verify_refuses_an_unknown_token(line: Emulation) -> None:
    for answer in (
        await line.line.post("/v2/oauth/verify", data={"access_token": "nope"}),
        await line.line.get("/oauth2/v2.1/verify", params={"access_token": "nope"}),
        await line.line.post("/v2/oauth/verify", data={}),
    ):
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_request" and answer.json()["error_description"]


async def test_the_channel_secret_issues_a_stateless_token_that_works_for_15_minutes(line: Emulation) -> None:
    token = await v3_token(line)
    assert token.startswith("eyJ")
    info = await line.line.get("/v2/bot/info", headers={"Authorization": f"Bearer {token}"})
    assert info.json()["userId"] == seed.SEED_LINE_BOT_USER_ID
    verified = await line.line.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert 0 < verified.json()["expires_in"] <= 900
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = await line.line.get("/v2/bot/info", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"client_secret": "0" * 32}, "invalid_client"),
        ({"client_id": "1234567890"}, "invalid_client"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
async def test_a_wrong_secret_or_channel_issues_nothing(line: Emulation, form: dict[str, str], error: str) -> None:
    sent = {
        "grant_type": "client_credentials",
        "client_id": seed.SEED_LINE_CHANNEL_ID,
        "client_secret": seed.SEED_LINE_CHANNEL_SECRET,
        **form,
    }
    answer = await line.line.post("/oauth2/v3/token", data=sent)
    assert answer.status_code == 400 and answer.json()["error"] == error
    assert seed.SEED_LINE_CHANNEL_SECRET not in answer.text


# -- the webhook endpoint ----------------------------------------------------------------


async def test_the_endpoint_is_the_seeded_accounts_hook_and_active(line: Emulation) -> None:
    account = await line.seeded_account("line")
    answer = await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)
    assert answer.json() == {"endpoint": line.hook_url(account.id), "active": True}


async def test_put_changes_the_endpoint_but_never_active(line: Emulation) -> None:
    await line.providers.set({"line.webhook_active": False})
    put = await line.line.put(
        "/v2/bot/channel/webhook/endpoint", json={"endpoint": "https://elsewhere.example/"}, headers=BEARER
    )
    assert (put.status_code, put.json()) == (200, {})
    answer = await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)
    assert answer.json() == {"endpoint": "https://elsewhere.example/", "active": False}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"endpoint": "https://x.example/" + "a" * 500}, "The request body has 1 error(s)"),
        ({}, "The request body has 1 error(s)"),
        ({"endpoint": "javascript:alert(1)"}, "Invalid webhook endpoint URL"),
        ({"endpoint": "https://x.example/\nX: y"}, "Invalid webhook endpoint URL"),
    ],
)
async def test_a_bad_endpoint_is_400_and_changes_nothing(line: Emulation, body: dict, message: str) -> None:
    before = (await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)).json()
    answer = await line.line.put("/v2/bot/channel/webhook/endpoint", json=body, headers=BEARER)
    assert answer.status_code == 400 and answer.json()["message"] == message
    assert (await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)).json() == before


async def test_the_webhook_test_posts_a_signed_empty_batch_to_the_endpoint(line: Emulation) -> None:
    account = await line.seeded_account("line")
    answer = await line.line.post("/v2/bot/channel/webhook/test", json={}, headers=BEARER)
    result = answer.json()
    assert (result["success"], result["statusCode"], result["reason"], result["detail"]) == (True, 200, "OK", "200")
    assert result["timestamp"].endswith("Z") and len(result["timestamp"]) == 24
    [verify] = await line.captures(account.id)
    assert verify.body == f'{{"destination":"{seed.SEED_LINE_BOT_USER_ID}","events":[]}}'.encode()
    signature = verify.header("x-line-signature")
    assert verify_line_signature(seed.SEED_LINE_CHANNEL_SECRET, verify.body, signature).value == "valid"


async def test_the_webhook_test_reports_an_error_status(line: Emulation) -> None:
    wrong_path = f"{line.backend.base_url}/v1.0/conversation/accounts/not-an-account/extra"
    answer = await line.line.post("/v2/bot/channel/webhook/test", json={"endpoint": wrong_path}, headers=BEARER)
    result = answer.json()
    assert (result["success"], result["statusCode"], result["reason"]) == (False, 404, "error_status_code")


async def test_the_webhook_test_never_posts_beyond_the_sandbox(line: Emulation) -> None:
    for endpoint in ("https://example.com/hook", "http://127.0.0.1:9/hook", "http://10.0.0.1/"):
        answer = await line.line.post("/v2/bot/channel/webhook/test", json={"endpoint": endpoint}, headers=BEARER)
        result = answer.json()
        assert (result["success"], result["statusCode"], result["reason"]) == (False, 0, "could_not_connect")


async def test_an_unknown_line_path_is_404_in_lines_shape(line: Emulation) -> None:
    answer = await line.line.get("/v2/bot/nonsense", headers=BEARER)
    assert (answer.status_code, answer.json()) == (404, {"message": "Not found"})


# -- VoIPBIN's LINE setup in the sandbox ---------------------------------------------------


def line_draft(token: str) -> AccountDraft:
    return AccountDraft(type=AccountType.LINE, name="New LINE", secret=SecretStr("s" * 32), token=SecretStr(token))


async def test_creating_a_line_account_points_the_channel_at_its_hook(line: Emulation) -> None:
    created = await line.client.create_account(line_draft(TOKEN))
    answer = await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)
    assert answer.json()["endpoint"] == line.hook_url(created.id)


async def test_a_token_line_refuses_aborts_the_create(line: Emulation) -> None:
    before = len(await line.client.list_accounts())
    with pytest.raises(BadRequest) as refused:
        await line.client.create_account(line_draft("not-a-channel-token"))
    assert "LINE answered 401" in str(refused.value) and "nothing was saved" in str(refused.value)
    assert "not-a-channel-token" not in str(refused.value)
    assert len(await line.client.list_accounts()) == before


async def test_an_update_line_refuses_is_stored_then_an_error(line: Emulation) -> None:
    account = await line.seeded_account("line")
    draft = AccountDraft.from_account(account).model_copy(update={"name": "Renamed", "token": SecretStr("rejected")})
    with pytest.raises(ServerError) as failed:
        await line.client.update_account(account, draft)
    assert "the update is saved" in str(failed.value) and "LINE answered 401" in str(failed.value)
    assert failed.value.account_after is not None and failed.value.account_after.name == "Renamed"


async def test_deleting_a_line_account_empties_the_endpoint(line: Emulation) -> None:
    account = await line.seeded_account("line")
    await line.client.delete_account(account.id)
    answer = await line.line.get("/v2/bot/channel/webhook/endpoint", headers=BEARER)
    assert answer.json()["endpoint"] == ""


# -- the inbound action ------------------------------------------------------------------


async def test_inbound_line_message_is_signed_with_the_channel_secret_and_arrives(line: Emulation) -> None:
    account = await line.seeded_account("line")
    delivery = await line.providers.send_inbound(account.id, "Are you open today?")
    assert (delivery.provider, delivery.success, delivery.status_code) == ("line", True, 200)
    assert delivery.url == line.hook_url(account.id)
    [capture] = await line.captures(account.id)
    assert capture.verdict == HookVerdict.OK and capture.summary.text == "Are you open today?"
    assert f'"destination":"{seed.SEED_LINE_BOT_USER_ID}"' in capture.body.decode()


async def test_inbound_line_with_use_webhook_off_sends_nothing(line: Emulation) -> None:
    account = await line.seeded_account("line")
    await line.providers.set({"line.webhook_active": False})
    delivery = await line.providers.send_inbound(account.id, "hello?")
    assert (delivery.success, delivery.status_code) == (False, 0) and "Use webhook is off" in delivery.detail
    assert await line.captures(account.id) == []


async def test_inbound_needs_a_known_account_and_text(line: Emulation) -> None:
    account = await line.seeded_account("line")
    sms = await line.seeded_account("sms")
    async with httpx.AsyncClient(base_url=line.backend.base_url, cookies={"accesskey": ACCESSKEY}) as rest:
        for body, status in (
            ({"account_id": str(account.id)}, 400),
            ({"account_id": str(account.id), "text": "x" * 4097}, 400),
            ({"account_id": "nope", "text": "hi"}, 400),
            ({"account_id": "5b1e6f2a-1111-4222-8333-944455556666", "text": "hi"}, 404),
            ({"account_id": str(sms.id), "text": "hi"}, 400),
        ):
            answer = await rest.post("/v1.0/sandbox/providers/inbound", json=body)
            assert answer.status_code == status, body


async def test_the_tokens_remaining_lifetime_is_a_switch_and_at_zero_it_is_refused(line: Emulation) -> None:
    await line.providers.set({"line.token_expires_in": 3 * 86400})
    verified = await line.line.post("/v2/oauth/verify", data={"access_token": TOKEN})
    assert verified.json()["expires_in"] == 3 * 86400
    await line.providers.set({"line.token_expires_in": 0})
    expired = await line.line.post("/v2/oauth/verify", data={"access_token": TOKEN})
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_request"
    assert (await line.line.get("/v2/bot/info", headers=BEARER)).status_code == 401
    await line.providers.set({"line.token_expires_in": None})
    assert (await line.line.get("/v2/bot/info", headers=BEARER)).status_code == 200
