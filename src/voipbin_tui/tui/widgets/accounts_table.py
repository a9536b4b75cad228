"""The accounts table: loads the accounts (the first page is drawn as soon as it arrives, the
rest stream in), shows them through an ``AccountIndex``, and says what state it is in.

Loading, the errors and the filter are reactives: setting one redraws the banner, the empty
state and the status line, so no code path can leave them saying something stale.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from voipbin_tui.account_cache import AccountCache
from voipbin_tui.api.errors import ConnectionFailed, VoipbinError
from voipbin_tui.presentation import error_message, flow_names
from voipbin_tui.terminal_text import multi_line
from voipbin_tui.tui.account_index import AccountIndex, describe_scope
from voipbin_tui.tui.shell import AppAccess
from voipbin_tui.tui.widgets.virtual_table import CELL_PADDING, TableColumn, VirtualTable
from voipbin_tui.tui.workers import background

if TYPE_CHECKING:
    from voipbin_tui.api.models import Account

RETRY_SECONDS = 5.0
COMPACT_WIDTH = 110
"""Narrower than this, the detail and created columns are left out."""
FLEX_SHARES = {"name": 0.45, "detail": 0.55}
LOAD_FAILURE = "Could not load accounts"
log = logging.getLogger(__name__)


class AccountsTable(AppAccess, Vertical):
    """Banner, filter bar, table, empty state and status line of the accounts list."""

    fetching: reactive[bool] = reactive(False, init=False)
    """A load is running. (Not Textual's ``loading``, which would cover the table, and a list
    last seen on it, with a spinner and take the keys away.)"""
    load_error: reactive[str | None] = reactive(None, init=False)
    """Why the last load failed (None once one succeeds)."""
    connect_error: reactive[str | None] = reactive(None, init=False)
    """Why the app could not connect (None once it has)."""
    filter_text: reactive[str] = reactive("", init=False)
    last_seen: reactive[datetime | None] = reactive(None, init=False)
    """When the list on screen was kept, while it is the one from the last run (the account
    cache); None once the backend's list replaced it."""

    class Drawn(Message):
        """The table has been drawn at its size for the first time (with the list last seen, if
        any): what a launch waits for before it imports the rest."""

    class Highlighted(Message):
        """The account under the cursor may have changed (moved, filtered, reloaded)."""

        def __init__(self, account: Account | None) -> None:
            self.account = account
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.index = AccountIndex()
        self.loaded_once = False
        self._width = 0
        self._detail_shown: bool | None = None
        """Whether the detail column is on, as last laid out (None before the first layout)."""
        self._retry_timer: Timer | None = None
        self._had_selection = False
        self._state_message: str | None = None
        self._drawn_told = False

    def compose(self) -> ComposeResult:
        yield Static("", id="banner", markup=False)
        with Vertical(id="accounts-body"):
            with Horizontal(id="filter-bar"):
                yield Input(placeholder="type to filter · enter keeps it · esc clears", id="filter", compact=True)
                yield Static("", id="filter-scope", markup=False)
            yield VirtualTable(id="accounts")
            yield Static("", id="accounts-empty", markup=False)
        yield Static("", id="accounts-status", markup=False)

    def on_mount(self) -> None:
        self._layout_columns(self.screen.size.width)
        self._show_state()
        if self.voipbin_app.account_cache is not None:
            self._show_last_seen(self.voipbin_app.account_cache)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#accounts", VirtualTable)

    @property
    def loaded(self) -> bool:
        """A load has finished (with rows, with none, or with an error) and none is running."""
        return not self.fetching and (self.loaded_once or self.load_error is not None)

    @property
    def filter_active(self) -> bool:
        """The filter bar is open (esc closes it)."""
        return self.query_one("#filter", Input).has_class("-active")

    def selected_account(self) -> Account | None:
        """The account under the cursor; none while the list is the one last seen (its rows may
        be stale, and hold no provider data to sign or show with). Once the backend's list has
        replaced it, every row is an API ``Account``."""
        if self.last_seen is not None:
            return None
        return cast("Account | None", self.index.shown_at(self.table.cursor_row))

    def select(self, account_id: UUID) -> bool:
        """Put the cursor on an account, clearing a filter that hides it; False if not loaded."""
        if account_id not in self.index:
            return False
        if self.index.row_of(account_id) is None:
            self.clear_filter()
        row = self.index.row_of(account_id)
        if row is not None:
            self.table.move_cursor(row)
        return True

    # -- the states ---------------------------------------------------------------------

    def watch_fetching(self) -> None:
        self._show_state()

    def watch_load_error(self) -> None:
        self._show_state()

    def watch_connect_error(self) -> None:
        self._show_state()

    def watch_last_seen(self) -> None:
        self._show_state()
        self.app.refresh_bindings()  # the account keys apply once the list is fresh
        self.post_message(self.Highlighted(self.selected_account()))

    def watch_filter_text(self, text: str) -> None:
        self.index.filter_text = text
        self._render_rows(best_match=True)

    def _show_state(self) -> None:
        """The empty state and the status line, from the reactives and the index."""
        message = self.index.empty_message(
            connect_error=self.connect_error, load_error=self.load_error, loaded=self.loaded_once
        )
        if message != self._state_message:
            self._state_message = message
            self.query_one("#accounts-empty", Static).update(message)
            self.query_one("#accounts-body").set_class(bool(message), "-empty")
        status = self.index.status(loading=self.fetching, failed=self.load_error is not None, last_seen=self.last_seen)
        self.query_one("#accounts-status", Static).update(status, layout=False)

    def _show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(multi_line(text))
        banner.set_class(bool(text), "-visible")

    # -- loading ------------------------------------------------------------------------

    def _show_last_seen(self, cache: AccountCache) -> None:
        """Draw the list kept from the last run, in the first frame (read here, not on a thread:
        a thread would lose the race to the backend's answer it stands in for)."""
        cached = cache.read()
        if cached is not None and not len(self.index) and not self.loaded_once:
            self.last_seen = cached.saved_at  # first: no row of it is ever the selected account
            self.index.replace(cached.accounts, cached.flow_names)
            self._render_rows()

    def withdraw_last_seen(self) -> None:
        """The list last seen turned out to be another target's: drop its rows now."""
        if self.last_seen is not None:
            self.index.replace([])
            self._render_rows()
            self.last_seen = None

    async def _keep_for_next_run(self) -> None:
        """The whole list as loaded, for the next launch to show at once."""
        cache = self.voipbin_app.account_cache
        if cache is None:
            return
        try:
            await asyncio.to_thread(cache.write, self.index.accounts, self.index.flow_names)
        except OSError as exc:  # a full disk or a read-only data dir costs the next launch a moment, no more
            log.warning("could not keep the account list in %s: %s", cache.path, exc)

    @background(LOAD_FAILURE, group="accounts", exclusive=True)
    async def load_accounts(self) -> None:
        """Fetch the flows and the pages of accounts, drawing the first page as soon as it lands."""
        connection = self.voipbin_app.connection
        if connection is None:
            return
        self.fetching = True
        client = connection.client
        selected = self.selected_account()
        keep = selected.id if selected is not None else None  # refresh keeps it, wherever it lands
        # the flows and the first page at once: on a slow link to VoIPBIN that is one round trip
        flows = asyncio.ensure_future(client.list_flows())
        try:
            first_page = True
            async for page in client.iter_account_pages():
                if first_page:
                    self.index.replace(page, flow_names(await flows))
                    self._render_rows()
                    self.last_seen = None
                    first_page = False
                elif self.index.append(page):
                    self.table.rows_changed()  # below what is drawn: nothing moves
                else:
                    self._render_rows()
                if keep is not None and keep in self.index:
                    row = self.index.row_of(keep)
                    if row is not None:
                        self.table.move_cursor(row)
                    keep = None
                self._show_state()
            if first_page:  # no account at all (any more): not even the list last seen stays
                self.index.replace([], flow_names(await flows))
                self._render_rows()
                self.last_seen = None
        except VoipbinError as exc:
            self._loading_failed(exc)
            return
        finally:
            if not flows.done():  # the accounts failed first, or the load was cancelled
                flows.cancel()
            elif not flows.cancelled():
                flows.exception()  # retrieved: a flows error after an accounts error is not "never retrieved"
        self._stop_retrying()
        self.loaded_once = True
        self.load_error = None
        self.fetching = False
        await self._keep_for_next_run()

    def _loading_failed(self, exc: VoipbinError) -> None:
        if isinstance(exc, ConnectionFailed):
            self._show_banner(f"Backend unreachable: {exc} Retrying every {RETRY_SECONDS:.0f} s; r retries now.")
            # one retry at a time, armed again only if it fails: a slow load is never restarted
            self._retry_timer = self.set_timer(RETRY_SECONDS, self.load_accounts)
        else:
            self.voipbin_app.show_error(LOAD_FAILURE, exc)
        self.fetching = False
        self.load_error = str(exc)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A load that stopped on an unexpected error (toasted by the app) is not "loading…"."""
        if event.worker.group == "accounts" and event.state is WorkerState.ERROR:
            self.fetching = False
            self.load_error = error_message(event.worker.error or Exception())

    def _stop_retrying(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._show_banner("")

    # -- changes from elsewhere ---------------------------------------------------------

    def show_saved(self, account: Account) -> None:
        """A saved account: its row changes in place, or a new one is selected."""
        if account.is_deleted:  # saved into a deleted account: VoIPBIN does not list it
            self.drop_account(account.id)
            return
        self.index.put(account)
        self._render_rows(select=str(account.id))
        self._show_state()

    def drop_account(self, account_id: UUID) -> None:
        self.index.remove(account_id)
        self._render_rows()
        self._show_state()

    # -- filter and sort ----------------------------------------------------------------

    def focus_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.add_class("-active")
        self.query_one("#filter-bar").add_class("-active")
        filter_input.focus()
        self.screen.refresh_bindings()  # esc now clears it

    def clear_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        filter_input.remove_class("-active")
        self.query_one("#filter-bar").remove_class("-active")
        self.screen.refresh_bindings()
        if self.filter_text:  # the cursor stays on its account (a new filter goes to the best match)
            self.set_reactive(AccountsTable.filter_text, "")
            self.index.filter_text = ""
            self._render_rows()
        self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(VirtualTable.HeaderSelected, "#accounts")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        self.index.sort_by_header(event.column_key)
        self._apply_sort()

    def sort_by_next_column(self) -> None:
        self.index.sort_by_next_column()
        self._apply_sort()

    def reverse_sort(self) -> None:
        self.index.reverse_sort()
        self._apply_sort()

    def _apply_sort(self) -> None:
        self._width = 0  # relabel the headers
        self._layout_columns(self.table.scrollable_content_region.width)
        self._render_rows()

    # -- drawing ------------------------------------------------------------------------

    @on(VirtualTable.Resized, "#accounts")
    def _table_resized(self, event: VirtualTable.Resized) -> None:
        self._layout_columns(event.width)
        if not self._drawn_told:  # laid out at its size: the rows are in the next frame
            self._drawn_told = True
            self.call_after_refresh(self.post_message, self.Drawn())

    @on(VirtualTable.RowHighlighted, "#accounts")
    def _selection_moved(self) -> None:
        self._selection_changed()

    def _layout_columns(self, width: int) -> None:
        """Pick the columns for this width and share the spare width between name and detail."""
        if width <= 0 or width == self._width:
            return
        self._width = width
        detail_shown = width >= COMPACT_WIDTH
        columns_changed = detail_shown != self._detail_shown
        self._detail_shown = self.index.detail_shown = detail_shown
        self.query_one("#filter-scope", Static).update(describe_scope(detail_shown=detail_shown))
        columns = self.index.columns()
        fixed = sum(column.width or 0 for column in columns) + 2 * CELL_PADDING * len(columns)
        flexible = [column for column in columns if column.width is None]
        spare = max(10 * len(flexible), width - fixed)
        shares = FLEX_SHARES if len(flexible) > 1 else {column.key: 1.0 for column in flexible}
        widths = {column.key: column.width or max(10, int(spare * shares[column.key])) for column in columns}
        self.table.set_columns([TableColumn(c.key, self.index.header_label(c), widths[c.key]) for c in columns])
        if columns_changed:
            self._render_rows()

    def _render_rows(self, select: str | None = None, *, best_match: bool = False) -> None:
        """Show the matching rows; the cursor stays on its account, or goes to ``select``, or
        with ``best_match`` (the filter changed) to the top, where the best match is."""
        table = self.table
        current = self.index.shown_at(table.cursor_row)
        keep = select or (str(current.id) if current is not None else None)
        self.index.refresh()
        if best_match and select is None:
            keep = None
        row = self.index.row_of(keep) if keep is not None else None
        table.set_rows(self.index.rows(), cursor=row or 0)
        self._show_state()
        self._selection_changed()

    def _selection_changed(self) -> None:
        """Edit and delete apply only with a selection; redrawing the footer on every keystroke
        would cost more than the filtering itself."""
        has_selection = bool(self.index.visible_ids)
        if has_selection != self._had_selection:
            self._had_selection = has_selection
            self.app.refresh_bindings()
        self.post_message(self.Highlighted(self.selected_account()))
