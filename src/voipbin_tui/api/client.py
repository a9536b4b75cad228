"""The async VoIPBIN client: one ``httpx.AsyncClient``, auth, paging, retries, typed errors.

Its request path (``ApiSession``) is shared with the feed client, so the user agent, request
ids, timeouts and error mapping live here only.

Works against api.voipbin.net, a self-hosted install, the embedded sandbox, or any injected
httpx transport (tests). Access keys travel in the ``accesskey`` cookie, never in a URL or a
Bearer header (VoIPBIN parses a Bearer value as a JWT and answers 401).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import secrets as random_tokens
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from voipbin_tui import __version__
from voipbin_tui.api.drafts import AccountDraft
from voipbin_tui.api.errors import (
    ApiError,
    ConnectionFailed,
    InvalidId,
    RateLimited,
    ReadOnlyRefused,
    ServerError,
    Unauthenticated,
    UnexpectedResponse,
    error_class_for,
)
from voipbin_tui.api.models import (
    NIL_UUID,
    Account,
    Conversation,
    ConversationMessage,
    Customer,
    ErrorEnvelope,
    Flow,
    LoginResult,
    Page,
)

DEFAULT_API_URL = "https://api.voipbin.net/v1.0"
DEFAULT_HOOK_URL = "https://hook.voipbin.net/v1.0"
MAX_PAGE_SIZE = 100
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)

log = logging.getLogger(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying: 429s (any method) and 502/503/504, timeouts, drops (GETs only)."""

    max_attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 10.0
    """A longer ``Retry-After`` is not waited out: the caller hears at once when to try again
    (a command or a screen that sits silent for a minute looks hung)."""
    budget: float = 20.0
    """No retry starts that would take a call past this many seconds of attempts and waits in
    all, so that retries (after a 429, a 503 or a timeout) cannot add up to minutes."""

    def allows(self, spent: float, wait: float) -> bool:
        return spent + wait <= self.budget

    def delay(self, attempt: int) -> float:
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)


