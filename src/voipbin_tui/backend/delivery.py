"""Receiving a request at a hook: what a delivery is (the request as it arrived, body
included, or as it is replayed), how its body is read, and which account its path addresses.

The body is read while it streams and never beyond the limit: a larger one is cut at once, and
a sender that hangs up mid-body yields an incomplete delivery rather than an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from starlette.types import Receive, Scope

from voipbin_tui.backend.connections import CUT_OFF
from voipbin_tui.backend.limits import declared_length
from voipbin_tui.backend.store import CaptureRecord

HOOK_PREFIX = "/v1.0/conversation/accounts/"
HOOK_PATH = HOOK_PREFIX + "{account_ref}"
KEPT_BYTES_OF_TOO_LARGE = 64 * 1024
"""How much of a body too large, or sent to no account, is kept: enough for the inspector to
show what it was, too little for made-up account ids to fill the disk."""
HUB_SIGNATURE_HEADER = "x-hub-signature-256"
LINE_SIGNATURE_HEADER = "x-line-signature"
VOIPBIN_SIGNATURE_HEADER = "x-voipbin-signature"


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

    @classmethod
    def again(cls, capture: CaptureRecord) -> Delivery:
        """A captured request delivered once more, exactly as it was received (its body must
        have been kept whole)."""
        return cls(
            method=capture.method,
            path=capture.path,
            query=capture.query,
            headers=capture.headers,
            body=capture.body,
            body_size=capture.body_size,
            body_complete=True,
            replay_of=capture.id,
        )

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), as received."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


async def receive_delivery(scope: Scope, receive: Receive, *, max_body_bytes: int) -> Delivery:
    """Read a request's body while it streams, up to ``max_body_bytes``.

    A larger declared body is not read at all; a larger streamed one stops the reading at
    once: only its first bytes are kept, the rest is never buffered. A sender that disconnects
    mid-body yields an incomplete body instead of an error. Plain ASGI, no request object:
    every provider POST takes this path.
    """
    declared_size = declared_length(scope)
    if declared_size is not None and declared_size > max_body_bytes:
        return _delivery(scope, b"", body_size=declared_size, complete=False, too_large=True)  # left unread
    chunks: list[bytes] = []
    size = 0
    complete = True
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: the sender hung up mid-body
            complete = False
            break
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
        if size > max_body_bytes:
            complete = False
            break
        if not message.get("more_body", False):
            break
    too_large = size > max_body_bytes
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return _delivery(
        scope,
        body[:KEPT_BYTES_OF_TOO_LARGE] if too_large else body,
        body_size=size,
        complete=complete,
        too_large=too_large,
    )


def was_cut_off(scope: Scope) -> bool:
    """Whether the server dropped the request's connection for not arriving in time (see
    ``connections``), rather than the sender hanging up."""
    return bool(scope.get(CUT_OFF))


def _delivery(scope: Scope, body: bytes, *, body_size: int, complete: bool, too_large: bool) -> Delivery:
    return Delivery(
        method=scope["method"],
        path=scope["path"],
        query=scope["query_string"].decode("latin-1"),
        headers=tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]),
        body=body,
        body_size=body_size,
        body_complete=complete,
        too_large=too_large,
    )


def is_hook_path(path: str) -> bool:
    """Whether ``path`` is a provider hook's (one segment after the accounts prefix)."""
    return path.startswith(HOOK_PREFIX) and "/" not in path[len(HOOK_PREFIX) :]


def hook_account_ref(path: str) -> str | None:
    """The account a provider hook's path addresses, as written (what the ``HOOK_PATH`` route
    takes: one segment, not empty); None for any other path."""
    if not path.startswith(HOOK_PREFIX):
        return None
    account_ref = path[len(HOOK_PREFIX) :]
    return account_ref if account_ref and "/" not in account_ref else None


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
