"""Every worker starts through ``@background``: an API error it did not handle is a toast named
for what failed, anything else reaches the app's one handler (a toast, escaped, and a log
record), and the app, and its list, keep running."""

from __future__ import annotations

import logging

import pytest

from tests.tui.conftest import make_app, screen_text, select_type, settle, titled_toasts, wait_for_accounts, wait_until
from voipbin_tui.api import AccountType, VoipbinClient, VoipbinError
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.presentation import error_message
from voipbin_tui.terminal_text import multi_line
from voipbin_tui.workflows.traffic_sources import FeedSource

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a sandbox

HOSTILE = "[b]not markup[/b] \x1b[31mred\x1b[0m"


async def test_an_unexpected_error_in_the_inspector_is_escaped_logged_and_the_app_goes_on(
    sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_batch(self):
        raise RuntimeError(HOSTILE)

    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        account = select_type(screen, AccountType.WHATSAPP)
        await wait_until(pilot, lambda: screen.inspector.connected)
        monkeypatch.setattr(FeedSource, "next_batch", broken_batch)
        await wait_until(
            pilot, lambda: any(title == "The inspector stopped" for title, _ in titled_toasts(pilot.app)), timeout=30
        )
        await settle(pilot)
        told = [message for title, message in titled_toasts(pilot.app) if title == "The inspector stopped"]
        assert told == [multi_line(f"Unexpected error: RuntimeError: {HOSTILE}")]  # once, escaped as every toast
        assert "\x1b" not in told[0] and "stopped: RuntimeError" in screen_text(pilot)
        assert not screen.inspector.connected
        failures = [record for record in caplog.records if record.levelno == logging.ERROR]
        assert failures and failures[-1].exc_info is not None  # logged with its traceback
        await pilot.press("down")  # the app and its list are alive
        await settle(pilot)
        assert pilot.app.is_running and screen.selected_account() != account


async def test_a_write_that_fails_says_what_failed(sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    failures = iter([VoipbinError("The backend said no."), KeyError("gone")])

    async def failing_delete(self, account_id):
        raise next(failures)

    monkeypatch.setattr(VoipbinClient, "delete_account", failing_delete)
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        doomed = select_type(screen, AccountType.SMS)
        await pilot.press("d", "y")
        await wait_until(pilot, lambda: ("Delete failed", "The backend said no.") in titled_toasts(pilot.app))
        await pilot.press("d", "y")
        await wait_until(
            pilot, lambda: ("Delete failed", "Unexpected error: KeyError: 'gone'") in titled_toasts(pilot.app)
        )
        await settle(pilot)
        assert pilot.app.is_running and screen.selected_account() == doomed


def test_error_messages_name_the_type_of_what_is_not_ours() -> None:
    assert error_message(VoipbinError("The backend said no.")) == "The backend said no."
    assert error_message(VoipbinError()) == "VoipbinError"
    assert error_message(KeyError("gone")) == "KeyError: 'gone'"
    assert error_message(RuntimeError()) == "RuntimeError"


async def test_a_load_that_breaks_says_so_and_r_loads_again(
    sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_pages = VoipbinClient.iter_account_pages

    def broken_pages(self):
        raise RuntimeError(HOSTILE)

    monkeypatch.setattr(VoipbinClient, "iter_account_pages", broken_pages)
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        told = multi_line(f"Unexpected error: RuntimeError: {HOSTILE}")  # escaped, as every toast
        assert ("Could not load accounts", told) in titled_toasts(pilot.app)
        text = screen_text(pilot)
        assert "Could not load accounts." in text and "not loaded: see the message above" in text
        assert "loading" not in text.lower()  # the load ended, though no code path expected how
        monkeypatch.setattr(VoipbinClient, "iter_account_pages", real_pages)
        await pilot.press("r")
        await wait_until(pilot, lambda: len(screen.index) == 3)
        await settle(pilot)
        assert "3 accounts" in screen_text(pilot)
