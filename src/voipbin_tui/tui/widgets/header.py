"""The header: which backend, read-only or not, and where the hook listens, fitted to the width.

Textual's header centres ``title — sub_title`` and cuts the end, which at 80 columns was the
hook's port. Here the app's title goes first, then the parts' short forms (``SANDBOX · hook
127.0.0.1:8631``), so the state and the port stay whole.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from voipbin_tui.tui.fitting import fit_parts
from voipbin_tui.tui.shell import AppAccess

ICON_AND_CLOCK_SPACE = 18
"""Textual's header keeps 8 cells for its icon and 10 for the clock (or its space)."""


class FittingHeader(AppAccess, Header):
    """A header that reads ``title_parts`` from the app and fits them to its width."""

    def format_title(self) -> Content:
        parts = self.voipbin_app.title_parts
        room = self.size.width - ICON_AND_CLOCK_SPACE
        full = super().format_title()
        if not parts or self.size.width == 0 or cell_len(full.plain) <= room:
            return full
        return Content(fit_parts(parts, room)).stylize("dim")

    def on_resize(self, _: events.Resize) -> None:
        self.query_one(HeaderTitle).update(self.format_title())
