"""The provider clients against answers no real provider should give but a broken one, a proxy
or an attacker in between can: endless or trickling bodies, JSON nested past what Python
parses, and a token echoed back in another spelling. None may hang a check, exhaust memory,
escape as an unexpected exception or show a secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote, quote_plus

import httpx
import pytest
from pydantic import SecretStr

from tests.doctor.conftest import report, seeded
from tests.helpers import StreamedBody
from voipbin_tui.api.line_channel import LineChannelClient, LineError
from voipbin_tui.api.provider_http import ANSWER_BYTES_LIMIT, ProviderHttp, ProviderUnreachable
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import DoctorSecrets

LINE_TOKEN = SecretStr("kL9x/Qw+Zr7m/TnB3vYpA8s=")
"""LINE's long-lived channel tokens are base64: ``/``, ``+`` and ``=`` change when quoted."""
GUARD_SECONDS = 10.0


def streaming(chunks: AsyncIterator[bytes], *, deadline: float = 20.0) -> ProviderHttp:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=StreamedBody(chunks), headers={"Content-Type": "application/json"})

    return ProviderHttp("https://api.line.test", transport=httpx.MockTransport(answer), deadline=deadline)


async def test_a_huge_answer_is_not_read_past_the_limit() -> None:
    sent = 0

    async def huge() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent < 32 * ANSWER_BYTES_LIMIT:
            await asyncio.sleep(0)
            sent += 65536
            yield b" " * 65536

    with pytest.raises(ProviderUnreachable) as raised:
        await asyncio.wait_for(LineChannelClient(streaming(huge())).bot_info(LINE_TOKEN), GUARD_SECONDS)
    assert "answered more than 1024 KiB" in str(raised.value)
    assert sent <= ANSWER_BYTES_LIMIT + 65536
    assert raised.value.exchange.status is None


async def test_an_answer_announced_too_large_is_not_read() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"{}" + b" " * (ANSWER_BYTES_LIMIT + 1))

    http = ProviderHttp("https://api.line.test", transport=httpx.MockTransport(answer))
    with pytest.raises(ProviderUnreachable, match="more than 1024 KiB"):
        await LineChannelClient(http).bot_info(LINE_TOKEN)


async def test_a_trickling_answer_ends_at_the_call_deadline() -> None:
    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"userId": "U'
        while True:  # each byte well within httpx's per-read timeout
            await asyncio.sleep(0.05)
            yield b"0"

    started = asyncio.get_running_loop().time()
    with pytest.raises(ProviderUnreachable) as raised:
        await asyncio.wait_for(
            LineChannelClient(streaming(trickle(), deadline=0.5)).bot_info(LINE_TOKEN), GUARD_SECONDS
        )
    assert "did not finish answering within 0.5 s" in str(raised.value)
    assert asyncio.get_running_loop().time() - started < 3


async def test_json_nested_past_what_python_parses_is_an_answer_that_is_not_json() -> None:
    depth = 200_000

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" * depth + b"]" * depth)

    http = ProviderHttp("https://graph.test", transport=httpx.MockTransport(answer))
    answered = await http.call("GET", "/v26.0/debug_token")
    assert answered.status == 200 and answered.document is None
    assert answered.exchange.answer.endswith(f"({2 * depth} bytes)") and len(answered.exchange.answer) < 500


@pytest.mark.parametrize(
    "spelling",
    [
        quote(LINE_TOKEN.get_secret_value(), safe=""),
        quote_plus(LINE_TOKEN.get_secret_value(), safe=""),
        LINE_TOKEN.get_secret_value().replace("/", "\\/"),
    ],
    ids=["percent-encoded", "form-encoded", "json-escaped"],
)
async def test_a_token_echoed_in_another_spelling_is_hidden(spelling: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text=f"<html>invalid access_token={spelling}</html>")

    http = ProviderHttp(
        "https://api.line.test", hidden=[LINE_TOKEN.get_secret_value()], transport=httpx.MockTransport(answer)
    )
    with pytest.raises(LineError) as raised:
        await LineChannelClient(http).bot_info(LINE_TOKEN)
    shown = "\n".join(raised.value.exchange.lines())
    assert spelling not in shown and "access_token=[redacted]" in shown


GARBAGE = [
    b"[]",
    b'"a string"',
    b"null",
    b"<html>\x1b[31mBad Gateway</html>",
    b'{"data": "x", "error": "y"}',
    b'{"data": [1, null, "x"], "id": 5}',
    b'{"error": {"code": "190", "message": ["x"], "error_subcode": {}}}',
    b'{"data": {"is_valid": "yes", "scopes": 5, "granular_scopes": [1], "expires_at": "soon"}}',
    b'{"id": [], "display_phone_number": {"a": 1}, "health_status": [], "webhook_configuration": 7}',
    b'{"data": [{"whatsapp_business_api_data": 3}, {"callback_url": 1, "fields": "messages"}]}',
    b'{"userId": 1, "displayName": ["x"], "endpoint": false, "active": "on", "expires_in": "long"}',
    b'{"success": "yes", "statusCode": "x", "client_id": 1, "access_token": 2}',
    b"[" * 100_000,
]


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
@pytest.mark.parametrize("kind", ["whatsapp", "line"])
async def test_every_check_survives_garbage_from_the_provider(
    connection: Connection, kind: str, status: int, body: bytes
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    account = await seeded(connection, kind)
    secrets = DoctorSecrets.of(token="EAAx-0123456789", channel_secret="0123456789abcdef")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as provider:
        results = await report(connection, account.id, secrets, end_to_end="skip", http=provider)
    for result in results.values():
        assert "the check itself failed" not in result.summary, (result.id, result.summary)
        assert all("\x1b" not in line for line in (result.summary, *result.evidence)), result.id


async def test_ids_from_graphs_answers_stay_one_path_segment(connection: Connection) -> None:
    """An app or WABA id Graph names is put in the next call's path, which carries the token
    or the app secret: whatever it holds, it cannot reach another path or add a parameter."""
    hostile_id = "1/../../oauth/access_token?client_secret=x#"
    paths: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.partition(b"?")[0])
        if request.url.path.endswith("/debug_token"):
            scopes = [{"scope": "whatsapp_business_management", "target_ids": [hostile_id]}]
            return httpx.Response(
                200, json={"data": {"app_id": hostile_id, "is_valid": True, "granular_scopes": scopes}}
            )
        return httpx.Response(400, json={"error": {"message": "Unsupported", "code": 100, "error_subcode": 33}})

    account = await seeded(connection, "whatsapp")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as graph:
        await report(connection, account.id, DoctorSecrets.of(token="EAAx-0123"), end_to_end="skip", http=graph)
    asked = [path for path in paths if b"subscri" in path]
    assert len(asked) == 2, paths
    for path in asked:
        *_, node, edge = path.split(b"/")
        assert node == quote(hostile_id, safe="").encode() and edge in (b"subscribed_apps", b"subscriptions"), path
