"""The footer: quit and the key list are always on it.

Textual's footer lays the keys out in order and cuts whatever passes the right edge, so at 80
columns ``q Quit`` and ``? Keys`` were the first to go. Here they sit at the right, beside the
palette key, and the screen's own keys that do not fit are left out whole, from the end (every
one of them is still in ``?`` and the palette).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ALWAYS_SHOWN = frozenset({"quit", "app.quit", "toggle_help", "app.toggle_help"})
"""Actions whose keys never leave the footer."""
_PALETTE_EXTRA = 2
"""The palette key's right padding and left border."""


def key_width(key: FooterKey) -> int:
    """Cells a (non-compact) footer key takes: `` k `` and ``description ``."""
    width = cell_len(key.key_display) + 2
    if key.description:
        width += cell_len(key.description) + 1
    return width + (_PALETTE_EXTRA if key.has_class("-command-palette") else 0)


class KeyFooter(Footer):
    """A footer that keeps quit and help whatever the width."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        keys = [widget for widget in super().compose() if isinstance(widget, FooterKey)]
        kept = [key for key in keys if key.action in ALWAYS_SHOWN]
        palette = [key for key in keys if key.has_class("-command-palette")]
        others = [key for key in keys if key not in kept and key not in palette]
        width = self.size.width
        self._laid_out_for = width
        if width:  # before the first layout the width is unknown: show everything
            room = width - sum(key_width(key) for key in (*kept, *palette))
            fitting = []
            for key in others:
                room -= key_width(key)
                if room < 0:
                    break
                fitting.append(key)
            others = fitting
        yield from others
        yield from kept
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
