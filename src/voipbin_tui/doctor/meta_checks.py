"""Checks against Meta's Graph API (preflight W2-W6): the token, the number, the app secret,
the number's health, where its webhooks go, and the app's subscriptions.

The number is read once, with an ``appsecret_proof`` made from the stored app secret: that one
call answers the number's facts, its health, its effective callback URL and whether the app
secret is the token's app's (the secret VoIPBIN checks every inbound signature with).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import SecretStr

from voipbin_tui.api.graph import GraphError, PhoneNumber, TokenDebug
from voipbin_tui.api.provider_http import Answered, Exchange, ProviderCallFailed
from voipbin_tui.doctor.context import DoctorRun, Outcome, Skip, caught, failed, nothing, passed, warned
from voipbin_tui.terminal_text import one_line

WHATSAPP_SCOPES = ("whatsapp_business_messaging", "whatsapp_business_management")
EXPIRY_WARNING_DAYS = 7
TOKEN_EXPIRED_SUBCODES = frozenset({463})
DASHBOARD = "Meta's App Dashboard"


def _lines(*exchanges: Exchange) -> tuple[str, ...]:
    return tuple(line for exchange in exchanges for line in exchange.lines())


def _token(run: DoctorRun) -> SecretStr:
    return run.need_secret("token", "access token")


async def token_debug(run: DoctorRun) -> Answered[TokenDebug]:
    token = _token(run)
    return await run.shared("debug_token", lambda: run.graph.debug_token(token))


@dataclass(slots=True)
class NumberFacts:
    """What reading the number taught: its facts (or why not), and the app secret's verdict."""

    number: PhoneNumber | None = None
    error: ProviderCallFailed | None = None
    proof_ok: bool | None = None
    """True: the stored app secret is the token's app's; False: it is not; None: not learnt."""
    proof_note: str = ""
    number_calls: tuple[Exchange, ...] = ()
    proof_calls: tuple[Exchange, ...] = ()


async def number_facts(run: DoctorRun) -> NumberFacts:
    token = _token(run)
    number_id = run.account.phone_number_id
    if not number_id.isascii() or not number_id.isdigit():
        raise Skip("needs a digits-only phone number id (whatsapp.phone_number_id)")
    return await run.shared("number", lambda: _read_number(run, number_id, token))


async def _read_number(run: DoctorRun, number_id: str, token: SecretStr) -> NumberFacts:
    """Timed proof first, untimed on refusal (preflight §2.3), then no proof to still learn the
    number's facts when the secret is wrong."""
    facts = NumberFacts()
    app_secret = run.app_secret()
    proof_calls: list[Exchange] = []
    if app_secret is not None and app_secret.get_secret_value():
        for timed in (True, False):
            try:
                answered = await run.graph.phone_number(number_id, token, app_secret=app_secret, timed_proof=timed)
            except GraphError as exc:
                proof_calls.append(exc.exchange)
                if exc.is_invalid_proof:
                    continue
                facts.error = exc
                break
            proof_calls.append(answered.exchange)
            facts.number, facts.proof_ok = answered.value, True
            facts.proof_note = "" if timed else "the timed proof was refused, the untimed one accepted"
            break
        else:
            facts.proof_ok = False
        facts.proof_calls = tuple(proof_calls)
        if facts.number is not None or facts.error is not None:
            facts.number_calls = facts.proof_calls
            return facts
    try:
        answered = await run.graph.phone_number(number_id, token)
    except ProviderCallFailed as exc:
        facts.error, facts.number_calls = exc, (exc.exchange,)
        return facts
    facts.number, facts.number_calls = answered.value, (answered.exchange,)
    return facts


