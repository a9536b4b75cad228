"""The account doctor's report: every check planned for the account listed at once, each row
filled in as its result lands; enter shows the evidence of the highlighted check.

For a saved account the screen asks for the secrets VoIPBIN never returns (each skippable),
whether to make a message arrive end to end, and, before test traffic goes to a live hook,
for a yes. A form hands over the secrets just typed instead. Either way the secrets go
straight into the run: they live in the worker's frame only, never on this screen, in a
notification or in a log, and leaving the screen stops the run.
"""

from __future__ import annotations

import time
from contextlib import aclosing
from typing import ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from voipbin_tui.api import Account, VoipbinError
from voipbin_tui.api.account_types import answers_hub_challenge
from voipbin_tui.api.hooks import hook_url_for
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import (
    CheckResult,
    CheckStatus,
    DoctorSecrets,
    EndToEnd,
    PlannedCheck,
    planned_checks,
    run_checks,
    secret_prompt,
    secrets_needed,
    tally,
)
from voipbin_tui.presentation import error_message
from voipbin_tui.terminal_text import one_line
from voipbin_tui.tui.screens.choice import Choice, ChoiceScreen
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.prompt import PromptField, PromptScreen
from voipbin_tui.tui.shell import AppAccess
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.workers import background
from voipbin_tui.workflows.confirmation import live_traffic_question

monotonic = time.monotonic
"""The report's clock (snapshot tests hold it still, so times read the same in every run)."""

STATUS_STYLES = {
    CheckStatus.PASS: "bold green",
    CheckStatus.FAIL: "bold red",
    CheckStatus.WARN: "bold yellow",
    CheckStatus.SKIP: "dim",
}
MARK_WIDTH = 6
"""``✓ pass``: the mark and the status word, so a row reads the same without colour."""


