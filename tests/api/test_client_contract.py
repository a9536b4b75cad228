"""The client against VoIPBIN's documented behaviour, quirks included (respx stands in for it)."""

import json
import logging
import socket
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import respx
from pydantic import SecretStr

from voipbin_tui.api import (
    AccountDraft,
    AccountType,
    BadRequest,
    ConnectionFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unauthenticated,
    VoipbinClient,
)
from voipbin_tui.api.client import RetryPolicy
from voipbin_tui.api.errors import InvalidId, UnexpectedResponse

API = "https://api.example.test/v1.0"
ACCESSKEY = "ak-very-secret-access-key-0001"
ACCOUNT_ID = "c3d4e5f6-a7b8-9012-cdef-123456789012"
APP_SECRET = "abcdef1234567890abcdef1234567890"


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(sleeps: Sleeps):
    async with VoipbinClient(API, accesskey=ACCESSKEY, sleep=sleeps) as client:
        yield client


def account_json(index: int, **extra: object) -> dict:
    return {
        "id": str(UUID(int=index + 1)),
        "type": "sms",
        "name": f"account {index}",
        "tm_create": f"2024-03-01T10:00:{59 - index:02d}Z",
        **extra,
    }


def whatsapp_json(**extra: object) -> dict:
    return {
        "id": ACCOUNT_ID,
        "type": "whatsapp",
        "name": "Support",
        "provider_data": {"phone_number_id": "123456789012345", "app_secret": APP_SECRET},
        "message_flow_id": "00000000-0000-0000-0000-000000000000",
        "tm_create": "2024-03-01T10:00:00Z",
        **extra,
    }


def envelope(status: str, reason: str, message: str, request_id: str = "req_1") -> dict:
    return {"error": {"status": status, "reason": reason, "message": message, "request_id": request_id}}


@respx.mock
async def test_pagination_follows_tokens_and_stops_after_a_short_page(client: VoipbinClient) -> None:
    route = respx.get(f"{API}/conversation_accounts").mock(
        side_effect=[
            httpx.Response(200, json={"result": [account_json(0), account_json(1)], "next_page_token": "tok-1"}),
            # the last non-empty page still carries a token, as VoIPBIN does; it is short, so last
            httpx.Response(200, json={"result": [account_json(2)], "next_page_token": "tok-2"}),
            httpx.Response(200, json={"result": [], "next_page_token": ""}),
        ]
    )
    pages = [page async for page in client.iter_account_pages(page_size=2)]
    assert [[a.name for a in page] for page in pages] == [["account 0", "account 1"], ["account 2"]]
    sent = [call.request.url.params for call in route.calls]
    assert [params.get("page_token") for params in sent] == [None, "tok-1"]  # no empty page asked for
    assert all(params["page_size"] == "2" for params in sent)


@respx.mock
async def test_a_full_last_page_ends_on_the_empty_page_after_it(client: VoipbinClient) -> None:
    route = respx.get(f"{API}/conversation_accounts").mock(
        side_effect=[
            httpx.Response(200, json={"result": [account_json(0), account_json(1)], "next_page_token": "tok-1"}),
            httpx.Response(200, json={"result": [], "next_page_token": ""}),
        ]
    )
    pages = [page async for page in client.iter_account_pages(page_size=2)]
    assert [[a.name for a in page] for page in pages] == [["account 0", "account 1"]]
    assert [call.request.url.params.get("page_token") for call in route.calls] == [None, "tok-1"]


@respx.mock
async def test_fixture_page_then_empty_page(client: VoipbinClient, fixtures_root: Path) -> None:
    page = json.loads((fixtures_root / "voipbin/accounts-page.json").read_text())
    respx.get(f"{API}/conversation_accounts").mock(
        side_effect=[httpx.Response(200, json=page), httpx.Response(200, json={"result": [], "next_page_token": ""})]
    )
    accounts = await client.list_accounts()
    assert [a.type for a in accounts] == [AccountType.LINE, AccountType.WHATSAPP, AccountType.SMS]


