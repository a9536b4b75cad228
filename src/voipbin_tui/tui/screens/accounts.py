"""The home screen: every conversation account in a table, with filter, sort and paging.

The first page is drawn as soon as it arrives and the rest stream in. The table is a view of
``_accounts`` (server order) through the current sort (kept until the accounts change) and
filter (see ``account_filter``); cells and search text are computed once per account, so a
keystroke in the filter is a list comprehension and a repaint of the visible lines, and saves
and deletes change one row without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from voipbin_tui.api import Account, ConnectionFailed, VoipbinError
from voipbin_tui.api.conversation_traffic import ConversationWatcher
from voipbin_tui.presentation import flow_label, flow_names, local_time
from voipbin_tui.terminal_text import multi_line, one_line
from voipbin_tui.tui.account_filter import AccountFilter, describe_scope
from voipbin_tui.tui.messages import AccountDeleted, AccountSaved, ConnectFailed, ConnectionReady
from voipbin_tui.tui.shell import AppAccess
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.widgets.inspector import InspectorPane
from voipbin_tui.tui.widgets.virtual_table import CELL_PADDING, TableColumn, VirtualTable
from voipbin_tui.tui.workers import background

RETRY_SECONDS = 5.0
COMPACT_WIDTH = 110
_OLDEST = datetime.min.replace(tzinfo=UTC)


class RowView(Sequence[list[str]]):
    """The visible rows, materialized only for the lines the table actually draws."""

    def __init__(self, ids: list[str], cells: dict[str, dict[str, str]], column_keys: list[str]) -> None:
        self._ids = ids
        self._cells = cells
        self._keys = column_keys

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> list[str]:  # type: ignore[override]
        cells = self._cells[self._ids[index]]
        return [cells[key] for key in self._keys]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None
    """Fixed width, or None to share what the fixed columns leave."""
    sort_key: Callable[[Account, dict[UUID, str]], str | datetime]
    compact: bool = True
    """Shown in narrow terminals too."""


COLUMNS: tuple[Column, ...] = (
    Column("type", "Type", 8, lambda a, _: str(a.type)),
    Column("name", "Name", None, lambda a, _: a.name.casefold()),
    Column("detail", "Detail", None, lambda a, _: a.detail.casefold(), compact=False),
    Column("flow", "Flow", 16, lambda a, names: flow_label(a.message_flow_id, names).casefold()),
    Column("created", "Created", 16, lambda a, _: a.tm_create or _OLDEST, compact=False),
    Column("updated", "Updated", 16, lambda a, _: a.tm_update or _OLDEST),
)
_COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
_FLEX_SHARES = {"name": 0.45, "detail": 0.55}


class AccountsScreen(AppAccess, Screen[None]):
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
        # keyed by the id as text: str hashes are cached in C, UUID hashes are computed in Python
        self._accounts: dict[str, Account] = {}
        self._flow_names: dict[UUID, str] = {}
        self._cells: dict[str, dict[str, str]] = {}
        self._fields: dict[str, dict[str, str]] = {}
        """Per account, casefolded: what ``field:word`` filter terms look in."""
        self._shown_text: dict[str, str] = {}
        """Per account, casefolded: the always-shown fields, which plain words match."""
        self._ordered: list[str] | None = None
        """Every id in the current sort order; None until needed after a change."""
        self._visible: list[str] = []
        self._sort_key: str | None = None
        self._sort_reverse = False
        self._filter = ""
        self._compact: bool | None = None
        self._width = 0
        self._loading = False
        self._loaded_once = False
        self._error: str | None = None
        self._connect_error: str | None = None
        self._retry_timer: Timer | None = None
        self._had_selection = False
        self._state_message: str | None = None

    def compose(self) -> ComposeResult:
        yield FittingHeader()
        yield Static("", id="banner", markup=False)
        with Vertical(id="accounts-body"):
            with Horizontal(id="filter-bar"):
                yield Input(placeholder="type to filter · enter keeps it · esc clears", id="filter", compact=True)
                yield Static("", id="filter-scope", markup=False)
            yield VirtualTable(id="accounts")
            yield Static("", id="accounts-empty", markup=False)
        yield Static("", id="accounts-status", markup=False)
        yield InspectorPane(id="inspector")
        yield KeyFooter()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#accounts", VirtualTable)

    @property
    def inspector(self) -> InspectorPane:
        return self.query_one(InspectorPane)

    @property
    def loaded(self) -> bool:
        """A load has finished (with rows, with none, or with an error) and none is running."""
        return not self._loading and (self._loaded_once or self._error is not None)

    def on_mount(self) -> None:
        self._layout_columns(self.size.width)
        self._show_state()
        if self.voipbin_app.connection is not None:
            self.load_accounts()

    def on_connect_failed(self, message: ConnectFailed) -> None:
        self._connect_error = message.reason
        self._show_state()

    def on_connection_ready(self, _: ConnectionReady) -> None:
        self._connect_error = None
        self.load_accounts()
        app = self.voipbin_app
        if app.feed is not None:
            key_hint = app.connection.inspector_key_hint if app.connection is not None else None
            self.inspector.start(app.feed, key_hint=key_hint)
        else:
            self.inspector.start_conversations(ConversationWatcher(app.client))

    @on(VirtualTable.Resized, "#accounts")
    def _table_resized(self, event: VirtualTable.Resized) -> None:
        self._layout_columns(event.width)

    # -- selection ----------------------------------------------------------------------

    def selected_account(self) -> Account | None:
        row = self.table.cursor_row
        return self._accounts.get(self._visible[row]) if 0 <= row < len(self._visible) else None

    @on(VirtualTable.RowSelected, "#accounts")
    async def _open_selected(self) -> None:
        await self.app.run_action("app.open_account")

    @on(VirtualTable.RowHighlighted, "#accounts")
    def _selection_moved(self) -> None:
        self._refresh_bindings_if_selection_changed()
        self._inspector_follows_selection()

    def _inspector_follows_selection(self) -> None:
        account = self.selected_account()
        if account is not None:
            self.inspector.follow_account(str(account.id), account.name or str(account.id))

    def action_inspector(self) -> None:
        """Focus the inspector; if it has focus already, hide it (i again brings it back)."""
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

    async def open_account(self, account_id: UUID) -> None:
        """Select an account (clearing a filter that hides it) and open its detail."""
        key = str(account_id)
        if key not in self._accounts:
            return
        if key not in self._visible:
            self.action_clear_filter()
        self.table.move_cursor(self._visible.index(key))
        await self.app.run_action("app.open_account")

    # -- loading ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load_accounts()

    @background("Could not load accounts", group="accounts", exclusive=True)
    async def load_accounts(self) -> None:
        """Fetch flows, then pages of accounts, drawing the first page as soon as it lands."""
        connection = self.voipbin_app.connection
        if connection is None:
            return
        self._loading = True
        self._update_status()
        client = connection.client
        selected = self.selected_account()
        keep = str(selected.id) if selected is not None else None  # refresh keeps it, wherever it lands
        try:
            self._flow_names = flow_names(await client.list_flows())
            first_page = True
            async for page in client.iter_account_pages():
                if first_page:
                    self._replace_accounts(page)
                    first_page = False
                else:
                    self._append_accounts(page)
                if keep is not None and keep in self._accounts:
                    if keep in self._visible:
                        self.table.move_cursor(self._visible.index(keep))
                    keep = None
                self._show_state()
                self._update_status()
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
            # one retry at a time, armed again only if it fails: a slow load is never restarted
            self._retry_timer = self.set_timer(RETRY_SECONDS, self.load_accounts)
        else:
            self.voipbin_app.show_error("Could not load accounts", exc)
        self._show_state()
        self._update_status()

    def _stop_retrying(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._show_banner("")

    def _show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(multi_line(text))
        banner.set_class(bool(text), "-visible")

    # -- the model behind the table -----------------------------------------------------

    def _remember(self, account: Account) -> str:
        key = str(account.id)
        self._accounts[key] = account
        cells = {
            "type": one_line(str(account.type)) or "?",
            "name": one_line(account.name),
            "detail": one_line(account.detail),
            "flow": one_line(flow_label(account.message_flow_id, self._flow_names)),
            "created": local_time(account.tm_create),
            "updated": local_time(account.tm_update) or "never",  # as the detail says
        }
        self._cells[key] = cells
        fields = {name: cells[name].casefold() for name in ("type", "name", "detail", "flow")}
        fields["id"] = key
        self._fields[key] = fields
        self._shown_text[key] = f"{fields['type']} {fields['name']} {fields['flow']}"
        self._ordered = None
        return key

    def _forget(self, account_id: UUID) -> None:
        for store in (self._accounts, self._cells, self._fields, self._shown_text):
            store.pop(str(account_id), None)
        self._ordered = None

    def _replace_accounts(self, accounts: list[Account]) -> None:
        self._accounts, self._cells, self._fields, self._shown_text = {}, {}, {}, {}
        for account in accounts:
            self._remember(account)
        self._render_rows()

    def _append_accounts(self, page: list[Account]) -> None:
        for account in page:
            self._remember(account)
        if self._sort_key is None and not self._filter:
            self._visible.extend(str(account.id) for account in page)  # server order: below what is drawn
            self._ordered = None
            self.table.rows_changed()
        else:
            self._render_rows()

    def on_account_saved(self, message: AccountSaved) -> None:
        account = message.account
        if account.is_deleted:  # saved into a deleted account: VoIPBIN does not list it
            self.on_account_deleted(AccountDeleted(account))
            return
        key = str(account.id)
        if key not in self._accounts:  # new: newest first, as the server orders
            self._accounts = {key: account, **self._accounts}
        self._remember(account)
        self._render_rows(select=key)
        self._show_state()
        self._update_status()

    def on_account_deleted(self, message: AccountDeleted) -> None:
        self._forget(message.account.id)
        self._render_rows()
        self._show_state()
        self._update_status()

    def _columns(self) -> tuple[Column, ...]:
        return tuple(column for column in COLUMNS if column.compact or not self._compact)

    def _layout_columns(self, width: int) -> None:
        """Pick the columns for this width and share the spare width between name and detail."""
        if width <= 0 or width == self._width:
            return
        self._width = width
        compact = width < COMPACT_WIDTH
        columns_changed = compact != self._compact
        self._compact = compact
        self.query_one("#filter-scope", Static).update(describe_scope(detail_shown=not compact))
        columns = self._columns()
        fixed = sum(column.width or 0 for column in columns) + 2 * CELL_PADDING * len(columns)
        flexible = [column for column in columns if column.width is None]
        spare = max(10 * len(flexible), width - fixed)
        shares = _FLEX_SHARES if len(flexible) > 1 else {column.key: 1.0 for column in flexible}
        widths = {column.key: column.width or max(10, int(spare * shares[column.key])) for column in columns}
        self.table.set_columns([TableColumn(c.key, self._header_label(c), widths[c.key]) for c in columns])
        if columns_changed:
            self._render_rows()

    def _header_label(self, column: Column) -> str:
        if column.key != self._sort_key:
            return column.label
        return f"{column.label} {'▼' if self._sort_reverse else '▲'}"

    def _matching(self) -> list[str]:
        """Ids that match the filter: ranked (the exact name first), and in sort order within
        a rank. Plain words match only what the list shows (detail when its column is on)."""
        ordered = self._sorted_ids()
        query = AccountFilter.parse(self._filter)
        if query.is_empty:
            return list(ordered)
        fields, shown = self._fields, self._shown_text
        if self._compact:
            ids = [i for i in ordered if query.matches(fields[i], shown[i])]
        else:
            ids = [i for i in ordered if query.matches(fields[i], f"{shown[i]} {fields[i]['detail']}")]
        if query.words:
            ids.sort(key=lambda i: query.rank(fields[i]["name"]))  # stable: sort order within a rank
        return ids

    def _sorted_ids(self) -> list[str]:
        if self._ordered is None or len(self._ordered) != len(self._accounts):
            ids = list(self._accounts)  # server order: newest first
            if self._sort_key is not None:
                sort_key = _COLUMN_BY_KEY[self._sort_key].sort_key
                ids.sort(key=lambda i: sort_key(self._accounts[i], self._flow_names), reverse=self._sort_reverse)
            self._ordered = ids
        return self._ordered

    def _render_rows(self, select: str | None = None, *, best_match: bool = False) -> None:
        """Show the matching rows; the cursor stays on its account, or goes to ``select``, or
        with ``best_match`` (the filter changed) to the top, where the best match is."""
        table = self.table
        keep = select or (self._visible[table.cursor_row] if 0 <= table.cursor_row < len(self._visible) else None)
        self._visible = self._matching()
        if best_match and select is None:
            keep = None
        try:
            cursor = self._visible.index(keep) if keep is not None else 0
        except ValueError:
            cursor = 0
        table.set_rows(RowView(self._visible, self._cells, [column.key for column in self._columns()]), cursor=cursor)
        self._refresh_bindings_if_selection_changed()
        self._inspector_follows_selection()

    def _refresh_bindings_if_selection_changed(self) -> None:
        """Edit and delete apply only with a selection; redrawing the footer on every keystroke
        would cost more than the filtering itself."""
        has_selection = bool(self._visible)
        if has_selection != self._had_selection:
            self._had_selection = has_selection
            self.app.refresh_bindings()

    # -- filter and sort ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.query_one("#filter", Input).has_class("-active")
        return True

    def action_focus_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.add_class("-active")
        self.query_one("#filter-bar").add_class("-active")
        filter_input.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        filter_input.remove_class("-active")
        self.query_one("#filter-bar").remove_class("-active")
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
        self._render_rows(best_match=True)
        self._show_state()
        self._update_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(VirtualTable.HeaderSelected, "#accounts")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        if event.column_key == self._sort_key:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_key, self._sort_reverse = event.column_key, False
        self._apply_sort()

    def action_cycle_sort(self) -> None:
        keys = [column.key for column in self._columns()]
        position = keys.index(self._sort_key) + 1 if self._sort_key in keys else 0
        self._sort_key = keys[position] if position < len(keys) else None
        self._sort_reverse = False
        self._apply_sort()

    def action_reverse_sort(self) -> None:
        if self._sort_key is None:  # the server's order is newest first: reversed, oldest first
            self._sort_key, self._sort_reverse = "created", False
        else:
            self._sort_reverse = not self._sort_reverse
        self._apply_sort()

    def _apply_sort(self) -> None:
        self._ordered = None
        self._width = 0  # relabel the headers
        self._layout_columns(self.table.scrollable_content_region.width)
        self._render_rows()
        self._update_status()

    # -- states -------------------------------------------------------------------------

    def _show_state(self) -> None:
        message = ""
        if not self._accounts:
            if self._connect_error is not None:
                message = (
                    f"Could not connect.\n{multi_line(self._connect_error)}\n\n"
                    "Fix that, then press R to try again (q quits)."
                )
            elif self._error is not None:
                message = f"Could not load accounts.\n{one_line(self._error)}\n\nPress r to retry."
            elif self._loaded_once:
                message = "No accounts yet.\n\nPress n to create a LINE, SMS or WhatsApp account."
            else:
                message = "Loading accounts…"
        elif not self._visible:
            message = f"No account matches “{one_line(self._filter)}”.\n\nPress esc to clear the filter."
        if message != self._state_message:
            self._state_message = message
            self.query_one("#accounts-empty", Static).update(message)
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
        self.query_one("#accounts-status", Static).update(" · ".join(parts), layout=False)
