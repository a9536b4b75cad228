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

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.backend.context import BackendContext, backend_of
from voipbin_tui.backend.delivery import HOOK_PATH, Delivery, receive_delivery, was_cut_off
from voipbin_tui.backend.recording import deliver_to_account
from voipbin_tui.backend.store import CaptureRecord

CUT_OFF_STATUS = 408


def hook_response(capture: CaptureRecord) -> Response:
    """The answer recorded for a request: a bare status, or the challenge as text/plain (or,
    relayed, the upstream's body with its content type)."""
    if not capture.answer:
        return Response(status_code=capture.status)
    upstream_type = (capture.upstream or {}).get("content_type")
    if upstream_type:
        return Response(capture.answer, status_code=capture.status, headers={"content-type": upstream_type})
    return Response(capture.answer, status_code=capture.status, media_type="text/plain")


async def answer_delivery(
    request: Request, deliver: Callable[[BackendContext, Delivery], Awaitable[CaptureRecord]]
) -> Response:
    """Receive the request, have ``deliver`` judge and record it, and answer what was recorded."""
    backend = backend_of(request)
    delivery = await receive_delivery(request, max_body_bytes=backend.config.max_body_bytes)
    if was_cut_off(request):
        return Response(status_code=CUT_OFF_STATUS)  # nobody is there to read it
    return hook_response(await deliver(backend, delivery))


async def hook_endpoint(request: Request) -> Response:
    account_ref = request.path_params["account_ref"]
    return await answer_delivery(request, lambda backend, delivery: deliver_to_account(backend, delivery, account_ref))


HOOK_ROUTES: list[BaseRoute] = [Route(HOOK_PATH, hook_endpoint, methods=["GET", "POST"])]