def _number_or_skip(facts: NumberFacts) -> PhoneNumber:
    """The number's facts, or ``Skip`` naming the check that explains why there are none."""
    if facts.number is not None:
        return facts.number
    error = facts.error
    evidence = _lines(*facts.number_calls)
    if isinstance(error, GraphError) and error.is_token_error:
        raise Skip("needs a token Meta accepts (see meta.token)", evidence)
    if isinstance(error, GraphError) and error.is_unknown_object:
        raise Skip("needs a phone number the token can see (see meta.phone_number)", evidence)
    if isinstance(error, GraphError) and error.needs_proof:
        raise Skip("needs the right app secret: the app requires an appsecret_proof (see meta.app_secret)", evidence)
    if error is not None:
        raise error
    raise Skip("Meta did not describe the number", evidence)


# -- meta.token ----------------------------------------------------------------------------


async def check_token(run: DoctorRun) -> Outcome:
    try:
        answered = await token_debug(run)
    except GraphError as exc:
        if exc.is_token_error:
            return failed(_invalid_token_summary(exc.subcode, exc.error.message), *exc.exchange.lines())
        return failed(f"Meta refused to inspect the token: {one_line(str(exc))}", *exc.exchange.lines())
    info, evidence = answered.value, answered.exchange.lines()
    if not info.is_valid:
        error = info.error
        subcode = (error.subcode or error.error_subcode) if error is not None else None
        return failed(_invalid_token_summary(subcode, error.message if error is not None else ""), *evidence)
    missing = [scope for scope in WHATSAPP_SCOPES if scope not in info.scopes]
    if missing:
        return failed(
            f"the token lacks {', '.join(missing)}: generate the system-user token again with "
            "whatsapp_business_messaging and whatsapp_business_management",
            *evidence,
        )
    app = f"app {one_line(info.application)!r} ({info.app_id})" if info.application else f"app {info.app_id}"
    waba_problem = await _waba_outside_token(run, info)
    if waba_problem:
        return failed(waba_problem, *evidence)
    expires_at = info.expires_at or 0
    if expires_at:
        days = (expires_at - time.time()) / 86400
        if days <= 0:
            return failed(_invalid_token_summary(463, "expired"), *evidence)
        if days < EXPIRY_WARNING_DAYS:
            return warned(
                f"valid for {app}, but it expires in {days:.1f} days: generate a system-user token that never "
                "expires, then save it in VoIPBIN",
                *evidence,
            )
        lifetime = f"expires in {days:.0f} days"
    else:
        lifetime = "never expires"
    return passed(f"valid for {app}, both WhatsApp scopes, {lifetime}", *evidence)


def _invalid_token_summary(subcode: int | None, message: str) -> str:
    if subcode in TOKEN_EXPIRED_SUBCODES or "expired" in message.lower():
        return (
            "the token has expired: generate a new system-user token (expiry 'Never') in Meta's Business "
            "settings > System users, then save it in VoIPBIN"
        )
    return (
        f"Meta rejects the token ({one_line(message) or 'not valid'}): generate a new system-user token in "
        "Meta's Business settings > System users, then save it in VoIPBIN"
    )


async def _waba_outside_token(run: DoctorRun, info: TokenDebug) -> str:
    """Why the token cannot reach the number's WABA, or "" (also when the WABA is not known)."""
    try:
        facts = await number_facts(run)
    except (Skip, ProviderCallFailed):
        return ""
    health = facts.number.health_status if facts.number is not None else None
    waba = health.entity_id("WABA") if health is not None else ""
    targets = [
        target
        for scope in info.granular_scopes
        if scope.scope in WHATSAPP_SCOPES and scope.target_ids is not None
        for target in scope.target_ids
    ]
    if not waba or not targets or waba in targets:
        return ""
    return (
        f"the token's scopes do not cover the number's WABA {waba}: add the WhatsApp account to the system "
        "user's assets and generate the token again"
    )


# -- meta.phone_number ---------------------------------------------------------------------


async def check_phone_number(run: DoctorRun) -> Outcome:
    facts = await number_facts(run)
    evidence = _lines(*facts.number_calls)
    error = facts.error
    if isinstance(error, GraphError) and error.is_unknown_object:
        return failed(
            f"Meta knows no phone number {run.account.phone_number_id} that this token may see: check the id in "
            "WhatsApp Manager > Phone numbers, and that the system user has the WhatsApp account as an asset",
            *evidence,
        )
    number = _number_or_skip(facts)
    name = f" {one_line(number.verified_name)!r}" if number.verified_name else ""
    display = one_line(number.display_phone_number) or number.id
    details = ", ".join(
        part
        for part in (
            f"quality {number.quality_rating}" if number.quality_rating else "",
            number.platform_type,
            f"name {number.name_status}" if number.name_status else "",
        )
        if part
    )
    summary = f"+{display.lstrip('+')}{name}" + (f" ({one_line(details)})" if details else "")
    if number.platform_type and number.platform_type != "CLOUD_API":
        return warned(f"{summary}: not registered for the Cloud API; register it in WhatsApp Manager", *evidence)
    return passed(summary, *evidence)


# -- meta.app_secret -----------------------------------------------------------------------


async def check_app_secret(run: DoctorRun) -> Outcome:
    secret = run.app_secret()
    if secret is None or not secret.get_secret_value():
        raise Skip("needs the app secret (none is stored in the account)")
    facts = await number_facts(run)
    evidence = _lines(*facts.proof_calls)
    if facts.proof_ok is True:
        note = f" ({facts.proof_note})" if facts.proof_note else ""
        return passed(
            f"the stored app secret is the token's app's: VoIPBIN can check Meta's signatures{note}", *evidence
        )
    if facts.proof_ok is False:
        return failed(
            "the stored app secret is not the token's app's (Meta: Invalid appsecret_proof): VoIPBIN drops every "
            "inbound message silently; copy the app secret from Meta's App Dashboard > App settings > Basic "
            "into the account",
            *evidence,
        )
    _number_or_skip(facts)
    raise Skip("Meta's answer did not tell", evidence)


# -- meta.health ---------------------------------------------------------------------------


async def check_health(run: DoctorRun) -> Outcome:
    facts = await number_facts(run)
    number = _number_or_skip(facts)
    evidence = _lines(*facts.number_calls)
    health = number.health_status
    if health is None or not health.can_send_message:
        return warned("Meta gave no health status for the number", *evidence)
    verdict = health.can_send_message.upper()
    flagged = [
        f"{entity.entity_type} {entity.id}: {entity.can_send_message}"
        + "".join(f" {_health_reason(error)}" for error in entity.errors)
        for entity in health.entities
        if entity.can_send_message and entity.can_send_message.upper() != "AVAILABLE"
    ]
    detail = one_line("; ".join(flagged))
    if verdict == "AVAILABLE":
        return passed("the number can send (AVAILABLE)", *evidence)
    if verdict == "BLOCKED":
        return warned(
            f"Meta blocks sending ({detail or 'BLOCKED'}): messages still arrive, but replies fail; fix it in "
            "WhatsApp Manager (often business verification or a payment method)",
            *evidence,
        )
    return warned(f"sending is {verdict} ({detail or verdict}): see WhatsApp Manager > Overview", *evidence)


def _health_reason(error: dict[str, object]) -> str:
    code = error.get("error_code") or error.get("code")
    text = error.get("error_description") or error.get("message") or ""
    return f"[{code}] {text}".strip() if code else str(text)


# -- meta.webhook_url ----------------------------------------------------------------------


async def check_webhook_url(run: DoctorRun) -> Outcome:
    facts = await number_facts(run)
    number = _number_or_skip(facts)
    evidence = _lines(*facts.number_calls)
    config = number.webhook_configuration
    winner = config.winner() if config is not None else None
    hook = run.hook_url
    if winner is None:
        return failed(
            f"Meta has no callback URL for this number: set {hook} in {DASHBOARD} > WhatsApp > Configuration",
            *evidence,
        )
    level, url = winner
    if _same_url(url, hook):
        return passed(f"Meta sends this number's webhooks to this account's hook (the {level})", *evidence)
    return failed(
        f"Meta sends this number's webhooks to {one_line(url)} (the {level} wins), not to this account's hook "
        f"{hook}: change the {level} to it",
        *evidence,
    )


