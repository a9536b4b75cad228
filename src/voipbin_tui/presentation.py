"""How accounts read to a person, shared by the CLI and the TUI: times, flow names, checklists.

The account-type registry (and with it pydantic) is imported only by the functions that need
it: the list's cells (times, flow names) and error messages are drawn in the TUI's first frame,
before the models are loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.api.ids import NIL_UUID
from voipbin_tui.terminal_text import one_line

if TYPE_CHECKING:
    from voipbin_tui.api.account_types import ChecklistItem
    from voipbin_tui.api.models import Account, AccountType, Flow

NO_FLOW = "no flow"
WRITE_ONLY = "write-only: set on save, never returned"


def local_time(value: datetime | None) -> str:
    """Minutes in the user's local zone: what an operator compares with their own clock."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


STAYS_DELETED = "VoIPBIN saves a change to it, but it stays deleted: it is not listed and receives nothing."


def deleted_account_notice(account: Account) -> str:
    """Said before a deleted account is changed: VoIPBIN accepts the change without a word."""
    name = one_line(account.name) or str(account.id)
    return f"The {one_line(str(account.type))} account “{name}” was deleted at {local_time(account.tm_delete)}."


def error_message(exc: BaseException) -> str:
    """What a person reads about a failure. Ours (``VoipbinError``) are sentences already; any
    other names its type, since ``str(KeyError('x'))`` alone says only ``'x'``."""
    text = str(exc)
    if isinstance(exc, VoipbinError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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


def setup_checklist(account: Account, hook_url: str) -> list[ChecklistItem]:
    """What must be true for this account to receive messages, per type: checked facts first,
    then the steps in the provider's console."""
    from voipbin_tui.api.account_types import ChecklistItem, spec_of

    spec = spec_of(account.type)
    if spec is None:
        return [ChecklistItem(False, f"unknown account type {account.type!r}")]
    if account.is_deleted:  # nothing else matters: VoIPBIN takes no traffic for it
        return [ChecklistItem(False, "the account is deleted: VoIPBIN takes nothing its hook receives")]
    return spec.checklist(account, hook_url)


def field_label(account_type: AccountType | str, field: str) -> str:
    """A field named as the type's provider console names it."""
    if field == "message_flow_id":
        return "Flow"
    from voipbin_tui.api.account_types import spec_of

    spec = spec_of(account_type)
    credential = spec.field(field) if spec is not None else None
    return credential.label if credential is not None else field.replace("_", " ").capitalize()
