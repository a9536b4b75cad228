"""Create or edit an account: fields follow the type, problems show at the field before sending.

Errors block saving; warnings (an unusual app secret, no flow, whitespace stripped from a
pasted id or secret) show at their fields and the user is asked before saving with them.
Once a field shows a problem it is checked again as the user types, so no note goes stale.

On edit, secret inputs start empty and empty means "keep" (VoIPBIN never returns ``token`` or
``secret``); only what changed is sent, and ``provider_data`` whole. If the account changed on
the server since the form opened, the user is asked before it is overwritten; if it was deleted
there, that is said, and it is saved into only if the user asks.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import SecretStr
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static

from voipbin_tui.api import (
    MAX_NAME_LENGTH,
    NIL_UUID,
    Account,
    AccountDraft,
    AccountType,
    AccountValidationError,
    ApiError,
    ConnectionFailed,
    FieldProblem,
    NothingToUpdate,
    VoipbinError,
)
from voipbin_tui.api.account_types import ACCOUNT_TYPES, CREDENTIAL_KEYS, SECRET_KEYS, field_keys
from voipbin_tui.doctor import DoctorSecrets
from voipbin_tui.presentation import (
    NO_FLOW,
    STAYS_DELETED,
    deleted_account_notice,
    field_label,
    flow_label,
    local_time,
)
from voipbin_tui.terminal_text import multi_line, one_line
from voipbin_tui.tui.messages import AccountDeleted
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.doctor import DoctorReportScreen
from voipbin_tui.tui.shell import AppAccess, ExplainsRefusals, GuardsUnsavedChanges
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.workers import background

TEXT_FIELDS = ("name", "detail", "phone_number_id")
KEEP_HINT = "set, leave blank to keep"


class AccountFormScreen(AppAccess, ExplainsRefusals, GuardsUnsavedChanges, Screen[Account | None]):
    """Dismisses with the saved account, or None when the user leaves without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Validate and save", priority=True),
        Binding("escape", "leave", "Cancel", id="form.cancel", tooltip="Leave (asks if something changed)"),
        Binding("ctrl+r", "toggle_reveal", "Reveal secrets", id="form.reveal", tooltip="Show or hide what you typed"),
        Binding(
            "ctrl+t",
            "check",
            "Check",
            id="form.check",
            tooltip="Check before saving: the account doctor on the values and secrets typed",
            priority=True,
        ),
    ]

    revealed: reactive[bool] = reactive(False)
    account_type: reactive[AccountType | None] = reactive(None, init=False)

    def __init__(self, account: Account | None) -> None:
        super().__init__()
        self._original = account
        self._saving = False
        self._flows_loaded = False
        self._fields_with_problems: set[str] = set()
        self._error_count_shown = False

    @property
    def creating(self) -> bool:
        return self._original is None

    def compose(self) -> ComposeResult:
        original = self._original
        yield FittingHeader()
        with VerticalScroll(id="form-body"):
            yield Static("", id="form-error", markup=False)
            title = "New account" if original is None else f"Edit {original.type} account “{original.name}”"
            if original is not None and original.is_deleted:
                title += " (deleted: it stays deleted)"
            yield Static(one_line(title), classes="section-title", markup=False)
            with Vertical(id="field-type", classes="field"):
                yield Label("Type")
                if original is None:
                    yield Select(
                        [(spec.display_name, spec.type) for spec in ACCOUNT_TYPES],
                        prompt="Choose the type first",
                        id="input-type",
                        compact=True,
                    )
                else:
                    yield Static(one_line(f"{original.type} (fixed after create)"), id="input-type-fixed", markup=False)
            yield from self._field(
                "name", "Name", original.name if original else "", placeholder=f"up to {MAX_NAME_LENGTH} characters"
            )
            yield from self._field("detail", "Detail", original.detail if original else "")
            with Vertical(id="field-message_flow_id", classes="field"):
                yield Label("Flow")
                yield Select(
                    self._flow_options({}),
                    allow_blank=False,
                    id="input-message_flow_id",
                    value=original.message_flow_id if original else NIL_UUID,
                    compact=True,
                )
                yield Static("", classes="field-problem", markup=False)
            for field in CREDENTIAL_KEYS:
                value = original.phone_number_id if original and field == "phone_number_id" else ""
                yield from self._field(field, field, value, secret=field in SECRET_KEYS)
        yield KeyFooter()

    def _field(
        self, field: str, label: str, value: str, *, secret: bool = False, placeholder: str = ""
    ) -> ComposeResult:
        with Vertical(id=f"field-{field}", classes="field"):
            yield Label(label, id=f"label-{field}")
            if secret and not self.creating:
                is_unset_app_secret = field == "app_secret" and self._original and self._original.app_secret is None
                placeholder = "not set: VoIPBIN drops every message until it is" if is_unset_app_secret else KEEP_HINT
            yield Input(
                value=one_line(value),  # an Input draws its value raw; untouched fields are not sent
                password=secret,
                placeholder=placeholder,
                id=f"input-{field}",
                compact=True,
                select_on_focus=False,
            )
            yield Static("", classes="field-problem", markup=False)

    def on_mount(self) -> None:
        self.account_type = self._original.type if self._original is not None else None  # type: ignore[assignment]
        if self._original is None:
            self.query_one("#input-type", Select).focus()
        else:
            self.query_one("#input-name", Input).focus()
        self._initial = self._snapshot()
        self.load_flows()

    # -- type-dependent fields --------------------------------------------------------

    @on(Select.Changed, "#input-type")
    def _type_chosen(self, event: Select.Changed) -> None:
        self.account_type = AccountType(event.value) if isinstance(event.value, str) else None

    def watch_account_type(self, account_type: AccountType | None) -> None:
        used = field_keys(account_type)
        for field in ("name", "detail", "message_flow_id", *CREDENTIAL_KEYS):
            visible = account_type is not None and (field in used or field not in CREDENTIAL_KEYS)
            self.query_one(f"#field-{field}").display = visible
        if account_type is not None:
            for field in used:
                self.query_one(f"#label-{field}", Label).update(field_label(account_type, field))
        self._show_problems([])
        self._show_form_error("")  # "choose the type first" is answered
        self.refresh_bindings()

    # -- flows ------------------------------------------------------------------------

    def _flow_options(self, names: dict[UUID, str]) -> list[tuple[Text, UUID]]:
        """Flow names come from the API: shown as escaped Text, never as markup."""
        options = [(NO_FLOW, NIL_UUID)] + sorted(
            ((name, flow_id) for flow_id, name in names.items()), key=lambda option: option[0].casefold()
        )
        if self._original is not None and self._original.message_flow_id not in {value for _, value in options}:
            flow_id = self._original.message_flow_id
            options.append((flow_label(flow_id, names), flow_id))
        return [(Text(one_line(name)), flow_id) for name, flow_id in options]

    @background("Could not load flows", group="form-flows", exclusive=True)
    async def load_flows(self) -> None:
        client = self.voipbin_app.client
        try:
            flows = await client.list_flows()
        except VoipbinError as exc:
            self.voipbin_app.show_error("Could not load flows", exc, severity="warning")
            return
        select = self.query_one("#input-message_flow_id", Select)
        current = select.value
        select.set_options(self._flow_options({flow.id: flow.name or str(flow.id) for flow in flows}))
        select.value = current
        self._flows_loaded = True
        self._initial = self._initial | {"message_flow_id": current}

    # -- values -----------------------------------------------------------------------

    def _snapshot(self) -> dict[str, object]:
        values: dict[str, object] = {
            field: self.query_one(f"#input-{field}", Input).value for field in (*TEXT_FIELDS, *SECRET_KEYS)
        }
        values["message_flow_id"] = self.query_one("#input-message_flow_id", Select).value
        values["type"] = self.account_type
        return values

    @property
    def is_dirty(self) -> bool:
        return self._snapshot() != self._initial

    def draft(self, base: Account | None = None) -> AccountDraft:
        """The desired account: ``base`` (the account as opened, or as it is now on the server)
        with what the user changed on top. Untouched fields keep ``base``'s values, so saving
        over a newer version does not revert what someone else changed; blank secrets keep."""
        assert self.account_type is not None
        base = base or self._original
        draft = AccountDraft.from_account(base) if base else AccountDraft(type=self.account_type)
        values = self._snapshot()
        changed = {key for key, value in values.items() if base is None or value != self._initial.get(key)}
        used = field_keys(self.account_type)
        updates: dict[str, object] = {}
        for field in ("name", "detail"):
            if field in changed:
                updates[field] = values[field]
        if "message_flow_id" in changed:
            flow = values["message_flow_id"]
            updates["message_flow_id"] = flow if isinstance(flow, UUID) else NIL_UUID
        if "phone_number_id" in used and "phone_number_id" in changed:
            updates["phone_number_id"] = str(values["phone_number_id"]).strip()
        for field in SECRET_KEYS:
            typed = str(values[field])
            if field in used and typed:
                updates[field] = SecretStr(typed)
        return draft.model_copy(update=updates)

    # -- problems at the fields -------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed, "#input-message_flow_id")
    def _check_again(self) -> None:
        """Fields showing a problem, and the name's length, follow what is typed now."""
        if self.account_type is None:
            return
        problems = self.draft().problems(creating=self.creating)
        live = [p for p in problems if p.field in self._fields_with_problems or p.field == "name"]
        self._show_problems(live)
        if self._error_count_shown:
            self._show_error_count([p for p in live if not p.is_warning])

    def _show_error_count(self, errors: list[FieldProblem]) -> None:
        fields = len({problem.field for problem in errors})
        self._show_form_error(f"Fix {fields} field{'s' if fields > 1 else ''} before saving." if errors else "")
        self._error_count_shown = bool(errors)

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        by_field: dict[str, list[FieldProblem]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem)
        self._fields_with_problems = set(by_field)
        for container in self.query(".field"):
            field = (container.id or "").removeprefix("field-")
            found = by_field.get(field, [])
            note = container.query(".field-problem")
            if not note:
                continue
            text = "\n".join(("⚠ " if p.is_warning else "✗ ") + p.message for p in found)
            note.first(Static).update(multi_line(text))
            container.set_class(bool(found), "-has-problem")
            container.set_class(any(not p.is_warning for p in found), "-invalid")
            container.set_class(bool(found) and all(p.is_warning for p in found), "-warning")

    def _show_form_error(self, text: str) -> None:
        self._error_count_shown = False
        error = self.query_one("#form-error", Static)
        error.update(multi_line(text))
        error.set_class(bool(text), "-visible")

    # -- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_reveal":
            used = field_keys(self.account_type)
            return bool(set(used) & set(SECRET_KEYS))
        return True

    def refusal(self, action: str) -> str:
        """Why a key of this form does nothing now (the app toasts it)."""
        if action == "toggle_reveal" and not self.check_action(action, ()):
            if self.account_type is None:
                return "Choose the account type first."
            return f"{self.account_type} accounts have no secrets to reveal."
        return ""

    def action_check(self) -> None:
        """The doctor's report on what is typed, not saved: the checks that need no saved
        account run with the secrets just typed (blank ones on an edit are skipped, saying so)."""
        if self.account_type is None:
            self._show_form_error("Choose the account type first.")
            self.query_one("#input-type", Select).focus()
            return
        draft, _ = self.draft().trimmed()
        account = draft.unsaved_account(self._original)
        self.app.push_screen(DoctorReportScreen(account, typed=DoctorSecrets.typed_in(draft)))

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed

    def watch_revealed(self, revealed: bool) -> None:
        for field in SECRET_KEYS:
            self.query_one(f"#input-{field}", Input).password = not revealed

    def action_leave(self) -> None:
        if self._saving:
            return
        if not self.is_dirty:
            self.dismiss(None)
            return

        def leave(drop: bool | None) -> None:
            if drop:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Drop your unsaved changes?", confirm_label="Drop"), leave)

    def action_save(self) -> None:
        if self._saving:
            return
        if self.account_type is None:
            self._show_form_error("Choose the account type first.")
            self.query_one("#input-type", Select).focus()
            return
        draft, trimmed = self.draft().trimmed()
        self._show_trimmed_values(draft, trimmed)
        problems = trimmed + draft.problems(creating=self.creating)
        self._show_problems(problems)
        errors = [problem for problem in problems if not problem.is_warning]
        if errors:
            self._show_error_count(errors)
            self._focus_field(errors[0].field)
            return
        self._show_form_error("")
        warnings = [problem for problem in problems if problem.is_warning]
        if not warnings:
            self._save(draft)
            return
        assert self.account_type is not None
        listed = [f"{field_label(self.account_type, w.field)}: {w.message}" for w in warnings]
        count = f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}"

        def save_or_fix(save: bool | None) -> None:
            if save:
                self._save(draft)
            else:
                self._focus_field(warnings[0].field)

        self.app.push_screen(
            ConfirmScreen(f"Save with {count}?", detail=listed, confirm_label="Save anyway"), save_or_fix
        )

    def _show_trimmed_values(self, draft: AccountDraft, trimmed: list[FieldProblem]) -> None:
        """Put what will be saved back in the inputs the whitespace was typed in."""
        for problem in trimmed:
            widget = self.query_one(f"#input-{problem.field}", Input)
            if widget.value:
                value = getattr(draft, problem.field)
                with widget.prevent(Input.Changed):  # the note saying so stays
                    widget.value = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")

    def _focus_field(self, field: str) -> None:
        for widget in self.query(f"#input-{field}"):
            widget.focus()

    @background("Not saved", group="form-save", exclusive=True)
    async def _save(self, draft: AccountDraft) -> None:
        client = self.voipbin_app.client
        self._saving = True
        self.sub_title = "saving…"
        try:
            if self._original is None:
                saved = await client.create_account(draft)
            else:
                current = await client.get_account(self._original.id)
                if current.is_deleted and not self._original.is_deleted:
                    if not await self._confirm_save_into_deleted(current):
                        return
                    draft = self.draft(base=current)
                elif _changed_since(self._original, current):
                    if not await self._confirm_overwrite(current):
                        return
                    draft = self.draft(base=current)
                saved = await client.update_account(current, draft)
        except NothingToUpdate:
            self.notify("Nothing changed.", timeout=3, markup=False)
            self.dismiss(None)
            return
        except AccountValidationError as exc:
            self._show_problems(exc.problems)
            self._show_form_error(str(exc))
            return
        except (ApiError, ConnectionFailed) as exc:
            self._show_api_error(exc)
            return
        except VoipbinError as exc:  # an answer that is not VoIPBIN's: say so, keep the form
            self._show_form_error(f"Not saved: {exc}")
            return
        finally:
            self._saving = False
            self.sub_title = None
        self.notify(f"Saved {saved.type} account {saved.name or saved.id}", timeout=4, markup=False)
        self.dismiss(saved)

    async def _confirm_save_into_deleted(self, current: Account) -> bool:
        """Deleted on the server while the form was open: said as such, saved only if asked."""
        self.voipbin_app.broadcast(lambda: AccountDeleted(current))
        notice = deleted_account_notice(current)
        saving = await self.app.push_screen_wait(
            ConfirmScreen(
                notice, detail=f"Save your changes into it anyway? {STAYS_DELETED}", confirm_label="Save anyway"
            )
        )
        if not saving:
            self._show_form_error(f"Not saved: {notice}")
        return bool(saving)

    async def _confirm_overwrite(self, current: Account) -> bool:
        question = f"This account changed on the server at {local_time(current.last_change)}, after you opened it."
        overwrite = await self.app.push_screen_wait(
            ConfirmScreen(question, detail="Save your version over it?", confirm_label="Overwrite")
        )
        return bool(overwrite)

    def _show_api_error(self, exc: ApiError | ConnectionFailed) -> None:
        lines = [f"Not saved: {exc}"]
        if exc.account_after is not None:
            lines.append("VoIPBIN may have saved the change anyway: check the account after leaving this form.")
        self._show_form_error("\n".join(lines))


def _changed_since(opened: Account, current: Account) -> bool:
    before, after = opened.last_change, current.last_change
    return before is not None and after is not None and after > before
