"""The home screen: the accounts table over the inspector pane.

The table (``AccountsTable``: loading, filter, sort, states) and its data (``AccountIndex``)
live in their own modules; this screen binds the keys, hands the app's connection events and
saves to the table, and keeps the inspector on the selected account.

The inspector pane is mounted right after the first frame (the list is drawn without it): it
has nothing to show before the connection, and composing, styling and drawing it was a sixth
of that frame's work. The footer's keys come right after that frame too.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import AwaitMount

from voipbin_tui.tui.account_index import AccountIndex
from voipbin_tui.tui.messages import (
    AccountDeleted,
    AccountSaved,
    ConnectFailed,
    ConnectionReady,
    LastSeenWithdrawn,
)
from voipbin_tui.tui.shell import AppAccess, ShowsAnAccount
from voipbin_tui.tui.widgets.accounts_table import AccountsTable
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.widgets.inspector import InspectorPane
from voipbin_tui.tui.widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from voipbin_tui.api.models import Account


class AccountsScreen(AppAccess, ShowsAnAccount, Screen[None]):
    """Accounts (home)."""

    AUTO_FOCUS = "#accounts"
    ESCAPE_TO_MINIMIZE = False
    """esc goes to the inspector first (it clears its filter and gives the table focus), and
    leaves full screen only then; minimizing first left the typing in the filter box."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            id="accounts.filter",
            tooltip="Filter by type, name and flow as you type (id: and detail: for those)",
        ),
        Binding("n", "app.new_account", "New", id="accounts.new", tooltip="Create an account"),
        Binding("e", "app.edit_account", "Edit", id="accounts.edit", tooltip="Edit the selected account"),
        Binding("d", "app.delete_account", "Delete", id="accounts.delete", tooltip="Delete the selected account"),
        Binding("r", "refresh", "Refresh", id="accounts.refresh", tooltip="Reload, keeping the selection"),
        Binding("s", "cycle_sort", "Sort", id="accounts.sort", tooltip="Sort by the next column", show=False),
        Binding("S", "reverse_sort", "Reverse", id="accounts.reverse", tooltip="Reverse the sort", show=False),
        Binding("t", "app.send_test", "Test", id="accounts.test", tooltip="Send a test inbound message to the account"),
        Binding(
            "k",
            "app.check_account",
            "Check",
            id="accounts.check",
            tooltip="Check that the account can receive: VoIPBIN, Meta or LINE, and the path between",
        ),
        Binding(
            "h",
            "app.hub_challenge",
            "Hub challenge",
            id="accounts.hub_challenge",
            tooltip="Send Meta's hub challenge to the WhatsApp account, as the App Dashboard does",
            show=False,
        ),
        Binding("i", "inspector", "Inspector", id="accounts.inspector", tooltip="Focus the inspector, or hide it"),
        Binding("escape", "clear_filter", "Clear filter", id="accounts.clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.drawn = asyncio.Event()
        """Set once the list (the one last seen, if any) has been drawn at its size."""
        self._inspector = InspectorPane(id="inspector")
        self._inspector_mounting: AwaitMount | None = None
        self._followed: tuple[str, str] | None = None
        """The account the pane is to follow once it is mounted."""

    def on_accounts_table_drawn(self, _: AccountsTable.Drawn) -> None:
        self.drawn.set()
        if not self.is_attached:  # the app closed first (e.g. for the normal path): nothing to add
            return
        self.query_one(KeyFooter).show_keys()
        self.mount_inspector()

    def compose(self) -> ComposeResult:
        yield FittingHeader()
        yield AccountsTable(id="accounts-view")
        yield KeyFooter(keys_later=True)

    def mount_inspector(self) -> AwaitMount:
        """Mount the inspector pane under the table, once (awaitable: it is mounted then);
        nothing on a screen the closing app has already taken down."""
        if not self.is_attached:
            return AwaitMount(self, [])
        if self._inspector_mounting is None:
            self._inspector_mounting = self.mount(self._inspector, after=self.accounts_table)
            self.call_later(self._follow_once_mounted)
        return self._inspector_mounting

    async def _follow_once_mounted(self) -> None:
        await self.mount_inspector()
        self._follow_in_inspector()

    def _follow_in_inspector(self) -> None:
        """The pane follows the selected account (once it is mounted; until then, it is kept)."""
        if self._followed is not None and self._inspector.is_mounted:
            self._inspector.follow_account(*self._followed)

    @property
    def accounts_table(self) -> AccountsTable:
        return self.query_one(AccountsTable)

    @property
    def index(self) -> AccountIndex:
        """The loaded accounts and which of them show (``index.shown``), in order."""
        return self.accounts_table.index

    @property
    def table(self) -> VirtualTable:
        return self.accounts_table.table

    @property
    def inspector(self) -> InspectorPane:
        """The pane (mounted right after the first frame: see ``mount_inspector``)."""
        return self._inspector

    @property
    def loaded(self) -> bool:
        """A load has finished (with rows, with none, or with an error) and none is running."""
        return self.accounts_table.loaded

    def on_last_seen_withdrawn(self, _: LastSeenWithdrawn) -> None:
        self.accounts_table.withdraw_last_seen()

    def on_connect_failed(self, message: ConnectFailed) -> None:
        self.accounts_table.connect_error = message.reason

    async def on_connection_ready(self, _: ConnectionReady) -> None:
        """The one load at start: the screen is on the stack before the app connects, so this
        reaches it even when connecting was quicker than mounting (a load on mount as well was
        a second list request, cancelling the first)."""
        self.accounts_table.connect_error = None
        self.accounts_table.load_accounts()
        await self.mount_inspector()  # connecting can be quicker than the first frame
        app = self.voipbin_app
        if app.feed is not None:
            key_hint = app.connection.inspector_key_hint if app.connection is not None else None
            self.inspector.start(app.feed, key_hint=key_hint)
        else:
            from voipbin_tui.api.conversation_traffic import ConversationWatcher

            self.inspector.start_conversations(ConversationWatcher(app.client))

    def on_account_saved(self, message: AccountSaved) -> None:
        self.accounts_table.show_saved(message.account)

    def on_account_deleted(self, message: AccountDeleted) -> None:
        self.accounts_table.drop_account(message.account.id)

    # -- selection ----------------------------------------------------------------------

    def selected_account(self) -> Account | None:
        return self.accounts_table.selected_account()

    @on(VirtualTable.RowSelected, "#accounts")
    async def _open_selected(self) -> None:
        await self.app.run_action("app.open_account")

    @on(AccountsTable.Highlighted)
    def _inspector_follows_selection(self, event: AccountsTable.Highlighted) -> None:
        account = event.account
        if account is not None:
            self._followed = (str(account.id), account.name or str(account.id))
            self._follow_in_inspector()

    async def open_account(self, account_id: UUID) -> None:
        """Select an account (clearing a filter that hides it) and open its detail."""
        if self.accounts_table.select(account_id):
            await self.app.run_action("app.open_account")

    async def action_inspector(self) -> None:
        """Focus the inspector; if it has focus already, hide it (i again brings it back)."""
        await self.mount_inspector()
        pane = self.inspector
        if pane.has_class("-hidden"):
            pane.remove_class("-hidden")
            pane.table.focus()
        elif pane.has_focus_within:
            pane.add_class("-hidden")
            self.table.focus()
        else:
            pane.table.focus()

    @on(InspectorPane.Opened)
    def _open_request(self, event: InspectorPane.Opened) -> None:
        self.voipbin_app.open_request(event.request)

    @on(InspectorPane.ExportRequested)
    def _export(self, event: InspectorPane.ExportRequested) -> None:
        self.voipbin_app.export_requests(event.requests)

    # -- keys of the table --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.accounts_table.filter_active
        return True

    def action_refresh(self) -> None:
        self.accounts_table.load_accounts()

    def action_focus_filter(self) -> None:
        self.accounts_table.focus_filter()

    def action_clear_filter(self) -> None:
        self.accounts_table.clear_filter()

    def action_cycle_sort(self) -> None:
        self.accounts_table.sort_by_next_column()

    def action_reverse_sort(self) -> None:
        self.accounts_table.reverse_sort()
