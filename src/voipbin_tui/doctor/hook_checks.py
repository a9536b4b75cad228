"""Checks that send traffic to the account's hook: Meta's hub challenge (W7), and a message
that must come out of VoIPBIN's API as an incoming message (end to end, W8)."""

from __future__ import annotations

import asyncio
import secrets as random_tokens
import time

from voipbin_tui.api.account_types import spec_of
from voipbin_tui.api.hooks import HookDelivery
from voipbin_tui.api.models import Conversation, ConversationMessage
from voipbin_tui.api.provider_http import ProviderCallFailed
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.doctor.arrivals import IncomingWatch
from voipbin_tui.doctor.context import DoctorRun, Outcome, Skip, failed, passed, warned
from voipbin_tui.doctor.meta_checks import number_facts
from voipbin_tui.doctor.report import CheckStatus
from voipbin_tui.terminal_text import one_line

SIGN_TIME_LIMIT = 15.0
WAIT_TIME_LIMIT = 120.0
SANDBOX_WAIT_TIME_LIMIT = 15.0
SANDBOX_POLL_SECONDS = 0.1
LIVE_POLL_SECONDS = 3.0
"""VoIPBIN allows a customer about 16 requests a second; a poll reads up to a dozen conversations."""
LIKELY_CULPRITS = (
    "meta.app_secret",
    "meta.webhook_url",
    "meta.subscription",
    "meta.token",
    "meta.phone_number",
    "line.webhook_url",
    "line.webhook_active",
    "line.webhook_test",
    "line.token",
    "voipbin.account",
)
"""Checks whose failure explains a message that never arrived, likeliest first."""


def _show(delivery: HookDelivery) -> tuple[str, ...]:
    answer = one_line(delivery.answer[:200])
    return (f"{delivery.method} {delivery.url}", f"→ {delivery.status_code} {answer}".rstrip())


# -- hook.verify_token ---------------------------------------------------------------------


async def check_verify_token(run: DoctorRun) -> Outcome:
    verify_token = run.need_secret("verify_token", "verify token")
    run.may_send_to_hook()
    challenge = str(random_tokens.randbelow(9 * 10**9) + 10**9)
    delivery = await run.hook_sender.send_hub_challenge(
        run.test_hook_url, verify_token=verify_token.get_secret_value(), challenge=challenge
    )
    evidence = _show(delivery)
    if delivery.status_code == 200 and delivery.answer == challenge:
        return passed("the hook echoes Meta's hub challenge with this verify token: Meta can verify it", *evidence)
    if delivery.status_code == 500:
        return warned(
            "the hook answered 500: real VoIPBIN answers 500 to a correct verify token too (a known server "
            "issue), so this cannot tell a wrong token from that issue; Meta will not verify the URL until "
            "VoIPBIN fixes it",
            *evidence,
        )
    if delivery.accepted:
        return failed(f"the hook answered {delivery.status_code} without echoing the challenge", *evidence)
    return failed(
        f"the hook refuses this verify token ({delivery.status_code}): give the account's verify token (its "
        "secret), or save the one set in Meta's App Dashboard into the account",
        *evidence,
    )


# -- end_to_end ----------------------------------------------------------------------------


async def check_end_to_end(run: DoctorRun) -> Outcome:
    if not run.saved:
        raise Skip("needs the saved account: messages reach only saved accounts")
    if run.end_to_end is None:
        raise Skip("not asked for: it sends a signed test message (sign) or waits for a real one (wait)")
    spec = spec_of(run.account.type)
    if spec is None or spec.hook is None:
        raise Skip(f"{run.account.type} accounts do not receive through the conversation hook")
    if run.end_to_end == "sign":
        run.may_send_to_hook()
    nonce = random_tokens.token_hex(4)
    text = f"voipbin-tui doctor check {nonce}"
    watch = IncomingWatch(
        run.connection.client,
        account_id=run.account.id,
        by_account_id=spec.conversation_per_account,
        conversation_type=str(run.account.type),
    )
    await watch.start()  # what is there already is not the answer
    limit = run.time_limit or _default_limit(run)
    evidence: list[str] = []
    started = time.monotonic()
    if run.end_to_end == "sign":
        delivery = await _send_signed(run, text)
        evidence.extend(_show(delivery))
        if not delivery.accepted:
            return failed(f"the hook refused the signed test message ({delivery.status_code})", *evidence)
        matches_text: str | None = text
    else:
        matches_text = await _ask_for_message(run, text, limit, evidence)
    arrived = await _watch(run, watch, matches_text, started + limit)
    took = time.monotonic() - started
    if arrived is not None:
        conversation, message = arrived
        who = one_line(message.source.target or conversation.dialog_id or "?")
        evidence.append(f"GET /conversations/{conversation.id}/messages → incoming {message.id}")
        return passed(f"an incoming message from {who} arrived in VoIPBIN after {took:.1f} s", *evidence)
    reason = await _likeliest_reason(run)
    return failed(f"no incoming message arrived in VoIPBIN within {limit:.0f} s{reason}", *evidence)


