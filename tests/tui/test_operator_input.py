"""Entering data as operators do: keys in bursts, pasted secrets, warnings asked about."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.tui.conftest import make_app, settle, wait_for_accounts, wait_until
from tests.tui.test_account_flows import choose
from voipbin_tui.api import AccountType
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.tui.screens.form import AccountFormScreen

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
