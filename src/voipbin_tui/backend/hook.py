"""Everything that receives webhooks: the provider hook ``/v1.0/conversation/accounts/{id}``,
as a correct VoIPBIN hook would be, and the receiver of VoIPBIN's own customer events.

Each request is judged with the pure functions of ``protocols`` (signatures on the raw bytes,
every entry, change, message and status of a batch), applied (text messages become incoming
messages, statuses move outgoing messages forward), and recorded in the same unit of work,
committed before the answer: a 200 means the request is on disk. What needs storage is
decided here: the unknown account, the SMS account, the body too large, the duplicate.

POSTs are answered 200 whatever the verdict, as VoIPBIN does, so the recorded verdict (not the
status) says what happened; a GET hub challenge gets 200 with the challenge or 403 (VoIPBIN
answers 500). Nothing a sender can put in a request makes the hook raise or answer 5xx.

In relay mode (``backend.relay``) the hook applies nothing: the relay forwards the request to
the real VoIPBIN and judges it with the account read from there; the upstream's answer (or
502 when it is unreachable) is what is recorded and answered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.api.models import NIL_UUID, AccountType
from voipbin_tui.backend.connections import CUT_OFF
from voipbin_tui.backend.context import BackendContext, backend_of
from voipbin_tui.backend.conversations import add_incoming_message, apply_delivery_status, conversation_for
from voipbin_tui.backend.limits import declared_length
from voipbin_tui.backend.store import AccountRecord, CaptureRecord, Store
from voipbin_tui.protocols.inspection import (
    HookInspection,
    RequestSummary,
    inspect_line_post,
    inspect_voipbin_event,
    inspect_whatsapp_post,
    inspect_whatsapp_verify,
)
from voipbin_tui.protocols.line import LineWebhook
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind, explain_verdict
from voipbin_tui.protocols.whatsapp import WhatsAppNotification

HOOK_PREFIX = "/v1.0/conversation/accounts/"
HOOK_PATH = HOOK_PREFIX + "{account_ref}"
KEPT_BYTES_OF_TOO_LARGE = 64 * 1024
"""How much of a body too large, or sent to no account, is kept: enough for the inspector to
show what it was, too little for made-up account ids to fill the disk."""
_NOBODYS_REQUESTS = frozenset({HookVerdict.UNKNOWN_ACCOUNT, HookVerdict.CROSS_SITE})
HUB_SIGNATURE_HEADER = "x-hub-signature-256"
LINE_SIGNATURE_HEADER = "x-line-signature"
VOIPBIN_SIGNATURE_HEADER = "x-voipbin-signature"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A request as it reached the hook (or as it is replayed), body included."""

    method: str
    path: str
    query: str
    """The raw query string."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    body_size: int
    """Bytes received, or the declared Content-Length when the body was refused unread."""
    body_complete: bool
    too_large: bool = False
    replay_of: UUID | None = None

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), as received."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


async def receive_delivery(request: Request, *, max_body_bytes: int) -> Delivery:
    """Read a request's body while it streams, up to ``max_body_bytes``.

    A larger declared body is not read at all; a larger streamed one stops the reading at
    once: only its first bytes are kept, the rest is never buffered. A sender that disconnects mid-body yields an
    incomplete body instead of an error.
    """
    declared_size = declared_length(request.scope)
    if declared_size is not None and declared_size > max_body_bytes:
        return _delivery(request, b"", body_size=declared_size, complete=False, too_large=True)  # left unread
    chunks: list[bytes] = []
    size = 0
    complete = True
    try:
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body_bytes:
                    complete = False
                    break
    except ClientDisconnect:
        complete = False
    too_large = size > max_body_bytes
    body = b"".join(chunks)
    return _delivery(
        request,
        body[:KEPT_BYTES_OF_TOO_LARGE] if too_large else body,
        body_size=size,
        complete=complete,
        too_large=too_large,
    )


def was_cut_off(request: Request) -> bool:
    """Whether the server dropped the request's connection for not arriving in time (see
    ``connections``), rather than the sender hanging up."""
    return bool(request.scope.get(CUT_OFF))


def _delivery(request: Request, body: bytes, *, body_size: int, complete: bool, too_large: bool) -> Delivery:
    return Delivery(
        method=request.method,
        path=request.url.path,
        query=request.scope["query_string"].decode("latin-1"),
        headers=tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.scope["headers"]),
        body=body,
        body_size=body_size,
        body_complete=complete,
        too_large=too_large,
    )


def is_hook_path(path: str) -> bool:
    """Whether ``path`` is a provider hook's (one segment after the accounts prefix)."""
    return path.startswith(HOOK_PREFIX) and "/" not in path[len(HOOK_PREFIX) :]


