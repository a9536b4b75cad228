"""One bounded HTTP call to a provider's API (Meta's Graph API, LINE's API), recorded for a report.

The account doctor shows what it asked and what came back as evidence, so every call here
yields an ``Exchange``: the method, the path with credentials in its query redacted, the status
and the salient part of the answer with credential fields and every known secret value
redacted. Every call has a timeout and none is retried: a provider that rate-limits gets its
answer reported, not a loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, quote_plus, urlencode, urlsplit

import httpx
from pydantic import SecretStr

from voipbin_tui import __version__
from voipbin_tui.api.client import CALL_DEADLINE_SECONDS, describe_transport_error, read_at_most
from voipbin_tui.api.errors import VoipbinError

PROVIDER_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ANSWER_BYTES_LIMIT = 1 << 20
"""Bytes of an answer read at most: the provider answers the doctor reads are a few hundred
bytes; more is not read into memory."""
REDACTED = "[redacted]"
CREDENTIAL_NAMES = frozenset(
    {
        "input_token",
        "access_token",
        "appsecret_proof",
        "client_secret",
        "token",
        "secret",
        "app_secret",
        "hub.verify_token",
    }
)
"""Query parameters and JSON fields that carry a credential: never shown, whatever their value."""
ANSWER_LIMIT = 400
"""Characters of an answer kept as evidence: enough for the salient fields."""


def _spellings(secret: str) -> Iterator[str]:
    """The ways an answer may quote a secret: as is, URL-encoded (a provider echoing the query
    or form it got) and JSON-escaped (``\\/`` for ``/`` as PHP writes it, in a body that is not
    parsed); LINE's channel tokens hold ``/``, ``+`` and ``=``."""
    yield secret
    yield quote(secret, safe="")
    yield quote_plus(secret, safe="")
    escaped = json.dumps(secret)[1:-1]
    yield escaped
    yield escaped.replace("/", "\\/")


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of a known secret value, in any of its spellings,
    replaced (longest first, so a secret that contains another is hidden whole)."""
    spellings = {spelling for secret in secrets if len(secret) >= 4 for spelling in _spellings(secret)}
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling, REDACTED)
    return text


def redact_document(value: Any) -> Any:
    """A parsed JSON answer with every credential-named field replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if key in CREDENTIAL_NAMES and value[key] not in (None, "") else redact_document(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_document(item) for item in value]
    return value


def shown_query(params: Mapping[str, str]) -> str:
    """The query string as evidence: credential parameters keep their name, never their value."""
    shown = {key: REDACTED if key in CREDENTIAL_NAMES else value for key, value in params.items()}
    return urlencode(shown, safe="[]|,")


def redacted_url(url: httpx.URL) -> httpx.URL:
    """``url`` with the values of its credential query parameters replaced."""
    if not any(name in CREDENTIAL_NAMES for name in url.params):
        return url
    params = [(name, REDACTED if name in CREDENTIAL_NAMES else value) for name, value in url.params.multi_items()]
    return url.copy_with(params=params)


class _RedactCredentialQueries(logging.Filter):
    """httpx logs every request's whole URL (at INFO); Graph takes tokens in the query
    (``input_token``, an app token as ``access_token``), so they are redacted in the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redacted_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactCredentialQueries())


def provider_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | float = PROVIDER_TIMEOUT,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """An HTTP client for providers' APIs (one can serve several ``ProviderHttp``s: each
    client loads the CA bundle, which takes a tenth of a second)."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        verify=verify,
        headers={"User-Agent": f"voipbin-tui/{__version__} (account doctor)", "Accept": "application/json"},
        follow_redirects=False,
    )


@dataclass(frozen=True, slots=True)
class Exchange:
    """One call as the report shows it: what was asked, what came back, how long it took."""

    method: str
    path: str
    """The path below the provider's base, with its query; credentials redacted."""
    status: int | None
    """None when no answer came (timeout, refused connection)."""
    answer: str
    """The salient answer (compact JSON or text, cut), or why none came; credentials redacted."""
    elapsed: float

    def lines(self) -> tuple[str, ...]:
        status = "no answer" if self.status is None else str(self.status)
        return (f"{self.method} {self.path}", f"→ {status} {self.answer}".rstrip())


