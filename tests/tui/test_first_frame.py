"""The accounts screen's first frame does only what that frame shows, and what it leaves for
later still arrives and works."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from tests.tui.conftest import accounts_screen, gated, wait_for_accounts, wait_until
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.accounts import AccountsScreen
from voipbin_tui.tui.widgets.accounts_table import AccountsTable
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.inspector import InspectorPane


def gated_app(backend: EmbeddedBackend, gate: asyncio.Event) -> VoipbinApp:
    """An app that connects to ``backend`` only once ``gate`` is set (a slow start)."""
    return VoipbinApp(gated(backend, gate))


def after_the_first_frame(widget: Widget) -> bool:
    """The accounts screen ``widget`` is on has drawn its list already."""
    screen = widget.screen
    return isinstance(screen, AccountsScreen) and screen.drawn.is_set()


def check_key(footer: KeyFooter) -> FooterKey:
    return next(key for key in footer.query(FooterKey) if key.action == "app.check_account")


async def test_the_footer_lays_its_keys_out_once_after_the_first_frame_and_follows_later_changes(
    sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys_after_the_frame: list[bool] = []
    compose = KeyFooter.compose

    def recording_compose(footer: KeyFooter) -> ComposeResult:
        keys = list(compose(footer))
        if keys:
            keys_after_the_frame.append(after_the_first_frame(footer))
        return iter(keys)

    monkeypatch.setattr(KeyFooter, "compose", recording_compose)
    gate = asyncio.Event()
    async with gated_app(sandbox, gate).run_test(size=(120, 30)) as pilot:
        screen = accounts_screen(pilot)
        footer = screen.query_one(KeyFooter)
        await wait_until(pilot, lambda: footer.compositions > 0)
        await pilot.pause()
        assert keys_after_the_frame == [True]  # once, not per change of focus, width and bindings
        assert footer.compositions == 1
        assert check_key(footer).has_class("-disabled")  # not connected yet
        gate.set()
        await wait_for_accounts(pilot)
        await wait_until(pilot, lambda: not check_key(footer).has_class("-disabled"))
        await pilot.resize_terminal(60, 30)
        await wait_until(pilot, lambda: "Inspector" not in [key.description for key in footer.query(FooterKey)])


async def test_the_inspector_pane_comes_right_after_the_first_frame_and_works(
    sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    composed_after_the_frame: list[bool] = []
    compose = InspectorPane.compose

    def recording_compose(pane: InspectorPane) -> ComposeResult:
        composed_after_the_frame.append(after_the_first_frame(pane))
        return compose(pane)

    monkeypatch.setattr(InspectorPane, "compose", recording_compose)
    gate = asyncio.Event()
    async with gated_app(sandbox, gate).run_test(size=(120, 30)) as pilot:
        screen = accounts_screen(pilot)
        await wait_until(pilot, lambda: screen.inspector.is_mounted)  # without waiting for the connection
        assert composed_after_the_frame == [True]
        gate.set()
        await wait_for_accounts(pilot)
        pane = screen.inspector
        assert pane.parent is screen and screen.children.index(pane) == 2  # under the table, above the footer
        assert pane.region.height >= 6
        await wait_until(pilot, lambda: pane.connected)
        account = screen.selected_account()
        assert account is not None and pane.followed_account_id == str(account.id)  # it follows the selection
        await pilot.press("i")
        assert pane.has_focus_within


async def test_a_list_drawn_as_the_app_closes_mounts_nothing_and_raises_nothing() -> None:
    """A launch record that no longer resolves closes the app at once: the table's first draw can
    arrive when its screen is already off the app (Textual refuses a mount there)."""
    screen = AccountsScreen()  # never attached, as a screen the closing app has taken down
    screen.on_accounts_table_drawn(AccountsTable.Drawn())
    await screen.mount_inspector()
    assert screen.drawn.is_set() and not screen.inspector.is_mounted
