"""A virtual table: draws only the lines on screen (Textual's Line API).

DataTable builds every row up front, which costs seconds at 10,000 accounts and makes each
filter keystroke rebuild the whole table. Here the owner hands over plain cell strings in
display order (any sequence, read lazily); filtering or sorting is a list swap plus a repaint
of the visible lines. Used by the accounts list and the inspector pane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from voipbin_tui.terminal_text import one_line

CELL_PADDING = 1
Row = Sequence[str]
CellStyle = Callable[[int, str], Style | None]
"""(row index, column key) -> an extra style for that cell, or None."""


@dataclass(frozen=True, slots=True)
class TableColumn:
    key: str
    label: str
    width: int


class VirtualTable(ScrollView, can_focus=True):
    """Rows of plain text with a fixed header, a row cursor, and header clicks for sorting."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--odd",
    }
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .virtual-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .virtual-table--odd { background: $surface-darken-1; }
        & > .virtual-table--cursor { background: $block-cursor-blurred-background; color: $foreground; }
        &:focus > .virtual-table--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class _TableMessage(Message):
        def __init__(self, table: VirtualTable) -> None:
            self.table = table
            super().__init__()

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowHighlighted(_TableMessage):
        def __init__(self, table: VirtualTable, row: int) -> None:
            self.row = row
            super().__init__(table)

    class RowSelected(_TableMessage):
        def __init__(self, table: VirtualTable, row: int) -> None:
            self.row = row
            super().__init__(table)

    class HeaderSelected(_TableMessage):
        def __init__(self, table: VirtualTable, column_key: str) -> None:
            self.column_key = column_key
            super().__init__(table)

    class Resized(_TableMessage):
        def __init__(self, table: VirtualTable, width: int) -> None:
            self.width = width
            super().__init__(table)

    def __init__(self, *, id: str | None = None, cell_style: CellStyle | None = None) -> None:
        super().__init__(id=id)
        self._columns: list[TableColumn] = []
        self._rows: Sequence[Row] = []
        self._cell_style = cell_style

    # -- data ---------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def columns(self) -> list[TableColumn]:
        return list(self._columns)

    def row(self, index: int) -> Row:
        return self._rows[index]

    def set_columns(self, columns: list[TableColumn]) -> None:
        self._columns = columns
        self._update_virtual_size()
        self.refresh()

    def set_rows(self, rows: Sequence[Row], *, cursor: int | None = None) -> None:
        """Show these rows (any sequence: only the lines on screen are read) and place the cursor."""
        self._rows = rows
        self._update_virtual_size()
        self.cursor_row = self._clamp(self.cursor_row if cursor is None else cursor)
        self.refresh()

    def rows_changed(self) -> None:
        """The row sequence grew or changed in place: resize and repaint."""
        self._update_virtual_size()
        self.refresh()

    def _update_virtual_size(self) -> None:
        width = sum(column.width + 2 * CELL_PADDING for column in self._columns)
        self.virtual_size = Size(width, len(self._rows) + 1)  # + the header line

    def _clamp(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1)) if self._rows else 0

    # -- cursor -------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        self.cursor_row = self._clamp(row)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.call_after_refresh(self._scroll_cursor_into_view)  # again once a new size is laid out
        self.refresh()
        if self._rows:
            self.post_message(self.RowHighlighted(self, new))

    def _scroll_cursor_into_view(self) -> None:
        visible_rows = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible_rows:
            self.scroll_to(y=self.cursor_row - visible_rows + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page())

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    # -- mouse and size -----------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x + round(self.scroll_x))
            if column is not None:
                self.post_message(self.HeaderSelected(self, column.key))
            return
        row = round(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._rows):
            if row == self.cursor_row and event.chain >= 2:
                self.post_message(self.RowSelected(self, row))
            self.move_cursor(row)

    def _column_at(self, x: int) -> TableColumn | None:
        start = 0
        for column in self._columns:
            end = start + column.width + 2 * CELL_PADDING
            if start <= x < end:
                return column
            start = end
        return None

    def on_resize(self, event: events.Resize) -> None:
        self._room_changed()

    def watch_show_vertical_scrollbar(self) -> None:
        # The room for cells changes without a Resize: columns fitted to the old width would
        # overflow by the bar's width and bring a horizontal bar, hiding the followed last row.
        self.call_after_refresh(self._room_changed)

    def watch_show_horizontal_scrollbar(self) -> None:
        self.call_after_refresh(self._scroll_cursor_into_view)

    def _room_changed(self) -> None:
        self.post_message(self.Resized(self, self.scrollable_content_region.width))
        self._scroll_cursor_into_view()

    # -- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("virtual-table--header")
            return self._strip([column.label for column in self._columns], style, width)
        row = round(self.scroll_y) + y - 1
        if row >= len(self._rows):
            return Strip.blank(width, base)
        if row == self.cursor_row:  # the cursor's colours win: a coloured cell on it would not read
            style = base + self.get_component_rich_style("virtual-table--cursor")
            return self._strip(self._rows[row], style, width)
        elif row % 2:
            style = base + self.get_component_rich_style("virtual-table--odd")
        else:
            style = base
        return self._strip(self._rows[row], style, width, row)

    def _strip(self, cells: Row, style: Style, width: int, row: int | None = None) -> Strip:
        pad = " " * CELL_PADDING
        segments = []
        for column, text in zip(self._columns, cells, strict=False):
            extra = self._cell_style(row, column.key) if self._cell_style and row is not None else None
            # escaped again here: whatever a caller passes, a cell cannot move the cursor or retitle
            segments.append(Segment(pad + _fit(one_line(text), column.width) + pad, style + extra if extra else style))
        used = sum(column.width + 2 * CELL_PADDING for column in self._columns)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)


def _fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "…"
