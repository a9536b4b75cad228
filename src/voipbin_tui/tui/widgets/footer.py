"""The footer: quit and the key list are always on it.

Textual's footer lays the keys out in order and cuts whatever passes the right edge, so at 80
columns ``q Quit`` and ``? Keys`` were the first to go. Here they sit at the right, beside the
palette key, and the screen's own keys that do not fit are left out whole, from the end (every
one of them is still in ``?`` and the palette).

Its keys are laid out once per change: Textual recomposes the footer on every change of
bindings (focus, a key greyed) and this one on a new width too, and at start those came three
times before the first frame; each key also styled itself twice over (compact, then not).
A screen whose first frame is to come quick can hold the keys back until that frame is out
(``keys_later``, then ``show_keys``).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
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

    def __init__(self, *, keys_later: bool = False) -> None:
        super().__init__()
        self._keys_held = keys_later
        self._laid_out_for = 0
        self._recompose_pending = False
        self._composed_for: tuple[object, ...] | None = None
        self.compositions = 0
        """Times the keys were laid out (a test holds that start lays them out once)."""

    def show_keys(self) -> None:
        """Lay the keys out, if they were held back (``keys_later``)."""
        if self._keys_held:
            self._keys_held = False
            self.call_later(self._recompose_soon)  # from the footer's own queue: its keys bind to it

    def compose(self) -> ComposeResult:
        if self._keys_held:
            return
        keys = [widget for widget in super().compose() if isinstance(widget, FooterKey)]
        if keys:
            self.compositions += 1
        kept = [key for key in keys if key.action in ALWAYS_SHOWN]
        palette = [key for key in keys if key.has_class("-command-palette")]
        others = [key for key in keys if key not in kept and key not in palette]
        for key in (*others, *kept):  # born in the footer's style, as data_bind sets it on mount: no restyle
            key.set_reactive(FooterKey.compact, self.compact)
            key.set_class(self.compact, "-compact", update=False)
        width = self.size.width
        self._laid_out_for = width
        self._composed_for = self._what_shows()
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

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._recompose_soon()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self._recompose_soon()

    def _recompose_soon(self) -> None:
        """One recompose after the next refresh, however many changes asked for it by then."""
        if not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_pending = False
        if self.is_attached and not self._keys_held and self._what_shows() != self._composed_for:
            await self.recompose()

    def _what_shows(self) -> tuple[object, ...]:
        """What the keys are laid out from: the width and every active binding (greyed or not)."""
        if not self._bindings_ready:
            return ()
        bindings = tuple(
            (key, binding, enabled, tooltip, self.app.get_key_display(binding))
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
        return (self.size.width, self.compact, self.show_command_palette, bindings)
