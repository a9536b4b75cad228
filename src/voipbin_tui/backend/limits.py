"""Bounds on request bodies, for every route: per request, and all requests together; and
on request heads, whatever way they arrived.

A body is refused before it is read when its declared length is over the route's limit
(413), or more than the bytes the bodies in flight may still take (503, so that a provider
retries). Every body is counted as it streams: a chunked one is refused when it passes the
limit, and any one whose next bytes would take the bodies in flight past their bound gets 503.
The receivers (the provider hook and the VoIPBIN event receiver) bound their own reading, and
record a body declared too large without reading it. What arrives of a body after its refusal
is discarded, for a moment only (see ``connections``), so that the sender reads the refusal.

A head (request line and headers) over ``MAX_HEADER_BYTES`` is refused with 431 here too: h11
bounds only a head still incomplete after a read, and a whole one can come in a single read
of up to 256 KiB, headers by the thousand, that the hook would otherwise record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voipbin_tui.backend.connections import MAX_HEADER_BYTES
from voipbin_tui.backend.errors import ApiProblem, problem_response

DEFAULT_MAX_API_BODY_BYTES = 256 * 1024
"""The REST API's bodies are an account, a message, a login: a few KiB."""
DEFAULT_MAX_BODIES_IN_FLIGHT = 64 * 1024 * 1024
"""The bytes all bodies being received at once may hold: 21 bodies of Meta's 3 MB maximum,
or thousands of ordinary notifications."""

log = logging.getLogger(__name__)


class _BodyTooLarge(Exception):
    """A body without a declared length streamed past its route's limit."""


class _BudgetSpent(Exception):
    """A body's next bytes would take the bodies in flight past their bound."""


class BodyBudget:
    """The bytes of bodies in flight: each request holds what it has received, until it is
    answered. Received, not declared: a sender that declares a large body and sends nothing
    holds nothing (a few such connections would otherwise refuse everyone else)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.held = 0

    def fits(self, size: int) -> bool:
        return self.held + size <= self.capacity

    def take(self, size: int) -> bool:
        if not self.fits(size):
            return False
        self.held += size
        return True

    def give_back(self, size: int) -> None:
        self.held -= size


def declared_length(scope: Scope) -> int | None:
    """The Content-Length as a number; None when absent or not plain ASCII digits (h11 has
    already refused a malformed one). Few digits: int() of a hostile header stays cheap.

    None too when the body is chunked: h11 then frames it by its chunks and ignores the
    Content-Length, so a small one next to ``Transfer-Encoding`` declares nothing."""
    if any(name == b"transfer-encoding" for name, _ in scope["headers"]):
        return None
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) < 19 else None
    return None


def head_size(scope: Scope) -> int:
    """About the bytes the request line and headers took on the wire."""
    line = len(scope["method"]) + len(scope.get("raw_path") or b"") + len(scope["query_string"]) + 12
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def _has_body(scope: Scope, declared: int | None) -> bool:
    if declared is not None:
        return declared > 0
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


class BodyLimits:
    """ASGI middleware bounding every request's body; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        receiver_limit: int,
        api_limit: int = DEFAULT_MAX_API_BODY_BYTES,
        in_flight: int = DEFAULT_MAX_BODIES_IN_FLIGHT,
        budget: BodyBudget | None = None,
        is_receiver: Callable[[str], bool],
    ) -> None:
        """``budget``, when given, is shared with other ``BodyLimits`` (else one of
        ``in_flight`` bytes of its own)."""
        self.app = app
        self._receiver_limit = receiver_limit
        self._api_limit = api_limit
        self._is_receiver = is_receiver
        self.budget = budget if budget is not None else BodyBudget(in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if head_size(scope) > MAX_HEADER_BYTES:
            message = f"The request line and headers are over {MAX_HEADER_BYTES} bytes."
            await self._refuse(scope, send, 431, "HEADERS_TOO_LARGE", message)
            return
        receiver = self._is_receiver(scope["path"])
        limit = self._receiver_limit if receiver else self._api_limit
        declared = declared_length(scope)
        if not _has_body(scope, declared):
            await self.app(scope, receive, send)
            return
        if declared is not None and declared > limit:
            if receiver:  # it records the request without reading its body
                await self.app(scope, receive, send)
            else:
                await self._refuse(scope, send, 413, "REQUEST_TOO_LARGE", f"The body is over {limit} bytes.")
            return
        if declared is not None and not self.budget.fits(declared):
            await self._refuse_busy(scope, send)
            return
        # The receivers bound their own reading (and record what is too large)
        await self._counted(scope, receive, send, limit=None if receiver else limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, *, limit: int | None) -> None:
        """The app, with each chunk of the body taken from the budget as it arrives (and all of
        it given back once the request is answered), and refused past ``limit``."""
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                if not self.budget.take(size):
                    raise _BudgetSpent
                received += size
                if limit is not None and received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watched_send)
        except (_BodyTooLarge, _BudgetSpent) as exc:
            if response_started:
                raise
            if isinstance(exc, _BudgetSpent):
                await self._refuse_busy(scope, send)
            else:
                await self._refuse(scope, send, 413, "REQUEST_TOO_LARGE", f"The body is over {limit} bytes.")
        finally:
            self.budget.give_back(received)

    async def _refuse_busy(self, scope: Scope, send: Send) -> None:
        log.warning("request bodies in flight are at their limit: a request was refused with 503")
        await self._refuse(scope, send, 503, "SERVER_BUSY", "Too many request bodies at once; retry shortly.")

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, reason: str, message: str) -> None:
        """Answer with the error envelope; the body stays unread."""
        response = problem_response(Request(scope), ApiProblem(status, reason, message))
        if status == 503:
            response.headers["retry-after"] = "1"

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)
