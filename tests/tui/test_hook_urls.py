"""Hook URLs follow the API: a derived one says so, and test traffic to any hook that is not
the local sandbox asks first (here a `serve` on loopback reached as a remote VoIPBIN)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import (
    screen_text,
    select_type,
    settle,
    wait_for_accounts,
    wait_until,
)
from voipbin_tui.api import AccountType
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.config import ConfigFile, resolve_target
from voipbin_tui.connection import open_connection
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a sandbox


def remote_app(sandbox: EmbeddedBackend) -> VoipbinApp:
    target = resolve_target(
        config=ConfigFile(), api_url=sandbox.api_url, accesskey=sandbox.accesskey.get_secret_value()
    )
    return VoipbinApp(lambda: open_connection(target))


async def test_a_derived_hook_url_says_so_on_the_detail_screen(sandbox: EmbeddedBackend) -> None:
    async with remote_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        account = select_type(screen, AccountType.WHATSAPP)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        text = screen_text(pilot)
        # a `serve` serves both: the hook is the API's own origin
        assert f"{sandbox.api_url}/conversation/accounts/{account.id}  derived from the API URL" in text


async def test_test_traffic_to_a_hook_that_is_not_the_local_sandbox_asks_first(sandbox: EmbeddedBackend) -> None:
    async with remote_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        await pilot.press("t")
        await settle(pilot)
        for _ in range(2):  # through the prompt's fields, up to the confirmation (never past it)
            if not isinstance(pilot.app.screen, ConfirmScreen):
                await pilot.press("enter")
                await settle(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "live hook" in screen_text(pilot)
