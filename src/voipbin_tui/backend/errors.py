"""VoIPBIN's error envelope and request ids, for every response the backend sends.

Every response carries ``X-Request-Id`` (the client's own when it sent a valid one), and every
REST error is ``{"error": {status, reason, message, request_id, details}}``. There is no 405:
a wrong method is ``ROUTE_NOT_FOUND``, as on VoIPBIN.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voipbin_tui.api.models import ErrorBody, ErrorEnvelope

REQUEST_ID_HEADER = "X-Request-Id"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATUS_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "RESOURCE_EXHAUSTED",
    431: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiProblem(Exception):
    """A REST error to answer with the envelope; raised anywhere inside a REST endpoint."""

    def __init__(self, http_status: int, reason: str, message: str, *, details: list[Any] | None = None) -> None:
        self.http_status = http_status
        self.reason = reason
        self.message = message
        self.details = details or []
        super().__init__(f"{http_status} {reason}: {message}")


def request_id_of(request: Request) -> str:
    request_id: str = request.scope.get("state", {}).get("request_id", "")
    return request_id


def problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    request_id = request_id_of(request)
    body = ErrorBody(
        status=_STATUS_BY_HTTP.get(problem.http_status, "UNKNOWN"),
        reason=problem.reason,
        message=problem.message,
        request_id=request_id,
        details=problem.details,
    )
    return JSONResponse(
        ErrorEnvelope(error=body).wire_json(),
        status_code=problem.http_status,
        headers={REQUEST_ID_HEADER: request_id},
    )


async def handle_api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return problem_response(request, exc)


async def handle_routing_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 and 405 both become VoIPBIN's ROUTE_NOT_FOUND (404, never 405)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        message = f"no route for {request.method} {request.url.path}"
        return problem_response(request, ApiProblem(404, "ROUTE_NOT_FOUND", message))
    return problem_response(request, ApiProblem(exc.status_code, "INVALID_ARGUMENT", str(exc.detail)))


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """The last resort: an envelope instead of Starlette's plain-text 500. Starlette re-raises
    the error afterwards, so the server logs it with its traceback."""
    return problem_response(request, ApiProblem(500, "INTERNAL", "the sandbox had an internal error"))


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _CLIENT_REQUEST_ID.match(text) else None
    return None


class RequestIdMiddleware:
    """Gives every HTTP request an id (the client's, if valid) and echoes it in the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or "req_" + secrets.token_hex(12)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [item for item in message.get("headers", []) if item[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_request_id)