_ACCOUNT_ID = re.compile(r"(?:urn:uuid:)?\{?[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}\}?")


def parse_account_id(account_ref: str) -> UUID | None:
    """The UUID a hook path addresses, in any spelling VoIPBIN takes (any case, braces,
    ``urn:uuid:``, no dashes); None for anything else. Stricter than ``UUID()``, whose
    ``int()`` also takes spaces, underscores and non-ASCII digits, so that a made-up ref is
    never turned into some other account's id."""
    return UUID(account_ref) if _ACCOUNT_ID.fullmatch(account_ref) else None


def addressed_account_id(account_ref: str) -> str:
    """The account id as addressed, canonical (lower-case, dashed) when it is a UUID."""
    account_id = parse_account_id(account_ref)
    return account_ref if account_id is None else str(account_id)


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


@dataclass(frozen=True, slots=True)
class _Effects:
    """What a taken request changed: items stored and items skipped as already seen."""

    new: int = 0
    duplicates: int = 0

    def describe(self) -> str:
        return f" {self.duplicates} already-received item(s) skipped." if self.duplicates else ""


async def deliver_to_account(backend: BackendContext, delivery: Delivery, account_ref: str) -> CaptureRecord:
    """Judge, apply and record one provider hook request, then wake the feed; in relay mode,
    judge it against the real VoIPBIN and forward it there instead of applying it."""
    account_id = addressed_account_id(account_ref)
    if backend.relay is not None:
        judgement = await backend.relay.judge(delivery, account_ref)
        return await record_delivery(backend, delivery, account_id, lambda _store, _now: judgement)
    new_id = backend.config.new_id
    return await record_delivery(
        backend,
        delivery,
        account_id,
        lambda store, now: _judge(store, delivery, account_ref, now=now, new_id=new_id),
    )


async def deliver_voipbin_event(backend: BackendContext, delivery: Delivery) -> CaptureRecord:
    """Judge and record one VoIPBIN customer webhook (signed with the customer's webhook
    secret), then wake the feed. Events are recorded only: they change nothing."""
    return await record_delivery(backend, delivery, "", lambda store, _now: _judge_voipbin_event(store, delivery))


async def record_delivery(
    backend: BackendContext,
    delivery: Delivery,
    account_id: str,
    judge: Callable[[Store, datetime], Judgement],
) -> CaptureRecord:
    """Effects and record are one unit of work: both are committed, or neither."""
    now = backend.config.clock()
    capture_id = backend.config.new_id()

    def record(store: Store, judgement: Judgement) -> CaptureRecord:
        return store.record_capture(_capture(capture_id, delivery, account_id, judgement, now))

    try:
        capture = await backend.write(lambda store: record(store, judge(store, now)))
    except Exception as exc:
        # A bug must neither lose the request nor answer 5xx: record it unprocessed instead.
        log.exception("failed to process %s %s; recording it unprocessed", delivery.method, delivery.path)
        fallback = unprocessed(delivery, exc)
        capture = await backend.write(lambda store: record(store, fallback))
    backend.arrivals.announce(capture.seq)
    if backend.config.on_capture is not None:
        backend.config.on_capture(capture)
    return capture


def hook_response(capture: CaptureRecord) -> Response:
    """The answer recorded for a request: a bare status, or the challenge as text/plain (or,
    relayed, the upstream's body with its content type)."""
    if not capture.answer:
        return Response(status_code=capture.status)
    upstream_type = (capture.upstream or {}).get("content_type")
    if upstream_type:
        return Response(capture.answer, status_code=capture.status, headers={"content-type": upstream_type})
    return Response(capture.answer, status_code=capture.status, media_type="text/plain")


async def hook_endpoint(request: Request) -> Response:
    backend = backend_of(request)
    delivery = await receive_delivery(request, max_body_bytes=backend.config.max_body_bytes)
    if was_cut_off(request):
        return Response(status_code=408)  # nobody is there to read it
    capture = await deliver_to_account(backend, delivery, request.path_params["account_ref"])
    return hook_response(capture)


def unprocessed(delivery: Delivery, error: Exception) -> Judgement:
    """A request whose processing failed (a bug): recorded as received, nothing taken."""
    return Judgement(
        kind=RequestKind.UNKNOWN,
        verdict=HookVerdict.MALFORMED,
        summary=RequestSummary.empty(),
        explanation=f"Processing this request failed ({type(error).__name__}); nothing in it was taken.",
        status=_default_status(delivery),
    )