def _same_url(left: str, right: str) -> bool:
    return left.strip().rstrip("/") == right.strip().rstrip("/")


# -- meta.subscription ---------------------------------------------------------------------


async def check_subscription(run: DoctorRun) -> Outcome:
    token = _token(run)
    app_id, waba_id = await _app_and_waba(run)
    secret = run.app_secret()
    has_secret = secret is not None and bool(secret.get_secret_value())
    listed, fields = await asyncio.gather(
        caught(run.graph.subscribed_apps(waba_id, token)),
        caught(run.graph.app_subscriptions(app_id, secret)) if secret is not None and has_secret else nothing(),
    )
    if isinstance(listed, ProviderCallFailed):
        raise listed
    evidence = list(listed.exchange.lines())
    subscribed = [app.whatsapp_business_api_data.id for app in listed.value.data]
    if app_id not in subscribed:
        return failed(
            f"app {app_id} is not subscribed to WhatsApp account {waba_id} (subscribed: "
            f"{', '.join(subscribed) or 'none'}): POST /{waba_id}/subscribed_apps with the system-user token",
            *evidence,
        )
    if fields is None:
        return warned(
            f"app {app_id} is subscribed to WhatsApp account {waba_id}; the 'messages' field is unchecked: "
            "it needs the app secret",
            *evidence,
        )
    if isinstance(fields, GraphError):
        evidence.extend(fields.exchange.lines())
        return warned(
            f"app {app_id} is subscribed to WhatsApp account {waba_id}, but Meta would not show the app's webhook "
            f"fields ({one_line(str(fields))}): the stored app secret may be another app's (see meta.app_secret)",
            *evidence,
        )
    if isinstance(fields, ProviderCallFailed):
        raise fields
    evidence.extend(fields.exchange.lines())
    entry = next((item for item in fields.value.data if item.object == "whatsapp_business_account"), None)
    where = f"{DASHBOARD} > WhatsApp > Configuration"
    if entry is None:
        return failed(f"app {app_id} has no WhatsApp webhook: set its callback URL in {where}", *evidence)
    names = [field.name for field in entry.fields or []]
    if not entry.active:
        return failed(f"app {app_id}'s WhatsApp webhook is not active: verify and save it in {where}", *evidence)
    if "messages" not in names:
        return failed(
            f"the 'messages' webhook field is off for app {app_id}: Meta sends no messages; turn it on in "
            f"{where} > Webhook fields",
            *evidence,
        )
    return passed(f"app {app_id} is subscribed to WhatsApp account {waba_id} and to the 'messages' field", *evidence)


async def _app_and_waba(run: DoctorRun) -> tuple[str, str]:
    """The app id (given, or learnt from ``debug_token`` or the number's health) and the WABA id
    (from the number's health, or the token's scopes)."""
    info: TokenDebug | None = None
    try:
        info = (await token_debug(run)).value
    except ProviderCallFailed:
        info = None
    health = None
    try:
        facts = await number_facts(run)
        health = facts.number.health_status if facts.number is not None else None
    except Skip:
        health = None
    app_id = run.app_id or (info.app_id if info is not None and info.is_valid else "")
    app_id = app_id or (health.entity_id("APP") if health is not None else "")
    if not app_id:
        raise Skip("needs the app id: give it (--app-id), or a token Meta accepts")
    waba_id = health.entity_id("WABA") if health is not None else ""
    if not waba_id and info is not None:
        waba_id = next(
            (
                target
                for scope in info.granular_scopes
                if scope.scope == "whatsapp_business_management"
                for target in scope.target_ids or []
            ),
            "",
        )
    if not waba_id:
        raise Skip("needs the WhatsApp account (WABA) id: Meta names it in the number's health (see meta.phone_number)")
    return app_id, waba_id
