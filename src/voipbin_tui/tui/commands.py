"""Command palette entries ("accounts: ..."), offered only where and when they apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from voipbin_tui.terminal_text import one_line
from voipbin_tui.tui.screens.accounts import AccountsScreen


class AccountCommands(Provider):
    """Actions on accounts, plus "accounts: open NAME" for every loaded account."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.app
        screen = self.screen
        run = app.run_action

        def allowed(action: str) -> bool:
            return bool(app.check_action(action, ()))

        if allowed("new_account"):
            yield "accounts: new", "Create a LINE, SMS or WhatsApp account", partial(run, "app.new_account")
        if allowed("edit_account"):
            yield "accounts: edit selected", "Edit the selected account", partial(run, "app.edit_account")
        if allowed("delete_account"):
            yield "accounts: delete selected", "Delete the selected account", partial(run, "app.delete_account")
        if allowed("check_account"):
            yield (
                "accounts: check selected",
                "Check that it can receive (the account doctor)",
                partial(run, "app.check_account"),
            )
        if allowed("send_test"):
            yield (
                "inspector: send a test message",
                "A signed inbound message to the selected account",
                partial(run, "app.send_test"),
            )
        if allowed("hub_challenge"):
            yield (
                "inspector: send Meta's hub challenge",
                "Check the verify token as Meta does",
                partial(run, "app.hub_challenge"),
            )
        if not isinstance(screen, AccountsScreen):
            return
        inspector = screen.inspector
        yield "inspector: all accounts / selected", "Switch what the pane follows", inspector.action_toggle_scope
        yield "inspector: export shown requests", "Write them as JSON lines", inspector.action_export
        yield "accounts: refresh", "Reload the list, keeping the selection", partial(screen.run_action, "refresh")
        yield "accounts: filter", "Filter by any column", partial(screen.run_action, "focus_filter")
        yield "accounts: sort by next column", "Cycle the sort column", partial(screen.run_action, "cycle_sort")
        for account in screen.index.accounts[:500]:
            label = escape(one_line(account.name) or str(account.id))
            yield (
                f"accounts: open {label}",
                f"{account.type} account {account.id}",
                partial(screen.open_account, account.id),
            )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if not name.startswith("accounts: open "):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
