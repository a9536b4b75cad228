"""The relay's two conversations with the real VoIPBIN: reading accounts through its API
(cached), and forwarding hook requests byte for byte to its hook host.

Both are bounded in time because a provider is waiting on the answer: a slow or failing API
holds a request no longer than the lookup timeout (the account is then "unreadable"), and an
unreachable hook host is an outcome to record, not an exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import httpx

from voipbin_tui.api.client import VoipbinClient, describe_transport_error, read_at_most
from voipbin_tui.api.errors import NotFound, VoipbinError
from voipbin_tui.api.models import NIL_UUID, Account
from voipbin_tui.backend.delivery import HUB_SIGNATURE_HEADER, LINE_SIGNATURE_HEADER, Delivery, parse_account_id
from voipbin_tui.backend.storable import storable_text

FORWARDED_HEADERS = frozenset(
    {"content-type", "user-agent", HUB_SIGNATURE_HEADER, "x-hub-signature", LINE_SIGNATURE_HEADER}
)
"""What the upstream hook gets of the sender's headers: the body's type and the provider
signatures (Meta still sends the SHA-1 ``X-Hub-Signature`` too). Hop-by-hop headers and any
credential (cookies, Authorization) stay here; the relay adds none of its own."""
MAX_UPSTREAM_ANSWER_BYTES = 64 * 1024
"""A hook answers a bare status or a hub challenge; a longer answer is cut there."""
EXCERPT_BYTES = 200
LOOKUPS_PER_SECOND = 2.0
LOOKUP_BURST = 10
"""API calls for accounts not in the cache: a burst of ten, then two a second (real traffic
addresses a few accounts, which stay cached)."""
UNREADABLE_TTL = 5.0
"""Seconds a failed account read is reused, so a burst of requests waits on the API once."""
MAX_CACHED_ACCOUNTS = 10_000
"""Bounds the cache, which anyone who can reach the hook can fill with made-up ids."""
# What a URL's query can carry as is; any other byte is percent-encoded.
_RAW_QUERY_BYTES = frozenset(range(0x21, 0x7F)) - {ord("#")}

log = logging.getLogger(__name__)


class LookupOutcome(StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"
    """VoIPBIN has no such account (404, or the id is not a UUID at all)."""
    UNREADABLE = "unreadable"
    """The API failed, refused, or was too slow: whether the account exists is not known."""


@dataclass(frozen=True, slots=True)
class AccountLookup:
    outcome: LookupOutcome
    account: Account | None = None
    problem: str = ""
    """Why the account could not be read (UNREADABLE only)."""
    asked: bool = True
    """False when the API was not asked, for too many new ids a second (UNREADABLE only)."""


class TokenBucket:
    """At most ``rate`` takes a second on average, ``burst`` at once."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class AccountDirectory:
    """Accounts as VoIPBIN's API returns them (``provider_data.app_secret`` included; ``secret``
    never is), cached per id for ``ttl`` seconds, unknown ids included. Concurrent lookups of
    one id share one API call, and API calls are bounded per second: anyone can address made-up
    ids, and each call spends the customer's rate limit."""

    def __init__(
        self,
        client: VoipbinClient,
        *,
        ttl: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._lookups = TokenBucket(rate=LOOKUPS_PER_SECOND, burst=LOOKUP_BURST, clock=clock)
        self._cache: OrderedDict[UUID, tuple[float, AccountLookup]] = OrderedDict()
        self._reading: dict[UUID, asyncio.Task[AccountLookup]] = {}

    async def lookup(self, account_ref: str) -> AccountLookup:
        """The account addressed by a hook path; never raises, never waits beyond the timeout."""
        account_id = parse_account_id(account_ref)
        if account_id is None or account_id == NIL_UUID:
            return AccountLookup(LookupOutcome.UNKNOWN)
        expires, cached = self._cache.get(account_id, (0.0, None))
        if cached is not None and self._clock() < expires:
            return cached
        reading = self._reading.get(account_id)
        if reading is None:
            if not self._lookups.take():
                if cached is not None:
                    return cached  # out of date beats unknown
                return AccountLookup(
                    LookupOutcome.UNREADABLE,
                    asked=False,
                    problem=(
                        f"not asked: more than {self._lookups.rate:g} new account ids a second were addressed "
                        "(someone guessing ids?), and each question spends the customer's API rate limit"
                    ),
                )
            reading = asyncio.create_task(self._read(account_id))
            self._reading[account_id] = reading
            reading.add_done_callback(lambda _done: self._reading.pop(account_id, None))
        try:
            # Shielded: a read that outlasts this request still fills the cache for the next one.
            return await asyncio.wait_for(asyncio.shield(reading), self._timeout)
        except TimeoutError:
            return AccountLookup(
                LookupOutcome.UNREADABLE, problem=f"VoIPBIN's API did not answer within {self._timeout:g} s"
            )
        except Exception as exc:  # a bug in reading must not stop the forwarding
            log.exception("reading account %s failed", account_id)
            return AccountLookup(LookupOutcome.UNREADABLE, problem=f"reading it failed ({type(exc).__name__})")

    async def aclose(self) -> None:
        for reading in list(self._reading.values()):
            reading.cancel()
        await self._client.aclose()

    async def _read(self, account_id: UUID) -> AccountLookup:
        try:
            account = await self._client.get_account(account_id)
        except NotFound:
            lookup, ttl = AccountLookup(LookupOutcome.UNKNOWN), self._ttl
        except VoipbinError as exc:  # messages name the status and path, never a credential
            lookup, ttl = AccountLookup(LookupOutcome.UNREADABLE, problem=str(exc)), UNREADABLE_TTL
        else:
            lookup, ttl = AccountLookup(LookupOutcome.FOUND, account=account), self._ttl
        self._remember(account_id, lookup, ttl)
        return lookup

    def _remember(self, account_id: UUID, lookup: AccountLookup, ttl: float) -> None:
        self._cache[account_id] = (self._clock() + ttl, lookup)
        self._cache.move_to_end(account_id)
        while len(self._cache) > MAX_CACHED_ACCOUNTS:
            self._cache.popitem(last=False)


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """What the upstream hook answered to a forwarded request, or why it could not."""

    url: str
    """Where it was forwarded, without the query (which the capture holds)."""
    elapsed_ms: float
    status: int | None = None
    """None when the upstream hook was not reached."""
    content_type: str = ""
    body: bytes = b""
    truncated: bool = False
    error: str = ""

    @property
    def reached(self) -> bool:
        return self.status is not None

    def to_record(self) -> dict[str, Any]:
        """The capture's ``upstream`` field."""
        record: dict[str, Any] = {"forwarded": True, "url": self.url, "elapsed_ms": round(self.elapsed_ms, 1)}
        if not self.reached:
            return {**record, "error": self.error}
        excerpt = storable_text(self.body[:EXCERPT_BYTES].decode("utf-8", "replace"))
        return {
            **record,
            "status": self.status,
            "content_type": self.content_type,
            "body_size": len(self.body),
            "body_truncated": self.truncated,
            "body_excerpt": excerpt,
        }


class UpstreamHook:
    """Forwards hook requests to ``{base_url}/conversation/accounts/{id}``: same method, query
    and body bytes, the sender's signature headers, nothing of the relay's own."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._host = urlsplit(self.base_url).hostname or self.base_url
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)
        del self._http.headers["user-agent"]  # the sender's, if it sent one, is forwarded instead

    def url_for(self, account_ref: str) -> str:
        """Where a request for ``account_ref`` goes: its canonical UUID, so no path can climb
        out of the accounts (a ref that is no UUID is never forwarded; this names it only)."""
        account_id = parse_account_id(account_ref)
        segment = quote(account_ref, safe="") if account_id is None else str(account_id)
        return f"{self.base_url}/conversation/accounts/{segment}"

    async def forward(self, delivery: Delivery, account_ref: str) -> UpstreamAnswer:
        """Send the request on and read the answer, all within the timeout (one deadline for
        the whole exchange, however slowly the upstream trickles); never raises."""
        url = self.url_for(account_ref)
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in delivery.headers
            if name.lower() in FORWARDED_HEADERS
        ]
        target = httpx.URL(url)
        if delivery.query:  # an empty query is no query: no "?" is added
            target = target.copy_with(query=_url_query(delivery.query))
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                request = self._http.build_request(
                    delivery.method, target, headers=headers, content=delivery.body or None
                )
                response = await self._http.send(request, stream=True)
                try:
                    body = await read_at_most(response, MAX_UPSTREAM_ANSWER_BYTES)
                    truncated, body = len(body) > MAX_UPSTREAM_ANSWER_BYTES, body[:MAX_UPSTREAM_ANSWER_BYTES]
                finally:
                    await response.aclose()
        except TimeoutError:
            error = f"{self._host} did not complete its answer within {self._timeout:g} s"
            return UpstreamAnswer(url=url, elapsed_ms=_ms_since(started), error=error)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if isinstance(exc, httpx.TransportError):
                error = describe_transport_error(exc, self._host)
            else:
                error = f"the exchange with {self._host} failed ({type(exc).__name__})"
            return UpstreamAnswer(url=url, elapsed_ms=_ms_since(started), error=error)
        return UpstreamAnswer(
            url=url,
            elapsed_ms=_ms_since(started),
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=body,
            truncated=truncated,
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def _url_query(query: str) -> bytes:
    """The raw query as received, byte for byte, but for the bytes a URL cannot carry raw
    (controls, spaces, non-ASCII, '#'), percent-encoded (h11 lets none through but '#')."""
    return b"".join(bytes([byte]) if byte in _RAW_QUERY_BYTES else b"%%%02X" % byte for byte in query.encode("latin-1"))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
