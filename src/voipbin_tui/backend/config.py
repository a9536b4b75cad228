"""What shapes one backend instance: where it stores, its access key, limits, clock and ids,
and whether its provider hook relays to the real VoIPBIN.

The clock and the id factory are injected so that everything time- or id-dependent (stored
objects, captured requests, seed data, JWT expiry) is reproducible in snapshot tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import httpx
from pydantic import SecretStr

from voipbin_tui.api.client import NO_RETRY, VoipbinClient
from voipbin_tui.backend.connections import ConnectionLimits
from voipbin_tui.backend.limits import DEFAULT_MAX_BODIES_IN_FLIGHT
from voipbin_tui.backend.store import DATABASE_FILENAME, DEFAULT_MAX_CAPTURE_BYTES, DEFAULT_MAX_CAPTURED, CaptureRecord

DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024
"""Meta sends notifications of up to 3 MB; anything larger is refused with 413."""


DEFAULT_ACCOUNT_TTL = 60.0
"""Seconds an account read from VoIPBIN's API (or its absence) is reused: a changed app secret
shows within a minute, and a burst of webhooks costs one API call."""
DEFAULT_LOOKUP_TIMEOUT = 3.0
"""The longest a relayed request waits for its account; then it is judged without it."""
DEFAULT_FORWARD_TIMEOUT = 10.0
"""The longest the upstream hook may take; then the sender gets 502 and retries."""
_API_CLIENT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
"""A lookup that outlasts DEFAULT_LOOKUP_TIMEOUT still fills the cache if it ends in time."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def without_userinfo(url: str) -> str:
    """The URL without ``user:password@``, for showing it."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig:
    """Relay mode: the provider hook forwards every request to the real hook host and judges
    it with the account as VoIPBIN's API returns it, instead of being the sandbox's hook."""

    forward_to: str
    """The upstream hook base, e.g. ``https://hook.voipbin.net/v1.0``: a request to
    ``/v1.0/conversation/accounts/{id}`` goes to ``{forward_base}/conversation/accounts/{id}``."""
    api_client: Callable[[], VoipbinClient]
    """Makes the client that reads accounts with the upstream credentials; called once, on the
    server's event loop, and closed when the server stops."""
    accounts_from: str = "VoIPBIN's API"
    """Where accounts are read from, as shown to the operator (never a credential)."""
    account_ttl: float = DEFAULT_ACCOUNT_TTL
    lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT
    forward_timeout: float = DEFAULT_FORWARD_TIMEOUT

    def __post_init__(self) -> None:
        parts = urlsplit(self.forward_to)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{without_userinfo(self.forward_to)!r} is not an http(s) URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("the hook base URL cannot carry credentials: the relay adds none of its own")
        if parts.query or parts.fragment:
            raise ValueError("the hook base URL cannot have a query or a fragment")

    @classmethod
    def for_api(cls, *, forward_to: str, api_url: str, accesskey: SecretStr, **settings: float) -> RelayConfig:
        """Read accounts from the VoIPBIN API at ``api_url`` with an access key. The client
        does not retry: the relay caches a failure briefly and tries again on a later request."""
        return cls(
            forward_to=forward_to,
            api_client=partial(
                VoipbinClient, api_url, accesskey=accesskey, timeout=_API_CLIENT_TIMEOUT, retry=NO_RETRY
            ),
            accounts_from=without_userinfo(api_url),
            **settings,
        )

    @property
    def forward_base(self) -> str:
        """The hook base without a trailing slash; a bare origin (``https://hook.voipbin.net``)
        means its ``/v1.0``, where VoIPBIN's hooks live."""
        base = self.forward_to.rstrip("/")
        return base if urlsplit(base).path else f"{base}/v1.0"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendConfig:
    data_dir: Path
    accesskey: SecretStr
    seed: bool = True
    """Fill a new database with a realistic customer (accounts, flows, conversations)."""
    max_captured: int = DEFAULT_MAX_CAPTURED
    max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES
    """The most the captured requests may take on disk; the oldest go first."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """The largest body the hook and the event receiver take (larger ones are recorded, 413)."""
    max_bodies_in_flight: int = DEFAULT_MAX_BODIES_IN_FLIGHT
    """The bytes all request bodies being received at once may hold (then 503)."""
    connections: ConnectionLimits = ConnectionLimits()
    """How many connections, and how long a request may take to arrive."""
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = uuid4
    public_hook_url: str | None = None
    """The hook base URL as providers reach it (through a tunnel or proxy), if not local."""
    relay: RelayConfig | None = None
    """Set to relay the provider hook to the real VoIPBIN instead of acting as the sandbox."""
    on_capture: Callable[[CaptureRecord], None] | None = None
    """Told of every request once it is stored (``serve --log``); called on the event loop."""
    judge_behind: bool = False
    """Answer the sandbox hook's POSTs once stored, and judge them right behind, in a worker
    process (``serve``: the judging then runs on another core); else each is judged before
    its answer. A relay always judges before answering (its answer is VoIPBIN's)."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILENAME
