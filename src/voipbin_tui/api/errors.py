"""Typed failures of the VoIPBIN API, each carrying what a user needs to report it.

Messages never include credentials: they are built from the error envelope, the method and
the URL path only (the access key travels in a cookie, never in the URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voipbin_tui.api.account_types import FieldProblem
    from voipbin_tui.api.models import Account


class VoipbinError(Exception):
    """Base of every error this client raises on purpose."""


class ApiError(VoipbinError):
    """VoIPBIN answered with an error status (envelope or bare)."""

    def __init__(
        self,
        http_status: int,
        *,
        status: str = "",
        reason: str = "",
        message: str = "",
        request_id: str = "",
        details: list[Any] | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        self.http_status = http_status
        self.status = status
        self.reason = reason
        self.message = message or _DEFAULT_MESSAGES.get(http_status, "request failed")
        self.request_id = request_id
        self.details = details or []
        self.method = method
        self.path = path
        self.account_after: Account | None = None
        """For a failed update: the account as re-read afterwards (the change may be saved)."""
        super().__init__(str(self))

    def __str__(self) -> str:
        code = " ".join(part for part in (str(self.http_status), self.status, self.reason) if part)
        where = f" ({self.method} {self.path})" if self.method else ""
        request = f" [request {self.request_id}]" if self.request_id else ""
        return f"{code}: {self.message}{where}{request}"


class BadRequest(ApiError):
    """400: invalid id, body or parameter."""


class Unauthenticated(ApiError):
    """401: no credentials, or a bad or expired access key or token."""


class PermissionDenied(ApiError):
    """403: not allowed (VoIPBIN also says this for another customer's account)."""


class NotFound(ApiError):
    """404: no such object, or no such route (VoIPBIN has no 405)."""


class RateLimited(ApiError):
    """429 that outlasted the client's bounded retries."""

    def __init__(self, http_status: int, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(http_status, **kwargs)


class ServerError(ApiError):
    """5xx: the server failed; for a write, the change may or may not have been saved."""


class ConnectionFailed(VoipbinError):
    """The server could not be reached, timed out, or dropped the connection."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        self.account_after: Account | None = None
        super().__init__(message)


class ReadOnlyRefused(VoipbinError):
    """A change asked of a read-only connection: refused in the client, before anything is sent,
    so no command or screen can forget the gate."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"read-only: {what} was not sent, it would change VoIPBIN (started with --read-only)")


class AccountValidationError(VoipbinError, ValueError):
    """A create or update was refused before sending: ``problems`` says which field and why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


class NothingToUpdate(AccountValidationError):
    """An update with no change: VoIPBIN would zero the account on an empty body."""


_DEFAULT_MESSAGES = {
    400: "bad request",
    401: "authentication failed: check the access key or log in again",
    403: "permission denied",
    404: "not found",
    429: "rate limited by VoIPBIN",
    500: "VoIPBIN had an internal error",
    502: "bad gateway",
    503: "VoIPBIN is unavailable",
    504: "gateway timeout",
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
}


def error_class_for(http_status: int) -> type[ApiError]:
    if http_status >= 500:
        return ServerError
    return _BY_STATUS.get(http_status, ApiError)


class InvalidId(VoipbinError, ValueError):
    """An id that is not a UUID (or is the nil UUID), refused before any request."""


class UnexpectedResponse(VoipbinError):
    """The server answered 2xx with something that is not what VoIPBIN sends."""