def _capture(
    capture_id: UUID, delivery: Delivery, account_id: str, judgement: Judgement, now: datetime
) -> CaptureRecord:
    body, complete = delivery.body, delivery.body_complete
    nobodys = judgement.unaddressed or judgement.verdict in _NOBODYS_REQUESTS
    if nobodys and len(body) > KEPT_BYTES_OF_TOO_LARGE:
        body, complete = body[:KEPT_BYTES_OF_TOO_LARGE], False  # its length stays in body_size
    return CaptureRecord(
        id=capture_id,
        time=now,
        method=delivery.method,
        path=delivery.path,
        query=delivery.query,
        headers=delivery.headers,
        body=body,
        body_size=delivery.body_size,
        body_complete=complete,
        account_id=account_id,
        kind=judgement.kind,
        verdict=judgement.verdict,
        status=judgement.status,
        answer=judgement.answer,
        summary=judgement.summary.to_dict(),
        explanation=judgement.explanation,
        upstream=judgement.upstream,
        replay_of=delivery.replay_of,
    )


def is_challenge(delivery: Delivery) -> bool:
    return delivery.method in ("GET", "HEAD")


def _default_status(delivery: Delivery) -> int:
    """403 for a challenge not answered, 413 for a refused body, else 200 (as VoIPBIN)."""
    if delivery.too_large:
        return 413
    return 403 if is_challenge(delivery) else 200


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
        status=_default_status(delivery),
    )


def judge_browser(delivery: Delivery, kind: RequestKind | None = None) -> Judgement | None:
    """A request a web page had a browser send (it carries ``Origin``, or ``Sec-Fetch-Site``
    other than ``none``), refused with 403, else None. Meta, LINE and VoIPBIN send neither, and
    the hook listens on a fixed local port any page could post to."""
    origin = delivery.header("origin")
    fetch_site = delivery.header("sec-fetch-site")
    if origin is None and (fetch_site is None or fetch_site.strip().lower() == "none"):
        return None
    sent = f"Origin: {origin[:80]!r}" if origin is not None else f"Sec-Fetch-Site: {(fetch_site or '')[:40]!r}"
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


def _judge(
    store: Store, delivery: Delivery, account_ref: str, *, now: datetime, new_id: Callable[[], UUID]
) -> Judgement:
    refusal = judge_browser(delivery) or judge_transfer(delivery)
    if refusal is not None:
        return refusal
    account = _account_at(store, account_ref)
    if account is None:
        guess = None if is_challenge(delivery) else provider_guess(delivery)
        return decided_here(
            delivery, HookVerdict.UNKNOWN_ACCOUNT, f"Addressed account: {account_ref[:80]!r}.", guess=guess
        )
    if is_challenge(delivery):
        return _judge_challenge(delivery, account)
    if account.type == AccountType.WHATSAPP:
        whatsapp = inspect_whatsapp_post(delivery.body, delivery.header(HUB_SIGNATURE_HEADER), account.app_secret)
        return _taken(whatsapp, lambda: _apply_whatsapp(store, account, whatsapp.notification, now=now, new_id=new_id))
    if account.type == AccountType.LINE:
        line = inspect_line_post(delivery.body, delivery.header(LINE_SIGNATURE_HEADER), account.secret)
        return _taken(line, lambda: _apply_line(store, account, line.line_webhook, now=now, new_id=new_id))
    return decided_here(
        delivery,
        HookVerdict.UNSUPPORTED_ACCOUNT,
        f"The account is of type {account.type!r}.",
        guess=provider_guess(delivery),
    )


def _judge_voipbin_event(store: Store, delivery: Delivery) -> Judgement:
    refusal = judge_browser(delivery, RequestKind.VOIPBIN_EVENT) or judge_transfer(delivery, RequestKind.VOIPBIN_EVENT)
    if refusal is not None:
        return refusal
    webhook_secret = store.get_customer().webhook_secret
    inspection = inspect_voipbin_event(delivery.body, delivery.header(VOIPBIN_SIGNATURE_HEADER), webhook_secret or None)
    return Judgement(
        kind=inspection.kind,
        verdict=inspection.verdict,
        summary=inspection.summary,
        explanation=inspection.detail,
        status=200,
    )


