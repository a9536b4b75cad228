"""The sandbox hook's judging: a request is judged against the stored account it addresses,
with all of that account's secrets, and what is OK is applied in the same unit of work (see
``recording``). VoIPBIN's customer events are judged with the customer's webhook secret and
change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from starlette.datastructures import QueryParams

from voipbin_tui.api.account_types import answers_hub_challenge, provider_hook
from voipbin_tui.api.models import NIL_UUID
from voipbin_tui.backend.applying import Effects, apply_post
from voipbin_tui.backend.delivery import VOIPBIN_SIGNATURE_HEADER, Delivery, parse_account_id
from voipbin_tui.backend.judging import (
    Judgement,
    inspect_post,
    inspected,
    is_challenge,
    judge_arrival,
    judge_unknown_account,
    judge_unsupported_post,
    refuse_challenge,
)
from voipbin_tui.backend.provider_state import load_state
from voipbin_tui.backend.store import AccountRecord, Store
from voipbin_tui.protocols.inspection import HookInspection, inspect_voipbin_event, inspect_whatsapp_verify
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind, explain_verdict

BARE_500_NOTE = (
    "The sandbox's switch hook.hub_challenge_500 is on, so it answered a bare 500 instead of the "
    "challenge, as VoIPBIN is predicted to (voipbin-tui sandbox providers set hook.hub_challenge_500 false)."
)


def judge_in_sandbox(
    store: Store, delivery: Delivery, account_ref: str, *, now: datetime, new_id: Callable[[], UUID]
) -> Judgement:
    """The verdict on a provider hook request, applying what it carries when it is OK."""
    refusal = judge_arrival(delivery)
    if refusal is not None:
        return refusal
    account = _account_at(store, account_ref)
    if account is None:
        return judge_unknown_account(delivery, f"Addressed account: {account_ref[:80]!r}.")
    if is_challenge(delivery):
        return _judge_challenge(delivery, account, store)
    inspection = inspect_post(delivery, account.type, _signing_secret(account))
    if inspection is None:
        return judge_unsupported_post(delivery, account.type)
    return _taken(inspection, lambda: apply_post(store, account, inspection, now=now, new_id=new_id))


def judge_voipbin_event(store: Store, delivery: Delivery) -> Judgement:
    """The verdict on one of VoIPBIN's customer webhooks (signed with the webhook secret)."""
    refusal = judge_arrival(delivery, RequestKind.VOIPBIN_EVENT)
    if refusal is not None:
        return refusal
    webhook_secret = store.get_customer().webhook_secret
    return inspected(
        inspect_voipbin_event(delivery.body, delivery.header(VOIPBIN_SIGNATURE_HEADER), webhook_secret or None)
    )


def _account_at(store: Store, account_ref: str) -> AccountRecord | None:
    """The account addressed (deleted ones too: VoIPBIN still processes them)."""
    account_id = parse_account_id(account_ref)
    return None if account_id is None or account_id == NIL_UUID else store.get_account(account_id)


def _signing_secret(account: AccountRecord) -> str | None:
    """What the provider signs POSTs with: Meta the app secret, LINE the channel secret (the
    sandbox has every secret, write-only ones too)."""
    hook = provider_hook(account.type)
    return getattr(account, hook.signing_field) if hook is not None else None


def _judge_challenge(delivery: Delivery, account: AccountRecord, store: Store) -> Judgement:
    if not answers_hub_challenge(account.type):
        refusal = refuse_challenge(account.type)
        return replace(refusal, explanation=f"{refusal.explanation} Refused with 403.")
    inspection, result = inspect_whatsapp_verify(QueryParams(delivery.query), account.secret)
    if result.accepted and load_state(store).hook.hub_challenge_500:
        return Judgement(
            kind=inspection.kind,
            verdict=inspection.verdict,
            summary=inspection.summary,
            explanation=f"{inspection.detail} {BARE_500_NOTE}",
            status=500,
            answer=b"",
        )
    return Judgement(
        kind=inspection.kind,
        verdict=inspection.verdict,
        summary=inspection.summary,
        explanation=inspection.detail,
        status=200 if result.accepted else 403,
        answer=(result.challenge or "").encode("utf-8") if result.accepted else b"",
    )


def _taken(inspection: HookInspection, apply: Callable[[], Effects]) -> Judgement:
    """An inspected POST: applied when OK (a dashboard test only remembered, so that a second
    press is a duplicate, as VoIPBIN's dedupe makes it); DUPLICATE when everything in it was
    seen before."""
    if inspection.verdict not in (HookVerdict.OK, HookVerdict.DASHBOARD_TEST):
        return inspected(inspection)
    effects = apply()
    if effects.duplicates and not effects.new:
        verdict = HookVerdict.DUPLICATE
        explanation = f"{explain_verdict(verdict, inspection.kind)} {effects.duplicates} item(s) skipped."
        return inspected(inspection, verdict=verdict, explanation=explanation)
    return inspected(inspection, explanation=inspection.detail + effects.describe())