class ProviderCallFailed(VoipbinError):
    """A provider call that gave no usable answer; ``exchange`` is its evidence."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


class ProviderUnreachable(ProviderCallFailed):
    """No answer: the provider could not be reached, or did not answer within the timeout."""


class _AnswerTooLarge(Exception):
    """The answer went on past ``ANSWER_BYTES_LIMIT``."""


class ProviderRateLimited(ProviderCallFailed):
    """The provider said to slow down (HTTP 429, or a Graph throttling code): reported, not retried."""


ValueT = TypeVar("ValueT")


@dataclass(frozen=True, slots=True)
class Answered(Generic[ValueT]):
    """A typed answer and the evidence of the call that got it."""

    value: ValueT
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """A provider's answer: its status, its parsed JSON (None when not JSON), and the evidence."""

    status: int
    document: Any
    exchange: Exchange
    retry_after: str | None = None


class ProviderHttp:
    """Calls one provider's API below ``base_url``, with a timeout, never retrying, hiding
    ``hidden`` secret values (and credential-named fields) from every piece of evidence."""

    def __init__(
        self,
        base_url: str,
        *,
        hidden: Iterable[str] = (),
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = PROVIDER_TIMEOUT,
        deadline: float = CALL_DEADLINE_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self._hidden = tuple(hidden)
        self._deadline = deadline
        self._owns_http = http is None
        self._http = http or provider_client(transport=transport, timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def redact(self, text: str) -> str:
        return redact_text(text, self._hidden)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        bearer: SecretStr | None = None,
    ) -> ProviderAnswer:
        """Send one request; any HTTP status is an answer (the caller reads the provider's
        error envelope), only a missing answer raises."""
        query = dict(params or {})
        shown_path = self.redact(path + (f"?{shown_query(query)}" if query else ""))
        headers = {"Authorization": f"Bearer {bearer.get_secret_value()}"} if bearer is not None else {}
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._deadline):
                async with self._http.stream(
                    method, self.base_url + path, params=query or None, data=form, json=json_body, headers=headers
                ) as response:
                    content = await _read_bounded(response)
        except (httpx.TransportError, httpx.DecodingError, TimeoutError, _AnswerTooLarge) as exc:
            why = self._unanswered(exc)
            exchange = Exchange(method, shown_path, None, why, time.monotonic() - started)
            raise ProviderUnreachable(why, exchange) from None
        elapsed = time.monotonic() - started
        try:
            document: Any = json.loads(content) if content.strip() else None
            answer = json.dumps(redact_document(document), ensure_ascii=False, separators=(",", ":"))
        except (ValueError, RecursionError):  # not JSON, or nested past what Python parses
            document = None
        if document is None:
            answer = content[: ANSWER_LIMIT * 4].decode(response.charset_encoding or "utf-8", errors="replace")
        answer = self.redact(answer)
        if len(answer) > ANSWER_LIMIT:
            answer = answer[:ANSWER_LIMIT] + f"… ({len(content)} bytes)"
        exchange = Exchange(method, shown_path, response.status_code, answer, elapsed)
        return ProviderAnswer(response.status_code, document, exchange, response.headers.get("Retry-After"))

    def _unanswered(self, exc: Exception) -> str:
        """Why no answer came, in one line."""
        if isinstance(exc, TimeoutError):
            return f"{self.host} did not finish answering within {self._deadline:g} s"
        if isinstance(exc, _AnswerTooLarge):
            return f"{self.host} answered more than {ANSWER_BYTES_LIMIT // 1024} KiB (not read)"
        assert isinstance(exc, httpx.TransportError | httpx.DecodingError)
        return describe_transport_error(exc, self.host)


async def _read_bounded(response: httpx.Response) -> bytes:
    """The answer's bytes, refusing to read past ``ANSWER_BYTES_LIMIT``."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > ANSWER_BYTES_LIMIT:
        raise _AnswerTooLarge
    content = await read_at_most(response, ANSWER_BYTES_LIMIT)
    if len(content) > ANSWER_BYTES_LIMIT:
        raise _AnswerTooLarge
    return content
