"""The Textual app: owns the connection, the read-only gate and every mutating action.

Mutating actions (new, edit, delete, send) live here so that ``check_action`` is the single
place that enforces ``--read-only``; screens bind keys to ``app.*`` actions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from voipbin_tui.api import Account, VoipbinError
from voipbin_tui.connection import Connection
from voipbin_tui.tui.commands import AccountCommands
from voipbin_tui.tui.messages import AccountDeleted, AccountSaved, ConnectionReady
from voipbin_tui.tui.screens.accounts import AccountsScreen
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.form import AccountFormScreen

ConnectionOpener = Callable[[], AbstractAsyncContextManager[Connection]]
MUTATING_ACTIONS = frozenset({"new_account", "edit_account", "delete_account", "send_test"})


def styles_path() -> Path:
    """The shipped stylesheet: inside the package when installed, top-level ``styles/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "styles" / "app.tcss", package.parent.parent / "styles" / "app.tcss"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("voipbin-tui stylesheet app.tcss not found")


class VoipbinApp(App[None]):
    """voipbin-tui: conversation accounts on the sandbox or on VoIPBIN."""

    TITLE = "voipbin-tui"
    CSS_PATH = styles_path()
    COMMANDS = App.COMMANDS | {AccountCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit voipbin-tui"),
        Binding("question_mark", "toggle_help", "Keys", id="app.help", tooltip="Show every key for this screen"),
    ]

    read_only: reactive[bool] = reactive(False)
    connection: Connection | None = None

    def __init__(
        self,
        open_connection: ConnectionOpener,
        *,
        read_only: bool = False,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._open_connection = open_connection
        self._exit_stack = AsyncExitStack()
        self._keymap = keymap or {}
        self.set_reactive(VoipbinApp.read_only, read_only)

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self.sub_title = "connecting…"
        self.push_screen(AccountsScreen())
        self._connect()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _connect(self) -> None:
        try:
            self.connection = await self._exit_stack.enter_async_context(self._open_connection())
        except (VoipbinError, OSError) as exc:
            self.sub_title = "not connected"
            self.notify(f"Could not connect: {exc}", severity="error", timeout=30, markup=False)
            return
        self.sub_title = self._describe_connection(self.connection)
        self.broadcast(ConnectionReady)

    def _describe_connection(self, connection: Connection) -> str:
        where = (
            f"SANDBOX · hook {connection.hook_base_url}" if connection.is_sandbox else connection.target.label
        )
        return f"READ-ONLY · {where}" if self.read_only else where

    async def on_unmount(self) -> None:
        await self._exit_stack.aclose()

    # -- the single read-only gate ------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING_ACTIONS:
            if self.read_only:
                return None  # shown greyed out, so the user sees why nothing happens
            if action != "new_account" and self.selected_account() is None:
                return None
        return True

    def selected_account(self) -> Account | None:
        screen = self.screen
        return screen.selected_account() if hasattr(screen, "selected_account") else None

    # -- actions ------------------------------------------------------------------------

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_open_account(self) -> None:
        account = self.selected_account()
        if account is not None and self.connection is not None:
            self.push_screen(AccountDetailScreen(account))

    def action_new_account(self) -> None:
        if self.connection is not None:
            self.push_screen(AccountFormScreen(None), self._account_saved)

    def action_edit_account(self) -> None:
        account = self.selected_account()
        if account is not None and self.connection is not None:
            self.push_screen(AccountFormScreen(account), self._account_saved)

    def _account_saved(self, account: Account | None) -> None:
        if account is not None:
            self.broadcast(lambda: AccountSaved(account))

    def broadcast(self, make_message: Callable[[], Message]) -> None:
        """Tell every screen on the stack; each gets its own message instance."""
        for screen in self.screen_stack:
            screen.post_message(make_message())

    def action_delete_account(self) -> None:
        account = self.selected_account()
        if account is None or self.connection is None:
            return
        label = f"{account.type} account “{account.name or account.id}”"
        self.push_screen(
            ConfirmScreen(f"Delete {label}?", detail=f"id {account.id}", confirm_label="Delete"),
            lambda confirmed: self._delete(account) if confirmed else None,
        )

    @work(group="write", exit_on_error=False)
    async def _delete(self, account: Account) -> None:
        assert self.connection is not None
        try:
            deleted = await self.connection.client.delete_account(account.id)
        except VoipbinError as exc:
            self.notify(str(exc), title="Delete failed", severity="error", timeout=15, markup=False)
            return
        self.notify(f"Deleted {deleted.name or deleted.id}", timeout=4, markup=False)
        self.broadcast(lambda: AccountDeleted(deleted))
        if isinstance(self.screen, AccountDetailScreen):
            self.pop_screen()
