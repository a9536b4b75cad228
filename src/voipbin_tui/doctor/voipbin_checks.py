"""Checks on what VoIPBIN itself holds: the account, its flow, and the stored values' shapes."""

from __future__ import annotations

from voipbin_tui.api.account_types import FieldProblem, spec_of
from voipbin_tui.api.models import Account
from voipbin_tui.doctor.context import DoctorRun, Outcome, Skip, failed, passed, warned
from voipbin_tui.doctor.report import CheckStatus
from voipbin_tui.terminal_text import one_line


def account_outcome(account: Account, *, saved: bool) -> Outcome:
    """voipbin.account, once the account was read (or given unsaved)."""
    name = one_line(account.name or "no name")
    if not saved:
        return Outcome(CheckStatus.SKIP, f"not saved yet: checking the values typed for {name!r}")
    evidence = f"GET /conversation_accounts/{account.id} → {account.type} account {name!r}"
    if account.is_deleted:
        when = account.tm_delete.isoformat() if account.tm_delete else "?"
        return failed(
            f"the account was deleted ({when}): VoIPBIN still takes its hook traffic; create a new account instead",
            evidence,
        )
    return passed(f"{account.type} account {name!r} exists", evidence)


async def check_flow(run: DoctorRun) -> Outcome:
    account = run.account
    if not account.has_flow:
        return warned("no flow is assigned: messages arrive, but nothing answers them; assign a flow")
    async for flow in run.connection.client.iter_flows():
        if flow.id == account.message_flow_id:
            return passed(f"flow {one_line(flow.name or str(flow.id))!r} is assigned", f"GET /flows → {flow.id} found")
    return failed(
        f"the assigned flow {account.message_flow_id} does not exist (deleted?): assign an existing flow",
        "GET /flows → not listed",
    )


async def check_phone_number_id(run: DoctorRun) -> Outcome:
    number = run.account.phone_number_id
    if not number:
        return failed("no phone number id is stored: copy it from WhatsApp Manager > Phone numbers")
    problems = _field_problems(run.account, "phone_number_id", number)
    errors = [problem.message for problem in problems if not problem.is_warning]
    if errors:
        return failed(f"{one_line(number)!r}: {errors[0]}: copy the id (not the phone number) from WhatsApp Manager")
    if problems:
        return warned(f"{number}: {problems[0].message}")
    return passed(f"{number} is digits only")


async def check_app_secret_shape(run: DoctorRun) -> Outcome:
    secret = run.app_secret()
    if secret is None or not secret.get_secret_value():
        return failed(
            "no app secret is stored: VoIPBIN drops every inbound message without it; copy it from "
            "Meta's App Dashboard > App settings > Basic"
        )
    if _field_problems(run.account, "app_secret", secret.get_secret_value()):
        return failed(
            "the stored app secret is not 32 lowercase hex: it looks like another credential; copy the app "
            "secret from Meta's App Dashboard > App settings > Basic"
        )
    return passed("the stored app secret is 32 lowercase hex")


def _field_problems(account: Account, key: str, value: str) -> list[FieldProblem]:
    spec = spec_of(account.type)
    field = spec.field(key) if spec is not None else None
    if field is None or field.check is None:
        raise Skip(f"{account.type} accounts have no {key}")
    return list(field.check(value))
