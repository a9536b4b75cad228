"""The emulated Meta sending on its own: a customer's message through the inbound action (to
where Meta's state routes it, signed with the app secret), the App Dashboard's Test, and the
hook's switch that answers a correct hub challenge with VoIPBIN's predicted bare 500."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

from tests.backend.emulation import Emulation, seeded
from voipbin_tui.api import AccountDraft, BadRequest
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.protocols import HookVerdict, verify_hub_signature


@pytest.fixture
async def meta(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as emulation:
        yield emulation


async def incoming_texts(emulation: Emulation, account_id: UUID) -> list[str]:
    texts = []
    async for conversation in emulation.client.iter_conversations(account_id=account_id):
        async for message in emulation.client.iter_messages(conversation.id):
            if message.direction == "incoming":
                texts.append(message.text)
    return texts


async def test_an_inbound_message_reaches_the_seeded_hook_signed_with_the_app_secret(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    delivery = await meta.providers.send_inbound(account.id, "Do you ship to Peru?")
    assert (delivery.provider, delivery.success, delivery.status_code) == ("meta", True, 200)
    assert delivery.url == meta.hook_url(account.id)
    [capture] = await meta.captures(account.id)
    assert capture.verdict == HookVerdict.OK
    signature = capture.header("x-hub-signature-256")
    assert verify_hub_signature(seed.SEED_META_APP_SECRET, capture.body, signature).value == "valid"
    assert f'"phone_number_id":"{seed.SEED_PHONE_NUMBER_ID}"' in capture.body.decode()
    assert f'"id":"{seed.SEED_WABA_ID}"' in capture.body.decode()
    assert "Do you ship to Peru?" in await incoming_texts(meta, account.id)


async def test_an_app_secret_stored_in_voipbin_that_is_not_the_apps_drops_the_message(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    draft = AccountDraft.from_account(account).model_copy(update={"app_secret": SecretStr("0" * 32)})
    await meta.client.update_account(account, draft)
    delivery = await meta.providers.send_inbound(account.id, "Is this thing on?")
    assert delivery.success  # Meta posted and the hook answered 200, as VoIPBIN's does...
    [capture] = await meta.captures(account.id)
    assert capture.verdict == HookVerdict.BAD_SIGNATURE  # ...and dropped it
    assert "Is this thing on?" not in await incoming_texts(meta, account.id)


@pytest.mark.parametrize(
    ("switches", "detail"),
    [
        ({"meta.messages_subscribed": False}, "'messages' webhook field is off"),
        ({"meta.app_subscribed_to_waba": False}, "not subscribed to the WABA"),
        ({"meta.app_callback_url": ""}, "no webhook URL is set"),
        ({"meta.app_callback_url": "https://elsewhere.example/hook"}, "only to this sandbox's own URLs"),
        ({"meta.number_override_url": "https://number.example/hook"}, "only to this sandbox's own URLs"),
    ],
)
async def test_meta_sends_nothing_to_the_hook_when_its_state_routes_elsewhere(
    meta: Emulation, switches: dict, detail: str
) -> None:
    account = await meta.seeded_account("whatsapp")
    await meta.providers.set(switches)
    delivery = await meta.providers.send_inbound(account.id, "lost")
    assert (delivery.success, delivery.status_code, delivery.reason) == (False, 0, "could_not_connect")
    assert detail in delivery.detail
    assert await meta.captures(account.id) == []


async def test_an_override_on_the_public_hook_base_is_delivered_here(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    async with seeded(fresh_backend, public_hook_url="https://hook.sandbox.example/v1.0") as meta:
        account = await meta.seeded_account("whatsapp")
        other = await meta.client.create_account(
            AccountDraft(
                type="whatsapp",
                name="Second number's account",
                token=SecretStr(seed.SEED_META_ACCESS_TOKEN),
                secret=SecretStr("verify"),
                phone_number_id=seed.SEED_PHONE_NUMBER_ID,
                app_secret=SecretStr(seed.SEED_META_APP_SECRET),
            )
        )
        await meta.providers.set({"meta.number_override_url": meta.hook_url(other.id)})
        delivery = await meta.providers.send_inbound(account.id, "to the override")
        assert (
            delivery.success and delivery.url == f"https://hook.sandbox.example/v1.0/conversation/accounts/{other.id}"
        )
        assert [capture.verdict for capture in await meta.captures(other.id)] == [HookVerdict.OK]
        assert await meta.captures(account.id) == []


async def test_inbound_to_a_number_meta_does_not_emulate_is_400(meta: Emulation) -> None:
    other = await meta.client.create_account(
        AccountDraft(
            type="whatsapp",
            name="Unknown number",
            token=SecretStr("EAAother"),
            secret=SecretStr("verify"),
            phone_number_id="106540352242999",
            app_secret=SecretStr("0" * 32),
        )
    )
    with pytest.raises(BadRequest) as refused:
        await meta.providers.send_inbound(other.id, "hi")
    assert "no phone number '106540352242999'" in str(refused.value)


async def test_the_dashboard_test_arrives_once_then_is_a_duplicate(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    for _ in range(2):
        delivery = await meta.providers.press_dashboard_test(account.id)
        assert delivery.success and delivery.url == meta.hook_url(account.id)
    first, second = await meta.captures(account.id)
    assert (first.verdict, second.verdict) == (HookVerdict.DASHBOARD_TEST, HookVerdict.DUPLICATE)
    assert b'"phone_number_id":"123456123"' in first.body and first.summary.text == "this is a text message"
    assert "this is a text message" not in await incoming_texts(meta, account.id)


async def test_the_hub_challenge_switch_answers_a_correct_token_with_a_bare_500(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    path = f"/v1.0/conversation/accounts/{account.id}"

    def challenge(token: str) -> dict[str, str]:
        return {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}

    async with httpx.AsyncClient(base_url=meta.backend.base_url) as http:
        assert (await http.get(path, params=challenge(seed.SEED_WHATSAPP_VERIFY_TOKEN))).text == "1158201444"
        await meta.providers.set({"hook.hub_challenge_500": True})
        answer = await http.get(path, params=challenge(seed.SEED_WHATSAPP_VERIFY_TOKEN))
        assert (answer.status_code, answer.content) == (500, b"")
        assert (await http.get(path, params=challenge("wrong"))).status_code == 403
    last = (await meta.captures(account.id))[-2]
    assert last.status == 500 and "hook.hub_challenge_500 is on" in last.explanation
