"""End-to-end flows through the real app and a real sandbox over HTTP, keys only."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from textual import events
from textual.widgets import Input, Select
from textual.widgets._select import SelectOverlay

from tests.tui.conftest import (
    make_app,
    screen_text,
    select_type,
    settle,
    start_sandbox,
    toasts,
    wait_for_accounts,
    wait_until,
)
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_TOKEN
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.form import AccountFormScreen

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a sandbox


class RecordingTransport(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, keeping every request; can fail chosen requests like VoIPBIN does."""

    def __init__(self, fail: tuple[str, int] | None = None) -> None:
        self._real = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.fail = fail

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.fail is not None and request.method == self.fail[0]:
            response = await self._real.handle_async_request(request)  # the server saves, then fails
            await response.aread()
            return httpx.Response(self.fail[1], headers={"X-Request-Id": "req_injected_500"})
        return await self._real.handle_async_request(request)

    def bodies(self, method: str) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.method == method and r.content]

    async def aclose(self) -> None:
        await self._real.aclose()


async def type_into(pilot, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.cursor_position = len(widget.value)
    await pilot.press(*text)


async def paste_into(pilot, selector: str, text: str) -> None:
    """Paste ``text`` at the end of a field, as a terminal delivers a paste (one event, not a
    key per character: typing is what the key-order tests are about)."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.cursor_position = len(widget.value)
    pilot.app.post_message(events.Paste(text))
    await wait_until(pilot, lambda: widget.value.endswith(text))


async def choose(pilot, selector: str, value: object) -> None:
    """Pick an option with the keyboard: open the select, move to the option, confirm."""
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    overlay = select.query_one(SelectOverlay)
    steps = [option for _, option in select._options].index(value) - (overlay.highlighted or 0)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert select.value == value


async def test_first_page_shows_the_seeded_accounts(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        assert screen.table.row_count == 3
        types = sorted(str(account.type) for account in screen.index.shown)
        assert types == ["line", "sms", "whatsapp"]
        assert pilot.app.sub_title.startswith("SANDBOX · hook https://hook.sandbox.example/v1.0")


@pytest.mark.parametrize(
    ("account_type", "fields"),
    [
        (AccountType.SMS, {}),
        (AccountType.LINE, {"#input-token": SEED_LINE_CHANNEL_TOKEN, "#input-secret": "line-channel-secret"}),
        (
            AccountType.WHATSAPP,
            {
                "#input-token": "EAAcreatetoken",
                "#input-secret": "verify-create",
                "#input-phone_number_id": "106540352242999",
                "#input-app_secret": "0123456789abcdef0123456789abcdef",
            },
        ),
    ],
)
async def test_create_each_type(sandbox: EmbeddedBackend, account_type: AccountType, fields: dict) -> None:
    transport = RecordingTransport()
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await choose(pilot, "#input-type", account_type)
        await type_into(pilot, "#input-name", f"new {account_type}")
        for selector, text in fields.items():
            await paste_into(pilot, selector, text)
        await pilot.press("ctrl+s")
        if account_type is AccountType.WHATSAPP:  # no flow is a warning: saving asks first
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
            await pilot.press("y")
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await settle(pilot)
        assert screen.table.row_count == 4  # no reload: the saved row was added in place
        sent = transport.bodies("POST")[-1]
        assert sent["type"] == account_type.value and sent["name"] == f"new {account_type}"
        if account_type is AccountType.WHATSAPP:
            assert sent["provider_data"] == {
                "phone_number_id": "106540352242999",
                "app_secret": "0123456789abcdef0123456789abcdef",
            }
            assert (sent["token"], sent["secret"]) == ("EAAcreatetoken", "verify-create")
    assert (
        sum(
            1
            for r in transport.requests
            if r.method == "GET" and r.url.path.endswith("/conversation_accounts") and "page_token" not in r.url.params
        )
        == 1
    )


async def test_create_refuses_invalid_fields_before_sending(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport()
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        await wait_for_accounts(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await choose(pilot, "#input-type", AccountType.WHATSAPP)
        await type_into(pilot, "#input-phone_number_id", "12ab")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AccountFormScreen)
        assert form.query_one("#field-phone_number_id").has_class("-invalid")
        assert form.query_one("#field-token").has_class("-invalid")
        assert transport.bodies("POST") == []


async def edit_selected(pilot, screen, name_suffix: str, secrets: dict[str, str]) -> None:
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
    await settle(pilot)
    await type_into(pilot, "#input-name", name_suffix)
    for selector, text in secrets.items():
        await type_into(pilot, selector, text)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: pilot.app.screen is screen)
    await settle(pilot)


async def test_edit_without_and_with_secrets_sends_only_changes(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport()
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        original = screen.selected_account()
        await edit_selected(pilot, screen, " 2", {})
        assert transport.bodies("PUT")[-1] == {"name": f"{original.name} 2"}
        await edit_selected(pilot, screen, " 3", {"#input-token": "EAArotated"})
        assert transport.bodies("PUT")[-1] == {"name": f"{original.name} 2 3", "token": "EAArotated"}
        assert screen.selected_account().name == f"{original.name} 2 3"


async def test_a_500_during_save_keeps_the_form_and_what_was_typed(sandbox: EmbeddedBackend) -> None:
    transport = RecordingTransport(fail=("PUT", 500))
    async with make_app(sandbox, transport=transport).run_test(size=(100, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.LINE)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        await type_into(pilot, "#input-name", " typed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AccountFormScreen)
        error = screen_text(pilot)
        assert "500" in error and "req_injected_500" in error
        assert "may have saved the change anyway" in error
        assert form.query_one("#input-name", Input).value.endswith(" typed")


async def test_delete_after_confirm(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.SMS)
        doomed = screen.selected_account()
        await pilot.press("d")
        await pilot.press("n")  # the safe answer first
        await settle(pilot)
        assert doomed.id in screen.index
        await pilot.press("d", "y")
        await settle(pilot)
        assert doomed.id not in screen.index and screen.table.row_count == 2
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        assert (await client.get_account(doomed.id)).is_deleted


async def test_filter_as_you_type_and_escape(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        await pilot.press("slash", *"whatsapp")
        await settle(pilot)
        assert [str(account.type) for account in screen.index.shown] == ["whatsapp"]
        assert screen.table.row_count == 1
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.row_count == 3


async def test_sort_by_key_and_reverse(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        await pilot.press("s")  # sort by type
        types = [str(account.type) for account in screen.index.shown]
        assert types == sorted(types)
        await pilot.press("S")
        assert [str(account.type) for account in screen.index.shown] == sorted(types, reverse=True)


async def test_paging_through_250_accounts(empty_sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(empty_sandbox.api_url, accesskey=empty_sandbox.accesskey) as client:
        for index in range(250):
            await client.create_account(AccountDraft(type=AccountType.SMS, name=f"sms {index:03d}"))
    transport = RecordingTransport()
    async with make_app(empty_sandbox, transport=transport).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        assert screen.table.row_count == 250
        assert str(screen.table.row(0)[1]) == "sms 249"  # newest first, as VoIPBIN orders
        pages = [r for r in transport.requests if r.url.path.endswith("/conversation_accounts")]
        assert len(pages) == 3  # 100 + 100 + 50: the short page is the last, no empty page asked for
        assert "250 accounts" in screen_text(pilot)


async def test_detail_masks_app_secret_until_revealed_and_hides_on_leaving(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        secret = screen.selected_account().app_secret.get_secret_value()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        assert secret not in screen_text(pilot) and f"••••{secret[-4:]}" in screen_text(pilot)
        assert "v Reveal" in screen_text(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert secret in screen_text(pilot)  # whole, as saved: a copy of it is the secret
        assert "v Hide" in screen_text(pilot) and "v Reveal" not in screen_text(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert secret not in screen_text(pilot) and "v Reveal" in screen_text(pilot)
        await pilot.press("v", "escape", "enter")
        await settle(pilot)
        assert not pilot.app.screen.revealed
        await pilot.press("c")
        assert pilot.app.clipboard.endswith(f"/conversation/accounts/{screen.selected_account().id}")


async def test_read_only_disables_every_write(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox, read_only=True).run_test(size=(100, 30)) as pilot:
        await wait_for_accounts(pilot)
        for key in ("n", "e", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen.__class__.__name__ == "AccountsScreen"
        assert "READ-ONLY" in pilot.app.sub_title
        # the keys are only greyed: the connection's clients refuse changes themselves
        assert pilot.app.connection.read_only and pilot.app.feed.read_only


async def test_backend_down_shows_a_banner_and_recovers(tmp_path: Path) -> None:
    backend = start_sandbox(tmp_path / "data")
    port = backend.port
    async with make_app(backend).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        backend.stop()
        await pilot.press("r")
        await settle(pilot)
        banner = pilot.app.screen.query_one("#banner")
        assert banner.has_class("-visible") and "unreachable" in screen_text(pilot)
        assert screen.table.row_count == 3  # what was shown stays
        restarted = start_sandbox(tmp_path / "data", port=port)
        try:
            await pilot.press("r")
            await settle(pilot)
            assert not banner.has_class("-visible")
        finally:
            restarted.stop()


async def test_server_text_is_never_read_as_markup(sandbox: EmbeddedBackend) -> None:
    name = "[bold]Ops[/bold] [request x] [/]"
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        await client.create_account(AccountDraft(type=AccountType.SMS, name=name))
    async with make_app(sandbox).run_test(size=(120, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        assert str(screen.table.row(0)[1]) == name
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        assert name in screen_text(pilot)


async def test_keys_can_be_remapped_by_binding_id(sandbox: EmbeddedBackend) -> None:
    from tests.tui.conftest import opener_for
    from voipbin_tui.tui.app import VoipbinApp

    app = VoipbinApp(opener_for(sandbox), keymap={"accounts.new": "N"})
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_accounts(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AccountFormScreen)
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))


async def test_q_does_not_drop_a_form_with_unsaved_changes(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.SMS)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        await type_into(pilot, "#input-name", " changed")
        pilot.app.screen.query_one("#input-message_flow_id").focus()  # not a text input: q is not typed
        await pilot.press("q")
        await settle(pilot)
        assert pilot.app.is_running and isinstance(pilot.app.screen, AccountFormScreen)


async def test_refresh_keeps_a_selection_beyond_the_first_page(empty_sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(empty_sandbox.api_url, accesskey=empty_sandbox.accesskey) as client:
        for index in range(130):
            await client.create_account(AccountDraft(type=AccountType.SMS, name=f"sms {index:03d}"))
    async with make_app(empty_sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        screen.table.move_cursor(120)  # on the second page
        chosen = screen.selected_account()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.loaded)
        await settle(pilot)
        assert screen.selected_account() == chosen


async def test_startup_notices_are_shown_in_the_app(sandbox: EmbeddedBackend) -> None:
    from tests.tui.conftest import opener_for
    from voipbin_tui.tui.app import VoipbinApp

    app = VoipbinApp(opener_for(sandbox), notices=["warning: config.toml is readable by other users"])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_accounts(pilot)
        assert any("readable by other users" in told for told in toasts(pilot.app))


async def wait_for_question(pilot) -> None:
    """Until a question is drawn; a worker waits on its answer, so ``settle`` would wait forever."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


async def delete_behind_the_apps_back(sandbox: EmbeddedBackend, account_id) -> None:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        await client.delete_account(account_id)


async def server_account(sandbox: EmbeddedBackend, account_id):
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        return await client.get_account(account_id)


async def test_saving_an_account_deleted_meanwhile_says_deleted_and_asks(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        account = select_type(screen, AccountType.SMS)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        form = pilot.app.screen
        await type_into(pilot, "#input-name", " typed")
        await delete_behind_the_apps_back(sandbox, account.id)

        await pilot.press("ctrl+s")
        await wait_for_question(pilot)
        question = screen_text(pilot)
        assert f"“{account.name}” was deleted at" in question and "stays deleted" in question
        assert "changed on the server" not in question
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is form and "Not saved" in screen_text(pilot)
        assert (await server_account(sandbox, account.id)).name == account.name
        assert account.id not in screen.index  # the list knows it is gone

        await pilot.press("ctrl+s")
        await wait_for_question(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await settle(pilot)
        saved = await server_account(sandbox, account.id)
        assert saved.name == f"{account.name} typed" and saved.is_deleted
        assert account.id not in screen.index


async def test_edit_on_an_account_deleted_elsewhere_is_refused_unless_confirmed(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        account = select_type(screen, AccountType.SMS)
        await delete_behind_the_apps_back(sandbox, account.id)
        await pilot.press("e")
        await wait_for_question(pilot)
        assert "was deleted at" in screen_text(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert any(f"“{account.name}” was deleted" in told for told in toasts(pilot.app))  # says why
        assert account.id not in screen.index
        await pilot.press("r")
        await settle(pilot)
        assert account.id not in screen.index and screen.table.row_count == 2


async def test_a_deleted_accounts_detail_says_so_and_offers_no_edit(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(100, 30)) as pilot:
        screen = await wait_for_accounts(pilot)
        account = select_type(screen, AccountType.LINE)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        detail = pilot.app.screen
        assert "e Edit" in screen_text(pilot)
        await delete_behind_the_apps_back(sandbox, account.id)
        await pilot.press("r")
        await settle(pilot)
        shown = screen_text(pilot)
        assert "DELETED" in shown and "e Edit" not in shown
        assert "✗ the account is deleted" in shown and "✓ a flow" not in shown  # no setup tick for it
        await pilot.press("d")  # greyed: deleting again would change nothing, and says so
        await settle(pilot)
        assert any("Already deleted" in told for told in toasts(pilot.app))
        assert not isinstance(pilot.app.screen, ConfirmScreen)

        await pilot.press("e")  # not offered, but asked about rather than silently ignored
        await wait_for_question(pilot)
        assert "was deleted at" in screen_text(pilot) and "stays deleted" in screen_text(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        await settle(pilot)
        assert "stays deleted" in screen_text(pilot)
        await type_into(pilot, "#input-name", " kept")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is detail)
        await settle(pilot)
        assert "DELETED" in screen_text(pilot) and f"{account.name} kept" in screen_text(pilot)
        saved = await server_account(sandbox, account.id)
        assert saved.name == f"{account.name} kept" and saved.is_deleted


def visible_names(screen) -> list[str]:
    return [account.name for account in screen.index.shown]


async def test_filter_matches_only_what_is_shown_unless_asked(sandbox: EmbeddedBackend) -> None:
    """At 80 columns the detail is hidden: "li" must not find "SMS alerts" through "Delivery"."""
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen = await wait_for_accounts(pilot)
        sms_id = next(str(account.id) for account in screen.index.shown if account.type == AccountType.SMS)
        await pilot.press("slash")
        await settle(pilot)
        assert "in type, name, flow · id: detail: for more" in screen_text(pilot)
        await pilot.press(*"li")
        await settle(pilot)
        assert visible_names(screen) == ["LINE Official Account"]
        for text, expected in (
            ("detail:carrier", ["SMS alerts"]),
            (sms_id[-12:], []),  # an id is hidden: plain words do not reach it
            (f"id:{sms_id[-12:]}", ["SMS alerts"]),
        ):
            pilot.app.screen.query_one("#filter", Input).value = text
            await settle(pilot)
            assert visible_names(screen) == expected, text


async def test_filter_puts_the_exact_name_first_for_enter(sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        for name in ("Bulk SMS 002", "Bulk SMS 002 backup", "Bulk SMS 0021"):  # the newest is listed first
            await client.create_account(AccountDraft(type=AccountType.SMS, name=name))
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen = await wait_for_accounts(pilot)
        await pilot.press("slash", *"Bulk SMS 002")
        await settle(pilot)
        assert visible_names(screen) == ["Bulk SMS 002", "Bulk SMS 0021", "Bulk SMS 002 backup"]
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AccountDetailScreen)
        assert pilot.app.screen.selected_account().name == "Bulk SMS 002"


async def test_first_reverse_on_the_default_order_reverses_the_rows(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen = await wait_for_accounts(pilot)
        newest_first = visible_names(screen)
        await pilot.press("S")
        await settle(pilot)
        assert visible_names(screen) == newest_first[::-1]
        assert "sorted by created ▲" in screen_text(pilot)


async def test_updated_says_never_as_the_detail_does(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen = await wait_for_accounts(pilot)
        updated = [column.key for column in screen.table.columns].index("updated")
        assert [screen.table.row(i)[updated] for i in range(3)] == ["never"] * 3


async def test_at_80x24_quit_keys_and_the_hook_port_always_show(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox, read_only=True).run_test(size=(80, 24)) as pilot:
        await wait_for_accounts(pilot)
        lines = screen_text(pilot).splitlines()
        header, footer = lines[0], lines[-1]
        assert "READ-ONLY · SANDBOX · hook https://hook.sandbox.example/v1.0" in header  # less the app's name
        assert "…" not in header
        assert "q Quit" in footer and "? Keys" in footer
        assert "Ne" not in footer.replace("New", "")  # keys that do not fit leave whole, never cut
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await settle(pilot)
        assert "q Quit" in screen_text(pilot).splitlines()[-1]
    async with make_app(sandbox).run_test(size=(120, 30)) as pilot:
        await wait_for_accounts(pilot)
        assert "voipbin-tui — SANDBOX · hook https://hook.sandbox.example/v1.0" in screen_text(pilot)  # room for all