@respx.mock
async def test_a_token_that_does_not_move_cannot_loop_forever(client: VoipbinClient) -> None:
    route = respx.get(f"{API}/conversation_accounts").mock(
        return_value=httpx.Response(200, json={"result": [account_json(0)], "next_page_token": "same"})
    )
    pages = [page async for page in client.iter_account_pages(page_size=1)]  # full pages: only the token ends it
    assert len(pages) == 2
    assert route.call_count == 2


@respx.mock
async def test_page_size_is_clamped_to_100(client: VoipbinClient) -> None:
    route = respx.get(f"{API}/flows").mock(return_value=httpx.Response(200, json={"result": []}))
    await client.list_flows()
    assert route.calls.last.request.url.params["page_size"] == "100"


@pytest.mark.parametrize(
    ("http_status", "body", "error_type", "reason"),
    [
        (
            400,
            envelope("INVALID_ARGUMENT", "INVALID_ID", "The provided id is not a valid UUID."),
            BadRequest,
            "INVALID_ID",
        ),
        (401, envelope("UNAUTHENTICATED", "INVALID_CREDENTIALS", "bad key"), Unauthenticated, "INVALID_CREDENTIALS"),
        (403, envelope("PERMISSION_DENIED", "PERMISSION_DENIED", "nope"), PermissionDenied, "PERMISSION_DENIED"),
        (
            404,
            envelope("NOT_FOUND", "CONVERSATION_ACCOUNT_NOT_FOUND", "gone"),
            NotFound,
            "CONVERSATION_ACCOUNT_NOT_FOUND",
        ),
        (500, envelope("INTERNAL", "INTERNAL", "boom"), ServerError, "INTERNAL"),
    ],
)
@respx.mock
async def test_error_envelopes_become_typed_errors(
    client: VoipbinClient, http_status: int, body: dict, error_type: type, reason: str
) -> None:
    respx.get(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(return_value=httpx.Response(http_status, json=body))
    with pytest.raises(error_type) as caught:
        await client.get_account(ACCOUNT_ID)
    error = caught.value
    assert (error.http_status, error.reason, error.request_id) == (http_status, reason, "req_1")
    assert error.status == body["error"]["status"]
    assert error.message == body["error"]["message"]
    assert "req_1" in str(error) and reason in str(error)


@respx.mock
async def test_fixture_invalid_id_envelope(client: VoipbinClient, fixtures_root: Path) -> None:
    body = json.loads((fixtures_root / "voipbin/error-invalid-id.json").read_text())
    respx.get(f"{API}/customer").mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(BadRequest) as caught:
        await client.get_customer()
    assert caught.value.request_id == "req_01JABCDEF0123456789"


@respx.mock
async def test_bare_status_uses_the_response_request_id(client: VoipbinClient) -> None:
    respx.delete(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(
        return_value=httpx.Response(500, headers={"X-Request-Id": "req_bare"})
    )
    with pytest.raises(ServerError) as caught:
        await client.delete_account(ACCOUNT_ID)
    assert caught.value.request_id == "req_bare"
    assert caught.value.reason == ""
    assert "internal error" in str(caught.value)


@respx.mock
async def test_failed_login_is_a_bare_400(client: VoipbinClient) -> None:
    respx.post("https://api.example.test/auth/login").mock(return_value=httpx.Response(400))
    with pytest.raises(Unauthenticated, match="wrong username or password"):
        await client.login("ops", "bad-password")


@respx.mock
async def test_login_token_goes_in_bearer_header(client: VoipbinClient) -> None:
    login = respx.post("https://api.example.test/auth/login").mock(
        return_value=httpx.Response(200, json={"username": "ops", "token": "jwt.payload.sig"})
    )
    customer = respx.get(f"{API}/customer").mock(
        return_value=httpx.Response(200, json={"id": ACCOUNT_ID, "webhook_secret": "whsec"})
    )
    await client.login("ops", SecretStr("pw"))
    assert json.loads(login.calls.last.request.content) == {"username": "ops", "password": "pw"}
    assert "Authorization" not in login.calls.last.request.headers
    customer_result = await client.get_customer()
    assert customer.calls.last.request.headers["Authorization"] == "Bearer jwt.payload.sig"
    assert "whsec" not in repr(customer_result)


@respx.mock
async def test_accesskey_only_in_the_cookie(client: VoipbinClient) -> None:
    route = respx.route().mock(return_value=httpx.Response(200, json={"result": []}))
    await client.list_flows()
    await client.list_accounts()
    for call in route.calls:
        request = call.request
        assert request.headers["Cookie"] == f"accesskey={ACCESSKEY}"
        assert ACCESSKEY not in str(request.url)
        assert "Authorization" not in request.headers


@respx.mock
async def test_429_waits_for_retry_after_then_succeeds(
    client: VoipbinClient, sleeps: Sleeps, fixtures_root: Path
) -> None:
    limited = json.loads((fixtures_root / "voipbin/error-rate-limited.json").read_text())
    route = respx.post(f"{API}/conversation_accounts").mock(
        side_effect=[
            httpx.Response(429, json=limited, headers={"Retry-After": "3"}),
            httpx.Response(200, json=account_json(0)),
        ]
    )
    account = await client.create_account(AccountDraft(type=AccountType.SMS, name="account 0"))
    assert account.name == "account 0"
    assert sleeps == [3.0]
    assert route.call_count == 2


@respx.mock
async def test_429_retries_are_bounded(sleeps: Sleeps) -> None:
    respx.get(f"{API}/flows").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    async with VoipbinClient(API, accesskey=ACCESSKEY, sleep=sleeps, retry=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(RateLimited) as caught:
            await client.list_flows()
    assert sleeps == [1.0, 1.0]
    assert caught.value.retry_after == 1.0


@respx.mock
async def test_429_with_an_absurd_retry_after_is_not_waited_out(client: VoipbinClient, sleeps: Sleeps) -> None:
    respx.get(f"{API}/flows").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimited):
        await client.list_flows()
    assert sleeps == []


@respx.mock
async def test_503_on_get_retries_with_backoff(client: VoipbinClient, sleeps: Sleeps) -> None:
    respx.get(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=whatsapp_json())]
    )
    assert (await client.get_account(ACCOUNT_ID)).name == "Support"
    assert sleeps == [0.5, 1.0]