class DoctorReportScreen(AppAccess, Screen[None]):
    """The report on one account (saved, or a form's values not saved yet)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="doctor.back", tooltip="Hide the evidence, or leave (stops the checks)"),
        Binding(
            "enter",
            "toggle_evidence",
            "Evidence",
            id="doctor.evidence",
            tooltip="Show or hide what the highlighted check asked and what came back",
            priority=True,
        ),
        Binding("r", "run_again", "Run again", id="doctor.again", tooltip="Ask for the secrets and check again"),
    ]

    def __init__(self, account: Account, *, typed: DoctorSecrets | None = None) -> None:
        """``typed``: a form's secrets, for its values not saved yet (nothing is asked then);
        None for a saved account, whose secrets are asked for."""
        super().__init__()
        self.account = account
        self.saved = typed is None
        self._typed = typed
        self.plan: tuple[PlannedCheck, ...] = planned_checks(account.type)
        self.results: dict[str, CheckResult] = {}
        self.running = False
        self.finished = False
        self._started = 0.0
        self._took = 0.0
        self._waiting: str | None = None
        self._waiting_since = 0.0
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield FittingHeader()
        with Vertical(id="doctor-body"):
            what = "Check before saving" if not self.saved else "Check"
            name = one_line(self.account.name) or str(self.account.id)
            title = f"{what} · {one_line(str(self.account.type))} account “{name}”"
            yield Static(title, id="doctor-title", markup=False)
            yield Static("", id="doctor-status", markup=False)
            yield Static("", id="doctor-waiting", markup=False)
            yield OptionList(*(Option(self._row(check), id=check.id) for check in self.plan), id="doctor-checks")
            with VerticalScroll(id="doctor-evidence"):
                yield Static("", id="doctor-evidence-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_status("Waiting for the secrets…" if self.saved else "Starting…")
        self.run_doctor()

    @property
    def checks(self) -> OptionList:
        return self.query_one("#doctor-checks", OptionList)

    @property
    def evidence_shown(self) -> bool:
        return self.query_one("#doctor-evidence").has_class("-visible")

    # -- running ----------------------------------------------------------------------

    @background("Check failed", group="doctor", exclusive=True)
    async def run_doctor(self) -> None:
        """Ask what the run needs, then run it, filling rows in as results land."""
        connection = self.voipbin_app.connection
        if connection is None:
            self._show_status("Not connected: leave, and try again once connected.")
            return
        secrets, self._typed = self._typed, None  # the form's secrets: held by this run only
        if secrets is None:
            secrets = await self._ask_secrets()
            if secrets is None:  # esc in the secrets dialog: no report
                self.dismiss()
                return
        end_to_end = await self._ask_end_to_end(connection) if self.saved else None
        confirmed = await self._confirm_live_traffic(connection, secrets, end_to_end)
        self._start()
        subject: Account | str = str(self.account.id) if self.saved else self.account
        try:
            async with aclosing(
                run_checks(
                    connection,
                    subject,
                    secrets,
                    end_to_end=end_to_end,
                    on_wait=self._waiting_for,
                    live_hook_confirmed=confirmed,
                )
            ) as results:
                async for result in results:
                    self._show_result(result)
        except VoipbinError as exc:
            self._finish(f"Stopped: {error_message(exc)}")
            return
        self._finish()

    async def _ask_secrets(self) -> DoctorSecrets | None:
        needed = secrets_needed(self.account.type)
        if not needed:
            return DoctorSecrets()
        fields = [
            PromptField(
                name,
                secret_prompt(self.account.type, name),
                password=True,
                placeholder="empty: skip the checks that need it",
            )
            for name in needed
        ]
        name = self.account.name or str(self.account.id)
        dialog = PromptScreen(
            f"Check “{name}”: what VoIPBIN never returns",
            fields,
            note="Used for this check only, never kept. Leave one empty to skip the checks that need it.",
        )
        values = await self.app.push_screen_wait(dialog)
        if values is None:
            return None
        return DoctorSecrets.of(**{key: value.strip() or None for key, value in values.items()})

    async def _ask_end_to_end(self, connection: Connection) -> EndToEnd | None:
        """Sign a test message, wait for a real one, or skip. Read-only leaves out what writes:
        signing posts to the hook, and on the sandbox waiting has its emulated provider post."""
        if "end_to_end" not in {check.id for check in self.plan}:
            return None
        read_only = connection.read_only
        choices: list[Choice] = []
        if not read_only:
            choices.append(
                Choice("s", "sign", "Sign", "post a test message signed as the provider signs it, to the hook")
            )
        if not (read_only and connection.is_sandbox):
            where = "the sandbox's emulated provider sends one" if connection.is_sandbox else "send one from a phone"
            choices.append(Choice("w", "wait", "Wait", f"{where}; the report watches VoIPBIN until it arrives"))
        if not choices:
            return None
        choices.append(Choice("n", "", "Skip"))
        answer = await self.app.push_screen_wait(ChoiceScreen("End to end: make a message arrive in VoIPBIN?", choices))
        return "sign" if answer == "sign" else "wait" if answer == "wait" else None

    async def _confirm_live_traffic(
        self, connection: Connection, secrets: DoctorSecrets, end_to_end: EndToEnd | None
    ) -> bool:
        """The sandbox's hook takes test traffic at once; a live hook only after a yes."""
        sends = end_to_end == "sign" or (secrets.verify_token is not None and answers_hub_challenge(self.account.type))
        if not self.saved or not sends:
            return connection.is_sandbox
        question = live_traffic_question(connection, hook_url_for(connection.test_hook_base_url, self.account.id))
        if question is None:
            return True
        answer = await self.app.push_screen_wait(
            ConfirmScreen(question.question, detail=question.url, confirm_label=question.confirm_label)
        )
        return bool(answer)

    def _start(self) -> None:
        self.results = {}
        self.running, self.finished = True, False
        self._started = monotonic()
        for check in self.plan:
            self._redraw_row(check.id)
        self._show_progress()
        self._show_evidence()

    def _show_result(self, result: CheckResult) -> None:
        self.results[result.id] = result
        if result.id == "end_to_end":
            self._stop_waiting()
        self._redraw_row(result.id)
        self._show_progress()
        if self.evidence_shown:
            self._show_evidence()

    def _finish(self, problem: str = "") -> None:
        self.running, self.finished = False, True
        self._took = monotonic() - self._started
        self._stop_waiting()
        for check in self.plan:
            self._redraw_row(check.id)
        self._show_progress(problem)
        self.refresh_bindings()  # r runs again now

    def _waiting_for(self, what: str) -> None:
        """The run waits for a message: say what to do, and count the seconds."""
        self._waiting = one_line(what)
        self._waiting_since = monotonic()
        self._tick()
        self.query_one("#doctor-waiting").add_class("-visible")
        self._ticker = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self._waiting is not None:
            elapsed = monotonic() - self._waiting_since
            self.query_one("#doctor-waiting", Static).update(f"⧗ {self._waiting} · {elapsed:.0f} s so far")

    def _stop_waiting(self) -> None:
        self._waiting = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.query_one("#doctor-waiting").remove_class("-visible")

    # -- drawing ----------------------------------------------------------------------

    def _show_status(self, text: str) -> None:
        self.query_one("#doctor-status", Static).update(text)

    def _show_progress(self, problem: str = "") -> None:
        shown = [self.results[check.id] for check in self.plan if check.id in self.results]
        if problem:
            self._show_status(one_line(problem))
        elif self.finished:
            self._show_status(f"Done in {self._took:.1f} s: {tally(shown)}")
        else:
            self._show_status(f"Running… {len(shown)} of {len(self.plan)} checks done: {tally(shown)}")

    def _redraw_row(self, check_id: str) -> None:
        check = next((planned for planned in self.plan if planned.id == check_id), None)
        if check is not None:
            self.checks.replace_option_prompt(check_id, self._row(check))

    def _row(self, check: PlannedCheck) -> Group:
        """The mark and status word, the id and title on one line (cut to fit), and the summary,
        all of it, wrapped under them. (A ``Group`` of two texts draws far faster than a
        table, and rows are drawn again each time a result lands.)"""
        result = self.results.get(check.id)
        if result is None:
            mark = Text("…".ljust(MARK_WIDTH), style="dim")
            pending = "stopped" if self.finished else "running…" if self.running else "waits for the secrets"
            summary = Text(pending, style="dim italic")
        else:
            mark = Text(
                f"{result.status.mark} {result.status.value}".ljust(MARK_WIDTH), style=STATUS_STYLES[result.status]
            )
            summary = Text(result.summary)
        head = Text.assemble(
            mark, " ", (check.id, "bold"), "  ", (check.title, "dim"), no_wrap=True, overflow="ellipsis"
        )
        return Group(head, Padding(summary, (0, 0, 0, MARK_WIDTH + 1)))

    def _show_evidence(self) -> None:
        panel = self.query_one("#doctor-evidence-text", Static)
        index = self.checks.highlighted
        if index is None or not self.plan:
            panel.update("")
            return
        check = self.plan[index]
        result = self.results.get(check.id)
        text = Text.assemble((check.id, "bold"), "  ", (check.title, "dim"), "\n")
        if result is None:
            text.append("Not finished yet.", style="dim italic")
            panel.update(text)
            return
        text.append(f"{result.status.mark} {result.status.value}", style=STATUS_STYLES[result.status])
        text.append(f"  {result.summary}\n\n")
        if result.evidence:
            text.append("What was asked, and what came back (secrets redacted):\n", style="dim")
            text.append("\n".join(result.evidence))
        else:
            text.append("No evidence: nothing was asked of VoIPBIN, Meta or LINE for it.", style="dim")
        panel.update(text)

    # -- keys -------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#doctor-checks")
    def _highlight_moved(self) -> None:
        if self.evidence_shown:
            self._show_evidence()

    @on(OptionList.OptionSelected, "#doctor-checks")
    def _row_selected(self) -> None:
        self.action_toggle_evidence()

    def action_toggle_evidence(self) -> None:
        panel = self.query_one("#doctor-evidence")
        panel.toggle_class("-visible")
        if self.evidence_shown:
            self._show_evidence()
            panel.scroll_home(animate=False)
        self.call_after_refresh(self.checks.scroll_to_highlight)  # the list got shorter or taller

    def action_leave(self) -> None:
        if self.evidence_shown:
            self.query_one("#doctor-evidence").remove_class("-visible")
            return
        self.workers.cancel_node(self)  # also done on unmount: stopped before anything else draws
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run_again":
            return self.saved and self.finished
        return True

    def action_run_again(self) -> None:
        if self.saved and self.finished:
            self.results = {}
            self.finished = False
            for check in self.plan:
                self._redraw_row(check.id)
            self._show_status("Waiting for the secrets…")
            self.refresh_bindings()
            self.run_doctor()
