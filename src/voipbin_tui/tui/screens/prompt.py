"""A small modal form: a few labelled inputs; enter accepts from any of them, tab moves
between them, escape cancels. A value its check refuses is said under it, and kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from voipbin_tui.terminal_text import one_line


@dataclass(frozen=True, slots=True)
class PromptField:
    key: str
    label: str
    value: str = ""
    placeholder: str = ""
    password: bool = False
    check: Callable[[str], str] | None = None
    """Why a value cannot be used, or "" when it can."""


class PromptScreen(ModalScreen[dict[str, str] | None]):
    """Dismisses with the values by key, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(self, title: str, fields: list[PromptField], *, note: str = "") -> None:
        super().__init__()
        self._title = one_line(title)  # titles name accounts: API text
        self._fields = fields
        self._note = one_line(note)

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Static(self._title, id="prompt-title", markup=False)
            if self._note:
                yield Static(self._note, id="prompt-note", markup=False)
            for field in self._fields:
                yield Label(field.label)
                yield Input(
                    value=field.value,
                    placeholder=field.placeholder,
                    password=field.password,
                    id=f"prompt-{field.key}",
                    compact=True,
                )
                yield Static("", id=f"prompt-{field.key}-problem", classes="prompt-problem", markup=False)
            yield Static("enter accepts · tab next field · esc cancels", id="prompt-keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = {field.key: self.query_one(f"#prompt-{field.key}", Input).value for field in self._fields}
        refused: list[str] = []
        for field in self._fields:
            problem = field.check(values[field.key]) if field.check else ""
            note = self.query_one(f"#prompt-{field.key}-problem", Static)
            note.update(f"✗ {problem}" if problem else "")
            note.set_class(bool(problem), "-visible")
            if problem:
                refused.append(field.key)
        if refused:
            self.query_one(f"#prompt-{refused[0]}", Input).focus()
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
