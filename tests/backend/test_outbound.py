"""The outbound loop, as VoIPBIN closes it: sending to a WhatsApp conversation calls the emulated
Graph API with the account's token and phone number id (a refusal makes the message failed),
and the emulated Meta then posts signed sent, delivered and read statuses to the hook."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

from tests.backend.conftest import fixture_bytes
from tests.backend.emulation import BEARER, Emulation, graph_error, seeded
from voipbin_tui.api import AccountDraft
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import Store
from voipbin_tui.protocols import HookVerdict, RequestKind, verify_hub_signature


@pytest.fixture
async def meta(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as emulation:
        yield emulation


async def statuses_arriving(emulation: Emulation, account_id: UUID, count: int, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in await emulation.captures(account_id) if c.kind == RequestKind.STATUS]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def conversation_of(emulation: Emulation, account_type: str):
    account = await emulation.seeded_account(account_type)
    conversations = [c async for c in emulation.client.iter_conversations()]
    return account, next(c for c in conversations if c.type == account_type)


async def test_a_sent_whatsapp_message_gets_metas_wamid_and_three_signed_statuses(meta: Emulation) -> None:
    account, conversation = await conversation_of(meta, "whatsapp")
    message = await meta.client.send_message(conversation.id, "Your order ships today.")
    assert message.status == "done"
    statuses = await statuses_arriving(meta, account.id, 3)
    assert [json.loads(c.body)["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] for c in statuses] == [
        "sent",
        "delivered",
        "read",
    ]
    wamids = {c.summary.wamid for c in statuses}
    assert len(wamids) == 1 and next(iter(wamids)).startswith("wamid.")
    for capture in statuses:
        assert capture.verdict == HookVerdict.OK
        signature = capture.header("x-hub-signature-256")
        assert verify_hub_signature(seed.SEED_META_APP_SECRET, capture.body, signature).value == "valid"
    store = Store.open(meta.backend.config.database_path)
    try:
        stored = store.outgoing_message(next(iter(wamids)))
    finally:
        store.close()
    assert stored is not None and stored.id == message.id and stored.provider_status == "read"


async def test_the_statuses_have_the_fixtures_shape(meta: Emulation) -> None:
    account, conversation = await conversation_of(meta, "whatsapp")
    await meta.client.send_message(conversation.id, "Shape check")
    sent = (await statuses_arriving(meta, account.id, 1))[0]
    value = json.loads(sent.body)["entry"][0]["changes"][0]["value"]
    fixture = json.loads(fixture_bytes("whatsapp/status-sent.json"))["entry"][0]["changes"][0]["value"]
    assert value.keys() == fixture.keys() and value["metadata"].keys() == fixture["metadata"].keys()
    item, expected = value["statuses"][0], fixture["statuses"][0]
    assert item.keys() == expected.keys()
    assert item["conversation"].keys() == expected["conversation"].keys()
    assert item["pricing"].keys() == expected["pricing"].keys()
    assert value["metadata"]["phone_number_id"] == seed.SEED_PHONE_NUMBER_ID
    assert item["recipient_id"] == conversation.peer.target


async def test_a_token_meta_refuses_makes_the_message_failed_and_no_status_comes(meta: Emulation) -> None:
    account, conversation = await conversation_of(meta, "whatsapp")
    draft = AccountDraft.from_account(account).model_copy(update={"token": SecretStr("EAAwrongtoken")})
    await meta.client.update_account(account, draft)
    message = await meta.client.send_message(conversation.id, "This one fails.")
    assert message.status == "failed"
    await asyncio.sleep(1.5)
    assert await statuses_arriving(meta, account.id, 1, timeout=0) == []


async def test_an_expired_token_fails_the_send_too(meta: Emulation) -> None:
    _, conversation = await conversation_of(meta, "whatsapp")
    await meta.providers.set({"meta.token_expired": True})
    assert (await meta.client.send_message(conversation.id, "Expired.")).status == "failed"


async def test_with_messages_off_the_send_works_but_no_status_arrives(meta: Emulation) -> None:
    account, conversation = await conversation_of(meta, "whatsapp")
    await meta.providers.set({"meta.messages_subscribed": False})
    assert (await meta.client.send_message(conversation.id, "Quiet.")).status == "done"
    await asyncio.sleep(1.5)
    assert await statuses_arriving(meta, account.id, 1, timeout=0) == []


async def test_a_line_message_is_done_at_once_without_meta(meta: Emulation) -> None:
    account, conversation = await conversation_of(meta, "line")
    assert (await meta.client.send_message(conversation.id, "LINE reply")).status == "done"
    assert await meta.captures(account.id) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"to": "16505551234", "type": "text", "text": {"body": "x"}},
            "(#100) The parameter messaging_product is required.",
        ),
        (
            {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
            "(#100) The parameter to is required.",
        ),
        (
            {"messaging_product": "whatsapp", "to": "16505551234", "text": {}},
            "(#100) The parameter text['body'] is required.",
        ),
        (
            {"messaging_product": "whatsapp", "to": "not a number", "text": {"body": "x"}},
            "(#100) Invalid parameter: to must be a phone number",
        ),
    ],
)
async def test_the_send_api_checks_its_parameters(meta: Emulation, body: dict, message: str) -> None:
    answer = await meta.graph.post(f"{seed.SEED_PHONE_NUMBER_ID}/messages", json=body, headers=BEARER)
    assert answer.status_code == 400 and graph_error(answer) == {
        "message": message,
        "type": "OAuthException",
        "code": 100,
    }


async def test_the_send_api_answers_the_wamid_and_refuses_a_blocked_number(meta: Emulation) -> None:
    body = {"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hi"}}
    answer = await meta.graph.post(f"{seed.SEED_PHONE_NUMBER_ID}/messages", json=body, headers=BEARER)
    sent = answer.json()
    assert sent["contacts"] == [{"input": "16505551234", "wa_id": "16505551234"}]
    assert sent["messages"][0]["id"].startswith("wamid.")
    await meta.providers.set({"meta.health": "BLOCKED"})
    blocked = await meta.graph.post(f"{seed.SEED_PHONE_NUMBER_ID}/messages", json=body, headers=BEARER)
    assert blocked.status_code == 400 and graph_error(blocked)["code"] == 131031
    unknown = await meta.graph.post("106540352242999/messages", json=body, headers=BEARER)
    assert graph_error(unknown)["error_subcode"] == 33
    async with httpx.AsyncClient(base_url=str(meta.graph.base_url)) as no_token:
        assert (await no_token.post(f"{seed.SEED_PHONE_NUMBER_ID}/messages", json=body)).status_code == 400
