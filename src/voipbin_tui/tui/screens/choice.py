"""A question with a few named answers, each on its own key (and a button); escape answers
with the last one, the safe choice (e.g. "skip")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from voipbin_tui.terminal_text import one_line


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    """The one letter that picks it."""
    value: str
    label: str
    explanation: str = ""


class ChoiceScreen(ModalScreen[str]):
    """Dismisses with the value of the choice picked; escape picks the last choice."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="The last choice (the safe one)"),
    ]

    def __init__(self, question: str, choices: list[Choice]) -> None:
        super().__init__()
        self._question = one_line(question)
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog"):
            yield Static(self._question, id="choice-question", markup=False)
            for choice in self._choices:
                if choice.explanation:
                    line = f"{choice.key}  {choice.label}: {choice.explanation}"
                    yield Static(line, classes="choice-explanation", markup=False)
            with Horizontal(id="choice-buttons"):
                for index, choice in enumerate(self._choices):
                    yield Button(f"{choice.label} ({choice.key})", id=f"choice-{index}", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#choice-{len(self._choices) - 1}", Button).focus()

    def on_key(self, event: events.Key) -> None:
        for choice in self._choices:
            if event.character == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    def action_cancel(self) -> None:
        self.dismiss(self._choices[-1].value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        index = int((event.button.id or "choice-0").removeprefix("choice-"))
        self.dismiss(self._choices[index].value)
