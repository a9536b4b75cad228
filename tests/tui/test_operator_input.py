"""Entering data as operators do: keys in bursts, pasted secrets, warnings asked about."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, Select, Static

from tests.tui.conftest import (
    accounts_screen,
    make_app,
    opener_for,
    screen_text,
    select_type,
    settle,
    start_sandbox,
    toasts,
    wait_for_accounts,
    wait_until,
)
from tests.tui.test_account_flows import RecordingTransport, choose, type_into
from tests.tui.test_inspector import pane_ready, send_messages
from voipbin_tui.api import AccountType
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import DATABASE_FILENAME
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import open_connection
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens import detail as detail_module
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.form import AccountFormScreen
from voipbin_tui.tui.screens.prompt import PromptScreen
from voipbin_tui.tui.screens.request import RequestDetailScreen

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a sandbox

TAB = ("tab", None)


def keys_of(*parts: str | tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """Text (letters and digits) is typed character by character; tuples are named keys."""
    keys: list[tuple[str, str | None]] = []
    for part in parts:
        if isinstance(part, tuple):
            keys.append(part)
        else:
            keys.extend((character, character) for character in part)
    return keys


async def burst(pilot, keys: list[tuple[str, str | None]]) -> None:
    """Every key queued at once, as a terminal delivers an auto-typed burst in one read."""
    app = pilot.app
    for key, character in keys:
        event = events.Key(key, character)
        event.set_sender(app)
        app.post_message(event)
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


async def open_new_form(pilot, account_type: AccountType) -> AccountFormScreen:
    await wait_for_accounts(pilot)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
    await settle(pilot)
    await choose(pilot, "#input-type", account_type)
    form = pilot.app.screen
    assert isinstance(form, AccountFormScreen)
    return form


def values(form: AccountFormScreen, *fields: str) -> dict[str, str]:
    return {field: form.query_one(f"#input-{field}", Input).value for field in fields}


async def test_a_burst_of_keys_lands_in_the_fields_it_was_typed_for(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 40)) as pilot:
        form = await open_new_form(pilot, AccountType.WHATSAPP)
        form.query_one("#input-token", Input).focus()
        await pilot.pause()
        await burst(pilot, keys_of("tok", TAB, "vt", TAB, "123456789012345", TAB, "shortsecret"))
        assert values(form, "token", "secret", "phone_number_id", "app_secret") == {
            "token": "tok",
            "secret": "vt",
            "phone_number_id": "123456789012345",
            "app_secret": "shortsecret",
        }


async def test_backspace_in_a_burst_edits_the_field_it_was_typed_in(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 40)) as pilot:
        form = await open_new_form(pilot, AccountType.LINE)
        form.query_one("#input-token", Input).focus()
        await pilot.pause()
        await burst(pilot, keys_of("abcx", ("backspace", None), TAB, "de"))
        assert values(form, "token", "secret") == {"token": "abc", "secret": "de"}


WHATSAPP_FIELDS = {
    "#input-token": "EAAtoken",
    "#input-secret": "verify",
    "#input-phone_number_id": "106540352242999",
}


async def fill(pilot, fields: dict[str, str]) -> None:
    for selector, text in fields.items():
        await type_into(pilot, selector, text)


def note_at(form: AccountFormScreen, field: str) -> str:
    return str(form.query_one(f"#field-{field} .field-problem", Static).render())


async def test_warnings_show_at_their_fields_and_are_asked_about_before_saving(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport()
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        form = await open_new_form(pilot, AccountType.WHATSAPP)
        await fill(pilot, {**WHATSAPP_FIELDS, "#input-app_secret": "shortsecret"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "Save with 2 warnings?" in screen_text(pilot)
        assert "32 lowercase hex" in screen_text(pilot) and "no flow" in screen_text(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is form and transport.bodies("POST") == []
        assert form.query_one("#field-app_secret").has_class("-warning")
        assert "32 lowercase hex" in note_at(form, "app_secret") and "no flow" in note_at(form, "message_flow_id")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, AccountFormScreen))
        assert transport.bodies("POST")[-1]["provider_data"]["app_secret"] == "shortsecret"


async def test_a_pasted_secret_with_a_trailing_space_is_stripped_and_said(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport()
    secret = "0123456789abcdef0123456789abcdef"
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        form = await open_new_form(pilot, AccountType.WHATSAPP)
        await choose(pilot, "#input-message_flow_id", form.query_one("#input-message_flow_id", Select)._options[1][1])
        await fill(pilot, WHATSAPP_FIELDS)
        form.query_one("#input-app_secret", Input).focus()
        pilot.app.post_message(events.Paste(secret + " "))
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "App secret: removed a trailing space" in screen_text(pilot)
        assert form.query_one("#input-app_secret", Input).value == secret
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, AccountFormScreen))
        assert transport.bodies("POST")[-1]["provider_data"]["app_secret"] == secret


async def test_a_long_name_is_kept_and_the_limit_shown(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport()
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        form = await open_new_form(pilot, AccountType.SMS)
        form.query_one("#input-name", Input).focus()
        pilot.app.post_message(events.Paste("x" * 300))
        await settle(pilot)
        assert form.query_one("#input-name", Input).value == "x" * 300
        assert "at most 255 characters (300 given)" in note_at(form, "name")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form and transport.bodies("POST") == []
        await pilot.press("backspace")
        await settle(pilot)
        assert "299 given" in note_at(form, "name")


async def test_notes_go_away_once_they_are_answered(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 40)) as pilot:
        await wait_for_accounts(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        form = pilot.app.screen
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Choose the account type first" in screen_text(pilot)
        await choose(pilot, "#input-type", AccountType.WHATSAPP)
        await settle(pilot)
        assert "Choose the account type first" not in screen_text(pilot)
        await fill(pilot, {**WHATSAPP_FIELDS, "#input-phone_number_id": "12ab"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "no flow" in note_at(form, "message_flow_id") and "Fix 2 fields" in screen_text(pilot)
        flows = form.query_one("#input-message_flow_id", Select)
        await choose(pilot, "#input-message_flow_id", flows._options[1][1])
        await settle(pilot)
        assert note_at(form, "message_flow_id") == ""
        widget = form.query_one("#input-phone_number_id", Input)
        widget.value = "106540352242999"
        await settle(pilot)
        assert note_at(form, "phone_number_id") == "" and "Fix 1 field before" in screen_text(pilot)


async def open_test_message(pilot) -> PromptScreen:
    screen = await wait_for_accounts(pilot)
    select_type(screen, AccountType.WHATSAPP)
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
    await settle(pilot)
    return pilot.app.screen


async def test_enter_in_the_test_message_dialog_sends_at_once(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        await open_test_message(pilot)
        await pilot.press("enter")
        told = "hook answered 200, judged ✓ ok"  # the verdict of exactly this message's capture
        await wait_until(pilot, lambda: any(told in message for message in toasts(pilot.app)))
        assert not isinstance(pilot.app.screen, PromptScreen)


async def test_a_sender_that_is_not_a_wa_id_is_refused_and_kept(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        dialog = await open_test_message(pilot)
        sender = dialog.query_one("#prompt-sender", Input)
        sender.value = ""
        await type_into(pilot, "#prompt-sender", "x")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is dialog and sender.value == "x" and sender.has_focus
        assert "digits only" in screen_text(pilot)
        sender.value = "16505550000"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, PromptScreen))


async def test_refused_keys_say_why_in_read_only_mode(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox, read_only=True).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        for key, what in (("n", "creating"), ("e", "editing"), ("d", "deleting"), ("t", "sending test messages")):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen
            assert toasts(pilot.app)[-1].startswith(f"Read-only: {what}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is not screen)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "Read-only: editing accounts" in toasts(pilot.app)[-1]


async def test_t_on_an_sms_account_says_why_and_the_pane_does_not_offer_it(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.SMS)
        await settle(pilot)
        assert "t sends a test message" not in screen_text(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, PromptScreen)
        assert "sms accounts do not receive through the hook" in toasts(pilot.app)[-1]
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is not screen)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "no URL to copy" in toasts(pilot.app)[-1]


async def test_a_sandbox_that_cannot_start_says_why_on_screen(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DATABASE_FILENAME).write_bytes(b"this is not a database " * 100)
    app = VoipbinApp(lambda: open_connection(SandboxTarget(data, port=0)))  # never a fixed port
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: "Could not connect" in screen_text(pilot), timeout=20)
        text = screen_text(pilot)
        assert DATABASE_FILENAME in text and "press R" in text and "Loading" not in text
        for leftover in data.glob(f"{DATABASE_FILENAME}*"):
            leftover.unlink()
        await pilot.press("R")
        await wait_until(pilot, lambda: pilot.app.connection is not None, timeout=20)
        screen = accounts_screen(pilot)
        await wait_until(pilot, lambda: screen.loaded and screen.table.row_count == 3)
        assert "Could not connect" not in screen_text(pilot)


async def test_the_detail_says_flows_could_not_be_loaded_and_reads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detail_module, "RETRY_SECONDS", 0.2)
    backend = start_sandbox(tmp_path / "data")
    port = backend.port
    async with make_app(backend).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        flow_name = screen.index.flow_names[screen.selected_account().message_flow_id]
        backend.stop()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await wait_until(pilot, lambda: "flows could not be loaded" in screen_text(pilot))
        assert "unknown flow" not in screen_text(pilot)
        restarted = start_sandbox(tmp_path / "data", port=port)
        try:
            await wait_until(pilot, lambda: flow_name in screen_text(pilot), timeout=10)
            assert "could not be loaded" not in screen_text(pilot)
        finally:
            restarted.stop()


async def test_question_mark_lists_keys_with_their_binding_ids(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        await wait_for_accounts(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(pilot)
        for binding_id in ("accounts.new", "accounts.filter", "app.quit", "app.help"):
            assert binding_id in text, binding_id
        await pilot.press("question_mark")
        await settle(pilot)
        assert "accounts.new" not in screen_text(pilot)


async def test_an_unknown_binding_id_in_keys_is_named_at_start(sandbox: EmbeddedBackend) -> None:
    app = VoipbinApp(opener_for(sandbox), keymap={"accounts.nwe": "a", "accounts.new": "N"})
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_accounts(pilot)
        warnings = [message for message in toasts(pilot.app) if "[keys]" in message]
        assert len(warnings) == 1 and "'accounts.nwe'" in warnings[0] and "'accounts.new'" not in warnings[0]


async def test_an_unknown_binding_id_is_named_once_also_when_connecting_again(sandbox: EmbeddedBackend) -> None:
    attempts = []
    working = opener_for(sandbox)

    def opener():  # the first start fails (R then tries again)
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("not yet")
        return working()

    app = VoipbinApp(opener, keymap={"accounts.nwe": "a"})
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: "R retries" in str(app.sub_title))
        await pilot.press("R")
        await wait_for_accounts(pilot)
        assert len([message for message in toasts(pilot.app) if "[keys]" in message]) == 1


async def test_p_on_a_request_in_read_only_mode_says_why(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox, read_only=True).run_test(size=(120, 40)) as pilot:
        _, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["read me"])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert toasts(pilot.app)[-1].startswith("Read-only: replaying requests")
        assert len(pane.shown) == 1  # nothing was replayed
