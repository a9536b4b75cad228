"""The sandbox control API for the emulated providers (and its client, ``SandboxProviders``):
the sandbox's key only, secrets never shown, switches checked all or nothing, state kept in the
database for every process on the data dir."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.backend.conftest import ACCESSKEY
from tests.backend.emulation import Emulation, seeded
from voipbin_tui.api import BadRequest, NotFound, Unauthenticated, VoipbinClient
from voipbin_tui.api.sandbox_providers import SandboxProviders, parse_switch_value
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded


@pytest.fixture
async def meta(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as emulation:
        yield emulation


async def test_the_state_shows_the_seed_and_no_secret(meta: Emulation) -> None:
    state = await meta.providers.show()
    whatsapp = await meta.seeded_account("whatsapp")
    line = await meta.seeded_account("line")
    assert state["meta"]["app"]["app_id"] == seed.SEED_META_APP_ID
    assert state["meta"]["app"]["callback_url"] == meta.hook_url(whatsapp.id)
    assert state["meta"]["number"]["phone_number_id"] == whatsapp.provider_data.phone_number_id
    assert state["line"]["endpoint"] == meta.hook_url(line.id) and state["line"]["webhook_active"] is True
    assert state["hook"] == {"hub_challenge_500": False}
    text = str(state)
    for secret in seed.SEEDED_SECRETS:
        assert secret not in text
    assert state["meta"]["app"]["app_secret"] == "••••" + seed.SEED_META_APP_SECRET[-4:]


async def test_the_seeded_accounts_match_the_emulated_providers(meta: Emulation) -> None:
    whatsapp = await meta.seeded_account("whatsapp")
    assert whatsapp.provider_data.app_secret.get_secret_value() == seed.SEED_META_APP_SECRET
    assert whatsapp.provider_data.phone_number_id == seed.SEED_PHONE_NUMBER_ID
    assert seed.SEED_META_ACCESS_TOKEN == seed.SEED_WHATSAPP_ACCESS_TOKEN
    assert seed.SEED_LINE_BOT_USER_ID.startswith("U") and len(seed.SEED_LINE_BOT_USER_ID) == 33
    int(seed.SEED_LINE_BOT_USER_ID[1:], 16)


async def test_switches_change_the_state_and_reset_puts_the_seed_back(meta: Emulation) -> None:
    state = await meta.providers.set(
        {
            "meta.token_expired": True,
            "meta.health": "LIMITED",
            "meta.messages_subscribed": False,
            "meta.app_subscribed_to_waba": False,
            "meta.require_app_secret": True,
            "meta.app_callback_url": "https://elsewhere.example/hook",
            "meta.number_override_url": "https://number.example/hook",
            "meta.waba_override_url": "https://waba.example/hook",
            "line.webhook_active": False,
            "line.webhook_endpoint": "https://line-elsewhere.example/hook",
            "hook.hub_challenge_500": True,
        }
    )
    meta_state = state["meta"]
    assert meta_state["token"]["expired"] is True and meta_state["number"]["health"] == "LIMITED"
    assert meta_state["app"]["messages_subscribed"] is False and meta_state["app"]["require_app_secret"] is True
    assert meta_state["waba"]["subscribed_app_ids"] == []
    assert meta_state["app"]["callback_url"] == "https://elsewhere.example/hook"
    assert meta_state["number"]["override_url"] == "https://number.example/hook"
    assert meta_state["waba"]["override_url"] == "https://waba.example/hook"
    assert state["line"] == {
        **state["line"],
        "webhook_active": False,
        "endpoint": "https://line-elsewhere.example/hook",
    }
    assert state["hook"]["hub_challenge_500"] is True
    assert await meta.providers.show() == state
    reset = await meta.providers.reset()
    assert reset["meta"]["token"]["expired"] is False and reset["hook"]["hub_challenge_500"] is False
    assert reset["meta"]["app"]["callback_url"] == meta.hook_url((await meta.seeded_account("whatsapp")).id)


@pytest.mark.parametrize(
    ("switches", "named"),
    [
        ({"meta.nonsense": True}, "meta.nonsense"),
        ({"meta.health": "SICK"}, "meta.health"),
        ({"meta.token_expired": "yes"}, "meta.token_expired"),
        ({"meta.token_expires_at": -5}, "meta.token_expires_at"),
        ({"meta.token_expires_at": True}, "meta.token_expires_at"),
        ({"line.token_expires_in": "soon"}, "line.token_expires_in"),
        ({"line.webhook_endpoint": "ftp://x.example/"}, "line.webhook_endpoint"),
        ({"line.webhook_endpoint": "https://x.example/" + "a" * 500}, "line.webhook_endpoint"),
        ({"meta.app_callback_url": "https://x.example/\r\nInjected: 1"}, "meta.app_callback_url"),
        ({}, ""),
    ],
)
async def test_a_bad_switch_is_400_and_changes_nothing(meta: Emulation, switches: dict, named: str) -> None:
    before = await meta.providers.show()
    with pytest.raises(BadRequest) as refused:
        await meta.providers.set({"meta.health": "BLOCKED", **switches} if switches else {})
    assert named in str(refused.value)
    assert await meta.providers.show() == before


async def test_a_body_that_is_not_an_object_is_400(meta: Emulation) -> None:
    cookies = {"accesskey": ACCESSKEY}
    async with httpx.AsyncClient(base_url=meta.backend.base_url, cookies=cookies) as rest:
        for body in (b"[1]", b"{", b"\xff"):
            answer = await rest.patch("/v1.0/sandbox/providers", content=body)
            assert answer.status_code == 400 and answer.json()["error"]["reason"].startswith("INVALID")


async def test_the_control_api_needs_the_sandbox_key(meta: Emulation) -> None:
    async with VoipbinClient(meta.backend.api_url, accesskey="not-the-key") as wrong:
        for call in (SandboxProviders(wrong).show(), SandboxProviders(wrong).set({"meta.health": "BLOCKED"})):
            with pytest.raises(Unauthenticated):
                await call
    # and a provider's credentials are not the key either
    async with httpx.AsyncClient(base_url=meta.backend.base_url) as bare:
        answer = await bare.get(
            "/v1.0/sandbox/providers", headers={"Authorization": f"Bearer {seed.SEED_META_ACCESS_TOKEN}"}
        )
    assert answer.status_code == 401


async def test_the_state_is_kept_for_the_next_backend_on_the_data_dir(tmp_path: Path) -> None:
    first = start_embedded(tmp_path, accesskey=ACCESSKEY)
    try:
        async with VoipbinClient(first.api_url, accesskey=ACCESSKEY) as client:
            await SandboxProviders(client).set({"meta.health": "BLOCKED", "line.webhook_active": False})
    finally:
        first.stop()
    second = start_embedded(tmp_path, accesskey=ACCESSKEY)
    try:
        async with VoipbinClient(second.api_url, accesskey=ACCESSKEY) as client:
            state = await SandboxProviders(client).show()
    finally:
        second.stop()
    assert state["meta"]["number"]["health"] == "BLOCKED" and state["line"]["webhook_active"] is False


async def test_without_the_seed_the_providers_exist_but_point_at_no_account(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend()
    async with VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client:
        state = await SandboxProviders(client).show()
    assert state["meta"]["account_id"] is None and state["meta"]["app"]["callback_url"] is None
    assert state["line"]["endpoint"] == ""


async def test_a_relay_has_no_emulated_providers(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    from voipbin_tui.backend.config import RelayConfig

    relay = RelayConfig.for_api(
        forward_to="http://127.0.0.1:9/v1.0", api_url="http://127.0.0.1:9/v1.0", accesskey=ACCESSKEY
    )
    backend = fresh_backend(relay=relay)
    async with VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client:
        with pytest.raises(NotFound):
            await SandboxProviders(client).show()
    async with httpx.AsyncClient(base_url=backend.base_url) as bare:
        answer = await bare.get(f"/emulated/graph/v26.0/{seed.SEED_PHONE_NUMBER_ID}")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("typed", "value"), [("true", True), ("false", False), ("null", None), ("BLOCKED", "BLOCKED"), ("", "")]
)
def test_switch_values_typed_on_a_command_line(typed: str, value: object) -> None:
    assert parse_switch_value(typed) == value
