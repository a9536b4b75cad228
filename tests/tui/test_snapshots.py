"""What users see, screen by screen, at 80x24 and 120x40 (look at each SVG before accepting it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import (
    PUBLIC_HOOK_URL,
    make_app,
    select_type,
    settle,
    wait_for_accounts,
    wait_until,
)
from voipbin_tui.api import AccountType, VoipbinClient
from voipbin_tui.api.client import NO_RETRY
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import Connection
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.form import AccountFormScreen

pytestmark = pytest.mark.slow  # each draws the app twice (80x24 and 120x40) and compares SVGs

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def loaded(pilot: Pilot) -> None:
    await wait_for_accounts(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_accounts_list(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES)
def test_accounts_filtered(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_accounts(pilot)
        await pilot.press("slash", *"line")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


def test_accounts_filter_matches_nothing(snap_compare, sandbox: EmbeddedBackend) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_accounts(pilot)
        await pilot.press("slash", *"nothing like this")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_accounts_sorted_by_name_descending(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_accounts(pilot)
        await pilot.press("s", "s", "S")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


def test_accounts_empty(snap_compare, empty_sandbox: EmbeddedBackend) -> None:
    assert snap_compare(make_app(empty_sandbox), terminal_size=(80, 24), run_before=loaded)


def test_accounts_backend_unreachable(snap_compare) -> None:
    """The sandbox is not there (port 9 is closed): the error state and the banner show."""

    @asynccontextmanager
    async def unreachable() -> AsyncIterator[Connection]:
        async with VoipbinClient("http://127.0.0.1:9/v1.0", accesskey="k", retry=NO_RETRY) as client:
            yield Connection(client, SandboxTarget(Path("/sandbox")), PUBLIC_HOOK_URL, None, None)

    async def run_before(pilot: Pilot) -> None:
        await wait_for_accounts(pilot)

    assert snap_compare(VoipbinApp(unreachable), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_accounts_read_only(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    assert snap_compare(make_app(sandbox, read_only=True), terminal_size=size, run_before=loaded)


def open_detail(account_type: AccountType, *keys: str):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_accounts(pilot)
        select_type(screen, account_type)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_detail_whatsapp_masked(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=open_detail(AccountType.WHATSAPP))


def test_detail_whatsapp_revealed(snap_compare, sandbox: EmbeddedBackend) -> None:
    assert snap_compare(make_app(sandbox), terminal_size=(120, 40), run_before=open_detail(AccountType.WHATSAPP, "v"))


@pytest.mark.parametrize("account_type", [AccountType.LINE, AccountType.SMS])
def test_detail_other_types(snap_compare, sandbox: EmbeddedBackend, account_type: AccountType) -> None:
    assert snap_compare(make_app(sandbox), terminal_size=(80, 24), run_before=open_detail(account_type))


@pytest.mark.parametrize("size", SIZES)
def test_detail_of_an_account_deleted_elsewhere(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    """DELETED with the time, and no edit offered in the footer."""

    async def run_before(pilot: Pilot) -> None:
        await open_detail(AccountType.LINE)(pilot)
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            await client.delete_account(pilot.app.screen.selected_account().id)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


def new_form(account_type: AccountType, *keys: str):
    async def run_before(pilot: Pilot) -> None:
        from tests.tui.test_account_flows import choose

        await wait_for_accounts(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        await choose(pilot, "#input-type", account_type)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("account_type", list(AccountType))
@pytest.mark.parametrize("size", SIZES)
def test_create_form_with_validation_errors(snap_compare, sandbox: EmbeddedBackend, account_type, size) -> None:
    keys = ("tab", *"x" * 3, "ctrl+s") if account_type is not AccountType.SMS else ("tab",)
    run_before = new_form(account_type, *keys)
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_form(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_delete_confirm(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.LINE)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_panel(snap_compare, sandbox: EmbeddedBackend, size: tuple[int, int]) -> None:
    """Every key with what it does and its id, also in the narrow panel at 80 columns."""

    async def run_before(pilot: Pilot) -> None:
        await wait_for_accounts(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


def test_create_form_asks_before_saving_with_warnings(snap_compare, sandbox: EmbeddedBackend) -> None:
    """A pasted app secret with a trailing space, not 32 hex, and no flow: three warnings, asked."""
    typed = ("tab", "tab", "tab", "tab", *"EAAtok", "tab", *"verify", "tab", *"106540352242999", "tab")
    keys = (*typed, *"shortsecret", "space", "ctrl+s")
    assert snap_compare(make_app(sandbox), terminal_size=(80, 24), run_before=new_form(AccountType.WHATSAPP, *keys))