NO_RETRY = RetryPolicy(max_attempts=1)
MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The most of one answer that is read: far over any page VoIPBIN or the backend sends (feed
pages carry no bodies; one captured body is at most 3 MB), far under what would hurt."""
CALL_DEADLINE_SECONDS = 20.0
"""A call to a provider or a hook, answer read to its end: httpx's read timeout is per chunk, so
a provider (or a proxy) trickling its answer would otherwise hold a check for ever."""
CALL_DEADLINE_SLACK = 30.0
"""A call may take its read timeout plus this, whole: the read timeout alone is per chunk, so a
server trickling a byte at a time would hold a call (and a screen, or a command) forever."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing; any other is refused on a read-only connection (login excepted)."""
_RETRYABLE_STATUSES = frozenset({502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_uuid(value: UUID | str, *, what: str = "id") -> UUID:
    """Check an id before sending it: VoIPBIN answers 400 for non-UUIDs and the nil UUID."""
    try:
        parsed = value if isinstance(value, UUID) else UUID(str(value).strip())
    except ValueError:
        raise InvalidId(f"{what} {str(value)[:80]!r} is not a valid UUID") from None
    if parsed == NIL_UUID:
        raise InvalidId(f"{what} is the nil UUID")
    return parsed


def tls_verification(url: str) -> ssl.SSLContext | bool:
    """What a client for ``url`` verifies TLS with: certifi's CAs (httpx's default) for https.
    A plain-http URL (the sandbox on loopback) gets a context with no CAs at all instead:
    loading them costs 60-100 ms per client at every start, and a client that follows no
    redirects never speaks TLS there (if it ever did, no certificate would verify)."""
    if urlsplit(url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True


class VoipbinAuth(httpx.Auth):
    """Adds the credential per request: an access key cookie, or a JWT Bearer header."""

    def __init__(self, accesskey: SecretStr | None = None, jwt: SecretStr | None = None) -> None:
        self.accesskey = accesskey
        self.jwt = jwt

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.jwt is not None:
            request.headers["Authorization"] = f"Bearer {self.jwt.get_secret_value()}"
        elif self.accesskey is not None:
            cookie = f"accesskey={self.accesskey.get_secret_value()}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        yield request


def _origin_of(api_url: str) -> str:
    """``https://api.voipbin.net/v1.0`` -> ``https://api.voipbin.net`` (login is not under /v1.0)."""
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/")
    if path.endswith("/v1.0"):
        path = path[: -len("/v1.0")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def validate_response(model: type[ModelT], data: Any, *, what: str) -> ModelT:
    """Validate server data without ever echoing its values (they may hold secrets)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in err["loc"]) or "(root)" for err in exc.errors()[:5])
        raise UnexpectedResponse(f"unexpected {what} from the server (fields: {where})") from None


class ApiSession:
    """The one request path of the VoIPBIN client and the feed client: an ``httpx.AsyncClient``
    with the user agent, a request id per call, the timeouts, bounded retries, the read-only
    gate, and transport failures and error answers mapped to typed errors."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: VoipbinAuth,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        read_only: bool = False,
        display_prefix: str = "",
        peer: str = "server",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.retry = retry
        self.read_only = read_only
        """Refuse every call that would change something (``ReadOnlyRefused``), before sending."""
        self._sleep = sleep
        self._display_prefix = display_prefix
        self._peer = peer
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=auth,
            transport=transport,
            verify=tls_verification(self.base_url),
            timeout=timeout,
            headers={"User-Agent": f"voipbin-tui/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        url: str | None = None,
        authenticated: bool = True,
        changes_nothing: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Send one call with bounded retries; return a 2xx response or raise a VoipbinError.

        On a read-only session every method but GET, HEAD and OPTIONS is refused here, the one
        path every call takes; ``changes_nothing`` exempts a POST that changes nothing (login).
        ``timeout`` replaces the session's for this call (a long poll)."""
        target = url or path.lstrip("/")
        display_path = urlsplit(url).path if url else f"{self._display_prefix}/{path.lstrip('/')}"
        if self.read_only and method.upper() not in SAFE_METHODS and not changes_nothing:
            raise ReadOnlyRefused(f"{method} {display_path}")
        attempt = 0
        spent = 0.0  # in attempts and waits: what the retry budget counts
        while True:
            attempt += 1
            attempt_started = time.monotonic()
            request_id = "vt-" + random_tokens.token_hex(10)
            request = self._http.build_request(
                method,
                target,
                params=params,
                json=json,
                headers={"X-Request-Id": request_id},
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
            try:
                try:
                    response = await self._receive(request, authenticated=authenticated)
                finally:
                    spent += time.monotonic() - attempt_started
            except TimeoutError:
                raise ConnectionFailed(
                    f"{self.host} did not finish answering within {self._deadline(request):.0f} s",
                    method=method,
                    path=display_path,
                ) from None
            except _AnswerTooLarge:
                raise UnexpectedResponse(
                    f"{method} {display_path}: the {self._peer} answered more than "
                    f"{MAX_ANSWER_BYTES // (1024 * 1024)} MiB (not read)"
                ) from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                wait = self.retry.delay(attempt)
                retry = method == "GET" and attempt < self.retry.max_attempts and worth_retrying(exc)
                if retry and self.retry.allows(spent, wait):
                    log.debug("%s %s failed (%s), retry %d", method, display_path, type(exc).__name__, attempt)
                    spent += wait
                    await self._sleep(wait)
                    continue
                raise ConnectionFailed(
                    describe_transport_error(exc, self.host), method=method, path=display_path
                ) from None
            log.debug(
                "%s %s -> %d [%s]",
                method,
                display_path,
                response.status_code,
                response.headers.get("X-Request-Id", request_id),
            )
            if response.status_code < 400:
                return response
            if attempt < self.retry.max_attempts:
                retry_wait = self._retry_wait(method, response, attempt)
                if retry_wait is not None and self.retry.allows(spent, retry_wait):
                    spent += retry_wait
                    await self._sleep(retry_wait)
                    continue
            raise error_from_response(response, method=method, path=display_path, sent_request_id=request_id)

    async def _receive(self, request: httpx.Request, *, authenticated: bool) -> httpx.Response:
        """Send ``request`` and read its answer, at most ``MAX_ANSWER_BYTES`` of it, within the
        call's deadline; the answer comes back read, as ``httpx`` would return it."""
        async with asyncio.timeout(self._deadline(request)):
            response = await self._http.send(request, auth=self.auth if authenticated else None, stream=True)
            try:
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > MAX_ANSWER_BYTES:
                    raise _AnswerTooLarge
                body = await read_at_most(response, MAX_ANSWER_BYTES)
            finally:
                await response.aclose()
        if len(body) > MAX_ANSWER_BYTES:
            raise _AnswerTooLarge
        # the body is decoded already: its framing and encoding headers no longer describe it
        headers = [(name, value) for name, value in response.headers.multi_items() if name not in _FRAMING_HEADERS]
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=request, extensions=response.extensions
        )

    def _deadline(self, request: httpx.Request) -> float:
        read = request.extensions.get("timeout", {}).get("read")
        return (read if read is not None else DEFAULT_TIMEOUT.read or 15.0) + CALL_DEADLINE_SLACK

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request``, and its answer's JSON (``UnexpectedResponse`` if it is not JSON)."""
        response = await self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            where = f"{self._display_prefix}/{path.lstrip('/')}"
            raise UnexpectedResponse(f"{method} {where}: the {self._peer} did not answer JSON") from None

    def _retry_wait(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            wait = self.retry.delay(attempt) if wait is None else wait
            return wait if wait <= self.retry.max_retry_after else None
        if response.status_code in _RETRYABLE_STATUSES and method == "GET":
            return self.retry.delay(attempt)
        return None


class SessionClient:
    """What every client on an ``ApiSession`` shares: the read-only gate and closing."""

    session: ApiSession

    @property
    def read_only(self) -> bool:
        """Refuse every call that would change something (``ReadOnlyRefused``), before sending."""
        return self.session.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.session.read_only = value

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.session.aclose()


class VoipbinClient(SessionClient):
    """Async client for the VoIPBIN REST API (and the sandbox, which speaks the same API)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        accesskey: SecretStr | str | None = None,
        jwt: SecretStr | str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        read_only: bool = False,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._auth = VoipbinAuth(
            accesskey=SecretStr(accesskey) if isinstance(accesskey, str) else accesskey,
            jwt=SecretStr(jwt) if isinstance(jwt, str) else jwt,
        )
        self.session = ApiSession(
            self.api_url,
            auth=self._auth,
            transport=transport,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            read_only=read_only,
        )

    @property
    def host(self) -> str:
        return self.session.host

    async def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send one call on the client's request path (``ApiSession.request``: retries, typed
        errors, the read-only gate)."""
        return await self.session.request(method, path, **options)

    async def iter_pages(
        self, path: str, model: type[ModelT], *, page_size: int = MAX_PAGE_SIZE, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[ModelT]]:
        """Yield each non-empty page, newest first; stop after a page shorter than asked for,
        or on an empty one.

        VoIPBIN sets ``next_page_token`` on the last page too, so the token alone cannot end
        the loop; a short page is the last (the server fills every page it can), which saves
        the empty page's round trip on every list that fits one page. A token that does not
        move also ends it, so a server bug cannot loop forever.
        """
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        token = ""
        seen: set[str] = set()
        while True:
            query = {**(params or {}), "page_size": page_size}
            if token:
                query["page_token"] = token
            page_model: type[Page[ModelT]] = Page[model]  # type: ignore[valid-type]  # pydantic generic built at run time
            data = await self.session.json("GET", path, params=query)
            page = validate_response(page_model, data, what=f"page of {path}")
            if not page.result:
                return
            yield page.result
            if len(page.result) < page_size or not page.next_page_token or page.next_page_token in seen:
                return
            seen.add(page.next_page_token)
            token = page.next_page_token

    async def _iter_items(self, path: str, model: type[ModelT], page_size: int) -> AsyncIterator[ModelT]:
        async for page in self.iter_pages(path, model, page_size=page_size):
            for item in page:
                yield item

    # -- auth -------------------------------------------------------------------------

    async def login(self, username: str, password: SecretStr | str) -> SecretStr:
        """Log in with username and password; later calls use the JWT as a Bearer token."""
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        try:
            response = await self.request(
                "POST",
                "auth/login",
                url=_origin_of(self.api_url) + "/auth/login",
                json={"username": username, "password": secret},
                authenticated=False,
                changes_nothing=True,
            )
        except ApiError as exc:
            if exc.http_status in (400, 401, 403):
                raise Unauthenticated(
                    exc.http_status,
                    message=f"login failed for {username!r}: wrong username or password",
                    request_id=exc.request_id,
                    method="POST",
                    path="/auth/login",
                ) from None
            raise
        result = validate_response(LoginResult, response.json(), what="login answer")
        self._auth.jwt = result.token
        return result.token

    # -- accounts ----------------------------------------------------------------------

    def iter_account_pages(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[list[Account]]:
        """Pages of accounts as they arrive, so a screen can show the first one at once."""
        return self.iter_pages("conversation_accounts", Account, page_size=page_size)

    def iter_accounts(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[Account]:
        return self._iter_items("conversation_accounts", Account, page_size)

    async def list_accounts(self) -> list[Account]:
        return [account async for account in self.iter_accounts()]

    async def get_account(self, account_id: UUID | str) -> Account:
        """One account, also when deleted (then ``is_deleted`` is true)."""
        account_id = parse_uuid(account_id, what="account id")
        data = await self.session.json("GET", f"conversation_accounts/{account_id}")
        return validate_response(Account, data, what="account")

    async def create_account(self, draft: AccountDraft) -> Account:
        body = draft.create_body()
        data = await self.session.json("POST", "conversation_accounts", json=body)
        return validate_response(Account, data, what="account")

    async def update_account(self, current: Account, draft: AccountDraft) -> Account:
        """Send only what changed. After a failed PUT the account is re-read into ``account_after``,
        since VoIPBIN saves the change before the step that may fail."""
        body = draft.update_body(current)
        try:
            data = await self.session.json("PUT", f"conversation_accounts/{current.id}", json=body)
        except (ServerError, ConnectionFailed) as exc:
            exc.account_after = await self._reread(current.id)
            raise
        return validate_response(Account, data, what="account")

    async def _reread(self, account_id: UUID) -> Account | None:
        try:
            return await self.get_account(account_id)
        except Exception:  # the original failure is what matters; the re-read is best effort
            log.debug("re-reading account %s after a failed update also failed", account_id)
            return None

    async def delete_account(self, account_id: UUID | str) -> Account:
        """Soft delete: VoIPBIN returns the account with ``tm_delete`` set (again on repeat)."""
        account_id = parse_uuid(account_id, what="account id")
        return validate_response(
            Account, await self.session.json("DELETE", f"conversation_accounts/{account_id}"), what="account"
        )

    # -- flows, conversations, messages, customer --------------------------------------

    def iter_flows(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[Flow]:
        return self._iter_items("flows", Flow, page_size)

    async def list_flows(self) -> list[Flow]:
        return [flow async for flow in self.iter_flows()]

    async def iter_conversations(
        self, *, account_id: UUID | str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Conversation]:
        """Conversations, newest first; VoIPBIN cannot filter by account, so it is done here."""
        wanted = parse_uuid(account_id, what="account id") if account_id is not None else None
        async for conversation in self._iter_items("conversations", Conversation, page_size):
            if wanted is None or conversation.account_id == wanted:
                yield conversation

    async def get_conversation(self, conversation_id: UUID | str) -> Conversation:
        conversation_id = parse_uuid(conversation_id, what="conversation id")
        return validate_response(
            Conversation, await self.session.json("GET", f"conversations/{conversation_id}"), what="conversation"
        )

    def iter_messages(
        self, conversation_id: UUID | str, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[ConversationMessage]:
        conversation_id = parse_uuid(conversation_id, what="conversation id")
        return self._iter_items(f"conversations/{conversation_id}/messages", ConversationMessage, page_size)

    async def send_message(self, conversation_id: UUID | str, text: str) -> ConversationMessage:
        conversation_id = parse_uuid(conversation_id, what="conversation id")
        data = await self.session.json("POST", f"conversations/{conversation_id}/messages", json={"text": text})
        return validate_response(ConversationMessage, data, what="message")

    async def get_customer(self) -> Customer:
        return validate_response(Customer, await self.session.json("GET", "customer"), what="customer")


def _root_cause(exc: BaseException) -> BaseException:
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return exc


def worth_retrying(exc: httpx.TransportError | httpx.DecodingError) -> bool:
    """A timeout or a dropped connection can pass; a refused connection (nothing listens there),
    a name that does not resolve or a body that cannot be decoded will not within a few seconds
    of backoff: fail at once."""
    if isinstance(exc, httpx.DecodingError):
        return False
    if isinstance(exc, httpx.ConnectError):
        return not isinstance(_root_cause(exc), ConnectionRefusedError | socket.gaierror)
    return True


class _AnswerTooLarge(Exception):
    """The answer went on past the bytes its reader takes."""


_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


async def read_at_most(response: httpx.Response, limit: int) -> bytes:
    """A streamed answer's bytes, reading no further than one chunk past ``limit`` (what is
    returned is longer than ``limit`` when the answer was). The one bounded reader: the API
    client, the provider clients, the hook sender and the relay read through it."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def describe_transport_error(exc: httpx.TransportError | httpx.DecodingError, host: str) -> str:
    if isinstance(exc, httpx.DecodingError):
        return (
            f"{host} answered with a body its Content-Encoding does not decode: the server, or a "
            "proxy in between, mangles responses (check the URL, or that proxy)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError) and isinstance(_root_cause(exc), ConnectionRefusedError):
        return f"cannot connect to {host}: connection refused (is it running, on that port?)"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: is it running and reachable?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} dropped the connection before answering"
    return f"network error talking to {host} ({type(exc).__name__})"


def error_from_response(response: httpx.Response, *, method: str, path: str, sent_request_id: str) -> ApiError:
    """Map an error answer (envelope or bare status) to a typed exception."""
    request_id = response.headers.get("X-Request-Id", "") or sent_request_id
    fields: dict[str, Any] = {}
    try:
        envelope = ErrorEnvelope.model_validate(response.json())
    except (ValueError, ValidationError):
        pass
    else:
        body = envelope.error
        fields = {
            "status": body.status,
            "reason": body.reason,
            "message": body.message,
            "details": body.details,
        }
        request_id = body.request_id or request_id
    cls = error_class_for(response.status_code)
    kwargs: dict[str, Any] = {**fields, "request_id": request_id, "method": method, "path": path}
    if cls is RateLimited:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    return cls(response.status_code, **kwargs)
