"""The provider clients on what the sandbox cannot do on demand: throttling, a provider that
never answers, and the redaction of every credential from the evidence."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import SecretStr

from tests.doctor.conftest import report, seeded
from voipbin_tui.api.graph import GraphClient, GraphError, GraphRateLimited
from voipbin_tui.api.line_channel import LineChannelClient, LineError, LineRateLimited
from voipbin_tui.api.provider_http import ProviderHttp, ProviderUnreachable, redact_document
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import DoctorSecrets

TOKEN = SecretStr("EAAtoken-value-that-must-never-show-0123456789")
APP_SECRET = SecretStr("0123456789abcdef0123456789abcdef")


def graph_answering(status: int, body: object, seen: list[httpx.Request] | None = None) -> GraphClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    http = ProviderHttp("https://graph.test", hidden=[TOKEN.get_secret_value()], transport=httpx.MockTransport(answer))
    return GraphClient(http, "v26.0")


@pytest.mark.parametrize(("status", "code"), [(400, 4), (400, 17), (400, 32), (400, 613), (400, 80007), (429, None)])
async def test_graph_throttling_is_reported_once_not_retried(status: int, code: int | None) -> None:
    seen: list[httpx.Request] = []
    body = {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": code}}
    graph = graph_answering(status, body if code is not None else {}, seen)
    with pytest.raises(GraphRateLimited) as raised:
        await graph.debug_token(TOKEN)
    assert len(seen) == 1
    assert "rate-limiting" in str(raised.value)


async def test_a_graph_error_envelope_is_parsed_with_its_code_and_subcode() -> None:
    body = {
        "error": {
            "message": "Unsupported get request. Object with ID '1' does not exist",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "Atrace",
        }
    }
    with pytest.raises(GraphError) as raised:
        await graph_answering(400, body).phone_number("1", TOKEN)
    assert raised.value.is_unknown_object and not raised.value.is_invalid_proof
    assert raised.value.exchange.status == 400


async def test_evidence_redacts_tokens_proofs_and_secrets_in_query_and_answer() -> None:
    seen: list[httpx.Request] = []
    graph = graph_answering(200, {"id": "1", "access_token": "leaked-in-an-answer"}, seen)
    answered = await graph.phone_number("1", TOKEN, app_secret=APP_SECRET)
    shown = "\n".join(answered.exchange.lines())
    assert "appsecret_proof=[redacted]" in shown and "appsecret_time=" in shown
    assert "leaked-in-an-answer" not in shown and TOKEN.get_secret_value() not in shown
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN.get_secret_value()}"  # sent, never shown
    fields = await graph_answering(200, {"data": []}).app_subscriptions("42", APP_SECRET)
    assert APP_SECRET.get_secret_value() not in "\n".join(fields.exchange.lines())
    assert "access_token=[redacted]" in fields.exchange.lines()[0]


async def test_a_known_secret_echoed_anywhere_in_an_answer_is_hidden() -> None:
    echo = {"error": {"message": f"bad token {TOKEN.get_secret_value()}", "code": 190}}
    with pytest.raises(GraphError) as raised:
        await graph_answering(401, echo).debug_token(TOKEN)
    assert TOKEN.get_secret_value() not in "\n".join(raised.value.exchange.lines())
    assert TOKEN.get_secret_value() not in str(raised.value.exchange)
    assert TOKEN.get_secret_value() not in str(raised.value) and "bad token [redacted]" in str(raised.value)


def test_credential_fields_are_redacted_at_any_depth() -> None:
    document = {"data": [{"access_token": "a", "nested": {"client_secret": "b", "keep": "c"}}]}
    assert redact_document(document) == {
        "data": [{"access_token": "[redacted]", "nested": {"client_secret": "[redacted]", "keep": "c"}}]
    }


async def test_a_provider_that_never_answers_times_out() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    http = ProviderHttp("https://api.line.test", transport=httpx.MockTransport(hang), timeout=0.5)
    with pytest.raises(ProviderUnreachable) as raised:
        await LineChannelClient(http).bot_info(TOKEN)
    assert "did not answer in time" in str(raised.value)
    assert raised.value.exchange.status is None


async def test_line_429_and_error_shapes() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/bot/info":
            return httpx.Response(429, json={"message": "The API rate limit has been exceeded."})
        return httpx.Response(400, json={"error": "invalid_client", "error_description": "invalid client"})

    line = LineChannelClient(ProviderHttp("https://api.line.test", transport=httpx.MockTransport(answer)))
    with pytest.raises(LineRateLimited):
        await line.bot_info(TOKEN)
    with pytest.raises(LineError) as raised:
        await line.issue_stateless_token("2006543210", APP_SECRET)
    assert str(raised.value) == "invalid client" and raised.value.http_status == 400
    assert "client_secret" not in raised.value.exchange.path  # a form body is never shown


def graph_double(token_data: dict[str, object]) -> httpx.AsyncClient:
    """A Graph API answering ``debug_token`` with ``token_data`` (what the sandbox's seeded token
    never is: about to expire, short of a scope) and the number as the sandbox's seed has it."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/debug_token"):
            return httpx.Response(200, json={"data": token_data})
        return httpx.Response(200, json={"id": "1", "display_phone_number": "15550783881"})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


VALID_TOKEN = {
    "app_id": "670843887433847",
    "application": "Acme Support",
    "is_valid": True,
    "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
    "expires_at": 0,
}


@pytest.mark.parametrize(
    ("changes", "status", "said"),
    [
        ({}, "pass", "never expires"),
        ({"expires_at": int(time.time()) + 2 * 86400}, "warn", "expires in 2.0 days"),
        ({"expires_at": int(time.time()) + 30 * 86400}, "pass", "expires in 30 days"),
        ({"scopes": ["whatsapp_business_management"]}, "fail", "lacks whatsapp_business_messaging"),
        ({"is_valid": False, "error": {"code": 190, "subcode": 460, "message": "invalidated"}}, "fail", "rejects"),
    ],
)
async def test_token_verdicts_meta_can_give(
    connection: Connection, changes: dict[str, object], status: str, said: str
) -> None:
    account = await seeded(connection, "whatsapp")
    async with graph_double(VALID_TOKEN | changes) as graph:
        results = await report(connection, account.id, DoctorSecrets.of(token="EAAx"), http=graph)
    assert results["meta.token"].status == status and said in results["meta.token"].summary, results["meta.token"]
