"""No text from outside (the API, webhook senders) reaches the terminal as anything but text.

The sandbox's accounts and flows carry the hostile corpus in every text field and the hook
receives it in every field a sender controls; then every screen that shows them is drawn and
what Textual would write is inspected: the text of every segment, and the whole frame as the
bytes sent to the terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.hostile_text import HOSTILE, MARKUP_SHOWN, assert_terminal_safe, plant_hostile_data, post_hostile_traffic
from tests.tui.conftest import make_app, opener_for, screen_text, settle, toasts, wait_for_accounts, wait_until
from voipbin_tui.api import AccountType, VoipbinClient
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.choice import ChoiceScreen
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.doctor import DoctorReportScreen
from voipbin_tui.tui.screens.form import AccountFormScreen
from voipbin_tui.tui.screens.prompt import PromptScreen
from voipbin_tui.tui.screens.request import RequestDetailScreen

pytestmark = pytest.mark.slow  # each drives the app with Pilot through hostile text

TEXTUAL_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
"""What Textual itself writes between texts: cursor moves and colours (CSI ... letter)."""


def assert_drawn_safely(pilot: Pilot, where: str) -> None:
    """Nothing on screen is a control character, a bidi control or a link, and the frame
    Textual would write holds no escape sequence but its own CSI."""
    for strip in pilot.app.screen._compositor.render_strips():
        for segment in strip:
            assert_terminal_safe(segment.text, where=where)
            assert "\n" not in segment.text, where
            assert segment.style is None or not segment.style.link, f"{where}: a link {segment.style.link!r}"
    update = pilot.app.screen._compositor.render_update(full=True, screen_stack=pilot.app._background_screens)
    frame = update.render_segments(pilot.app.console)
    assert_terminal_safe(TEXTUAL_OWN_SEQUENCES.sub("", frame), where=f"{where} (frame)")


async def test_hostile_text_is_drawn_as_text_on_every_screen(sandbox: EmbeddedBackend, tmp_path: Path) -> None:
    plant_hostile_data(tmp_path / "sandbox")
    async with make_app(sandbox).run_test(size=(200, 50), notifications=True) as pilot:
        screen = await wait_for_accounts(pilot)
        assert all(HOSTILE in account.name for account in screen.index.accounts)
        assert_drawn_safely(pilot, "accounts list")
        assert "acct \\x1b]0;PWNED\\x07" in screen_text(pilot)  # shown, as escapes a person can read

        # the traffic, as senders chose it; the inspector on all accounts
        by_type = {account.type: account for account in screen.index.accounts}
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        post_hostile_traffic(
            sandbox.inspector_url,
            sandbox.local_hook_url,
            by_type[AccountType.WHATSAPP].id,
            by_type[AccountType.LINE].id,
        )
        pane.table.focus()
        await pilot.press("a")
        await wait_until(pilot, lambda: len(pane.shown) == 4)
        await settle(pilot)
        assert_drawn_safely(pilot, "inspector rows")

        # each request in full: summary, explanation, items, headers, bodies
        for request in list(pane.shown):
            pilot.app.open_request(request)
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
            await wait_until(pilot, lambda: pilot.app.screen.request.body is not None)
            await settle(pilot)
            assert_drawn_safely(pilot, f"request {request.kind.value}")
            await pilot.press("escape")
            await settle(pilot)

        # detail, form (with the flow list open), delete confirmation, test message prompt
        screen.table.focus()
        whatsapp_row = next(i for i, account in enumerate(screen.index.shown) if account.type == "whatsapp")
        screen.table.move_cursor(whatsapp_row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        assert_drawn_safely(pilot, "detail")
        assert MARKUP_SHOWN in screen_text(pilot)  # markup is shown, not applied
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        assert_drawn_safely(pilot, "form")
        flows = pilot.app.screen.query_one("#input-message_flow_id", Select)
        flows.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert flows.expanded
        assert_drawn_safely(pilot, "form, flow list open")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await pilot.press("escape")
        await settle(pilot)
        screen.table.focus()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await settle(pilot)
        assert_drawn_safely(pilot, "test message prompt")
        await pilot.press("escape")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await settle(pilot)
        assert_drawn_safely(pilot, "delete confirmation")

        # the toast that names the deleted account, and the palette's account commands
        await pilot.press("y")
        await wait_until(pilot, lambda: any("Deleted" in told for told in toasts(pilot.app)))
        await settle(pilot)
        assert_drawn_safely(pilot, "toast")
        await pilot.press("ctrl+p", *"acct")
        await pilot.pause(0.5)
        await settle(pilot)
        assert_drawn_safely(pilot, "command palette")


async def test_the_doctor_report_draws_names_and_evidence_as_text(sandbox: EmbeddedBackend, tmp_path: Path) -> None:
    """The report's title, its summaries (the account's and its flow's names) and the evidence
    panel carry API text: drawn escaped, markup shown, not applied."""
    plant_hostile_data(tmp_path / "sandbox")
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        row = next(i for i, account in enumerate(screen.index.shown) if account.type == "whatsapp")
        screen.table.move_cursor(row)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await pilot.press("n")
        report = pilot.app.screen
        assert isinstance(report, DoctorReportScreen)
        await wait_until(pilot, lambda: report.finished, timeout=20)
        await settle(pilot)
        assert_drawn_safely(pilot, "doctor report")
        assert "\\x1b]0;PWNED" in screen_text(pilot) and MARKUP_SHOWN in screen_text(pilot)
        await pilot.press("enter")  # the evidence of voipbin.account: the account's name again
        await settle(pilot)
        assert report.evidence_shown
        assert_drawn_safely(pilot, "doctor evidence")


async def test_every_toast_is_escaped_whoever_sends_it(sandbox: EmbeddedBackend) -> None:
    """Exceptions and API messages reach toasts from many places: the app escapes them all."""
    async with make_app(sandbox).run_test(size=(200, 50), notifications=True) as pilot:
        await wait_for_accounts(pilot)
        pilot.app.screen.notify(HOSTILE, title=HOSTILE, markup=True)
        await settle(pilot)
        assert_drawn_safely(pilot, "toast from a screen")
        assert "\\x1b]0;PWNED" in screen_text(pilot)


async def test_an_escaped_value_in_the_form_is_saved_as_it_was(sandbox: EmbeddedBackend, tmp_path: Path) -> None:
    """The form shows a name with control characters escaped; saving another field keeps the
    name byte for byte (only changed fields are sent)."""
    plant_hostile_data(tmp_path / "sandbox")
    async with make_app(sandbox).run_test(size=(200, 50)) as pilot:
        screen = await wait_for_accounts(pilot)
        sms_row = next(i for i, account in enumerate(screen.index.shown) if account.type == "sms")
        screen.table.focus()
        screen.table.move_cursor(sms_row)
        account = screen.selected_account()
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        name = pilot.app.screen.query_one("#input-name", Input)
        assert name.value.startswith("acct \\x1b]0;PWNED")
        pilot.app.screen.query_one("#input-detail", Input).value = "plain detail"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, AccountFormScreen))
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            saved = await client.get_account(account.id)
        assert (saved.name, saved.detail) == (f"acct {HOSTILE}", "plain detail")


async def test_keys_from_the_config_file_are_shown_as_text(sandbox: EmbeddedBackend) -> None:
    """config.toml's [keys] is outside text too: the keys screen (?) shows it escaped."""
    app = VoipbinApp(opener_for(sandbox), keymap={"accounts.new": "\x1b]0;PWNED\x07,\u202en"})
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for_accounts(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert_drawn_safely(pilot, "keys help")