@respx.mock
async def test_503_on_post_is_not_retried(client: VoipbinClient, sleeps: Sleeps) -> None:
    route = respx.post(f"{API}/conversation_accounts").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError):
        await client.create_account(AccountDraft(type=AccountType.SMS))
    assert route.call_count == 1 and sleeps == []


@respx.mock
async def test_a_dropped_connection_on_get_is_retried(client: VoipbinClient) -> None:
    respx.get(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(
        side_effect=[httpx.RemoteProtocolError("peer closed"), httpx.Response(200, json=whatsapp_json())]
    )
    assert (await client.get_account(ACCOUNT_ID)).type is AccountType.WHATSAPP


@respx.mock
async def test_unreachable_server_after_retries_is_a_clear_error(client: VoipbinClient, sleeps: Sleeps) -> None:
    respx.get(f"{API}/flows").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectionFailed, match="cannot connect to api.example.test"):
        await client.list_flows()
    assert len(sleeps) == 3


async def test_a_refused_connection_fails_at_once(sleeps: Sleeps) -> None:
    """Nothing listens on the port: retrying with backoff only makes the user wait."""
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with VoipbinClient(f"http://127.0.0.1:{port}/v1.0", accesskey=ACCESSKEY, sleep=sleeps) as closed:
        with pytest.raises(ConnectionFailed, match="connection refused"):
            await closed.list_flows()
    assert sleeps == []


