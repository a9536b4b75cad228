"""The captured-traffic feed: a long-poll list, one request in full, replay, and the receiver
for VoIPBIN's own customer events.

``GET /inspector/v1/requests?after=SEQ`` answers what came after the cursor, oldest first (and
``oldest``, the oldest seq retention kept: a reader behind it missed what was dropped); with
``wait`` it holds the request until something arrives (woken at once for this process's
captures, within ~100 ms for another process's). The feed needs the access key; the VoIPBIN
event receiver does not (VoIPBIN cannot send one), it checks ``X-VoIPBIN-Signature`` instead.
Captured requests are shown as they arrived: nothing is added to them, least of all a secret.
"""

from __future__ import annotations

import asyncio
import base64
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from voipbin_tui.api.timestamps import format_voipbin_time
from voipbin_tui.backend.auth import requires_credentials
from voipbin_tui.backend.context import BackendContext, backend_of
from voipbin_tui.backend.delivery import Delivery, addressed_account_id
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.hook import Answer, Receiver
from voipbin_tui.backend.object_ids import parse_object_id
from voipbin_tui.backend.recording import deliver_to_account, deliver_voipbin_event
from voipbin_tui.backend.runtime import INSPECTOR_PREFIX
from voipbin_tui.backend.store import CapturePage, CaptureRecord

VOIPBIN_EVENTS_PATH = f"{INSPECTOR_PREFIX}/voipbin-events"
MAX_WAIT_SECONDS = 30.0
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def capture_json(capture: CaptureRecord, *, in_full: bool) -> dict[str, Any]:
    """A captured request for the feed; ``in_full`` adds the raw body (base64) and the
    verdict explained."""
    data: dict[str, Any] = {
        "seq": capture.seq,
        "id": str(capture.id),
        "time": format_voipbin_time(capture.time),
        "method": capture.method,
        "path": capture.path,
        "query": capture.query,
        "headers": [list(pair) for pair in capture.headers],
        "account_id": capture.account_id,
        "kind": capture.kind.value,
        "verdict": capture.verdict.value,
        "status": capture.status,
        "answer": capture.answer.decode("utf-8", "replace"),
        "body_size": capture.body_size,
        "body_complete": capture.body_complete,
        "summary": capture.summary,
        "upstream": capture.upstream,
        "replay_of": None if capture.replay_of is None else str(capture.replay_of),
    }
    if in_full:
        data["body"] = base64.b64encode(capture.body).decode("ascii")
        data["explanation"] = capture.explanation
    return data


def _query_int(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ApiProblem(400, "INVALID_REQUEST_PARAMETER", f"{name} must be an integer") from None
    return min(max(value, minimum), maximum)


def _query_seconds(request: Request, name: str, *, maximum: float) -> float:
    raw = request.query_params.get(name, "")
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        raise ApiProblem(400, "INVALID_REQUEST_PARAMETER", f"{name} must be a number of seconds") from None
    if not math.isfinite(value):
        raise ApiProblem(400, "INVALID_REQUEST_PARAMETER", f"{name} must be a finite number of seconds")
    return min(max(value, 0.0), maximum)


@requires_credentials
async def list_requests(request: Request) -> Response:
    """Captured requests after ``after``, oldest first; waits up to ``wait`` seconds for one."""
    backend = backend_of(request)
    after = _query_int(request, "after", 0, minimum=0, maximum=2**62)
    limit = _query_int(request, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    wait = _query_seconds(request, "wait", maximum=MAX_WAIT_SECONDS)
    account = request.query_params.get("account_id")
    account_id = addressed_account_id(account) if account else None

    def page_after(cursor: int) -> CapturePage:
        return backend.read(lambda store: store.captures_after(cursor, limit=limit, account_id=account_id))

    page = page_after(after)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not page.captures:
        remaining = deadline - loop.time()
        if remaining <= 0 or await backend.arrivals.wait_beyond(page.next, remaining) <= page.next:
            break
        page = page_after(page.next)
    captures = [capture_json(c, in_full=False) for c in page.captures]
    return JSONResponse({"result": captures, "next": page.next, "oldest": page.oldest})


async def _existing_capture(request: Request) -> CaptureRecord:
    capture_id = parse_object_id(request.path_params["request_id"], what="request id")
    capture = backend_of(request).read(lambda store: store.get_capture(capture_id))
    if capture is None:
        raise ApiProblem(404, "CAPTURED_REQUEST_NOT_FOUND", f"No captured request has id {capture_id}.")
    return capture


@requires_credentials
async def get_request(request: Request) -> Response:
    return JSONResponse(capture_json(await _existing_capture(request), in_full=True))


@requires_credentials
async def replay_request(request: Request) -> Response:
    """Deliver a captured request again, in-process, exactly as it was received; the replay
    is captured as a new request pointing back to the original (often a DUPLICATE)."""
    original = await _existing_capture(request)
    if not original.body_complete:
        raise ApiProblem(
            400, "INVALID_ARGUMENT", "Only the first bytes of this request's body were kept: it cannot be replayed."
        )
    delivery = Delivery.again(original)
    backend = backend_of(request)
    if original.path == VOIPBIN_EVENTS_PATH:
        replay = await deliver_voipbin_event(backend, delivery)
    else:
        replay = await deliver_to_account(backend, delivery, original.account_id)
    return JSONResponse(capture_json(replay, in_full=True))


async def _deliver_voipbin_event(backend: BackendContext, delivery: Delivery, _scope: Scope) -> Answer:
    return Answer.recorded(await deliver_voipbin_event(backend, delivery))


receive_voipbin_event = Receiver(_deliver_voipbin_event)


INSPECTOR_ROUTES: list[BaseRoute] = [
    Route(f"{INSPECTOR_PREFIX}/requests", list_requests, methods=["GET"]),
    Route(f"{INSPECTOR_PREFIX}/requests/{{request_id}}", get_request, methods=["GET"]),
    Route(f"{INSPECTOR_PREFIX}/requests/{{request_id}}/replay", replay_request, methods=["POST"]),
    Route(VOIPBIN_EVENTS_PATH, receive_voipbin_event, methods=["POST"]),
]
