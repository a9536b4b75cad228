"""Answering webhooks: the provider hook ``/v1.0/conversation/accounts/{id}``, as a correct
VoIPBIN hook would be, and (for ``inspector``) the receiver of VoIPBIN's own customer events.

Each request is received (``delivery``), judged (``judging``: the sandbox's against its own
accounts, or in relay mode the relay's against the real VoIPBIN), and recorded
(``recording``) before it is answered here with what was recorded.

POSTs are answered 200 whatever the verdict, as VoIPBIN does, so the recorded verdict (not the
status) says what happened (a served backend answers them once stored, and judges right
behind: see ``judging_behind``); a GET hub challenge gets 200 with the challenge or 403 (VoIPBIN
answers 500). Relayed, the sender gets the upstream's answer (502 when it is unreachable).
Nothing a sender can put in a request makes the hook raise or answer 5xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from voipbin_tui.backend.context import BackendContext, Backlogged
from voipbin_tui.backend.delivery import HOOK_PATH, Delivery, receive_delivery, was_cut_off
from voipbin_tui.backend.recording import answered_before_judging, deliver_to_account
from voipbin_tui.backend.store import CaptureRecord

CUT_OFF_STATUS = 408


def answer_headers(capture: CaptureRecord) -> list[tuple[bytes, bytes]]:
    """The headers of the answer recorded for a request: a bare status, or the challenge as
    text/plain (or, relayed, the upstream's body with its content type)."""
    headers = [(b"content-length", str(len(capture.answer)).encode("ascii"))]
    if capture.answer:
        upstream_type = (capture.upstream or {}).get("content_type")
        content_type = upstream_type if upstream_type else "text/plain; charset=utf-8"
        headers.append((b"content-type", content_type.encode("latin-1")))
    return headers


@dataclass(frozen=True, slots=True)
class Answer:
    """What a receiver answers a request."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""

    @classmethod
    def recorded(cls, capture: CaptureRecord) -> Answer:
        """The answer recorded with a judged request."""
        return cls(capture.status, answer_headers(capture), capture.answer)

    @classmethod
    def empty(cls, status: int) -> Answer:
        return cls(status, [(b"content-length", b"0")])


class Receiver:
    """An endpoint that receives deliveries (the provider hook, VoIPBIN's events), as a plain
    ASGI app: every provider POST comes this way, so it builds no request or response object.

    It receives the request, has ``deliver`` store it (judged, or to judge right behind), and
    answers what ``deliver`` says.
    """

    def __init__(self, deliver: Callable[[BackendContext, Delivery, Scope], Awaitable[Answer]]) -> None:
        self._deliver = deliver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        backend: BackendContext = scope["app"].state.backend
        delivery = await receive_delivery(scope, receive, max_body_bytes=backend.config.max_body_bytes)
        if was_cut_off(scope):
            answer = Answer.empty(CUT_OFF_STATUS)  # nobody is there to read it
        else:
            answer = await self._deliver(backend, delivery, scope)
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})


async def deliver_at_hook(backend: BackendContext, delivery: Delivery, scope: Scope) -> Answer:
    """A provider hook request, judged and recorded before its answer; or, when the backend
    judges behind the answer and the answer does not depend on the verdict, stored as it
    arrived and answered 200 at once."""
    account_ref = scope["path_params"]["account_ref"]
    if backend.judging is not None and answered_before_judging(delivery):
        try:
            await backend.judging.store(delivery, account_ref)
        except Backlogged:  # nothing stored: the sender retries
            return Answer(503, [(b"content-length", b"0"), (b"retry-after", b"1")])
        return Answer.empty(200)
    if backend.judging is not None:
        await backend.judging.caught_up()  # after the requests answered before it, in order
    return Answer.recorded(await deliver_to_account(backend, delivery, account_ref))


hook_endpoint = Receiver(deliver_at_hook)

HOOK_ROUTES: list[BaseRoute] = [Route(HOOK_PATH, hook_endpoint, methods=["GET", "POST"])]
