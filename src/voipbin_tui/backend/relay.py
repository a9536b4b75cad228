"""The provider hook in relay mode (``voipbin-tui serve --forward-to``): each request is
forwarded to the real VoIPBIN hook, and judged with the account as VoIPBIN's API returns it,
so an operator sees why VoIPBIN would take or silently drop it.

The sender gets the upstream's answer (502 when the upstream is unreachable, so that Meta
retries), and that answer is recorded with the request. Nothing is applied here: VoIPBIN
creates the conversations and messages, not the sandbox. The judging uses the same
``protocols`` functions as the sandbox's hook, with what the API can give: the app secret of a
WhatsApp account, but never an account's ``secret`` (the verify token, LINE's channel secret),
so a hub challenge is judged by the upstream's answer and a LINE signature is not checked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from starlette.datastructures import QueryParams

from voipbin_tui.api.account_types import answers_hub_challenge, provider_hook
from voipbin_tui.backend.config import RelayConfig
from voipbin_tui.backend.delivery import HUB_SIGNATURE_HEADER, LINE_SIGNATURE_HEADER, Delivery, parse_account_id
from voipbin_tui.backend.judging import (
    Judgement,
    inspected,
    is_challenge,
    judge_browser,
    judge_transfer,
    judge_unknown_account,
    judge_unsupported_post,
    provider_guess,
    refuse_challenge,
    unprocessed,
)
from voipbin_tui.backend.upstream import AccountDirectory, AccountLookup, LookupOutcome, UpstreamAnswer, UpstreamHook
from voipbin_tui.protocols.inspection import HookInspection, RequestSummary
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind, explain_verdict

UNREACHABLE_STATUS = 502
NOT_AN_ACCOUNT_STATUS = 404
_LINE_KINDS = frozenset({RequestKind.LINE, RequestKind.LINE_VERIFY})
_CANNOT_SEE_VERIFY_TOKEN = (
    "The relay cannot check hub.verify_token itself (VoIPBIN's API never returns an account's "
    "verify token, its `secret`), so the upstream's answer decides."
)

log = logging.getLogger(__name__)


class Relay:
    """Judges and forwards provider hook requests; one per running backend, on its loop."""

    def __init__(self, accounts: AccountDirectory, upstream: UpstreamHook) -> None:
        self._accounts = accounts
        self._upstream = upstream

    @classmethod
    def open(cls, config: RelayConfig) -> Relay:
        """Open the API client and the upstream connection pool; call on the server's loop."""
        accounts = AccountDirectory(config.api_client(), ttl=config.account_ttl, timeout=config.lookup_timeout)
        return cls(accounts, UpstreamHook(config.forward_base, timeout=config.forward_timeout))

    async def aclose(self) -> None:
        await self._accounts.aclose()
        await self._upstream.aclose()

    async def judge(self, delivery: Delivery, account_ref: str) -> Judgement:
        """Forward the request (while its account is read), then judge it; the judgement
        carries the upstream's answer as the answer to give. Never raises."""
        browser = judge_browser(delivery)
        if browser is not None:
            return replace(browser, explanation=f"{browser.explanation} Not forwarded.", upstream={"forwarded": False})
        transfer_problem = judge_transfer(delivery)
        if transfer_problem is not None:  # a body that did not arrive whole is not forwarded
            return replace(
                transfer_problem,
                explanation=f"{transfer_problem.explanation} Not forwarded: the upstream would get a cut body.",
                upstream={"forwarded": False, "url": self._upstream.url_for(account_ref)},
            )
        if not _is_account_id(account_ref):  # ".." and made-up names never reach the upstream
            judgement = judge_unknown_account(
                delivery,
                f"{account_ref[:80]!r} is not an account id (a UUID), so no account can have it: not "
                f"forwarded, answered {NOT_AN_ACCOUNT_STATUS}.",
            )
            return replace(judgement, status=NOT_AN_ACCOUNT_STATUS, upstream={"forwarded": False})
        lookup, answer = await asyncio.gather(
            self._accounts.lookup(account_ref), self._upstream.forward(delivery, account_ref)
        )
        try:
            judgement = _judge_relayed(delivery, account_ref, lookup, answer)
            if not lookup.asked:  # an id made up by the thousand keeps no more than an unknown one
                judgement = replace(judgement, unaddressed=True)
        except Exception as exc:  # a bug must neither lose the request nor hide the upstream's answer
            log.exception("failed to judge relayed %s %s; recording it unjudged", delivery.method, delivery.path)
            judgement = unprocessed(delivery, exc)
        return _with_upstream_answer(judgement, answer)


def _is_account_id(account_ref: str) -> bool:
    return parse_account_id(account_ref) is not None


