"""Send provider-shaped traffic to a hook URL: signed test messages and Meta's hub challenge.

The payloads are built and signed by ``protocols``; this module only does the HTTP, with the
same retries-free, timeout-bounded discipline as the REST client. It never sends an access
key: providers cannot, so the hook must not need one.
"""

from __future__ import annotations

import asyncio
import secrets as random_tokens
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from voipbin_tui import __version__
from voipbin_tui.api.account_types import provider_hook
from voipbin_tui.api.client import (
    CALL_DEADLINE_SECONDS,
    DEFAULT_TIMEOUT,
    SAFE_METHODS,
    describe_transport_error,
    read_at_most,
)
from voipbin_tui.api.errors import ConnectionFailed, ReadOnlyRefused
from voipbin_tui.api.models import Account

DEFAULT_TEST_SENDER = "16505551234"
DEFAULT_TEST_TEXT = "Hello from voipbin-tui"
ANSWER_BYTES_KEPT = 8192
"""Bytes of a hook's answer read: what a delivery keeps (2,000 characters) and no more."""


def wa_id_problem(wa_id: str) -> str:
    """Why ``wa_id`` cannot be a WhatsApp sender (a phone number in international format,
    as Meta sends it: digits only, no ``+``, at most 15 by E.164), or "" when it can."""
    if not wa_id.isascii() or not wa_id.isdigit():
        return "a wa_id is the sender's phone number, digits only (no +, spaces or letters)"
    if not 7 <= len(wa_id) <= 15:
        return f"a wa_id has 7 to 15 digits, the country code first ({len(wa_id)} given)"
    return ""


@dataclass(frozen=True, slots=True)
class HookDelivery:
    """What was sent to a hook and what it answered."""

    url: str
    method: str
    body: bytes
    signed: bool
    status_code: int
    answer: str
    request_id: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.status_code < 300


def hook_url_for(hook_base_url: str, account_id: object) -> str:
    """``{hook base}/conversation/accounts/{id}``: where Meta and LINE must post for this account."""
    return f"{hook_base_url.rstrip('/')}/conversation/accounts/{account_id}"


class HookSender:
    """Posts to provider hooks like Meta and LINE do (no credentials, exact bytes)."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        read_only: bool = False,
        deadline: float = CALL_DEADLINE_SECONDS,
    ) -> None:
        self.read_only = read_only
        """Refuse test messages (VoIPBIN acts on them); the hub challenge changes nothing."""
        self._deadline = deadline
        """The whole exchange, answer included: a hook trickling its answer holds nothing for ever."""
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"voipbin-tui/{__version__} (test traffic)"},
        )

    async def __aenter__(self) -> HookSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def send_test_message(
        self,
        url: str,
        account: Account,
        *,
        text: str,
        sender: str = DEFAULT_TEST_SENDER,
        line_channel_secret: str | None = None,
    ) -> HookDelivery:
        """A realistic inbound text message for this account, signed as its provider signs it.

        WhatsApp messages are signed with the account's app secret (VoIPBIN returns it); LINE
        channel secrets are write-only, so a LINE message is signed only if one is given.
        """
        hook = provider_hook(account.type)
        if hook is None:
            raise ValueError(f"{account.type} accounts do not receive through the conversation hook")
        body = hook.build_test_payload(account, text, sender)
        secret = hook.signing_secret(account) if hook.signing_secret is not None else line_channel_secret or ""
        headers = {hook.signature_header: hook.sign(secret, body)} if secret else {}
        return await self._deliver("POST", url, body=body, headers=headers, signed=bool(headers))

    async def send_hub_challenge(self, url: str, *, verify_token: str, challenge: str | None = None) -> HookDelivery:
        """Meta's verification GET, as the App Dashboard sends it when the callback URL is saved."""
        challenge = challenge or str(random_tokens.randbelow(9 * 10**9) + 10**9)
        params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
        return await self._deliver("GET", url, params=params, signed=False)

    async def _deliver(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        signed: bool,
    ) -> HookDelivery:
        if self.read_only and method not in SAFE_METHODS:
            raise ReadOnlyRefused(f"{method} {url}")
        request_headers = {"Content-Type": "application/json", **(headers or {})} if body else {}
        where = urlsplit(url)
        try:
            async with asyncio.timeout(self._deadline):
                async with self._http.stream(
                    method, url, content=body or None, headers=request_headers, params=params
                ) as response:
                    answer = await read_at_most(response, ANSWER_BYTES_KEPT)
        except TimeoutError:
            why = f"{where.netloc} did not finish answering within {self._deadline:g} s"
            raise ConnectionFailed(why, method=method, path=where.path) from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise ConnectionFailed(
                describe_transport_error(exc, where.netloc), method=method, path=where.path
            ) from None
        return HookDelivery(
            url=url,
            method=method,
            body=body,
            signed=signed,
            status_code=response.status_code,
            answer=answer[:ANSWER_BYTES_KEPT].decode(response.charset_encoding or "utf-8", errors="replace")[:2000],
            request_id=response.headers.get("X-Request-Id", ""),
        )