def _default_limit(run: DoctorRun) -> float:
    if run.end_to_end == "sign":
        return SIGN_TIME_LIMIT
    return SANDBOX_WAIT_TIME_LIMIT if run.connection.is_sandbox else WAIT_TIME_LIMIT


async def _send_signed(run: DoctorRun, text: str) -> HookDelivery:
    """A test message signed as the provider signs it: WhatsApp with the stored app secret,
    LINE with the channel secret given (VoIPBIN does not check LINE's signature)."""
    spec = spec_of(run.account.type)
    hook = spec.hook if spec is not None else None
    if hook is None:
        raise Skip(f"{run.account.type} accounts do not receive through the conversation hook")
    if hook.signing_secret is not None and not hook.signing_secret(run.account):
        raise Skip(f"needs the {hook.signing_field.replace('_', ' ')} to sign the test message")
    channel_secret = run.secrets.given("channel_secret")
    sender = str(random_tokens.randbelow(9 * 10**10) + 10**10)  # a new sender: a new, newest conversation
    return await run.hook_sender.send_test_message(
        run.test_hook_url,
        run.account,
        text=text,
        sender=sender,
        line_channel_secret=channel_secret.get_secret_value() if channel_secret is not None else None,
    )


async def _ask_for_message(run: DoctorRun, text: str, limit: float, evidence: list[str]) -> str | None:
    """Make a message come: on the sandbox its emulated provider sends one, signed with the
    provider app's own secret; on live VoIPBIN the operator sends one. Returns the text to
    match, or None when any new incoming message for the account counts."""
    if run.connection.is_sandbox:
        if run.on_wait is not None:
            run.on_wait(f"the sandbox's emulated provider sends a message; waiting up to {limit:.0f} s")
        sent = await SandboxProviders(run.connection.client).send_inbound(run.account.id, text)
        evidence.append(f"the emulated {sent.provider} sent a signed message to {sent.url or '(nowhere)'}")
        said = ", ".join(part for part in (sent.reason, sent.detail) if part)
        evidence.append(f"→ {sent.status_code} {one_line(said)}".rstrip())
        return text
    if run.on_wait is not None:
        run.on_wait(await _what_to_send(run, limit))
    return None


async def _what_to_send(run: DoctorRun, limit: float) -> str:
    """What the operator should do, naming the number to write to when Meta named it."""
    display = ""
    if run.secrets.token is not None and run.account.phone_number_id:
        try:
            facts = await number_facts(run)
        except (Skip, ProviderCallFailed):
            facts = None
        if facts is not None and facts.number is not None and facts.number.display_phone_number:
            display = "+" + one_line(facts.number.display_phone_number).lstrip("+")
    spec = spec_of(run.account.type)
    provider = spec.display_name if spec is not None else str(run.account.type)
    to = f" to {display}" if display else ""
    dashboard = " (or press Test for 'messages' in Meta's App Dashboard)" if run.account.phone_number_id else ""
    return f"send a {provider} message from a phone{to}{dashboard}; waiting up to {limit:.0f} s"


async def _watch(
    run: DoctorRun, watch: IncomingWatch, text: str | None, deadline: float
) -> tuple[Conversation, ConversationMessage] | None:
    """The first new incoming message for the account (with ``text``, when it is known)."""
    pause = SANDBOX_POLL_SECONDS if run.connection.is_sandbox else LIVE_POLL_SECONDS
    while True:
        for conversation, message in await watch.poll():
            if text is None or message.text == text:
                return conversation, message
        if time.monotonic() + pause > deadline:
            return None
        await asyncio.sleep(pause)


async def _likeliest_reason(run: DoctorRun) -> str:
    for check_id in LIKELY_CULPRITS:
        if run.end_to_end == "sign" and check_id.startswith(("meta.", "line.")):
            continue  # a signed test goes straight to the hook: the provider's side is not on its path
        result = await run.result(check_id)
        if result is not None and result.status is CheckStatus.FAIL:
            return f"; likeliest reason, {check_id}: {result.summary}"
    if run.end_to_end == "sign":
        return "; the hook took it, but VoIPBIN made no message of it (see the inspector for its verdict)"
    return "; no other check failed: check the provider's console, and the inspector for what reached the hook"
