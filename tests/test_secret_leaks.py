"""A secret never shows in repr, str, a log record or an exception message."""

import logging

import httpx
import pytest
import respx
from pydantic import SecretStr

from voipbin_tui.api import Account, AccountDraft, AccountType, AccountValidationError, Customer, VoipbinClient
from voipbin_tui.api.errors import UnexpectedResponse
from voipbin_tui.config import ConfigFile, Profile, RemoteTarget

APP_SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "EAAGm0PX4ZCpsBAKZCsecrettokenvalue"
VERIFY = "my-verify-token-value"
ACCESSKEY = "ak_live_do_not_print_me"
WEBHOOK_SECRET = "whsec_do_not_print_me"
SECRETS = (APP_SECRET, TOKEN, VERIFY, ACCESSKEY, WEBHOOK_SECRET)


def assert_clean(*texts: str) -> None:
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined, f"secret leaked: {secret[:6]}..."


def test_models_and_settings_hide_secrets_in_repr_and_str() -> None:
    account = Account.model_validate(
        {
            "id": "c3d4e5f6-a7b8-9012-cdef-123456789012",
            "type": "whatsapp",
            "provider_data": {"phone_number_id": "1", "app_secret": APP_SECRET},
        }
    )
    draft = AccountDraft(
        type=AccountType.WHATSAPP, token=SecretStr(TOKEN), secret=SecretStr(VERIFY), app_secret=SecretStr(APP_SECRET)
    )
    customer = Customer.model_validate({"id": "5e4a0680-804e-11ec-8477-2fea5968d85b", "webhook_secret": WEBHOOK_SECRET})
    profile = Profile(accesskey=SecretStr(ACCESSKEY))
    target = RemoteTarget("https://x/v1.0", "https://h/v1.0", SecretStr(ACCESSKEY), None, "p", None)
    objects = (account, draft, customer, profile, ConfigFile(profiles={"p": profile}), target)
    assert_clean(*(repr(o) for o in objects), *(str(o) for o in objects))
    assert_clean(draft.model_dump_json(), account.model_dump_json(), customer.model_dump_json())


def test_validation_errors_name_fields_not_values() -> None:
    draft = AccountDraft(
        type=AccountType.WHATSAPP,
        token=SecretStr(TOKEN),
        secret=SecretStr(VERIFY),
        app_secret=SecretStr(APP_SECRET),
        phone_number_id="not digits",
    )
    with pytest.raises(AccountValidationError) as caught:
        draft.create_body()
    assert "phone_number_id" in str(caught.value)
    assert_clean(str(caught.value), repr(caught.value))


@respx.mock
async def test_malformed_server_data_does_not_echo_secrets(caplog: pytest.LogCaptureFixture) -> None:
    bad = {"id": "not-a-uuid", "provider_data": {"phone_number_id": "1", "app_secret": APP_SECRET}}
    respx.get("https://api.test/v1.0/conversation_accounts/c3d4e5f6-a7b8-9012-cdef-123456789012").mock(
        return_value=httpx.Response(200, json=bad)
    )
    with caplog.at_level(logging.DEBUG):
        async with VoipbinClient("https://api.test/v1.0", accesskey=ACCESSKEY) as client:
            with pytest.raises(UnexpectedResponse) as caught:
                await client.get_account("c3d4e5f6-a7b8-9012-cdef-123456789012")
    assert "id" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is not None  # suppressed, not chained
    assert_clean(str(caught.value), repr(caught.value), caplog.text, *(str(record.args) for record in caplog.records))


@respx.mock
async def test_requests_log_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    route = respx.post("https://api.test/v1.0/conversation_accounts").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "status": "INVALID_ARGUMENT",
                    "reason": "INVALID_ARGUMENT",
                    "message": "bad",
                    "request_id": "req_9",
                }
            },
        )
    )
    draft = AccountDraft(type=AccountType.LINE, token=SecretStr(TOKEN), secret=SecretStr(VERIFY))
    with caplog.at_level(logging.DEBUG):
        async with VoipbinClient("https://api.test/v1.0", accesskey=ACCESSKEY) as client:
            with pytest.raises(Exception) as caught:
                await client.create_account(draft)
    assert route.called  # the secrets were sent, in the body only
    assert TOKEN in route.calls.last.request.content.decode()
    assert_clean(caplog.text, str(caught.value), repr(caught.value))
