"""The home screen: every conversation account in a table, with filter, sort and paging.

The first page is drawn as soon as it arrives and the rest stream in; the table is a view
of ``_accounts`` (server order) through the current filter and sort, so saves and deletes
update one row without reloading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from voipbin_tui.api import Account, ConnectionFailed, VoipbinError
from voipbin_tui.presentation import flow_label, flow_names, local_time
from voipbin_tui.tui.messages import AccountDeleted, AccountSaved, ConnectionReady

RETRY_SECONDS = 5.0
COMPACT_WIDTH = 110
_OLDEST = datetime.min.replace(tzinfo=UTC)


class AccountsTable(DataTable):
    """The accounts DataTable; tells its screen its width so columns fit without sideways scrolling."""

    class Resized(Message):
        def __init__(self, width: int) -> None:
            self.width = width
            super().__init__()

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized(event.size.width))


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None
    sort_key: Callable[[Account, dict[UUID, str]], object]
    compact: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("type", "Type", 8, lambda a, _: str(a.type)),
    Column("name", "Name", None, lambda a, _: a.name.casefold()),
    Column("detail", "Detail", None, lambda a, _: a.detail.casefold(), compact=False),
    Column("flow", "Flow", 16, lambda a, names: flow_label(a.message_flow_id, names).casefold()),
    Column("created", "Created", 16, lambda a, _: a.tm_create or _OLDEST, compact=False),
    Column("updated", "Updated", 16, lambda a, _: a.last_change or _OLDEST),
)
_COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


class AccountsScreen(Screen[None]):
    """Accounts (home)."""

    AUTO_FOCUS = "#accounts"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="accounts.filter", tooltip="Filter by any column as you type"),
        Binding("n", "app.new_account", "New", id="accounts.new", tooltip="Create an account"),
        Binding("e", "app.edit_account", "Edit", id="accounts.edit", tooltip="Edit the selected account"),
        Binding("d", "app.delete_account", "Delete", id="accounts.delete", tooltip="Delete the selected account"),
        Binding("r", "refresh", "Refresh", id="accounts.refresh", tooltip="Reload, keeping the selection"),
        Binding("s", "cycle_sort", "Sort", id="accounts.sort", tooltip="Sort by the next column", show=False),
        Binding("S", "reverse_sort", "Reverse", id="accounts.reverse", tooltip="Reverse the sort", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="accounts.clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._accounts: dict[UUID, Account] = {}
        self._flow_names: dict[UUID, str] = {}
        self._search_text: dict[UUID, str] = {}
        self._visible: list[UUID] = []
        self._sort_key: str | None = None
        self._sort_reverse = False
        self._filter = ""
        self._compact: bool | None = None
        self._loading = False
        self._loaded_once = False
        self._error: str | None = None
        self._retry_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner", markup=False)
        with Vertical(id="accounts-body"):
            yield Input(placeholder="type to filter by any column · enter keeps it · esc clears", id="filter",
                        compact=True)
            yield AccountsTable(id="accounts", cursor_type="row", zebra_stripes=True)
            yield Static("", id="accounts-empty", markup=False)
        yield Static("", id="accounts-status", markup=False)
        yield Footer()

    @property
    def loaded(self) -> bool:
        """A load has finished (with rows, with none, or with an error) and none is running."""
        return not self._loading and (self._loaded_once or self._error is not None)

    @property
    def table(self) -> DataTable:
        return self.query_one("#accounts", DataTable)

    def on_mount(self) -> None:
        self._build_columns(self.table.size.width or self.size.width)
        self._show_state()
        if getattr(self.app, "connection", None) is not None:
            self.load_accounts()

    def on_connection_ready(self, _: ConnectionReady) -> None:
        self.load_accounts()

    def on_accounts_table_resized(self, event: AccountsTable.Resized) -> None:
        self._build_columns(event.width)
        self._fit_columns(event.width)

    # -- selection ----------------------------------------------------------------------

    def selected_account(self) -> Account | None:
        table = self.table
        if not self._visible or table.cursor_row < 0 or table.cursor_row >= len(self._visible):
            return None
        return self._accounts.get(self._visible[table.cursor_row])

    @on(DataTable.RowSelected, "#accounts")
    async def _open_selected(self) -> None:
        await self.app.run_action("app.open_account")

    async def open_account(self, account_id: UUID) -> None:
        """Select an account (clearing a filter that hides it) and open its detail."""
        if account_id not in self._accounts:
            return
        if account_id not in self._visible:
            self.action_clear_filter()
        self.table.move_cursor(row=self._visible.index(account_id), animate=False)
        await self.app.run_action("app.open_account")

    @on(DataTable.RowHighlighted, "#accounts")
    def _selection_moved(self) -> None:
        self.app.refresh_bindings()

    # -- loading ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load_accounts()

    @work(exclusive=True, group="accounts", exit_on_error=False)
    async def load_accounts(self) -> None:
        """Fetch flows, then pages of accounts, drawing the first page as soon as it lands."""
        connection = getattr(self.app, "connection", None)
        if connection is None:
            return
        self._loading = True
        self._update_status()
        client = connection.client
        try:
            self._flow_names = flow_names(await client.list_flows())
            fresh: dict[UUID, Account] = {}
            async for page in client.iter_account_pages():
                first_page = not fresh
                fresh.update((account.id, account) for account in page)
                if first_page:
                    self._replace_accounts(fresh.copy())
                else:
                    self._append_accounts(page)
                self._show_state()
                self._update_status()
            self._replace_accounts(fresh)
        except VoipbinError as exc:
            self._loading = False
            self._loading_failed(exc)
            return
        self._loading = False
        self._error = None
        self._loaded_once = True
        self._stop_retrying()
        self._show_state()
        self._update_status()

    def _loading_failed(self, exc: VoipbinError) -> None:
        self._error = str(exc)
        if isinstance(exc, ConnectionFailed):
            self._show_banner(f"Backend unreachable: {exc} Retrying every {RETRY_SECONDS:.0f} s; r retries now.")
            if self._retry_timer is None:
                self._retry_timer = self.set_interval(RETRY_SECONDS, self.load_accounts)
        else:
            self.notify(str(exc), title="Could not load accounts", severity="error", timeout=10, markup=False)
        self._show_state()
        self._update_status()

    def _stop_retrying(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._show_banner("")

    def _show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(text)
        banner.set_class(bool(text), "-visible")

    # -- the model behind the table -----------------------------------------------------

    def _replace_accounts(self, accounts: dict[UUID, Account]) -> None:
        self._accounts = accounts
        self._search_text = {account_id: self._row_text(a) for account_id, a in accounts.items()}
        self._render_rows()

    def _append_accounts(self, page: list[Account]) -> None:
        for account in page:
            self._accounts[account.id] = account
            self._search_text[account.id] = self._row_text(account)
        if self._sort_key is None and not self._filter:
            for account in page:  # server order already: no need to redraw what is there
                self._visible.append(account.id)
                self.table.add_row(*self._table_cells(account), key=str(account.id))
        else:
            self._render_rows()

    def on_account_saved(self, message: AccountSaved) -> None:
        account = message.account
        is_new = account.id not in self._accounts
        if is_new:
            self._accounts = {account.id: account, **self._accounts}
        else:
            self._accounts[account.id] = account
        self._search_text[account.id] = self._row_text(account)
        self._render_rows(select=account.id)
        self._show_state()
        self._update_status()

    def on_account_deleted(self, message: AccountDeleted) -> None:
        self._accounts.pop(message.account.id, None)
        self._search_text.pop(message.account.id, None)
        self._render_rows()
        self._show_state()
        self._update_status()

    def _row_text(self, account: Account) -> str:
        parts = (*self._cells(account, compact=False), str(account.id))
        return " ".join(parts).casefold()

    def _cells(self, account: Account, *, compact: bool | None = None) -> tuple[str, ...]:
        values = {
            "type": str(account.type) or "?",
            "name": account.name,
            "detail": account.detail,
            "flow": flow_label(account.message_flow_id, self._flow_names),
            "created": local_time(account.tm_create),
            "updated": local_time(account.last_change),
        }
        return tuple(values[column.key] for column in self._columns(compact))

    def _table_cells(self, account: Account) -> list[Text]:
        """Cells as plain Text: names come from the server and must never be read as markup."""
        return [Text(value, no_wrap=True, overflow="ellipsis") for value in self._cells(account)]

    def _columns(self, compact: bool | None = None) -> tuple[Column, ...]:
        compact = self._compact if compact is None else compact
        return tuple(column for column in COLUMNS if column.compact or not compact)

    def _build_columns(self, width: int) -> None:
        compact = 0 < width < COMPACT_WIDTH
        if compact == self._compact:
            return
        self._compact = compact
        table = self.table
        table.clear(columns=True)
        for column in self._columns():
            table.add_column(self._header_label(column), key=column.key, width=column.width or 10)
        self._fit_columns(width)
        self._render_rows()

    def _fit_columns(self, width: int) -> None:
        """Share what the fixed columns leave between name and detail, so nothing scrolls sideways."""
        columns = self._columns()
        flexible = [column for column in columns if column.width is None]
        fixed = sum(column.width or 0 for column in columns)
        padding = 2 * len(columns) + 1  # cell padding, plus the vertical scrollbar
        spare = max(12 * len(flexible), width - fixed - padding)
        shares = {"name": 0.45, "detail": 0.55} if len(flexible) > 1 else {"name": 1.0}
        for column in flexible:
            self.table.columns[column.key].width = max(10, int(spare * shares[column.key]))
            self.table.columns[column.key].auto_width = False
        self.table.refresh()

    def _header_label(self, column: Column) -> str:
        if column.key != self._sort_key:
            return column.label
        return f"{column.label} {'▼' if self._sort_reverse else '▲'}"

    def _matching(self) -> list[UUID]:
        tokens = self._filter.casefold().split()
        ids = [i for i in self._accounts if all(token in self._search_text[i] for token in tokens)]
        if self._sort_key is not None:
            sort_key = _COLUMN_BY_KEY[self._sort_key].sort_key
            ids.sort(key=lambda i: sort_key(self._accounts[i], self._flow_names), reverse=self._sort_reverse)
        return ids

    def _render_rows(self, select: UUID | None = None) -> None:
        table = self.table
        keep = select or (self._visible[table.cursor_row] if 0 <= table.cursor_row < len(self._visible) else None)
        self._visible = self._matching()
        table.clear()
        for account_id in self._visible:
            table.add_row(*self._table_cells(self._accounts[account_id]), key=str(account_id))
        if keep is not None and keep in self._accounts:
            try:
                table.move_cursor(row=self._visible.index(keep), animate=False)
            except ValueError:
                pass
        self.app.refresh_bindings()

    # -- filter and sort ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.query_one("#filter", Input).has_class("-active")
        return True

    def action_focus_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.add_class("-active")
        filter_input.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        filter_input.remove_class("-active")
        self.refresh_bindings()
        if self._filter:
            self._filter = ""
            self._render_rows()
            self._show_state()
            self._update_status()
        self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value
        self._render_rows()
        self._show_state()
        self._update_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(DataTable.HeaderSelected, "#accounts")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self._sort_key:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_key, self._sort_reverse = key, False
        self._apply_sort()

    def action_cycle_sort(self) -> None:
        keys = [column.key for column in self._columns()]
        position = keys.index(self._sort_key) + 1 if self._sort_key in keys else 0
        self._sort_key = keys[position] if position < len(keys) else None
        self._sort_reverse = False
        self._apply_sort()

    def action_reverse_sort(self) -> None:
        if self._sort_key is None:
            self._sort_key = "created"
        self._sort_reverse = not self._sort_reverse
        self._apply_sort()

    def _apply_sort(self) -> None:
        for column in self._columns():
            self.table.columns[column.key].label = self.table.columns[column.key].label.__class__(
                self._header_label(column)
            )
        self._render_rows()
        self._update_status()

    # -- states -------------------------------------------------------------------------

    def _show_state(self) -> None:
        empty = self.query_one("#accounts-empty", Static)
        message = ""
        if not self._accounts:
            if self._error is not None:
                message = f"Could not load accounts.\n{self._error}\n\nPress r to retry."
            elif self._loaded_once:
                message = "No accounts yet.\n\nPress n to create a LINE, SMS or WhatsApp account."
            else:
                message = "Loading accounts…"
        elif not self._visible:
            message = f"No account matches “{self._filter}”.\n\nPress esc to clear the filter."
        empty.update(message)
        self.query_one("#accounts-body").set_class(bool(message), "-empty")

    def _update_status(self) -> None:
        total = len(self._accounts)
        count = f"{total} account{'s' if total != 1 else ''}"
        parts = [f"{len(self._visible)} of {count}" if self._filter else count]
        if self._loading:
            parts.append("loading more…" if total else "loading…")
        elif self._error is not None:
            parts.append("not loaded: see the message above")
        if self._sort_key is not None:
            column = _COLUMN_BY_KEY[self._sort_key]
            parts.append(f"sorted by {column.label.lower()} {'▼' if self._sort_reverse else '▲'}")
        self.query_one("#accounts-status", Static).update(" · ".join(parts))
