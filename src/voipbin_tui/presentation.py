"""How accounts read to a person, shared by the CLI and the TUI: times, flow names, checklists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voipbin_tui.api.models import NIL_UUID, Account, AccountType, Flow
from voipbin_tui.terminal_text import one_line

NO_FLOW = "no flow"
WRITE_ONLY = "write-only: set on save, never returned"
_APP_SECRET_SHAPE = re.compile(r"^[0-9a-f]{32}$")


def local_time(value: datetime | None) -> str:
    """Minutes in the user's local zone: what an operator compares with their own clock."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


STAYS_DELETED = "VoIPBIN saves a change to it, but it stays deleted: it is not listed and receives nothing."


def deleted_account_notice(account: Account) -> str:
    """Said before a deleted account is changed: VoIPBIN accepts the change without a word."""
    name = one_line(account.name) or str(account.id)
    return f"The {one_line(str(account.type))} account “{name}” was deleted at {local_time(account.tm_delete)}."


def flow_names(flows: list[Flow]) -> dict[UUID, str]:
    return {flow.id: flow.name or str(flow.id) for flow in flows}


def flows_named(flows: list[Flow], name: str) -> list[Flow]:
    """Flows called ``name`` (any case); if none is, those whose name contains it."""
    wanted = name.strip().casefold()
    exact = [flow for flow in flows if flow.name.casefold() == wanted]
    return exact or [flow for flow in flows if wanted and wanted in flow.name.casefold()]


def flow_label(flow_id: UUID, names: Mapping[UUID, str] | None) -> str:
    """A flow's name; ``names`` is None when the flows could not be read (then no flow is
    called unknown: it may well exist)."""
    if flow_id == NIL_UUID:
        return NO_FLOW
    if names is None:
        return f"flow {str(flow_id)[:8]} (flows could not be loaded)"
    return names.get(flow_id, f"unknown flow {str(flow_id)[:8]}")


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A fact this tool checked (``done`` is True or False), or a step only the user can do and
    check (``done`` is None): in Meta's or LINE's console, which this tool cannot see."""

    done: bool | None
    text: str

    @property
    def is_step(self) -> bool:
        return self.done is None

    @property
    def mark(self) -> str:
        """✓ / ✗ for a checked fact, → for a step: never a tick for what was not checked."""
        return "→" if self.done is None else ("✓" if self.done else "✗")


def _app_secret_step(secret: str) -> str:
    if not secret:
        return "app secret missing: every inbound message is dropped"
    if _APP_SECRET_SHAPE.match(secret):
        return "app secret set (32 hex)"
    return "app secret is not 32 hex: compare it with Meta's App Dashboard > App settings > Basic"


def setup_checklist(account: Account, hook_url: str) -> list[ChecklistItem]:
    """What must be true for this account to receive messages, per type: checked facts first,
    then the steps in the provider's console."""
    if account.type == AccountType.WHATSAPP:
        number = account.phone_number_id
        secret = account.app_secret.get_secret_value() if account.app_secret else ""
        return [
            ChecklistItem(
                bool(number) and number.isdigit(),
                "phone number id set, digits only" if number.isdigit() else "phone number id must be set, digits only",
            ),
            ChecklistItem(bool(_APP_SECRET_SHAPE.match(secret)), _app_secret_step(secret)),
            ChecklistItem(
                account.has_flow,
                "a flow is assigned" if account.has_flow else "no flow assigned: messages arrive but nothing answers",
            ),
            ChecklistItem(None, f"in Meta's App Dashboard > WhatsApp > Configuration, set the callback URL {hook_url}"),
            ChecklistItem(None, "there, set the verify token to this account's secret (write-only: as you saved it)"),
            ChecklistItem(None, "there, subscribe the webhook field 'messages'"),
        ]
    if account.type == AccountType.LINE:
        return [
            ChecklistItem(account.has_flow, "a flow is assigned" if account.has_flow else "no flow assigned"),
            ChecklistItem(None, "VoIPBIN registers the webhook URL with LINE itself when the account is saved"),
            ChecklistItem(None, f"in the LINE Developers console, check it shows {hook_url} and 'Verify' succeeds"),
        ]
    if account.type == AccountType.SMS:
        return [ChecklistItem(None, "inbound SMS follows the number's flow, not the account's")]
    return [ChecklistItem(False, f"unknown account type {account.type!r}")]


FIELD_LABELS: dict[AccountType, dict[str, str]] = {
    AccountType.WHATSAPP: {
        "token": "Access token",
        "secret": "Verify token",
        "phone_number_id": "Phone number id",
        "app_secret": "App secret",
    },
    AccountType.LINE: {"token": "Channel access token", "secret": "Channel secret"},
    AccountType.SMS: {},
}
"""The credential fields each type uses, named as the provider's console names them."""


def field_label(account_type: AccountType | str, field: str) -> str:
    labels = FIELD_LABELS.get(account_type, {}) if isinstance(account_type, AccountType) else {}
    if field == "message_flow_id":
        return "Flow"
    return labels.get(field, field.replace("_", " ").capitalize())
