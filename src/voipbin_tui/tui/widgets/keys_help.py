"""The keys panel (``?``): every key of the current screen, what it does, and its binding id,
the name ``[keys]`` in config.toml remaps it by. Textual's own help panel shows no ids."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static


class KeysHelp(VerticalScroll, can_focus=False):
    """Docked at the right; follows focus changes (the keys of an input differ from a table's)."""

    DEFAULT_CSS = """
    KeysHelp {
        split: right;
        width: 45%;
        min-width: 36;
        max-width: 64;
        height: 100%;
        padding: 0 1;
        border-left: vkey $foreground 30%;
    }
    KeysHelp > #keys-help-title {
        color: $text-muted;
        margin-bottom: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("Keys · ids remap keys in config.toml [keys]", id="keys-help-title", markup=False)
        yield Static(id="keys-help-table")

    def on_mount(self) -> None:
        self._update()
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.call_after_refresh(self._update)

    def _update(self) -> None:
        if not self.is_attached:
            return
        by_binding: dict[tuple[int, str, str], tuple[list[str], Binding, bool]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.system:
                continue
            group = (id(active.node), binding.action, binding.id or "")  # one row per remappable id
            keys, _, enabled = by_binding.setdefault(group, ([], binding, active.enabled))
            shown = self.app.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
        # Two columns, the id after its description, wrapping under it where the panel is narrow
        # (~36 wide at 80 columns): a third column for ids squeezed the descriptions away.
        table = Table.grid(padding=(0, 1))
        table.add_column(justify="right", no_wrap=True)
        table.add_column(ratio=1)
        for keys, binding, enabled in by_binding.values():
            dim = "" if enabled else "dim"
            what = Text(binding.description or binding.action, style=dim)
            if binding.id:
                what.append("  ")
                what.append(binding.id, style="dim cyan" if enabled else "dim")
            table.add_row(Text(" ".join(keys), style=f"bold {dim}"), what)
        self.query_one("#keys-help-table", Static).update(table)