@respx.mock
async def test_failed_put_rereads_the_account(client: VoipbinClient) -> None:
    current = await _get(client, whatsapp_json())
    put = respx.put(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(side_effect=httpx.RemoteProtocolError("drop"))
    respx.get(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(
        return_value=httpx.Response(200, json=whatsapp_json(name="Renamed"))
    )
    draft = AccountDraft.from_account(current).model_copy(update={"name": "Renamed"})
    with pytest.raises(ConnectionFailed) as caught:
        await client.update_account(current, draft)
    assert put.call_count == 1  # a PUT is never retried blindly
    assert caught.value.account_after is not None and caught.value.account_after.name == "Renamed"


@respx.mock
async def test_put_sends_only_the_diff(client: VoipbinClient) -> None:
    current = await _get(client, whatsapp_json())
    put = respx.put(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(
        return_value=httpx.Response(200, json=whatsapp_json(detail="new"))
    )
    draft = AccountDraft.from_account(current).model_copy(update={"detail": "new", "token": SecretStr("EAAnew")})
    updated = await client.update_account(current, draft)
    assert json.loads(put.calls.last.request.content) == {"detail": "new", "token": "EAAnew"}
    assert updated.detail == "new"


async def _get(client: VoipbinClient, data: dict):
    """Read an account through the client, as a screen would before editing it (a later
    route for the same URL replaces this one)."""
    respx.get(f"{API}/conversation_accounts/{data['id']}").mock(return_value=httpx.Response(200, json=data))
    return await client.get_account(data["id"])


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "", "../customer"])
async def test_invalid_ids_are_refused_before_sending(client: VoipbinClient, bad_id: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        with pytest.raises(InvalidId):
            await client.get_account(bad_id)
    assert route.call_count == 0


@respx.mock
async def test_a_non_json_success_is_a_clear_error(client: VoipbinClient) -> None:
    respx.get(f"{API}/customer").mock(return_value=httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(UnexpectedResponse, match="did not answer JSON"):
        await client.get_customer()


@respx.mock
async def test_conversations_are_filtered_by_account_client_side(client: VoipbinClient) -> None:
    other = "11111111-1111-1111-1111-111111111111"
    conversations = [
        {"id": str(UUID(int=10)), "account_id": ACCOUNT_ID, "dialog_id": "16505551234", "self": {"type": "whatsapp"}},
        {"id": str(UUID(int=11)), "account_id": other},
        {"id": str(UUID(int=12)), "account_id": "00000000-0000-0000-0000-000000000000"},
    ]
    respx.get(f"{API}/conversations").mock(
        side_effect=[
            httpx.Response(200, json={"result": conversations, "next_page_token": "t"}),
            httpx.Response(200, json={"result": []}),
        ]
    )
    found = [c async for c in client.iter_conversations(account_id=ACCOUNT_ID)]
    assert [c.dialog_id for c in found] == ["16505551234"]
    assert found[0].self_.type == "whatsapp"


@respx.mock
async def test_messages_and_send(client: VoipbinClient) -> None:
    conversation = str(UUID(int=10))
    message = {
        "id": str(UUID(int=20)),
        "conversation_id": conversation,
        "direction": "outgoing",
        "status": "progressing",
        "text": "hi",
        "medias": None,
    }
    respx.get(f"{API}/conversations/{conversation}/messages").mock(
        side_effect=[
            httpx.Response(200, json={"result": [message], "next_page_token": "t"}),
            httpx.Response(200, json={"result": []}),
        ]
    )
    send = respx.post(f"{API}/conversations/{conversation}/messages").mock(
        return_value=httpx.Response(200, json=message)
    )
    assert [m.text async for m in client.iter_messages(conversation)] == ["hi"]
    sent = await client.send_message(conversation, "hi")
    assert json.loads(send.calls.last.request.content) == {"text": "hi"}
    assert sent.medias == []


@respx.mock
async def test_injected_transport_is_used() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": []})

    async with VoipbinClient("http://sandbox.local:1/v1.0", accesskey="k", transport=httpx.MockTransport(handler)) as c:
        assert await c.list_flows() == []
    assert str(seen[0].url).startswith("http://sandbox.local:1/v1.0/flows?")


@respx.mock
async def test_debug_logs_never_carry_secrets(client: VoipbinClient, caplog: pytest.LogCaptureFixture) -> None:
    respx.get(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(return_value=httpx.Response(200, json=whatsapp_json()))
    respx.put(f"{API}/conversation_accounts/{ACCOUNT_ID}").mock(return_value=httpx.Response(500))
    with caplog.at_level(logging.DEBUG):
        current = await client.get_account(ACCOUNT_ID)
        draft = AccountDraft.from_account(current).model_copy(update={"token": SecretStr("EAAsecret-token")})
        with pytest.raises(ServerError) as caught:
            await client.update_account(current, draft)
    text = caplog.text + str(caught.value) + repr(caught.value) + repr(current) + repr(draft)
    for secret in (ACCESSKEY, APP_SECRET, "EAAsecret-token"):
        assert secret not in text
    assert "PUT /conversation_accounts" in caplog.text  # the log does say what happened
