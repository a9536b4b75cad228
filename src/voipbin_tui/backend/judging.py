"""Judging a provider hook request: the one strategy the sandbox's hook and the relay share.

Both refuse the same requests before looking at an account (a browser's, a body that did not
arrive whole), read a POST as the addressed account's provider with the same ``protocols``
checks, and word the verdicts they decide themselves the same way. They differ only in what
they know: the sandbox has every secret of its accounts and applies what is OK; the relay has
what VoIPBIN's API returns (never an account's ``secret``) and forwards instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from voipbin_tui.api.account_types import provider_hook, spec_of
from voipbin_tui.backend.delivery import HUB_SIGNATURE_HEADER, LINE_SIGNATURE_HEADER, Delivery
from voipbin_tui.protocols.inspection import (
    HookInspection,
    RequestSummary,
    inspect_line_post,
    inspect_whatsapp_post,
)
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind, explain_verdict


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a request was, the verdict, and what it is answered (and, when relayed, what the
    upstream hook answered)."""

    kind: RequestKind
    verdict: HookVerdict
    summary: RequestSummary
    explanation: str
    status: int
    answer: bytes = b""
    upstream: dict[str, Any] | None = None
    unaddressed: bool = False
    """It reached no account known to exist (as a relay that did not ask the API, to spare its
    rate limit, judges it): only the first bytes of its body are kept, as for an unknown one."""


def is_challenge(delivery: Delivery) -> bool:
    return delivery.method in ("GET", "HEAD")


def default_status(delivery: Delivery) -> int:
    """403 for a challenge not answered, 413 for a refused body, else 200 (as VoIPBIN)."""
    if delivery.too_large:
        return 413
    return 403 if is_challenge(delivery) else 200


def unprocessed(delivery: Delivery, error: Exception) -> Judgement:
    """A request whose processing failed (a bug): recorded as received, nothing taken."""
    return Judgement(
        kind=RequestKind.UNKNOWN,
        verdict=HookVerdict.MALFORMED,
        summary=RequestSummary.empty(),
        explanation=f"Processing this request failed ({type(error).__name__}); nothing in it was taken.",
        status=default_status(delivery),
    )


def decided_here(
    delivery: Delivery,
    verdict: HookVerdict,
    specifics: str,
    *,
    kind: RequestKind | None = None,
    guess: HookInspection | None = None,
) -> Judgement:
    """A verdict the backend decides (not the protocol checks), explained for an operator.

    The kind is the one given, else VERIFY for a challenge, else what ``guess`` read."""
    if kind is None:
        kind = RequestKind.VERIFY if is_challenge(delivery) else (guess.kind if guess else RequestKind.UNKNOWN)
    return Judgement(
        kind=kind,
        verdict=verdict,
        summary=guess.summary if guess else RequestSummary.empty(),
        explanation=f"{explain_verdict(verdict, kind)} {specifics}",
        status=default_status(delivery),
    )


def judge_arrival(delivery: Delivery, kind: RequestKind | None = None) -> Judgement | None:
    """The refusal of a request judged before any account is read (a browser's, or a body
    that did not arrive whole), else None."""
    return judge_browser(delivery, kind) or judge_transfer(delivery, kind)


def sent_by_a_page(origin: str | None, fetch_site: str | None) -> str | None:
    """The header that shows a web page had a browser send the request (``Origin``, or
    ``Sec-Fetch-Site`` other than ``none``), as ``Name: 'value'``; None for any other sender.
    Meta, LINE, VoIPBIN and this program's own clients send neither."""
    if origin is None and (fetch_site is None or fetch_site.strip().lower() == "none"):
        return None
    return f"Origin: {origin[:80]!r}" if origin is not None else f"Sec-Fetch-Site: {(fetch_site or '')[:40]!r}"


