"""Checks against LINE's Messaging API (preflight L1-L6): the token and its bot, the channel
secret, the webhook endpoint and its "Use webhook" switch, and LINE's own test delivery."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import SecretStr

from voipbin_tui.api.line_channel import BotInfo, LineError, TokenVerification, WebhookEndpoint
from voipbin_tui.api.provider_http import Answered, Exchange, ProviderCallFailed
from voipbin_tui.doctor.context import DoctorRun, Outcome, Skip, caught, failed, passed, warned
from voipbin_tui.terminal_text import one_line

EXPIRY_WARNING_SECONDS = 7 * 86400
CONSOLE = "the LINE Developers console (Messaging API tab)"
TOKEN_REJECTED = "LINE rejects the channel access token: issue a new one in " + CONSOLE + ", then save it in VoIPBIN"


def _token(run: DoctorRun) -> SecretStr:
    return run.need_secret("token", "channel access token")


@dataclass(frozen=True, slots=True)
class TokenFacts:
    bot: Answered[BotInfo] | ProviderCallFailed
    verification: Answered[TokenVerification] | ProviderCallFailed


async def token_facts(run: DoctorRun) -> TokenFacts:
    token = _token(run)
    return await run.shared("line_token", lambda: _read_token(run, token))


async def _read_token(run: DoctorRun, token: SecretStr) -> TokenFacts:
    bot, verification = await asyncio.gather(caught(run.line.bot_info(token)), caught(run.line.verify_token(token)))
    return TokenFacts(bot, verification)


def _lines(*exchanges: Exchange) -> tuple[str, ...]:
    return tuple(line for exchange in exchanges for line in exchange.lines())


async def check_token(run: DoctorRun) -> Outcome:
    facts = await token_facts(run)
    if isinstance(facts.bot, LineError) and facts.bot.http_status in (401, 403):
        return failed(TOKEN_REJECTED, *facts.bot.exchange.lines())
    if isinstance(facts.bot, ProviderCallFailed):
        raise facts.bot
    bot = facts.bot.value
    evidence = list(facts.bot.exchange.lines())
    name = one_line(bot.display_name) or "?"
    who = f"bot {name!r}" + (f" ({one_line(bot.basic_id)})" if bot.basic_id else "") + f", user id {bot.user_id}"
    verification = facts.verification
    if isinstance(verification, ProviderCallFailed):
        evidence.extend(verification.exchange.lines())
        return warned(f"{who}; LINE would not say how long the token lasts ({one_line(str(verification))})", *evidence)
    evidence.extend(verification.exchange.lines())
    left = verification.value.expires_in
    if left is not None and 0 < left < EXPIRY_WARNING_SECONDS:
        return warned(
            f"{who}; the token expires in {left / 86400:.1f} days: issue a long-lived token in {CONSOLE}", *evidence
        )
    lasting = f"valid for {left / 86400:.0f} more days" if left else "no expiry"
    return passed(f"{who}; token {lasting}", *evidence)


async def _channel_id(run: DoctorRun) -> tuple[str, tuple[str, ...]]:
    facts = await token_facts(run)
    verification = facts.verification
    if isinstance(verification, ProviderCallFailed) or not verification.value.client_id:
        raise Skip("needs the channel id, which LINE gives for a token it accepts (see line.token)")
    return verification.value.client_id, verification.exchange.lines()


async def check_channel_secret(run: DoctorRun) -> Outcome:
    secret = run.need_secret("channel_secret", "channel secret")
    _token(run)
    channel_id, _ = await _channel_id(run)
    try:
        issued = await run.line.issue_stateless_token(channel_id, secret)
    except LineError as exc:
        if 400 <= exc.http_status < 500:
            return failed(
                f"LINE refuses this channel secret for channel {channel_id}: copy the channel secret from "
                "the LINE Developers console (Basic settings tab), then save it in VoIPBIN",
                *exc.exchange.lines(),
            )
        raise
    return passed(
        f"the channel secret is channel {channel_id}'s (LINE issued a 15-minute token with it)",
        *issued.exchange.lines(),
    )


async def endpoint_facts(run: DoctorRun) -> Answered[WebhookEndpoint]:
    token = _token(run)
    return await run.shared("line_endpoint", lambda: _read_endpoint(run, token))


async def _read_endpoint(run: DoctorRun, token: SecretStr) -> Answered[WebhookEndpoint]:
    try:
        return await run.line.webhook_endpoint(token)
    except LineError as exc:
        if exc.http_status in (401, 403):
            raise Skip("needs a channel access token LINE accepts (see line.token)", exc.exchange.lines()) from None
        raise


async def check_webhook_url(run: DoctorRun) -> Outcome:
    answered = await endpoint_facts(run)
    endpoint = answered.value.endpoint
    hook = run.hook_url
    evidence = answered.exchange.lines()
    if not endpoint:
        return failed(
            f"LINE has no webhook URL for this channel: saving the account in VoIPBIN sets it, or set {hook} "
            f"in {CONSOLE}",
            *evidence,
        )
    if endpoint.strip().rstrip("/") != hook.rstrip("/"):
        return failed(
            f"LINE sends this channel's webhooks to {one_line(endpoint)}, not to this account's hook {hook}: "
            f"save the account in VoIPBIN again (it sets the URL), or set it in {CONSOLE}",
            *evidence,
        )
    return passed("LINE sends this channel's webhooks to this account's hook", *evidence)


async def check_webhook_active(run: DoctorRun) -> Outcome:
    answered = await endpoint_facts(run)
    if answered.value.active:
        return passed("'Use webhook' is on", *answered.exchange.lines())
    return failed(
        f"'Use webhook' is off: LINE sends nothing to the hook; turn it on in {CONSOLE} (VoIPBIN does not)",
        *answered.exchange.lines(),
    )


async def check_webhook_test(run: DoctorRun) -> Outcome:
    token = _token(run)
    try:
        answered = await run.line.test_webhook(token)
    except LineError as exc:
        if exc.http_status in (401, 403):
            raise Skip("needs a channel access token LINE accepts (see line.token)", exc.exchange.lines()) from None
        raise
    result = answered.value
    evidence = answered.exchange.lines()
    if result.success:
        return passed(f"LINE's test delivery was answered {result.status_code}", *evidence)
    said = one_line(", ".join(part for part in (result.reason, result.detail) if part)) or "no reason given"
    if result.status_code is not None and result.status_code <= 0:
        return failed(f"LINE's test delivery got no answer from the endpoint ({said}): is it reachable?", *evidence)
    return failed(f"LINE's test delivery was answered {result.status_code} ({said})", *evidence)
