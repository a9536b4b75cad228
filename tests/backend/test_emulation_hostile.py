"""The emulated providers under hostile or broken input, and their secrets: every bad body is a
400 in the provider's own shape (never a 500), and no token or secret reaches a log line or an
error, whatever path the emulation takes."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.backend.emulation import BEARER, Emulation, graph_error, seeded
from voipbin_tui.api import AccountDraft, AccountType, BadRequest
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend

LINE_BEARER = {"Authorization": f"Bearer {seed.SEED_LINE_CHANNEL_TOKEN}"}


@pytest.fixture
async def emulation(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as started:
        yield started


async def test_broken_bodies_are_400_in_each_providers_shape(emulation: Emulation) -> None:
    line, graph = emulation.line, emulation.graph
    bad_form = await line.post(
        "/oauth2/v3/token",
        content=b"grant_type=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad_form.status_code == 400 and bad_form.json()["error"] == "invalid_request"
    for body in (b"[1, 2]", b"{", b"\xff", b'"endpoint"'):
        answer = await line.put("/v2/bot/channel/webhook/endpoint", content=body, headers=LINE_BEARER)
        assert answer.status_code == 400 and "message" in answer.json(), body
    broken = await graph.post(
        f"{seed.SEED_WABA_ID}/subscribed_apps",
        content=b"{not json",
        headers={**BEARER, "content-type": "application/json"},
    )
    assert broken.status_code == 400 and graph_error(broken)["code"] == 100
    for body in (b"[]", b"{", b"null"):
        send = await graph.post(
            f"{seed.SEED_PHONE_NUMBER_ID}/messages",
            content=body,
            headers={**BEARER, "content-type": "application/json"},
        )
        assert send.status_code == 400 and graph_error(send)["code"] == 100, body


async def test_odd_ids_fields_and_versions_never_make_a_500(emulation: Emulation) -> None:
    graph = emulation.graph
    for path, params in (
        (seed.SEED_PHONE_NUMBER_ID, {"fields": "," * 5000}),
        (seed.SEED_PHONE_NUMBER_ID, {"fields": "id{" * 500}),
        ("%E2%80%AE%00%1b[31m", {}),
        (f"{seed.SEED_PHONE_NUMBER_ID}/subscribed_apps", {}),
    ):
        answer = await graph.get(path, params=params, headers=BEARER)
        assert answer.status_code < 500 and ("error" in answer.json() or "id" in answer.json()), path
    version = await graph.get(f"{emulation.backend.base_url}/emulated/graph/v{'9' * 300}.0/me")
    assert version.status_code == 400 and graph_error(version)["code"] == 2500


async def test_no_token_or_secret_reaches_a_log_line_or_an_error(
    emulation: Emulation, caplog: pytest.LogCaptureFixture
) -> None:
    client = emulation.client
    with caplog.at_level(logging.DEBUG):
        whatsapp = await emulation.seeded_account("whatsapp")
        line = await emulation.seeded_account("line")
        conversation = [c async for c in client.iter_conversations(account_id=whatsapp.id)][0]
        await client.send_message(conversation.id, "a reply through Meta")
        await emulation.providers.send_inbound(whatsapp.id, "a message from Meta")
        await emulation.providers.send_inbound(line.id, "a message from LINE")
        await emulation.line.post("/v2/bot/channel/webhook/test", json={}, headers=LINE_BEARER)
        errors = [
            await emulation.graph.get("debug_token", params={"input_token": "EAAnope", "access_token": "EAAnope"}),
            await emulation.graph.get(seed.SEED_PHONE_NUMBER_ID, params={"appsecret_proof": "0" * 64}, headers=BEARER),
            await emulation.line.get("/v2/bot/info", headers={"Authorization": "Bearer wrong"}),
        ]
        with pytest.raises(BadRequest) as refused:
            await client.create_account(
                AccountDraft(type=AccountType.LINE, name="L", secret="s" * 32, token="a-token-line-refuses")
            )
    assert "/emulated/graph/v19.0/" in caplog.text  # the sandbox's own calls to Meta are logged, and seen here
    texts = [caplog.text, str(refused.value), *(answer.text for answer in errors)]
    for secret in (*seed.SEEDED_SECRETS, "a-token-line-refuses"):
        for text in texts:
            assert secret not in text
