"""Recording a delivery: its judgement (and, in the sandbox, what it changed) and the request
itself are one unit of work, committed before the answer, so a 200 means the request is on
disk. Then the feed is woken.

A served backend (``serve``) answers the sandbox hook's POSTs before judging them: such a POST
is answered 200 whatever its verdict (as VoIPBIN does), so once the request as it arrived is
stored (``UnjudgedRequest``) it is answered, and judged right behind, in arrival order and in
batches (``judge_unjudged``, run by ``judging_behind``); the feed shows it once judged.

A request is judged by the sandbox against its own accounts, or, in relay mode, by the relay
against the real VoIPBIN (which it is forwarded to). A bug while judging neither loses the
request nor answers 5xx: it is recorded unprocessed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from voipbin_tui.backend.delivery import KEPT_BYTES_OF_TOO_LARGE, Delivery, addressed_account_id
from voipbin_tui.backend.judging import Judgement, judge_arrival, unprocessed
from voipbin_tui.backend.sandbox_judging import judge_in_sandbox, judge_voipbin_event
from voipbin_tui.backend.store import CaptureRecord, Store, UnjudgedRequest
from voipbin_tui.protocols.verdicts import HookVerdict

if TYPE_CHECKING:  # the context judges behind the answer with this module
    from voipbin_tui.backend.context import BackendContext

_NOBODYS_REQUESTS = frozenset({HookVerdict.UNKNOWN_ACCOUNT, HookVerdict.CROSS_SITE})

log = logging.getLogger(__name__)


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
        lambda store, now: judge_in_sandbox(store, delivery, account_ref, now=now, new_id=new_id),
    )


async def deliver_voipbin_event(backend: BackendContext, delivery: Delivery) -> CaptureRecord:
    """Judge and record one VoIPBIN customer webhook (signed with the customer's webhook
    secret), then wake the feed. Events are recorded only: they change nothing."""
    return await record_delivery(backend, delivery, "", lambda store, _now: judge_voipbin_event(store, delivery))


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


def answered_before_judging(delivery: Delivery) -> bool:
    """Whether the sandbox answers this hook request before judging it: a POST that arrived
    whole, not sent by a web page, is answered 200 whatever its verdict."""
    return delivery.method == "POST" and judge_arrival(delivery) is None


@dataclass(frozen=True, slots=True)
class JudgedBatch:
    """What one batch of unjudged requests became: the newest unjudged id judged (0 when there
    was none) and the seqs of their captures, ``first_seq`` to ``last_seq``."""

    last_id: int = 0
    first_seq: int = 0
    last_seq: int = 0


def judge_unjudged(store: Store, requests: list[UnjudgedRequest], *, new_id: Callable[[], UUID]) -> JudgedBatch:
    """Judge, apply and record unjudged requests, in arrival order, in the caller's transaction,
    and mark them judged: each becomes a capture, as if judged before its answer (a bug while
    judging one records it unprocessed, as ``record_delivery`` does). The batch is one unit;
    only when something in it fails is it judged again request by request, each in a unit of
    its own (a savepoint per request costs two statements)."""
    if not requests:
        return JudgedBatch()
    try:
        with store.savepoint():
            seqs = [_judge_and_record(store, request, new_id) for request in requests]
    except Exception:
        seqs = [seq for request in requests if (seq := _judge_and_record_alone(store, request, new_id))]
    store.mark_judged_up_to(requests[-1].id)
    return JudgedBatch(last_id=requests[-1].id, first_seq=seqs[0] if seqs else 0, last_seq=seqs[-1] if seqs else 0)


def _judge_and_record(store: Store, request: UnjudgedRequest, new_id: Callable[[], UUID]) -> int:
    delivery = _as_received(request)
    judgement = judge_in_sandbox(store, delivery, request.account_ref, now=request.time, new_id=new_id)
    return store.insert_capture(
        _capture(request.capture_id, delivery, addressed_account_id(request.account_ref), judgement, request.time)
    )


def _judge_and_record_alone(store: Store, request: UnjudgedRequest, new_id: Callable[[], UUID]) -> int:
    """The seq of the request's capture, judged in a unit of its own; when judging it fails,
    recorded unprocessed; when even that fails, 0: it is skipped (and logged), never retried
    for ever in front of the ones behind it."""
    try:
        with store.savepoint():
            return _judge_and_record(store, request, new_id)
    except Exception as exc:
        log.exception("failed to process %s %s; recording it unprocessed", request.method, request.path)
        delivery = _as_received(request)
        account_id = addressed_account_id(request.account_ref)
        try:
            with store.savepoint():
                capture = _capture(request.capture_id, delivery, account_id, unprocessed(delivery, exc), request.time)
                return store.insert_capture(capture)
        except Exception:
            log.exception("could not record %s %s at all; skipped", request.method, request.path)
            return 0


def _as_received(request: UnjudgedRequest) -> Delivery:
    return Delivery(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=request.body,
        body_size=request.body_size,
        body_complete=request.body_complete,
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