def _judge_relayed(delivery: Delivery, account_ref: str, lookup: AccountLookup, answer: UpstreamAnswer) -> Judgement:
    """The verdict on a forwarded request, from the account as VoIPBIN's API returned it."""
    if lookup.outcome == LookupOutcome.UNKNOWN:
        return judge_unknown_account(delivery, f"VoIPBIN's API has no account {account_ref[:80]!r}.")
    account = lookup.account
    unreadable = f"The account could not be read from VoIPBIN's API: {lookup.problem}."
    if is_challenge(delivery):
        if account is not None and not answers_hub_challenge(account.type):
            return refuse_challenge(account.type)
        return _judge_challenge(delivery, answer, "" if account is not None else unreadable)
    if account is None:
        return _unchecked(delivery, provider_guess(delivery), f"{unreadable} The signature was not checked here.")
    hook = provider_hook(account.type)
    if hook is None:
        return judge_unsupported_post(delivery, account.type)
    signature = delivery.header(hook.signature_header)
    if hook.signing_secret is None:  # write-only: VoIPBIN's API never returns it
        return _unchecked(
            delivery,
            hook.inspect_post(delivery.body, signature, None),
            hook.relay_unchecked_reason,
            voipbin_checks_signature=hook.voipbin_checks_signature,
        )
    return inspected(hook.inspect_post(delivery.body, signature, hook.signing_secret(account) or None))


def _with_upstream_answer(judgement: Judgement, answer: UpstreamAnswer) -> Judgement:
    """The judgement answered as the upstream answered, or 502 when it was not reached."""
    if answer.status is not None:
        cut = f" (cut to its first {len(answer.body)} bytes)" if answer.truncated else ""
        return replace(
            judgement,
            status=answer.status,
            answer=answer.body,
            upstream=answer.to_record(),
            explanation=(
                f"{judgement.explanation} Forwarded to the upstream hook, which answered {answer.status} "
                f"in {answer.elapsed_ms:.0f} ms; that answer{cut} went back to the sender."
            ),
        )
    return replace(
        judgement,
        status=UNREACHABLE_STATUS,
        answer=b"",
        upstream=answer.to_record(),
        explanation=(
            f"{judgement.explanation} The upstream hook was unreachable ({answer.error}), so the request did "
            f"not get through: answered {UNREACHABLE_STATUS} so that the sender retries."
        ),
    )


def _unchecked(
    delivery: Delivery, inspection: HookInspection, why: str, *, voipbin_checks_signature: bool = True
) -> Judgement:
    """A POST whose signature cannot be checked here, for want of the secret: judged on what
    shows without it. A body that does not parse is MALFORMED; a missing signature is
    MISSING_SIGNATURE where VoIPBIN checks signatures (it drops the request); anything else is
    UNCHECKED, neither a pass nor a fail, since nobody who could check the signature did."""
    signature_header = LINE_SIGNATURE_HEADER if inspection.kind in _LINE_KINDS else HUB_SIGNATURE_HEADER
    parsed = inspection.notification is not None or inspection.line_webhook is not None
    signed = bool(delivery.header(signature_header))
    notes = [why]
    if not signed and voipbin_checks_signature:
        verdict = HookVerdict.MISSING_SIGNATURE
    elif not parsed:
        verdict = HookVerdict.MALFORMED
    else:
        verdict = HookVerdict.UNCHECKED
        if not signed:
            notes.append(
                f"It carried no {signature_header}: its provider always signs, so it did not come from "
                "the provider as is, but VoIPBIN takes it all the same."
            )
    return inspected(
        inspection, verdict=verdict, explanation=" ".join([explain_verdict(verdict, inspection.kind), *notes])
    )


def _judge_challenge(delivery: Delivery, answer: UpstreamAnswer, account_problem: str) -> Judgement:
    """A hub challenge, judged by the upstream's answer: verified iff it echoed the challenge."""
    params = QueryParams(delivery.query)
    challenge = params.get("hub.challenge", "")
    mode = params.get("hub.mode")
    notes = [account_problem] if account_problem else []
    if mode != "subscribe":
        notes.append(f"hub.mode is {mode!r:.40}, not 'subscribe'.")
    succeeded = answer.status is not None and 200 <= answer.status < 300
    if succeeded and challenge and answer.body == challenge.encode("utf-8"):
        verdict = HookVerdict.OK
        notes.append(
            "The upstream hook echoed hub.challenge: it accepted hub.verify_token, so Meta marks the "
            f"callback URL verified. {_CANNOT_SEE_VERIFY_TOKEN}"
        )
    elif not answer.reached:
        verdict = HookVerdict.BAD_VERIFY_TOKEN
        notes.append(f"Not verified: nobody checked hub.verify_token. {_CANNOT_SEE_VERIFY_TOKEN}")
    else:
        verdict = HookVerdict.BAD_VERIFY_TOKEN
        notes.append(
            f"Not verified: the upstream hook answered {answer.status} instead of echoing hub.challenge, so "
            f"Meta will not mark the callback URL verified. {_CANNOT_SEE_VERIFY_TOKEN} VoIPBIN answers 500 "
            "to a wrong token, to an account without a verify token, and (a known server issue) also to a "
            "correct one: if hub.verify_token is the account's verify token, the refusal is VoIPBIN's."
        )
    return Judgement(
        kind=RequestKind.VERIFY,
        verdict=verdict,
        summary=RequestSummary.empty(),
        explanation=" ".join(notes),
        status=200 if verdict == HookVerdict.OK else 403,
    )
