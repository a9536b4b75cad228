"""The client of the inspector feed: captured hook requests, polled with a cursor.

What the inspector pane polls. ``poll(after, wait=...)`` is a long-poll: the backend holds it
until a request newer than the cursor arrives, so a pane is live without a busy loop. Calls take
the REST client's request path (``ApiSession``: user agent, request ids, timeouts, typed errors)
with the feed's own access key, never the VoIPBIN one; no retries here, since a poller decides
itself how to back off.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import UUID

import httpx
from pydantic import Base64Bytes, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, SecretStr

from voipbin_tui.api.client import (
    DEFAULT_TIMEOUT,
    NO_RETRY,
    ApiSession,
    SessionClient,
    VoipbinAuth,
    parse_uuid,
    validate_response,
)
from voipbin_tui.api.timestamps import format_voipbin_time, parse_voipbin_time
from voipbin_tui.protocols.inspection import RequestSummary
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind
from voipbin_tui.terminal_text import one_line

_CURL_SKIPPED_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})
_CREDENTIAL_PARAMETERS = frozenset({"hub.verify_token", "accesskey", "token"})

_BEYOND_ANY_SEQ = 2**62
MAX_WAIT_SECONDS = 30.0
"""The backend holds a long-poll at most this long."""
_LONG_POLL_MARGIN = 10.0


def _summary_from_wire(value: Any) -> RequestSummary:
    return value if isinstance(value, RequestSummary) else RequestSummary.from_dict(value)


def _required_time(value: Any) -> datetime:
    parsed = parse_voipbin_time(value)
    if parsed is None:
        raise ValueError("a captured request always has a time")
    return parsed


class CapturedRequest(BaseModel):
    """One request the hook received, as it arrived and as it was judged.

    ``body`` and ``explanation`` are filled by ``get`` and ``replay`` only; the feed's pages
    leave them out to stay small (``body_size`` says how big the body is).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    seq: int
    id: UUID
    time: Annotated[datetime, BeforeValidator(_required_time), PlainSerializer(format_voipbin_time, when_used="json")]
    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = Field(default_factory=list)
    """As received, in order, duplicates kept."""
    account_id: str = ""
    """The account id as addressed in the hook path ("" for VoIPBIN events)."""
    kind: RequestKind
    verdict: HookVerdict
    status: int
    """The HTTP status the backend answered."""
    answer: str = ""
    """The body answered (the hub challenge), usually empty."""
    body_size: int = 0
    body_complete: bool = True
    """False when only the first bytes were kept (a too-large body, a dropped sender)."""
    summary: Annotated[RequestSummary, BeforeValidator(_summary_from_wire), PlainSerializer(RequestSummary.to_dict)] = (
        Field(default_factory=RequestSummary.empty)
    )
    upstream: dict[str, Any] | None = None
    """What the upstream hook answered, when the backend relays."""
    replay_of: UUID | None = None
    body: Base64Bytes | None = None
    explanation: str = ""

    def header(self, name: str) -> str | None:
        """The first header called ``name``, in any case."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def target(self) -> str:
        """The path and query as the sender asked for them."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def redacted_query(self) -> str:
        """The query with credentials masked: Meta's hub challenge carries the account's
        write-only verify token in ``hub.verify_token``."""
        pairs = parse_qsl(self.query, keep_blank_values=True)
        if not any(key.lower() in _CREDENTIAL_PARAMETERS for key, _ in pairs):
            return self.query
        return urlencode(
            [(key, "REDACTED" if key.lower() in _CREDENTIAL_PARAMETERS else value) for key, value in pairs]
        )

    @property
    def redacted_target(self) -> str:
        return f"{self.path}?{self.redacted_query}" if self.query else self.path

    @property
    def redacted_headers(self) -> list[tuple[str, str]]:
        """Headers as received, but credentials (cookies, authorization) masked."""
        return [(name, "REDACTED" if name.lower() in _CREDENTIAL_HEADERS else value) for name, value in self.headers]

    def redacted(self) -> CapturedRequest:
        """A copy safe to show or export: no verify token, cookie or authorization in it."""
        return self.model_copy(update={"query": self.redacted_query, "headers": self.redacted_headers})

    def to_curl(self, base_url: str) -> str:
        """A one-line bash command that sends this request again, byte for byte, to ``base_url``
        (the hook host's origin). The provider's signature header is kept, since it is what is
        being tested; credentials of any kind are redacted, and hop-by-hop headers are dropped.

        The body always travels on stdin (``--data-binary @-``): given inline, a body starting
        with ``@`` would make curl upload a local file of the operator's instead. Bytes that
        are not plain text are written as ``$'\\xHH'`` escapes, so the command holds no control
        character, and a body with a NUL (which no argument can carry) goes through base64.
        """
        url = base_url.rstrip("/") + self.redacted_target
        parts = ["curl", "-sS", "-X", _shell_word(self.method.encode()), _shell_word(url.encode())]
        for name, value in self.redacted_headers:
            if name.lower() not in _CURL_SKIPPED_HEADERS:
                # curl drops "name:"; "name;" sends the header empty
                line = f"{name}: {value}" if value.strip(" \t") else f"{name};"
                parts += ["-H", _shell_word(_header_bytes(line))]
        if not self.body:
            return " ".join(parts)
        if b"\0" in self.body:
            feed = f"printf %s {base64.b64encode(self.body).decode('ascii')} | base64 -d"
        else:
            feed = f"printf %s {_shell_word(self.body)}"
        return f"{feed} | {' '.join(parts)} --data-binary @-"