def judge_browser(delivery: Delivery, kind: RequestKind | None = None) -> Judgement | None:
    """A request a web page had a browser send, refused with 403, else None: the hook listens
    on a fixed local port any page could post to."""
    sent = sent_by_a_page(delivery.header("origin"), delivery.header("sec-fetch-site"))
    if sent is None:
        return None
    return replace(decided_here(delivery, HookVerdict.CROSS_SITE, f"It carried {sent}.", kind=kind), status=403)


def judge_transfer(delivery: Delivery, kind: RequestKind | None = None) -> Judgement | None:
    """The verdict when the body itself did not arrive whole, else None."""
    if delivery.too_large:
        return decided_here(
            delivery,
            HookVerdict.TOO_LARGE,
            f"It had {delivery.body_size} bytes; "
            + (f"only the first {len(delivery.body)} were kept." if delivery.body else "none of them was read."),
            kind=kind,
        )
    if not delivery.body_complete:
        return decided_here(
            delivery, HookVerdict.MALFORMED, "The sender disconnected before the whole body arrived.", kind=kind
        )
    return None


def judge_unknown_account(delivery: Delivery, specifics: str) -> Judgement:
    """A request to an account that does not exist; a POST's kind and summary are guessed."""
    guess = None if is_challenge(delivery) else provider_guess(delivery)
    return decided_here(delivery, HookVerdict.UNKNOWN_ACCOUNT, specifics, guess=guess)


def judge_unsupported_post(delivery: Delivery, account_type: str) -> Judgement:
    """A POST to an account of a type that takes no provider hook (SMS)."""
    return decided_here(
        delivery,
        HookVerdict.UNSUPPORTED_ACCOUNT,
        f"The account is of type {account_type!r}.",
        guess=provider_guess(delivery),
    )


def refuse_challenge(account_type: str) -> Judgement:
    """A hub challenge to an account that is not WhatsApp's (only Meta sends them)."""
    spec = spec_of(account_type)
    provider = spec.challenge_refusal if spec is not None else "this version does not know the type"
    return Judgement(
        kind=RequestKind.VERIFY,
        verdict=HookVerdict.UNSUPPORTED_ACCOUNT,
        summary=RequestSummary.empty(),
        explanation=(
            f"This is a {account_type} account: only WhatsApp accounts answer Meta's GET hub challenge ({provider})."
        ),
        status=403,
    )


def inspect_post(delivery: Delivery, account_type: str, signing_secret: str | None) -> HookInspection | None:
    """A POST read as the account's provider, its signature checked with ``signing_secret``
    (None: not known, so not checked); None when the account type takes no provider POST."""
    hook = provider_hook(account_type)
    if hook is None:
        return None
    return hook.inspect_post(delivery.body, delivery.header(hook.signature_header), signing_secret)


def inspected(inspection: HookInspection, *, verdict: HookVerdict | None = None, explanation: str = "") -> Judgement:
    """A POST judged by the protocol checks (with, when given, the verdict and explanation
    they led to here), answered 200 as VoIPBIN does."""
    return Judgement(
        kind=inspection.kind,
        verdict=inspection.verdict if verdict is None else verdict,
        summary=inspection.summary,
        explanation=explanation or inspection.detail,
        status=200,
    )


def provider_guess(delivery: Delivery) -> HookInspection:
    """Read the body as the provider it looks like, for its kind and summary only (the
    verdict is decided elsewhere): LINE if it carries a LINE signature or only parses as
    LINE, else WhatsApp."""
    line_signature = delivery.header(LINE_SIGNATURE_HEADER)
    if line_signature is not None:
        return inspect_line_post(delivery.body, line_signature, None)
    as_whatsapp = inspect_whatsapp_post(delivery.body, delivery.header(HUB_SIGNATURE_HEADER), None)
    if as_whatsapp.notification is None:
        as_line = inspect_line_post(delivery.body, None, None)
        if as_line.line_webhook is not None:
            return as_line
    return as_whatsapp
