"""The REST emulation behaves as voipbin-api.md says VoIPBIN does (and refuses bad data)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from pydantic import SecretStr

from tests.backend.conftest import ACCESSKEY, create_whatsapp_account, fixture_bytes
from voipbin_tui.api import AccountDraft, AccountType, BadRequest, NotFound, Unauthenticated, VoipbinClient
from voipbin_tui.api.models import NIL_UUID
from voipbin_tui.api.timestamps import format_page_token
from voipbin_tui.backend.auth import issue_jwt, jwt_is_valid
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import DATABASE_FILENAME, Store

KEY = {"accesskey": ACCESSKEY}
VOIPBIN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def error_of(response: httpx.Response) -> dict[str, object]:
    return response.json()["error"]


# -- auth, request ids, routing ------------------------------------------------------------


async def test_no_credentials_is_401_with_the_envelope_and_a_request_id(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1.0/conversation_accounts")
    assert response.status_code == 401
    error = error_of(response)
    assert (error["status"], error["reason"]) == ("UNAUTHENTICATED", "AUTHENTICATION_REQUIRED")
    assert error["details"] == []
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert response.headers["X-Request-Id"].startswith("req_")


async def test_a_wrong_access_key_is_invalid_credentials(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1.0/flows", headers={"Cookie": "accesskey=wrong"})
    assert response.status_code == 401
    assert error_of(response)["reason"] == "INVALID_CREDENTIALS"


async def test_the_access_key_works_as_cookie_and_as_query(rest: httpx.AsyncClient, http: httpx.AsyncClient) -> None:
    assert (await rest.get("/v1.0/flows")).status_code == 200
    assert (await http.get("/v1.0/flows", params=KEY)).status_code == 200


async def test_an_access_key_sent_as_bearer_is_parsed_as_a_jwt_and_refused(rest: httpx.AsyncClient) -> None:
    response = await rest.get("/v1.0/flows", headers={"Authorization": f"Bearer {ACCESSKEY}"})
    assert response.status_code == 401
    assert error_of(response)["reason"] == "INVALID_CREDENTIALS"


async def test_login_gives_a_jwt_the_client_can_use(sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(sandbox.api_url) as client:
        token = await client.login("sandbox", ACCESSKEY)
        assert token.get_secret_value().count(".") == 2
        assert len(await client.list_flows()) >= 3


async def test_a_failed_login_is_a_bare_400(http: httpx.AsyncClient, sandbox: EmbeddedBackend) -> None:
    response = await http.post("/auth/login", json={"username": "sandbox", "password": "nope"})
    assert (response.status_code, response.content) == (400, b"")
    assert "X-Request-Id" in response.headers
    async with VoipbinClient(sandbox.api_url) as client:
        with pytest.raises(Unauthenticated):
            await client.login("sandbox", "nope")


def test_jwts_expire_after_seven_days_and_resist_tampering() -> None:
    key = SecretStr("k" * 20)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = issue_jwt(key, username="sandbox", now=now)
    assert jwt_is_valid(key, token, now=now + timedelta(days=6, hours=23))
    assert not jwt_is_valid(key, token, now=now + timedelta(days=7))
    assert not jwt_is_valid(SecretStr("another key"), token, now=now)
    header, claims, signature = token.split(".")
    assert not jwt_is_valid(key, f"{header}.{claims}x.{signature}", now=now)
    assert not jwt_is_valid(key, "not.a.jwt", now=now)
    assert not jwt_is_valid(key, "caf\u00e9", now=now)


async def test_a_valid_client_request_id_is_echoed_and_an_invalid_one_replaced(
    rest: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    echoed = await rest.get("/v1.0/flows", headers={"X-Request-Id": "my-id_42"})
    assert echoed.headers["X-Request-Id"] == "my-id_42"
    replaced = await http.get("/v1.0/nowhere", headers={"X-Request-Id": "bad id!"})
    assert replaced.headers["X-Request-Id"].startswith("req_")
    assert error_of(replaced)["request_id"] == replaced.headers["X-Request-Id"]
    too_long = await rest.get("/v1.0/flows", headers={"X-Request-Id": "a" * 65})
    assert too_long.headers["X-Request-Id"] != "a" * 65


async def test_an_internal_error_still_answers_the_envelope_and_request_id(
    fresh_backend: Callable[..., EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = fresh_backend()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Store, "list_flows", broken)
    async with httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http:
        response = await http.get("/flows", headers={"X-Request-Id": "trace-me"})
    assert response.status_code == 500
    assert error_of(response) == {
        "status": "INTERNAL",
        "reason": "INTERNAL",
        "message": "the sandbox had an internal error",
        "request_id": "trace-me",
        "details": [],
    }
    assert response.headers["X-Request-Id"] == "trace-me"
    assert "simulated bug" not in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1.0/conversation-accounts"),  # the docs' hyphen: not a route
        ("GET", "/v1.0/conversation_accounts/"),  # no trailing-slash redirect either
        ("GET", "/nowhere"),
        ("PATCH", "/v1.0/conversation_accounts"),  # a wrong method: 404, never 405
        ("DELETE", "/v1.0/flows"),
        ("PUT", "/v1.0/conversation/accounts/whatever"),
        ("GET", "/inspector/v1/voipbin-events"),
    ],
)
@pytest.mark.slow
async def test_unknown_routes_and_methods_are_route_not_found(rest: httpx.AsyncClient, method: str, path: str) -> None:
    response = await rest.request(method, path)
    assert response.status_code == 404
    assert error_of(response)["reason"] == "ROUTE_NOT_FOUND"
    assert "X-Request-Id" in response.headers


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(NIL_UUID)])
async def test_non_uuid_and_nil_ids_are_invalid_id(rest: httpx.AsyncClient, bad_id: str) -> None:
    for path in (f"/v1.0/conversation_accounts/{bad_id}", f"/v1.0/conversations/{bad_id}/messages"):
        response = await rest.get(path)
        assert response.status_code == 400
        assert error_of(response)["reason"] == "INVALID_ID"


async def test_an_unknown_account_is_404_account_not_found(client: VoipbinClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.get_account(uuid4())
    assert caught.value.reason == "CONVERSATION_ACCOUNT_NOT_FOUND"


async def test_the_invalid_id_envelope_matches_voipbin(rest: httpx.AsyncClient) -> None:
    expected = json.loads(fixture_bytes("voipbin/error-invalid-id.json"))["error"]
    error = error_of(await rest.get("/v1.0/conversation_accounts/12345"))
    assert {key: error[key] for key in ("status", "reason", "message")} == {
        key: expected[key] for key in ("status", "reason", "message")
    }


# -- accounts --------------------------------------------------------------------------------


async def test_accounts_have_the_fields_voipbin_returns(client: VoipbinClient, rest: httpx.AsyncClient) -> None:
    page = json.loads(fixture_bytes("voipbin/accounts-page.json"))
    whatsapp_fields = set(next(a for a in page["result"] if a["type"] == "whatsapp"))
    account, _ = await create_whatsapp_account(client, detail="every field set")
    assert set((await rest.get(f"/v1.0/conversation_accounts/{account.id}")).json()) == whatsapp_fields
    sms = (await rest.post("/v1.0/conversation_accounts", json={"type": "sms"})).json()
    assert set(sms) == set(next(a for a in page["result"] if a["type"] == "sms"))


async def test_create_answers_200_with_provider_data_and_never_the_write_only_fields(
    rest: httpx.AsyncClient, client: VoipbinClient
) -> None:
    flow = (await client.list_flows())[0]
    body = {
        "type": "whatsapp",
        "name": "Created",
        "token": "EAA-token-value-0123456789",
        "secret": "verify-me-please",
        "message_flow_id": str(flow.id),
        "provider_data": {"phone_number_id": "123456789012345", "app_secret": "abcdef1234567890abcdef1234567890"},
    }
    response = await rest.post("/v1.0/conversation_accounts", json=body)
    assert response.status_code == 200
    created = response.json()
    assert "token" not in created and "secret" not in created
    assert "EAA-token-value" not in response.text and "verify-me-please" not in response.text
    assert created["provider_data"] == body["provider_data"]
    assert created["message_flow_id"] == str(flow.id)
    assert VOIPBIN_TIME.match(created["tm_create"]) and created["tm_update"] is None and created["tm_delete"] is None
    again = await rest.get(f"/v1.0/conversation_accounts/{created['id']}")
    assert again.json() == created


async def test_empty_fields_are_omitted_and_no_flow_is_the_nil_uuid(rest: httpx.AsyncClient) -> None:
    response = await rest.post("/v1.0/conversation_accounts", json={"type": "sms"})
    created = response.json()
    assert response.status_code == 200
    assert "name" not in created and "detail" not in created and "provider_data" not in created
    assert created["type"] == "sms"
    assert created["message_flow_id"] == "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "whatsapp", "name": "x"}, ["token", "secret", "phone_number_id", "app_secret"]),
        (
            {"type": "whatsapp", "token": "t", "secret": "s", "provider_data": {"phone_number_id": "12ab"}},
            ["phone_number_id", "app_secret"],
        ),
        ({"type": "line", "secret": "only-the-secret"}, ["token"]),
        ({"type": "telegram"}, ["type"]),
        ({}, ["type"]),
        ({"type": "sms", "name": "n" * 256}, ["name"]),
        ({"type": "sms", "name": 5}, ["name"]),
        ({"type": "sms", "message_flow_id": "not-a-uuid"}, ["message_flow_id"]),
        ({"type": "sms", "message_flow_id": str(uuid4())}, ["message_flow_id"]),
    ],
)
@pytest.mark.slow
async def test_create_refuses_bad_accounts_naming_the_fields(
    rest: httpx.AsyncClient, body: dict[str, object], fields: list[str]
) -> None:
    response = await rest.post("/v1.0/conversation_accounts", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["status"], error["reason"]) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
    for field in fields:
        assert field in str(error["message"])
        assert field in {detail["field"] for detail in error["details"]}  # type: ignore[union-attr]


async def test_bodies_that_are_not_json_objects_are_refused(rest: httpx.AsyncClient) -> None:
    for body in (b"{nope", b"\xff\xfe", b"[" * 100_000):
        refused = await rest.post("/v1.0/conversation_accounts", content=body)
        assert (refused.status_code, error_of(refused)["reason"]) == (400, "INVALID_JSON_BODY")
    a_list = await rest.post("/v1.0/conversation_accounts", json=[1, 2])
    assert (a_list.status_code, error_of(a_list)["reason"]) == (400, "INVALID_ARGUMENT")


async def test_text_that_is_not_valid_unicode_is_refused(rest: httpx.AsyncClient) -> None:
    """A JSON escape can carry a lone surrogate, which no UTF-8 store or answer can hold."""
    for path, body in (
        ("/v1.0/conversation_accounts", b'{"type": "sms", "name": "bad \\ud800 name"}'),
        ("/v1.0/conversation_accounts", b'{"type": "sms", "provider_data": {"x": "\\udfff"}}'),
        ("/v1.0/customer", b'{"name": "\\ud83d"}'),
    ):
        response = await rest.request("PUT" if path.endswith("customer") else "POST", path, content=body)
        assert (response.status_code, error_of(response)["reason"]) == (400, "INVALID_ARGUMENT"), body


async def test_delete_is_soft_returns_the_account_and_is_idempotent(client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    deleted = await client.delete_account(account.id)
    assert deleted.id == account.id and deleted.is_deleted and deleted.tm_update == deleted.tm_delete
    again = await client.delete_account(account.id)
    assert again.tm_delete == deleted.tm_delete
    assert (await client.get_account(account.id)).is_deleted
    assert account.id not in {listed.id for listed in await client.list_accounts()}


async def test_deleted_accounts_can_still_be_updated(rest: httpx.AsyncClient, client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    await client.delete_account(account.id)
    response = await rest.put(f"/v1.0/conversation_accounts/{account.id}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["tm_delete"] is not None


async def test_put_is_partial_and_provider_data_is_replaced_whole(
    rest: httpx.AsyncClient, client: VoipbinClient
) -> None:
    account, app_secret = await create_whatsapp_account(client, detail="kept")
    url = f"/v1.0/conversation_accounts/{account.id}"
    renamed = await rest.put(url, json={"name": "New name"})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["detail"]) == ("New name", "kept")
    assert renamed.json()["tm_update"] is not None

    # Rotating the app secret alone drops phone_number_id: provider_data is one value.
    partial = await rest.put(url, json={"provider_data": {"app_secret": "f" * 32}})
    assert partial.status_code == 400 and "phone_number_id" in str(error_of(partial)["message"])
    whole = {"phone_number_id": "106540352242922", "app_secret": "f" * 32}
    rotated = await rest.put(url, json={"provider_data": whole})
    assert rotated.json()["provider_data"] == whole
    assert app_secret not in rotated.text


async def test_an_empty_update_is_refused_with_the_reason(rest: httpx.AsyncClient, client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    response = await rest.put(f"/v1.0/conversation_accounts/{account.id}", json={})
    assert response.status_code == 400
    assert "zeroed" in str(error_of(response)["message"])
    assert (await client.get_account(account.id)).name == account.name


async def test_the_type_cannot_change(rest: httpx.AsyncClient, client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    response = await rest.put(f"/v1.0/conversation_accounts/{account.id}", json={"type": "sms"})
    assert response.status_code == 400 and "type" in str(error_of(response)["message"])


async def test_flow_assignment_on_update(rest: httpx.AsyncClient, client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    url = f"/v1.0/conversation_accounts/{account.id}"
    unassigned = await rest.put(url, json={"message_flow_id": ""})
    assert unassigned.json()["message_flow_id"] == str(NIL_UUID)
    unknown = await rest.put(url, json={"message_flow_id": str(uuid4())})
    assert unknown.status_code == 400 and "message_flow_id" in str(error_of(unknown)["message"])
    nil = await rest.put(url, json={"message_flow_id": str(NIL_UUID)})
    assert nil.status_code == 400
    flow = (await client.list_flows())[-1]
    assigned = await rest.put(url, json={"message_flow_id": str(flow.id)})
    assert assigned.json()["message_flow_id"] == str(flow.id)


async def test_the_client_update_round_trip_changes_only_what_changed(client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client)
    draft = AccountDraft.from_account(account)
    draft.detail = "edited through the client"
    draft.secret = SecretStr("a-new-verify-token")
    updated = await client.update_account(account, draft)
    assert updated.detail == "edited through the client"
    assert updated.name == account.name and updated.app_secret == account.app_secret


async def test_write_only_secrets_are_stored_for_the_hook(sandbox: EmbeddedBackend, client: VoipbinClient) -> None:
    account, _ = await create_whatsapp_account(client, verify_token="stored-verify-token")
    with sqlite3.connect(sandbox.config.data_dir / DATABASE_FILENAME) as db:
        secret, token = db.execute("SELECT secret, token FROM accounts WHERE id = ?", (str(account.id),)).fetchone()
    assert secret == "stored-verify-token" and token.startswith("EAA")


# -- pagination --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_pages_are_newest_first_with_a_token_on_every_non_empty_page(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend()
    async with (
        VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client,
        httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http,
    ):
        created = [await client.create_account(AccountDraft(type=AccountType.SMS, name=f"sms {n}")) for n in range(105)]
        first = (await http.get("/conversation_accounts")).json()
        assert [a["name"] for a in first["result"][:2]] == ["sms 104", "sms 103"]
        assert len(first["result"]) == 100
        assert first["next_page_token"] == format_page_token(created[5].tm_create)  # type: ignore[arg-type]
        last = (await http.get("/conversation_accounts", params={"page_token": first["next_page_token"]})).json()
        assert [a["name"] for a in last["result"]] == [f"sms {n}" for n in range(4, -1, -1)]
        assert last["next_page_token"] == format_page_token(created[0].tm_create)  # type: ignore[arg-type]
        empty = (await http.get("/conversation_accounts", params={"page_token": last["next_page_token"]})).json()
        assert empty == {"result": [], "next_page_token": ""}

        small = (await http.get("/conversation_accounts", params={"page_size": 3})).json()
        assert [a["name"] for a in small["result"]] == ["sms 104", "sms 103", "sms 102"]
        for clamped in ("0", "-5", "101", "1000"):
            page = (await http.get("/conversation_accounts", params={"page_size": clamped})).json()
            assert len(page["result"]) == 100
        not_a_number = await http.get("/conversation_accounts", params={"page_size": "ten"})
        assert (not_a_number.status_code, error_of(not_a_number)["reason"]) == (400, "INVALID_REQUEST_PARAMETER")
        bad_token = await http.get("/conversation_accounts", params={"page_token": "yesterday"})
        assert bad_token.status_code == 400

        await client.delete_account(created[104].id)
        assert len(await client.list_accounts()) == 104


async def test_times_are_formatted_as_voipbin_does(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend()
    async with httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http:
        account = (await http.post("/conversation_accounts", json={"type": "sms"})).json()
    # The stepping clock starts at 10:00:00.000 and moves 1 ms per reading.
    assert re.match(r"^2026-03-01T10:00:00\.0\d\dZ$", account["tm_create"])
    assert not account["tm_create"].endswith("0Z")  # trailing zeros dropped


# -- flows, conversations, messages, customer --------------------------------------------------


async def test_seeded_flows_conversations_and_messages(client: VoipbinClient) -> None:
    flows = await client.list_flows()
    assert {"Support triage", "After-hours auto-reply", "Order status bot"} <= {flow.name for flow in flows}
    seeded = min((a for a in await client.list_accounts() if a.type == "whatsapp"), key=lambda a: a.tm_create)  # type: ignore[arg-type, return-value]
    conversations = [c async for c in client.iter_conversations()]
    sheena = next(c for c in conversations if c.dialog_id == "16505551234" and c.account_id == seeded.id)
    assert sheena.type == "whatsapp" and sheena.name == "Sheena Nelson"
    messages = [m async for m in client.iter_messages(sheena.id)]
    assert {m.direction for m in messages} == {"incoming", "outgoing"}
    assert messages == sorted(messages, key=lambda m: m.tm_create, reverse=True)  # type: ignore[arg-type, return-value]
    line = next(c for c in conversations if c.type == "line")
    assert line.account_id == NIL_UUID  # as on VoIPBIN: only WhatsApp conversations carry it
    assert await client.get_conversation(sheena.id) == sheena


async def test_sending_a_message_marks_it_done_and_hides_its_wamid(
    sandbox: EmbeddedBackend, rest: httpx.AsyncClient, client: VoipbinClient
) -> None:
    # the seeded account (the oldest): Meta takes its token; other tests' accounts have made-up ones
    seeded = [account for account in await client.list_accounts() if account.type == "whatsapp"][-1]
    conversation = [c async for c in client.iter_conversations(account_id=seeded.id)][0]
    response = await rest.post(f"/v1.0/conversations/{conversation.id}/messages", json={"text": "On its way!"})
    assert response.status_code == 200
    sent = response.json()
    assert (sent["direction"], sent["status"], sent["text"]) == ("outgoing", "done", "On its way!")
    assert "transaction_id" not in sent
    with sqlite3.connect(sandbox.config.data_dir / DATABASE_FILENAME) as db:
        (transaction_id,) = db.execute("SELECT transaction_id FROM messages WHERE id = ?", (sent["id"],)).fetchone()
    assert transaction_id.startswith("wamid.")
    empty = await rest.post(f"/v1.0/conversations/{conversation.id}/messages", json={"text": " "})
    assert empty.status_code == 400


async def test_unknown_conversations_are_404(client: VoipbinClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.get_conversation(uuid4())
    assert caught.value.reason == "CONVERSATION_NOT_FOUND"
    with pytest.raises(NotFound):
        await client.send_message(uuid4(), "hello")


async def test_customer_put_replaces_every_field(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend(seed=True)
    async with httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http:
        before = (await http.get("/customer")).json()
        assert before["webhook_secret"] and before["name"] == "Acme Support"
        replaced = await http.put(
            "/customer", json={"webhook_uri": "https://example.com/hook", "webhook_method": "POST", "name": "New"}
        )
        assert replaced.status_code == 200
        after = replaced.json()
        assert (after["name"], after["webhook_uri"], after["webhook_method"]) == (
            "New",
            "https://example.com/hook",
            "POST",
        )
        assert after["webhook_secret"] == "" and after["email"] == ""  # left out means emptied
        bad = await http.put("/customer", json={"webhook_uri": "ftp://example.com", "webhook_method": "FETCH"})
        assert bad.status_code == 400
        assert {d["field"] for d in error_of(bad)["details"]} == {"webhook_uri", "webhook_method"}  # type: ignore[union-attr]


async def test_a_validation_error_reaches_the_client_as_bad_request(
    client: VoipbinClient, rest: httpx.AsyncClient
) -> None:
    response = await rest.post("/v1.0/conversation_accounts", json={"type": "line"})
    assert response.status_code == 400
    with pytest.raises(BadRequest):
        await client.request("POST", "conversation_accounts", json={"type": "line"})