def _header_bytes(text: str) -> bytes:
    """A header line as it went over the wire: captured headers are decoded as Latin-1."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _shell_word(data: bytes) -> str:
    """One shell word for exactly these bytes (no NUL): printable text in single quotes, anything
    else in bash's ``$'...'`` with every byte outside printable ASCII as ``\\xHH``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and one_line(text) == text:
        return shlex.quote(text)
    return "$'" + "".join(_ansi_c_byte(byte) for byte in data) + "'"


def _ansi_c_byte(byte: int) -> str:
    if byte in (0x27, 0x5C):  # ' and \
        return "\\" + chr(byte)
    return chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """Requests after the cursor, oldest first, and the cursor to poll from next."""

    requests: list[CapturedRequest]
    next: int
    oldest: int = 0
    """The oldest seq the backend still holds (0 when none, or not told): a cursor below
    ``oldest - 1`` means retention dropped requests before they were read."""


class _FeedPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    result: list[CapturedRequest] = Field(default_factory=list)
    next: int
    oldest: int = 0


class FeedClient(SessionClient):
    """Async client for ``/inspector/v1``: poll the captured requests, get one, replay one
    (refused read-only: it delivers a request again)."""

    def __init__(
        self,
        inspector_url: str,
        *,
        accesskey: SecretStr | str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        read_only: bool = False,
    ) -> None:
        self.inspector_url = inspector_url.rstrip("/")
        self._timeout = timeout
        self.session = ApiSession(
            self.inspector_url,
            auth=VoipbinAuth(accesskey=SecretStr(accesskey) if isinstance(accesskey, str) else accesskey),
            transport=transport,
            timeout=timeout,
            retry=NO_RETRY,  # a poller decides itself how to back off
            read_only=read_only,
            display_prefix=urlsplit(self.inspector_url).path,
            peer="feed",
        )

    async def poll(
        self, after: int, *, limit: int = 200, wait: float = 0, account_id: UUID | str | None = None
    ) -> FeedBatch:
        """Requests with a seq above ``after``; with ``wait`` > 0 the backend holds the call
        until one arrives or ``wait`` seconds pass (an empty batch then)."""
        wait = min(max(wait, 0.0), MAX_WAIT_SECONDS)
        params: dict[str, Any] = {"after": after, "limit": limit}
        if wait:
            params["wait"] = wait
        if account_id is not None:
            params["account_id"] = str(account_id)
        timeout = self._timeout
        if wait:
            read = (timeout.read or 0.0) + wait + _LONG_POLL_MARGIN
            timeout = httpx.Timeout(timeout.connect, read=read, write=timeout.write, pool=timeout.pool)
        data = await self.session.json("GET", "requests", params=params, timeout=timeout)
        page = validate_response(_FeedPage, data, what="feed page")
        return FeedBatch(requests=page.result, next=page.next, oldest=page.oldest)

    async def latest_cursor(self) -> int:
        """The seq of the newest captured request (0 when none): polling from it shows only
        what arrives next. A cursor past the end is answered with the newest seq."""
        return (await self.poll(_BEYOND_ANY_SEQ, limit=1)).next

    async def get(self, request_id: UUID | str) -> CapturedRequest:
        """One captured request in full: raw body and the verdict explained."""
        request_id = parse_uuid(request_id, what="request id")
        return validate_response(
            CapturedRequest, await self.session.json("GET", f"requests/{request_id}"), what="captured request"
        )

    async def replay(self, request_id: UUID | str) -> CapturedRequest:
        """Deliver a captured request to the hook again; returns the replay's own capture."""
        request_id = parse_uuid(request_id, what="request id")
        data = await self.session.json("POST", f"requests/{request_id}/replay")
        return validate_response(CapturedRequest, data, what="captured request")
