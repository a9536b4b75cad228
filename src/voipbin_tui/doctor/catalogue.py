"""Every check the doctor knows: its id, its title, and the typed secrets it needs.

Which checks an account type gets, and in which order, is the type's entry in the account-type
registry (``api/account_types.py``); this module only describes each id.
"""

from __future__ import annotations

from dataclasses import dataclass

from voipbin_tui.api.account_types import spec_of
from voipbin_tui.api.models import AccountType
from voipbin_tui.doctor.report import PlannedCheck


@dataclass(frozen=True, slots=True)
class CheckInfo:
    title: str
    needs: tuple[str, ...] = ()
    """The ``DoctorSecrets`` it cannot run without."""


CHECKS: dict[str, CheckInfo] = {
    "voipbin.account": CheckInfo("The account exists and is not deleted"),
    "voipbin.flow": CheckInfo("A flow is assigned and exists"),
    "whatsapp.phone_number_id": CheckInfo("Phone number id is digits only"),
    "whatsapp.app_secret_shape": CheckInfo("App secret is set, 32 lowercase hex"),
    "meta.token": CheckInfo("Meta accepts the access token, with both WhatsApp scopes", ("token",)),
    "meta.phone_number": CheckInfo("The token reaches the phone number", ("token",)),
    "meta.app_secret": CheckInfo("The app secret belongs to the token's app", ("token",)),
    "meta.health": CheckInfo("Meta lets the number send", ("token",)),
    "meta.webhook_url": CheckInfo("Meta sends this number's webhooks to this account's hook", ("token",)),
    "meta.subscription": CheckInfo("The app is subscribed to the WABA and to 'messages'", ("token",)),
    "hook.verify_token": CheckInfo("The hook answers Meta's hub challenge", ("verify_token",)),
    "line.token": CheckInfo("LINE accepts the channel access token", ("token",)),
    "line.channel_secret": CheckInfo("The channel secret is this channel's", ("token", "channel_secret")),
    "line.webhook_url": CheckInfo("LINE sends this channel's webhooks to this account's hook", ("token",)),
    "line.webhook_active": CheckInfo("LINE's 'Use webhook' is on", ("token",)),
    "line.webhook_test": CheckInfo("LINE's test delivery reaches the hook", ("token",)),
    "end_to_end": CheckInfo("A message really arrives in VoIPBIN"),
}

CHECK_TITLES: dict[str, str] = {check_id: info.title for check_id, info in CHECKS.items()}

_NO_TYPE_CHECKS = ("voipbin.account", "voipbin.flow")


def planned_checks(account_type: AccountType | str | None) -> tuple[PlannedCheck, ...]:
    """The checks a report on an account of this type shows, in display order (an unknown type
    gets VoIPBIN's own checks only)."""
    spec = spec_of(account_type) if account_type is not None else None
    ids = spec.doctor_checks if spec is not None else _NO_TYPE_CHECKS
    return tuple(PlannedCheck(check_id, CHECKS[check_id].title) for check_id in ids)


def secrets_needed(account_type: AccountType | str | None) -> tuple[str, ...]:
    """The ``DoctorSecrets`` some check of this type needs, in ``token, verify_token,
    channel_secret`` order: what a report screen asks for."""
    wanted = {name for check in planned_checks(account_type) for name in CHECKS[check.id].needs}
    return tuple(name for name in ("token", "verify_token", "channel_secret") if name in wanted)


def secret_prompt(account_type: AccountType | str, name: str) -> str:
    """How to ask for one of the doctor's secrets on an account of this type ("Meta access
    token", "LINE channel secret"): the registry field it is the typed value of."""
    spec = spec_of(account_type)
    field = next((f for f in spec.fields if f.doctor_secret == name), None) if spec is not None else None
    return field.prompt if field is not None else name.replace("_", " ")