def _account_at(store: Store, account_ref: str) -> AccountRecord | None:
    """The account addressed (deleted ones too: VoIPBIN still processes them)."""
    account_id = parse_account_id(account_ref)
    return None if account_id is None or account_id == NIL_UUID else store.get_account(account_id)


def _judge_challenge(delivery: Delivery, account: AccountRecord) -> Judgement:
    if account.type != AccountType.WHATSAPP:
        provider = (
            "LINE verifies a webhook URL with an empty POST"
            if account.type == AccountType.LINE
            else ("SMS arrives through the carrier's own hook")
        )
        return Judgement(
            kind=RequestKind.VERIFY,
            verdict=HookVerdict.UNSUPPORTED_ACCOUNT,
            summary=RequestSummary.empty(),
            explanation=(
                f"This is a {account.type} account: only WhatsApp accounts answer Meta's GET hub "
                f"challenge ({provider}). Refused with 403."
            ),
            status=403,
        )
    inspection, result = inspect_whatsapp_verify(QueryParams(delivery.query), account.secret)
    return Judgement(
        kind=inspection.kind,
        verdict=inspection.verdict,
        summary=inspection.summary,
        explanation=inspection.detail,
        status=200 if result.accepted else 403,
        answer=(result.challenge or "").encode("utf-8") if result.accepted else b"",
    )


def _taken(inspection: HookInspection, apply: Callable[[], _Effects]) -> Judgement:
    """An inspected POST: applied when OK; DUPLICATE when everything in it was seen before."""
    verdict, explanation = inspection.verdict, inspection.detail
    if verdict == HookVerdict.OK:
        effects = apply()
        if effects.duplicates and not effects.new:
            verdict = HookVerdict.DUPLICATE
            explanation = f"{explain_verdict(verdict, inspection.kind)} {effects.duplicates} item(s) skipped."
        else:
            explanation += effects.describe()
    return Judgement(
        kind=inspection.kind,
        verdict=verdict,
        summary=inspection.summary,
        explanation=explanation,
        status=200,
    )


def _apply_whatsapp(
    store: Store,
    account: AccountRecord,
    notification: WhatsAppNotification | None,
    *,
    now: datetime,
    new_id: Callable[[], UUID],
) -> _Effects:
    """Every message and status of the batch: messages deduplicated by wamid, statuses by
    (wamid, status); text messages stored, other types recorded in the capture only."""
    new = duplicates = 0
    for message in notification.messages if notification else ():
        if message.wamid and not store.claim_dedupe_key(f"whatsapp:message:{message.wamid}", now=now):
            duplicates += 1
            continue
        new += 1
        # Username-only senders (no wa_id) are known by their business-scoped user id.
        dialog_id = message.sender or message.sender_user_id
        if message.type != "text" or message.text is None or not dialog_id:
            continue
        conversation = conversation_for(
            store,
            account,
            dialog_id=dialog_id,
            peer_name=message.profile_name or "",
            self_target=message.phone_number_id or (account.provider_data or {}).get("phone_number_id", ""),
            now=now,
            new_id=new_id,
        )
        add_incoming_message(
            store, conversation, text=message.text, transaction_id=message.wamid, now=now, new_id=new_id
        )
    for status in notification.statuses if notification else ():
        if status.wamid and not store.claim_dedupe_key(f"whatsapp:status:{status.wamid}:{status.status}", now=now):
            duplicates += 1
            continue
        new += 1
        apply_delivery_status(store, status.wamid, status.status, now=now)
    return _Effects(new=new, duplicates=duplicates)


def _apply_line(
    store: Store, account: AccountRecord, webhook: LineWebhook | None, *, now: datetime, new_id: Callable[[], UUID]
) -> _Effects:
    """Every event, deduplicated by webhookEventId; text messages become incoming messages."""
    new = duplicates = 0
    for event in webhook.events if webhook else ():
        if event.webhook_event_id and not store.claim_dedupe_key(f"line:event:{event.webhook_event_id}", now=now):
            duplicates += 1
            continue
        new += 1
        if event.type != "message" or event.message_type != "text" or event.text is None or not event.source_id:
            continue
        conversation = conversation_for(
            store,
            account,
            dialog_id=event.source_id,
            peer_name="",
            self_target=webhook.destination or "",
            now=now,
            new_id=new_id,
        )
        add_incoming_message(
            store, conversation, text=event.text, transaction_id=event.message_id or "", now=now, new_id=new_id
        )
    return _Effects(new=new, duplicates=duplicates)


HOOK_ROUTES: list[BaseRoute] = [Route(HOOK_PATH, hook_endpoint, methods=["GET", "POST"])]
