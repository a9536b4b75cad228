"""The live webhook inspector pane: every request the hook received, judged, as it arrives.

A worker follows a traffic source (the backend's feed, long-polled with a cursor, or VoIPBIN's
conversations) through the workflows' one loop, so rows arrive without a busy loop and nothing
is lost or repeated across a disconnect. Rows are appended in place (the table is a
view over a bounded buffer); the pane follows the newest row until the user scrolls up, then
counts what arrived, and ``end`` resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from voipbin_tui.api.errors import PermissionDenied, Unauthenticated, VoipbinError
from voipbin_tui.presentation import error_message
from voipbin_tui.protocols.verdicts import HookVerdict
from voipbin_tui.terminal_text import one_line
from voipbin_tui.traffic import (
    MOMENT_WIDTH,
    TrafficRow,
    short_moment,
    verdict_label,
)
from voipbin_tui.tui.fitting import Part, fit_parts
from voipbin_tui.tui.widgets.virtual_table import CELL_PADDING, TableColumn, VirtualTable
from voipbin_tui.tui.workers import background

if TYPE_CHECKING:  # the pane is drawn in the first frame; the clients come with the connection
    from voipbin_tui.api.conversation_traffic import ConversationWatcher
    from voipbin_tui.api.feed import CapturedRequest, FeedClient
    from voipbin_tui.workflows.traffic_sources import TrafficBatch, TrafficSource

BUFFER_LIMIT = 10_000
"""Rows kept in memory; older ones stay in the backend."""
VERDICT_WIDTH = max(cell_len(verdict_label(verdict)) for verdict in HookVerdict)
"""A verdict is never cut: ``✗ unsupported_account`` is the answer the operator came for."""
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("time", "Time", MOMENT_WIDTH),
    ("method", "Method", 6),
    ("kind", "Kind", 11),
    ("verdict", "Verdict", VERDICT_WIDTH),
    ("sender", "Sender", 16),
    ("id", "Id", 18),
    ("text", "Text", None),
)
COMPACT_COLUMNS = ("time", "kind", "verdict", "sender", "text")
COMPACT_WIDTHS = {"sender": 12}
"""Narrower in a narrow pane, so the text keeps some room; time and verdict never shrink."""
VERDICT_FILTERS = ("all", "problems", "ok")
FEED_WORKERS = "inspector-feed"

_TONE_STYLES = {
    "ok": Style(color="green", bold=True),
    "skipped": Style(color="yellow"),
    "test": Style(color="cyan"),
    "problem": Style(color="red", bold=True),
}


def local_today() -> date:
    return datetime.now().astimezone().date()


class VisibleRows(Sequence[list[str]]):
    """Visible traffic as table rows, materialized only for the lines drawn (the time cell
    then, since whether it needs its date depends on the day it is drawn)."""

    def __init__(self, rows: list[TrafficRow], keys: list[str]) -> None:
        self._rows = rows
        self._keys = keys

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int) -> list[str]:  # type: ignore[override]
        row = self._rows[index]
        cells = row.cells
        return [short_moment(row.moment, local_today()) if key == "time" else cells[key] for key in self._keys]


class InspectorPane(Vertical):
    """Captured hook traffic, following the selected account (or all)."""

    ALLOW_MAXIMIZE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a", "toggle_scope", "All/selected", id="inspector.scope", tooltip="Follow all accounts or the selected one"
        ),
        Binding(
            "v", "cycle_verdicts", "Verdicts", id="inspector.verdicts", tooltip="All, only problems, only accepted"
        ),
        Binding("slash", "filter", "Filter", id="inspector.filter", tooltip="Filter the requests by text"),
        Binding("end", "follow", "Follow", id="inspector.follow", tooltip="Jump to the newest and follow"),
        Binding("x", "export", "Export", id="inspector.export", tooltip="Export the shown requests as JSON lines"),
        Binding("f", "maximize", "Full screen", id="inspector.maximize", tooltip="Full screen (esc restores)"),
        Binding("escape", "leave", "Back", id="inspector.leave", show=False),
    ]

    following: reactive[bool] = reactive(True)
    connected: reactive[bool] = reactive(False)

    class Opened(Message):
        """The user asked to open a request (enter)."""

        def __init__(self, request: CapturedRequest) -> None:
            self.request = request
            super().__init__()

    class ExportRequested(Message):
        def __init__(self, requests: list[CapturedRequest]) -> None:
            self.requests = requests
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[TrafficRow] = []
        self._seen: set[tuple[str, str]] = set()
        self._visible: list[TrafficRow] = []
        self._account_id: str | None = None
        self._account_label = ""
        self._all_accounts = False
        self._verdict_filter = "all"
        self._text_filter = ""
        self._new_count = 0
        self._dropped = False  # retention dropped requests before this pane read them
        self._status = "connecting…"
        self._source: Part | None = None
        self._key_hint: str | None = None
        self._refusal_told = False
        self._keys: list[str] = [key for key, _, _ in COLUMNS]

    def compose(self) -> ComposeResult:
        yield Static("", id="inspector-title", markup=False)
        yield Input(placeholder="filter requests · enter keeps it · esc clears", id="inspector-filter", compact=True)
        yield VirtualTable(id="inspector-table", cell_style=self._cell_style)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#inspector-table", VirtualTable)

    @property
    def shown_rows(self) -> list[TrafficRow]:
        """The rows on show, top to bottom (VoIPBIN's message events too)."""
        return list(self._visible)

    @property
    def shown(self) -> list[CapturedRequest]:
        """The captured requests on show (message events have none)."""
        return [row.request for row in self._visible if row.request is not None]

    # -- the feed -----------------------------------------------------------------------

    def start_conversations(self, watcher: ConversationWatcher) -> None:
        """No relay records this installation's hook: show VoIPBIN's stored messages instead."""
        from voipbin_tui.workflows.traffic_sources import ConversationSource

        self._source = Part(
            "source: VoIPBIN's messages (raw requests need a relay)", short="VoIPBIN's messages", priority=1
        )
        self._follow(ConversationSource(watcher))

    def start(self, feed: FeedClient, *, key_hint: str | None = None) -> None:
        """Begin following the feed (once the app is connected); ``key_hint`` says how to give
        the feed its key if it refuses the one sent."""
        from voipbin_tui.workflows.traffic_sources import FeedSource

        self._key_hint = key_hint
        self._follow(FeedSource(feed))

    @background("The inspector stopped", group=FEED_WORKERS, exclusive=True)
    async def _follow(self, source: TrafficSource) -> None:
        from voipbin_tui.workflows.traffic_sources import Arrived, Disconnected, follow

        async for event in follow(source):
            if isinstance(event, Arrived):
                self._arrived(event.batch)
            elif isinstance(event, Disconnected):
                self._disconnected(event.error, event.retry_in)
            # Stopped: the error is raised next, and reaches the app's one handler for the
            # unexpected (a toast, the log) and on_worker_state_changed (the title)

    def _arrived(self, batch: TrafficBatch) -> None:
        self.connected, self._status = True, ""
        self._dropped = self._dropped or batch.dropped  # retention was faster than us
        if batch.rows:
            self._add(batch.rows)
        self._update_title()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A feed stopped by an unexpected error says so in the title, and what stopped it, not
        "following" (the app has toasted and logged the error)."""
        if event.worker.group == FEED_WORKERS and event.state is WorkerState.ERROR:
            self.connected = False
            self._status = f"stopped: {error_message(event.worker.error or Exception())}"
            self._update_title()

    def _disconnected(self, exc: VoipbinError, retry_in: float) -> None:
        self.connected = False
        if isinstance(exc, Unauthenticated | PermissionDenied):
            self._status = f"the feed refused its access key: {self._key_hint or 'check the key'}"
            if not self._refusal_told:  # the title can be cut at 80 columns: say it in full once
                self._refusal_told = True
                self.notify(self._status, title="Inspector", severity="error", timeout=30, markup=False)
        else:
            self._status = f"disconnected, retrying in {retry_in:.0f} s ({exc})"
        self._update_title()

    def _add(self, rows: list[TrafficRow]) -> None:
        fresh = [row for row in rows if row.key not in self._seen]  # never twice, even after a reconnect
        self._seen.update(row.key for row in fresh)
        self._rows.extend(fresh)
        if len(self._rows) > BUFFER_LIMIT:
            dropped, self._rows = self._rows[:-BUFFER_LIMIT], self._rows[-BUFFER_LIMIT:]
            self._seen.difference_update(row.key for row in dropped)
            self._forget_visible(set(row.key for row in dropped))
        matching = [row for row in fresh if self._matches(row)]
        if not matching:
            return
        self._visible.extend(matching)
        table = self.table
        table.rows_changed()
        if self.following:
            table.move_cursor(len(self._visible) - 1)
        else:
            self._new_count += len(matching)

    def _forget_visible(self, keys: set[tuple[str, str]]) -> None:
        """Drop rows that left the buffer without moving the user's place or stopping the follow."""
        gone = sum(1 for row in self._visible if row.key in keys)
        if not gone:
            return
        self._visible = [row for row in self._visible if row.key not in keys]
        cursor = max(0, self.table.cursor_row - gone)
        self.table.set_rows(VisibleRows(self._visible, self._keys), cursor=cursor)

    # -- scope and filters --------------------------------------------------------------

    @property
    def followed_account_id(self) -> str | None:
        """The account whose traffic the pane shows (None: none selected yet)."""
        return self._account_id

    def follow_account(self, account_id: str | None, label: str = "") -> None:
        """The accounts list moved: show this account's traffic (unless showing all)."""
        if account_id == self._account_id:
            return
        self._account_id, self._account_label = account_id, label
        if not self._all_accounts:
            self._refilter()
        else:
            self._update_title()  # whether t can send depends on the account

    def _matches(self, row: TrafficRow) -> bool:
        if not self._all_accounts and self._account_id is not None and row.account_id not in (self._account_id, ""):
            return False
        if self._verdict_filter == "problems" and not row.is_problem:
            return False
        if self._verdict_filter == "ok" and not row.is_ok:
            return False
        return all(token in row.search for token in self._text_filter.casefold().split())

    def _refilter(self) -> None:
        self._visible = [row for row in self._rows if self._matches(row)]
        self._new_count = 0
        self.table.set_rows(VisibleRows(self._visible, self._keys), cursor=len(self._visible) - 1)
        self.following = True
        self._update_title()

    def action_toggle_scope(self) -> None:
        self._all_accounts = not self._all_accounts
        self._refilter()

    def action_cycle_verdicts(self) -> None:
        position = VERDICT_FILTERS.index(self._verdict_filter)
        self._verdict_filter = VERDICT_FILTERS[(position + 1) % len(VERDICT_FILTERS)]
        self._refilter()

    def action_filter(self) -> None:
        box = self.query_one("#inspector-filter", Input)
        box.add_class("-active")
        box.focus()

    @on(Input.Changed, "#inspector-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._text_filter = event.value
        self._refilter()

    @on(Input.Submitted, "#inspector-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def action_leave(self) -> None:
        box = self.query_one("#inspector-filter", Input)
        if box.has_focus or box.value:
            box.value = ""
            box.remove_class("-active")
            self.table.focus()
        elif self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.focus_next("#accounts")

    def action_maximize(self) -> None:
        if self.screen.maximized is self:
            self.screen.minimize()
        else:
            self.screen.maximize(self)

    def action_export(self) -> None:
        self.post_message(self.ExportRequested(self.shown))

    # -- following ----------------------------------------------------------------------

    def action_follow(self) -> None:
        self.table.move_cursor(len(self._visible) - 1)

    @on(VirtualTable.RowHighlighted, "#inspector-table")
    def _moved(self, event: VirtualTable.RowHighlighted) -> None:
        event.stop()
        at_bottom = event.row >= len(self._visible) - 1
        if at_bottom and not self.following:
            self._new_count = 0
        self.following = at_bottom
        self._update_title()

    @on(VirtualTable.RowSelected, "#inspector-table")
    def _open(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        request = self._visible[event.row].request if 0 <= event.row < len(self._visible) else None
        if request is not None:
            self.post_message(self.Opened(request))

    @on(VirtualTable.Resized, "#inspector-table")
    def _resized(self, event: VirtualTable.Resized) -> None:
        event.stop()
        compact = event.width < 110
        self._keys = [key for key, _, _ in COLUMNS if not compact or key in COMPACT_COLUMNS]
        widths = {key: (COMPACT_WIDTHS.get(key, width) if compact else width) for key, _, width in COLUMNS}
        fixed = sum((widths[key] or 0) + 2 * CELL_PADDING for key in self._keys)
        text_width = max(10, event.width - fixed - 2 * CELL_PADDING)
        self.table.set_columns(
            [TableColumn(key, label, widths[key] or text_width) for key, label, _ in COLUMNS if key in self._keys]
        )
        self.table.set_rows(VisibleRows(self._visible, self._keys), cursor=self.table.cursor_row)
        self._update_title()

    def _cell_style(self, row: int, column: str) -> Style | None:
        if column != "verdict" or row >= len(self._visible):
            return None
        return _TONE_STYLES[self._visible[row].tone]

    def _update_title(self) -> None:
        """Count and state first and never dropped; then the filter, scope and source, which
        take short forms, then leave, when the pane is narrow."""
        if self._all_accounts or self._account_id is None:
            scope = Part("all accounts", priority=2)
        elif self._account_label:
            label = self._account_label
            short = label if cell_len(label) <= 16 else label[:15] + "…"
            scope = Part(f"“{label}”", short=f"“{short}”", priority=2)
        else:
            scope = Part("the selected account", short="selected", priority=2)
        state = Part("")
        if self._status:
            state = Part(self._status, short=self._status.split(" (", 1)[0])
        elif not self._visible and self.connected:
            can_send = self.app.check_action("send_test", ())  # not read-only, not on SMS
            state = (
                Part("nothing yet: t sends a test message", short="nothing yet") if can_send else Part("nothing yet")
            )
        elif not self.following and self._new_count:
            state = Part(f"{self._new_count} new · end follows", short=f"{self._new_count} new")
        elif self.connected:
            state = Part("following" if self.following else "paused")
        parts = [Part(f"Inspector · {len(self._visible)} shown"), state]
        if self._verdict_filter != "all":
            parts.append(Part(f"only {self._verdict_filter}"))
        if self._dropped:
            parts.append(Part("older ones dropped", short="older dropped", priority=1))
        parts.append(scope)
        if self._source is not None:
            parts.append(self._source)
        title = self.query_one("#inspector-title", Static)
        width = title.content_region.width or self.size.width - 2
        title.update(one_line(fit_parts([part for part in parts if part.text], width)), layout=False)
