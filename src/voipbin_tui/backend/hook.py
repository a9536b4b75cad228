"""Answering webhooks: the provider hook ``/v1.0/conversation/accounts/{id}``, as a correct
VoIPBIN hook would be, and (for ``inspector``) the receiver of VoIPBIN's own customer events.

Each request is received (``delivery``), judged (``judging``: the sandbox's against its own
accounts, or in relay mode the relay's against the real VoIPBIN), and recorded
(``recording``) before it is answered here with what was recorded.

POSTs are answered 200 whatever the verdict, as VoIPBIN does, so the recorded verdict (not the
status) says what happened; a GET hub challenge gets 200 with the challenge or 403 (VoIPBIN
answers 500). Relayed, the sender gets the upstream's answer (502 when it is unreachable).
Nothing a sender can put in a request makes the hook raise or answer 5xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from voipbin_tui.backend.context import BackendContext
from voipbin_tui.backend.delivery import HOOK_PATH, Delivery, receive_delivery, was_cut_off
from voipbin_tui.backend.recording import deliver_to_account
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


class Receiver:
    """An endpoint that receives deliveries (the provider hook, VoIPBIN's events), as a plain
    ASGI app: every provider POST comes this way, so it builds no request or response object.

    It receives the request, has ``deliver`` judge and record it, and answers what was recorded.
    """

    def __init__(self, deliver: Callable[[BackendContext, Delivery, Scope], Awaitable[CaptureRecord]]) -> None:
        self._deliver = deliver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        backend: BackendContext = scope["app"].state.backend
        delivery = await receive_delivery(scope, receive, max_body_bytes=backend.config.max_body_bytes)
        if was_cut_off(scope):
            status, headers, answer = CUT_OFF_STATUS, [(b"content-length", b"0")], b""  # nobody is there to read it
        else:
            capture = await self._deliver(backend, delivery, scope)
            status, headers, answer = capture.status, answer_headers(capture), capture.answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


hook_endpoint = Receiver(
    lambda backend, delivery, scope: deliver_to_account(backend, delivery, scope["path_params"]["account_ref"])
)

HOOK_ROUTES: list[BaseRoute] = [Route(HOOK_PATH, hook_endpoint, methods=["GET", "POST"])]
