"""One account in full: every field, the hook URL to paste into Meta, and a setup checklist.

``app_secret`` is masked until the user reveals it, and masked again whenever the screen is
left; ``token`` and ``secret`` are write-only and only ever described, never shown.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from voipbin_tui.api import Account, ConnectionFailed, VoipbinError, mask_secret
from voipbin_tui.api.account_types import CREDENTIAL_KEYS, provider_hook, spec_of
from voipbin_tui.presentation import (
    WRITE_ONLY,
    field_label,
    flow_label,
    flow_names,
    local_time,
    setup_checklist,
)
from voipbin_tui.terminal_text import one_line
from voipbin_tui.tui.messages import AccountDeleted, AccountSaved
from voipbin_tui.tui.shell import AppAccess, ExplainsRefusals, ShowsAnAccount
from voipbin_tui.tui.widgets.accounts_table import RETRY_SECONDS
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.workers import background


class AccountDetailScreen(AppAccess, ExplainsRefusals, ShowsAnAccount, Screen[None]):
    """Detail of one account."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back", tooltip="Back to the accounts"),
        Binding("v", "toggle_reveal", "Reveal", id="detail.reveal", tooltip="Show the app secret"),
        Binding("v", "toggle_reveal(False)", "Hide", id="detail.reveal", tooltip="Hide the app secret again"),
        Binding("c", "copy_hook_url", "Copy URL", id="detail.copy", tooltip="Copy the webhook URL (OSC 52)"),
        Binding(
            "h",
            "app.hub_challenge",
            "Hub challenge",
            id="detail.hub_challenge",
            tooltip="Send Meta's hub challenge (WhatsApp), as the App Dashboard does",
        ),
        Binding(
            "k",
            "app.check_account",
            "Check",
            id="detail.check",
            tooltip="Check that the account can receive: VoIPBIN, Meta or LINE, and the path between",
        ),
        Binding("e", "app.edit_account", "Edit", id="detail.edit", tooltip="Edit this account"),
        # The same key on a deleted account, not shown in the footer: it asks before editing.
        Binding(
            "e",
            "app.edit_account('deleted')",
            "Edit (deleted)",
            id="detail.edit",
            tooltip="Edit this deleted account (asks first: it stays deleted)",
            show=False,
        ),
        Binding("d", "app.delete_account", "Delete", id="detail.delete", tooltip="Delete this account"),
        Binding("r", "reload", "Reload", id="detail.reload", tooltip="Read the account again", show=False),
    ]

    revealed: reactive[bool] = reactive(False)

    def __init__(self, account: Account) -> None:
        super().__init__()
        self._account = account
        self._flow_names: dict[UUID, str] | None = {}
        """None while the flows could not be read: a flow is then not "unknown", only unnamed."""
        self._retry_timer: Timer | None = None
        self._failing = False

    def compose(self) -> ComposeResult:
        yield FittingHeader()
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-deleted", markup=False)
            yield Static(id="detail-fields")
            yield Static("Webhook", classes="section-title")
            yield Static(id="detail-hook")
            yield Static("Setup checklist  ✓ ✗ checked here · → yours to do", classes="section-title")
            yield Static(id="detail-checklist")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._render_account()
        self.reload()

    def selected_account(self) -> Account:
        return self._account

    @property
    def hook_url(self) -> str:
        connection = self.voipbin_app.connection
        return connection.hook_url_for(self._account.id) if connection else ""

    @background("Could not read the account", group="detail", exclusive=True)
    async def reload(self) -> None:
        """Read the account and flows again: the list may be minutes old. If the backend is
        unreachable, the screen says so and reads again every few seconds until it answers."""
        client = self.voipbin_app.client
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        try:
            try:
                self._flow_names = flow_names(await client.list_flows())
            except VoipbinError:
                self._flow_names = None
                raise
            self._account = await client.get_account(self._account.id)
        except VoipbinError as exc:
            if not self._failing:  # once, not every retry
                self.voipbin_app.show_error("Could not read the account", exc)
            self._failing = True
            if isinstance(exc, ConnectionFailed):
                self._retry_timer = self.set_timer(RETRY_SECONDS, self.reload)
        else:
            self._failing = False
        self._render_account()

    def action_reload(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_reveal":
            if self._account.app_secret is None:
                return False
            hiding = parameters == (False,)
            return hiding == self.revealed  # one v at a time in the footer: Reveal, or Hide
        if action == "copy_hook_url":
            return provider_hook(self._account.type) is not None
        return True

    def refusal(self, action: str) -> str:
        """Why a key of this screen does nothing for this account (the app toasts it)."""
        if action == "toggle_reveal" and self._account.app_secret is None:
            return f"Nothing to reveal: this {self._account.type} account has no app secret."
        if action == "copy_hook_url" and not self.check_action(action, ()):
            return f"{self._account.type} accounts do not use the hook: no URL to copy."
        return ""

    def action_toggle_reveal(self, show: bool = True) -> None:
        self.revealed = show and not self.revealed

    def watch_revealed(self) -> None:
        self._render_account()

    def on_screen_suspend(self) -> None:
        self.revealed = False

    def action_copy_hook_url(self) -> None:
        self.app.copy_to_clipboard(self.hook_url)
        self.notify("Hook URL copied to the clipboard", timeout=3, markup=False)

    def on_account_saved(self, message: AccountSaved) -> None:
        if message.account.id == self._account.id:
            self._account = message.account
            self._render_account()

    def on_account_deleted(self, message: AccountDeleted) -> None:
        if message.account.id == self._account.id:
            self._account = message.account
            self._render_account()

    def _render_account(self) -> None:
        account = self._account
        self.refresh_bindings()
        deleted = self.query_one("#detail-deleted", Static)
        deleted.update(f"DELETED {local_time(account.tm_delete)}" if account.is_deleted else "")
        deleted.set_class(account.is_deleted, "-visible")
        self.query_one("#detail-fields", Static).update(self._fields_table(account))
        spec = spec_of(account.type)
        if spec is not None and spec.hook is None:
            hook = Text(spec.no_hook_note, style="dim")
        else:
            hook = Text(one_line(self.hook_url), style="bold")
            connection = self.voipbin_app.connection
            if connection is not None and connection.hook_url_derived:
                hook.append("  derived from the API URL", style="dim")
            hook.append("\nc copies it (works over SSH)", style="dim")
        self.query_one("#detail-hook", Static).update(hook)
        checklist = Text()
        for index, item in enumerate(setup_checklist(account, self.hook_url)):
            if index:
                checklist.append("\n")
            if item.is_step:  # only the user can check it: an instruction, not a tick
                checklist.append(f"{item.mark} ", style="bold cyan")
                checklist.append(one_line(item.text), style="italic")
            else:
                checklist.append(f"{item.mark} ", style="green" if item.done else "bold red")
                checklist.append(one_line(item.text))
        self.query_one("#detail-checklist", Static).update(checklist)

    def _fields_table(self, account: Account) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows: list[tuple[str, Text]] = [
            ("Type", Text(one_line(str(account.type)) or "?")),
            ("Name", Text(one_line(account.name) or "—")),
            ("Detail", Text(one_line(account.detail) or "—")),
            ("Flow", Text(one_line(flow_label(account.message_flow_id, self._flow_names)))),
        ]
        spec = spec_of(account.type)
        for key in CREDENTIAL_KEYS:
            credential = spec.field(key) if spec is not None else None
            if credential is not None and credential.write_only:
                rows.append((credential.label, Text(WRITE_ONLY, style="italic dim")))
        if (spec is not None and spec.uses_provider_data) or account.provider_data is not None:
            rows.append(
                (field_label(account.type, "phone_number_id"), Text(one_line(account.phone_number_id) or "(not set)"))
            )
            rows.append((field_label(account.type, "app_secret"), self._app_secret_text(account)))
        rows += [
            ("Id", Text(str(account.id))),
            ("Customer", Text(str(account.customer_id or "—"))),
            ("Created", Text(local_time(account.tm_create))),
            ("Updated", Text(local_time(account.tm_update) or "never")),
        ]
        for label, value in rows:
            table.add_row(label, value)
        return table

    def _app_secret_text(self, account: Account) -> Text:
        secret = account.app_secret
        if secret is None:
            return Text("(not set: every inbound message is dropped)", style="bold red")
        if self.revealed:  # exactly as saved: a copy of it must be the secret
            return Text.assemble(one_line(secret.get_secret_value()), ("  v hides", "dim"))
        return Text.assemble(one_line(mask_secret(secret)), ("  v reveals", "dim"))
