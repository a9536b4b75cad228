"""Relay mode, all on loopback: a sandbox backend A plays VoIPBIN's API (its REST returns app
secrets), a stand-in hook U plays hook.voipbin.net, and the relay R under test reads accounts
from A and forwards to U. What R must do: forward byte for byte, answer with U's answer, judge
with A's app secret, record all of it, and read A no more than its cache allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.backend.conftest import ACCESSKEY, fixture_bytes, hook_path
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.client import NO_RETRY
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.api.models import Account
from voipbin_tui.backend import server as backend_server
from voipbin_tui.backend.config import RelayConfig
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_TOKEN, SEED_PHONE_NUMBER_ID, SEED_WHATSAPP_APP_SECRET
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.cli import main
from voipbin_tui.config import ConfigFile, Profile, config_path, save_config
from voipbin_tui.protocols import HookVerdict, RequestKind, sign_hub_signature, sign_line_signature

WHATSAPP_BODY = fixture_bytes("whatsapp/text-message.json")
LINE_BODY = fixture_bytes("line/text-message.json")


# -- the stand-ins ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: bytes
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)


@dataclass
class StandIn:
    """A tiny HTTP server on a free loopback port that records every request and answers what
    the test says: the upstream hook, or a slow API."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_config=None, log_level="warning", timeout_graceful_shutdown=1)
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.005)

    def answer(self, status: int, body: bytes = b"", content_type: str | None = None) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    async def _answer(self, request: Request) -> Response:
        self.received.append(
            Received(
                method=request.method,
                path=request.url.path,
                query=request.scope["query_string"],
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
                body=await request.body(),
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = {"content-type": self.content_type} if self.content_type else None
        return Response(self.body, status_code=self.status, headers=headers)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)


class _CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._paths.append(request.url.path)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class CountedApi:
    """The relay's API client factory, reading from backend A and noting every call A gets."""

    api: EmbeddedBackend
    paths: list[str] = field(default_factory=list)

    def __call__(self) -> VoipbinClient:
        transport = _CountingTransport(self.paths)
        return VoipbinClient(self.api.api_url, accesskey=self.api.accesskey, transport=transport, retry=NO_RETRY)

    def reads_of(self, account_id: UUID | str) -> int:
        return self.paths.count(f"/v1.0/conversation_accounts/{account_id}")


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def voipbin_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    """Backend A: "VoIPBIN's API", holding the accounts and their app secrets."""
    backend = start_embedded(tmp_path_factory.mktemp("voipbin-api"), accesskey="api-key-of-a", seed=False)
    yield backend
    backend.stop()


@pytest.fixture(scope="module")
def upstream_hook() -> Iterator[StandIn]:
    """U: the stand-in for hook.voipbin.net."""
    hook = StandIn()
    yield hook
    hook.stop()


@pytest.fixture(autouse=True)
def fresh_upstream(upstream_hook: StandIn) -> StandIn:
    upstream_hook.received.clear()
    upstream_hook.answer(200)
    return upstream_hook


@pytest.fixture(scope="module")
def counted_api(voipbin_api: EmbeddedBackend) -> CountedApi:
    return CountedApi(voipbin_api)


@pytest.fixture(scope="module")
def relay(
    tmp_path_factory: pytest.TempPathFactory, upstream_hook: StandIn, counted_api: CountedApi
) -> Iterator[EmbeddedBackend]:
    """R: the relay under test, reading accounts from A and forwarding to U."""
    config = RelayConfig(forward_to=f"{upstream_hook.url}/v1.0", api_client=counted_api)
    backend = start_embedded(tmp_path_factory.mktemp("relay"), accesskey=ACCESSKEY, seed=False, relay=config)
    yield backend
    backend.stop()


@pytest.fixture
def start_relay(tmp_path: Path, voipbin_api: EmbeddedBackend) -> Iterator[Callable[..., EmbeddedBackend]]:
    """Relays of a test's own (another upstream, cache time or API), stopped afterwards."""
    started: list[EmbeddedBackend] = []

    def start(
        *, forward_to: str, api_client: Callable[[], VoipbinClient] | None = None, **settings: Any
    ) -> EmbeddedBackend:
        config = RelayConfig(forward_to=forward_to, api_client=api_client or CountedApi(voipbin_api), **settings)
        backend = start_embedded(tmp_path / f"relay-{len(started)}", accesskey=ACCESSKEY, seed=False, relay=config)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


@pytest.fixture
async def api_client(voipbin_api: EmbeddedBackend) -> AsyncIterator[VoipbinClient]:
    async with VoipbinClient(voipbin_api.api_url, accesskey=voipbin_api.accesskey) as client:
        yield client


def whatsapp_draft(app_secret: str) -> AccountDraft:
    return AccountDraft(
        type=AccountType.WHATSAPP,
        name="Relayed WhatsApp",
        token=SecretStr("EAA" + secrets.token_urlsafe(40)),
        secret=SecretStr("verify-" + secrets.token_hex(4)),
        phone_number_id="106540352242922",
        app_secret=SecretStr(app_secret),
    )


@pytest.fixture
async def whatsapp_account(api_client: VoipbinClient) -> tuple[Account, str]:
    """A WhatsApp account at A, new for each test; returns it and its app secret."""
    app_secret = secrets.token_hex(16)
    return await api_client.create_account(whatsapp_draft(app_secret)), app_secret


async def relayed_capture(backend: EmbeddedBackend, account_id: UUID | str) -> CapturedRequest:
    """The one request the relay captured for ``account_id``, in full."""
    async with FeedClient(backend.inspector_url, accesskey=backend.accesskey) as feed:
        captures = (await feed.poll(0, limit=1000, account_id=account_id)).requests
        assert len(captures) == 1, captures
        return await feed.get(captures[0].id)


def signed_headers(app_secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign_hub_signature(app_secret, body)}


async def post(backend: EmbeddedBackend, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
        return await http.post(path, content=body, headers=headers)


# -- forwarding and judging -------------------------------------------------------------------


@pytest.mark.slow
async def test_a_signed_message_reaches_the_upstream_byte_for_byte_and_is_judged_with_the_api_app_secret(
    relay: EmbeddedBackend, upstream_hook: StandIn, whatsapp_account: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp_account
    upstream_hook.answer(202, b"EVENT_RECEIVED", "text/plain; charset=utf-8")
    sha1 = "sha1=" + hmac.new(app_secret.encode(), WHATSAPP_BODY, hashlib.sha1).hexdigest()
    sent_headers = {
        **signed_headers(app_secret, WHATSAPP_BODY),
        "X-Hub-Signature": sha1,
        "User-Agent": "facebookexternalua",
        "Cookie": "accesskey=not-for-the-upstream",
        "Authorization": "Bearer not-for-the-upstream",
        "Keep-Alive": "timeout=5",
    }

    answer = await post(relay, hook_path(account.id) + "?probe=1&x=%2F", WHATSAPP_BODY, sent_headers)

    assert (answer.status_code, answer.content) == (202, b"EVENT_RECEIVED")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    [received] = upstream_hook.received
    assert (received.method, received.path, received.query) == ("POST", hook_path(account.id), b"probe=1&x=%2F")
    assert received.body == WHATSAPP_BODY
    assert received.header("x-hub-signature-256") == sent_headers["X-Hub-Signature-256"]
    assert received.header("x-hub-signature") == sha1
    assert received.header("content-type") == "application/json"
    assert received.header("user-agent") == "facebookexternalua"
    forwarded_names = {name for name, _ in received.headers}
    assert not forwarded_names & {"cookie", "authorization", "keep-alive"}

    capture = await relayed_capture(relay, account.id)
    assert (capture.kind, capture.verdict) == (RequestKind.MESSAGE, HookVerdict.OK)
    assert capture.body == WHATSAPP_BODY
    assert (capture.status, capture.answer) == (202, "EVENT_RECEIVED")
    assert capture.summary.text == "Does it come in another color?"
    upstream = capture.upstream or {}
    assert upstream["forwarded"] is True
    assert upstream["url"] == f"{upstream_hook.url}{hook_path(account.id)}"
    assert (upstream["status"], upstream["body_excerpt"]) == (202, "EVENT_RECEIVED")
    assert isinstance(upstream["elapsed_ms"], float) and upstream["elapsed_ms"] >= 0
    assert "answered 202" in capture.explanation
    stored = b"".join(path.read_bytes() for path in relay.config.data_dir.iterdir() if path.is_file())
    assert app_secret.encode() not in stored  # read to judge with, never kept
    assert b"api-key-of-a" not in stored


async def test_a_bad_signature_is_still_forwarded_since_voipbin_decides_but_is_judged_bad(
    relay: EmbeddedBackend, upstream_hook: StandIn, whatsapp_account: tuple[Account, str]
) -> None:
    account, _app_secret = whatsapp_account
    headers = signed_headers(secrets.token_hex(16), WHATSAPP_BODY)

    answer = await post(relay, hook_path(account.id), WHATSAPP_BODY, headers)

    assert answer.status_code == 200
    [received] = upstream_hook.received
    assert received.body == WHATSAPP_BODY
    assert received.header("x-hub-signature-256") == headers["X-Hub-Signature-256"]
    capture = await relayed_capture(relay, account.id)
    assert capture.verdict == HookVerdict.BAD_SIGNATURE
    assert (capture.upstream or {})["status"] == 200


@pytest.mark.slow
async def test_an_unreachable_upstream_answers_502_so_that_meta_retries(
    start_relay: Callable[..., EmbeddedBackend], whatsapp_account: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp_account
    relay_to_nowhere = start_relay(forward_to=closed_port_url() + "/v1.0")

    answer = await post(
        relay_to_nowhere, hook_path(account.id), WHATSAPP_BODY, signed_headers(app_secret, WHATSAPP_BODY)
    )

    assert (answer.status_code, answer.content) == (502, b"")
    capture = await relayed_capture(relay_to_nowhere, account.id)
    assert capture.verdict == HookVerdict.OK  # judged all the same: the problem is the way onward
    assert capture.status == 502
    upstream = capture.upstream or {}
    assert "cannot connect" in upstream["error"] and "status" not in upstream
    assert "unreachable" in capture.explanation and "502" in capture.explanation


async def test_an_account_unknown_to_the_api_is_forwarded_and_judged_unknown_and_the_miss_is_cached(
    relay: EmbeddedBackend, upstream_hook: StandIn, counted_api: CountedApi
) -> None:
    unknown = uuid4()
    headers = signed_headers(secrets.token_hex(16), WHATSAPP_BODY)

    for _ in range(2):
        assert (await post(relay, hook_path(unknown), WHATSAPP_BODY, headers)).status_code == 200

    assert [r.path for r in upstream_hook.received] == [hook_path(unknown)] * 2
    assert counted_api.reads_of(unknown) == 1
    async with FeedClient(relay.inspector_url, accesskey=relay.accesskey) as feed:
        captures = (await feed.poll(0, limit=1000, account_id=unknown)).requests
    assert [c.verdict for c in captures] == [HookVerdict.UNKNOWN_ACCOUNT] * 2
    assert all((c.upstream or {}).get("status") == 200 for c in captures)


@pytest.mark.parametrize(
    "account_ref",
    [
        "not-a-uuid",
        "..",
        "%2e%2e",
        "%2E%2e",
        # UUID() takes these (its int() does) and would turn them into some other account's id
        "%205f0b4b627a8a4a5e9d536a3b7f3e8d1",
        "1_" * 15 + "11",
        "%D9%A1" * 32,
    ],
)
async def test_a_path_that_is_no_account_id_is_never_forwarded(
    relay: EmbeddedBackend, upstream_hook: StandIn, counted_api: CountedApi, account_ref: str
) -> None:
    headers = signed_headers(secrets.token_hex(16), WHATSAPP_BODY)
    reads_before = len(counted_api.paths)
    # Sent as written: an HTTP client would resolve the "..".
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(
        f"POST /v1.0/conversation/accounts/{account_ref} HTTP/1.1\r\nHost: a\r\n{head}"
        f"Content-Length: {len(WHATSAPP_BODY)}\r\n\r\n".encode()
        + WHATSAPP_BODY
    )
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] == b"404"
    assert upstream_hook.received == [] and len(counted_api.paths) == reads_before
    async with FeedClient(relay.inspector_url, accesskey=relay.accesskey) as feed:
        capture = (await feed.poll(0, limit=1000)).requests[-1]
    assert capture.path == f"/v1.0/conversation/accounts/{unquote(account_ref)}"
    assert capture.verdict == HookVerdict.UNKNOWN_ACCOUNT and capture.upstream == {"forwarded": False}


async def test_the_query_is_forwarded_byte_for_byte_and_an_empty_one_adds_no_question_mark(
    start_relay: Callable[..., EmbeddedBackend],
) -> None:
    async with RawUpstream() as upstream:
        backend = start_relay(forward_to=f"{upstream.url}/v1.0")
        account = uuid4()
        async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
            await http.post(hook_path(account), content=b"{}")
            request = http.build_request("POST", hook_path(account), content=b"{}")
            request.url = request.url.copy_with(raw_path=f"{hook_path(account)}?a=1&b=%2F+c&d=%7e&e=''&f".encode())
            await http.send(request)
    assert upstream.request_lines == [
        f"POST /v1.0/conversation/accounts/{account} HTTP/1.1",
        f"POST /v1.0/conversation/accounts/{account}?a=1&b=%2F+c&d=%7e&e=''&f HTTP/1.1",
    ]


@pytest.mark.slow
async def test_an_upstream_trickling_its_answer_is_cut_at_one_deadline_for_the_whole_exchange(
    start_relay: Callable[..., EmbeddedBackend],
) -> None:
    async with RawUpstream(trickle=0.2) as upstream:
        backend = start_relay(forward_to=f"{upstream.url}/v1.0", forward_timeout=1.0)
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
            answer = await http.post(hook_path(uuid4()), content=b"{}")
    assert answer.status_code == 502 and time.monotonic() - started < 2.5  # a byte every 0.2 s, for 10 s


@pytest.mark.slow
async def test_lookups_of_unknown_accounts_are_bounded_per_second(
    start_relay: Callable[..., EmbeddedBackend], voipbin_api: EmbeddedBackend, upstream_hook: StandIn
) -> None:
    api = CountedApi(voipbin_api)
    backend = start_relay(forward_to=f"{upstream_hook.url}/v1.0", api_client=api)
    unknown = [uuid4() for _ in range(40)]
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
        for account in unknown:
            assert (await http.post(hook_path(account), content=b"{}")).status_code == 200
        assert (await http.post(hook_path(unknown[0]), content=b"{}")).status_code == 200  # cached: no call
    elapsed = time.monotonic() - started
    reads = sum(api.reads_of(account) for account in unknown)
    assert 10 <= reads <= 10 + 2 * elapsed + 1
    assert len(upstream_hook.received) == 41  # each one is forwarded all the same: VoIPBIN decides


@pytest.mark.slow
async def test_a_body_to_an_id_the_api_was_not_asked_about_keeps_its_first_64_kib(
    start_relay: Callable[..., EmbeddedBackend], voipbin_api: EmbeddedBackend, upstream_hook: StandIn
) -> None:
    backend = start_relay(forward_to=f"{upstream_hook.url}/v1.0", api_client=CountedApi(voipbin_api))
    body = b"x" * 200_000
    async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
        for _ in range(15):  # made-up ids past the lookup burst: the API is no longer asked
            assert (await http.post(hook_path(uuid4()), content=body)).status_code == 200
    async with FeedClient(backend.inspector_url, accesskey=backend.accesskey) as feed:
        captures = [await feed.get(c.id) for c in (await feed.poll(0, limit=1000)).requests]
    not_asked = [c for c in captures if "not asked" in c.explanation]
    assert not_asked
    assert all((len(c.body), c.body_size, c.body_complete) == (64 * 1024, 200_000, False) for c in not_asked)
    assert len(upstream_hook.received) == 15 and all(len(r.body) == 200_000 for r in upstream_hook.received)


class RawUpstream:
    """An upstream hook on raw asyncio streams: it notes each request line exactly as sent,
    and answers 200, or (with ``trickle``) a body of a byte every ``trickle`` seconds."""

    def __init__(self, trickle: float = 0.0) -> None:
        self.request_lines: list[str] = []
        self._trickle = trickle

    async def __aenter__(self) -> RawUpstream:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                self.request_lines.append(line.decode("latin-1").rstrip("\r\n"))
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                if not self._trickle:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n")
                for _ in range(50):
                    await writer.drain()
                    await asyncio.sleep(self._trickle)
                    writer.write(b"x")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.mark.parametrize(
    ("upstream_status", "echo", "verdict", "explained"),
    [
        (500, False, HookVerdict.BAD_VERIFY_TOKEN, "known server issue"),
        (200, False, HookVerdict.BAD_VERIFY_TOKEN, "answered 200 instead of echoing hub.challenge"),
        (200, True, HookVerdict.OK, "echoed hub.challenge"),
    ],
)
async def test_a_hub_challenge_is_judged_by_the_upstream_answer_since_the_verify_token_is_never_returned(
    relay: EmbeddedBackend,
    upstream_hook: StandIn,
    whatsapp_account: tuple[Account, str],
    upstream_status: int,
    echo: bool,
    verdict: HookVerdict,
    explained: str,
) -> None:
    account, _app_secret = whatsapp_account
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-token"
    upstream_hook.answer(upstream_status, b"1158201444" if echo else b"", "text/plain" if echo else None)

    async with httpx.AsyncClient(base_url=relay.base_url, timeout=10) as http:
        answer = await http.get(f"{hook_path(account.id)}?{query}")

    assert (answer.status_code, answer.content) == (upstream_status, b"1158201444" if echo else b"")
    [received] = upstream_hook.received
    assert (received.method, received.query) == ("GET", query.encode())
    capture = await relayed_capture(relay, account.id)
    assert (capture.kind, capture.verdict, capture.status) == (RequestKind.VERIFY, verdict, upstream_status)
    assert (capture.upstream or {})["status"] == upstream_status
    assert explained in capture.explanation
    assert "cannot check hub.verify_token" in capture.explanation


@pytest.mark.slow
async def test_accounts_are_read_once_per_cache_lifetime_and_changes_show_after_it(
    start_relay: Callable[..., EmbeddedBackend],
    upstream_hook: StandIn,
    voipbin_api: EmbeddedBackend,
    api_client: VoipbinClient,
    whatsapp_account: tuple[Account, str],
) -> None:
    account, old_secret = whatsapp_account
    api = CountedApi(voipbin_api)
    short_lived = start_relay(forward_to=f"{upstream_hook.url}/v1.0", api_client=api, account_ttl=0.8)
    body = WHATSAPP_BODY

    # a burst: concurrent and repeated requests share one read
    answers = await asyncio.gather(
        *(post(short_lived, hook_path(account.id), body, signed_headers(old_secret, body)) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [200] * 5
    assert api.reads_of(account.id) == 1

    new_secret = secrets.token_hex(16)
    draft = AccountDraft.from_account(account)
    draft.app_secret = SecretStr(new_secret)
    await api_client.update_account(account, draft)
    await post(short_lived, hook_path(account.id), body, signed_headers(new_secret, body))  # still the cached secret
    await asyncio.sleep(0.9)
    await post(short_lived, hook_path(account.id), body, signed_headers(new_secret, body))

    assert api.reads_of(account.id) == 2
    async with FeedClient(short_lived.inspector_url, accesskey=short_lived.accesskey) as feed:
        captures = (await feed.poll(0, limit=1000, account_id=account.id)).requests
    assert [c.verdict for c in captures] == [HookVerdict.OK] * 5 + [HookVerdict.BAD_SIGNATURE, HookVerdict.OK]


@pytest.mark.slow
async def test_a_slow_api_does_not_hold_the_request_beyond_the_lookup_timeout(
    start_relay: Callable[..., EmbeddedBackend], upstream_hook: StandIn
) -> None:
    slow_api = StandIn(delay=5.0)  # far beyond the lookup timeout: a loaded machine cannot blur the two
    try:
        relay_with_slow_api = start_relay(
            forward_to=f"{upstream_hook.url}/v1.0",
            api_client=lambda: VoipbinClient(slow_api.url + "/v1.0", accesskey="k", retry=NO_RETRY),
            lookup_timeout=0.25,
        )
        account_id = uuid4()
        started = time.perf_counter()
        answer = await post(
            relay_with_slow_api, hook_path(account_id), WHATSAPP_BODY, signed_headers("x" * 32, WHATSAPP_BODY)
        )
        elapsed = time.perf_counter() - started

        assert answer.status_code == 200 and elapsed < 2.5  # not held for the API's 5 s
        assert len(upstream_hook.received) == 1
        capture = await relayed_capture(relay_with_slow_api, account_id)
        assert capture.verdict == HookVerdict.UNCHECKED  # the relay could not tell; VoIPBIN checked
        assert "could not be read" in capture.explanation and "within 0.25 s" in capture.explanation
        assert capture.summary.text == "Does it come in another color?"
    finally:
        slow_api.stop()


async def test_a_line_post_is_forwarded_with_its_signature_but_cannot_be_checked_without_the_channel_secret(
    relay: EmbeddedBackend, upstream_hook: StandIn, api_client: VoipbinClient
) -> None:
    channel_secret = secrets.token_hex(16)
    draft = AccountDraft(
        type=AccountType.LINE,
        name="Relayed LINE",
        secret=SecretStr(channel_secret),
        token=SecretStr(SEED_LINE_CHANNEL_TOKEN),
    )
    account = await api_client.create_account(draft)
    signature = sign_line_signature(channel_secret, LINE_BODY)

    answer = await post(
        relay, hook_path(account.id), LINE_BODY, {"Content-Type": "application/json", "x-line-signature": signature}
    )

    assert answer.status_code == 200
    [received] = upstream_hook.received
    assert (received.body, received.header("x-line-signature")) == (LINE_BODY, signature)
    capture = await relayed_capture(relay, account.id)
    assert (capture.kind, capture.verdict) == (RequestKind.LINE, HookVerdict.UNCHECKED)
    assert "never returns a LINE account's channel secret" in capture.explanation
    assert "neither a pass nor a fail" in capture.explanation


async def test_a_relayed_line_post_is_unchecked_signed_or_not_but_malformed_when_it_does_not_parse(
    relay: EmbeddedBackend, upstream_hook: StandIn, api_client: VoipbinClient
) -> None:
    """VoIPBIN takes a LINE webhook whatever its signature, so a missing one is no refusal
    (unlike WhatsApp's); a body that is no LINE webhook still is one."""
    draft = AccountDraft(
        type=AccountType.LINE, name="Relayed LINE", secret=SecretStr("c" * 32), token=SecretStr(SEED_LINE_CHANNEL_TOKEN)
    )
    account = await api_client.create_account(draft)
    for body in (LINE_BODY, b'{"events": "not a list"}'):
        answer = await post(relay, hook_path(account.id), body, {"Content-Type": "application/json"})
        assert answer.status_code == 200
    async with FeedClient(relay.inspector_url, accesskey=relay.accesskey) as feed:
        listed = (await feed.poll(0, limit=10, account_id=account.id)).requests
        unsigned, garbage = [await feed.get(capture.id) for capture in listed]
    assert unsigned.verdict == HookVerdict.UNCHECKED and unsigned.summary.text
    assert "carried no x-line-signature" in unsigned.explanation
    assert garbage.verdict == HookVerdict.MALFORMED


@pytest.mark.slow
async def test_a_hub_challenge_to_a_line_account_is_judged_in_the_sandbox_hook_s_words(
    relay: EmbeddedBackend, voipbin_api: EmbeddedBackend, api_client: VoipbinClient
) -> None:
    draft = AccountDraft(
        type=AccountType.LINE, name="Relayed LINE", secret=SecretStr("c" * 32), token=SecretStr(SEED_LINE_CHANNEL_TOKEN)
    )
    account = await api_client.create_account(draft)
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-token"

    for backend in (relay, voipbin_api):
        async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as http:
            await http.get(f"{hook_path(account.id)}?{query}")

    relayed, in_sandbox = [await relayed_capture(backend, account.id) for backend in (relay, voipbin_api)]
    assert relayed.verdict == in_sandbox.verdict == HookVerdict.UNSUPPORTED_ACCOUNT
    assert "LINE verifies a webhook URL with an empty POST" in relayed.explanation
    assert relayed.explanation.startswith(in_sandbox.explanation.removesuffix(" Refused with 403."))


async def test_a_body_too_large_is_refused_and_not_forwarded_cut(
    relay: EmbeddedBackend, upstream_hook: StandIn, whatsapp_account: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp_account
    body = b"x" * (relay.config.max_body_bytes + 1)

    answer = await post(relay, hook_path(account.id), body, signed_headers(app_secret, body))

    assert answer.status_code == 413
    assert upstream_hook.received == []
    capture = await relayed_capture(relay, account.id)
    assert capture.verdict == HookVerdict.TOO_LARGE
    assert capture.upstream == {"forwarded": False, "url": f"{upstream_hook.url}{hook_path(account.id)}"}
    assert "Not forwarded" in capture.explanation


@pytest.mark.slow
async def test_replay_forwards_the_request_again(
    relay: EmbeddedBackend, upstream_hook: StandIn, whatsapp_account: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp_account
    await post(relay, hook_path(account.id), WHATSAPP_BODY, signed_headers(app_secret, WHATSAPP_BODY))
    original = await relayed_capture(relay, account.id)
    upstream_hook.answer(204)

    async with FeedClient(relay.inspector_url, accesskey=relay.accesskey) as feed:
        replay = await feed.replay(original.id)

    assert [r.body for r in upstream_hook.received] == [WHATSAPP_BODY, WHATSAPP_BODY]
    assert upstream_hook.received[1].header("x-hub-signature-256") == sign_hub_signature(app_secret, WHATSAPP_BODY)
    assert replay.replay_of == original.id
    assert (replay.verdict, replay.status, (replay.upstream or {})["status"]) == (HookVerdict.OK, 204, 204)


async def test_voipbin_events_are_received_as_before_and_not_forwarded(
    relay: EmbeddedBackend, upstream_hook: StandIn
) -> None:
    body = b'{"type":"account_updated","data":{}}'

    answer = await post(relay, "/inspector/v1/voipbin-events", body, {"Content-Type": "application/json"})

    assert answer.status_code == 200
    assert upstream_hook.received == []
    async with FeedClient(relay.inspector_url, accesskey=relay.accesskey) as feed:
        [event] = [c for c in (await feed.poll(0, limit=1000)).requests if c.kind == RequestKind.VOIPBIN_EVENT]
    assert event.upstream is None


@pytest.mark.slow
async def test_the_relay_applies_nothing_to_its_own_sandbox(tmp_path: Path, upstream_hook: StandIn) -> None:
    """A relay reading accounts from its own seeded sandbox: were the sandbox's hook effects
    applied, the message would become a conversation there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = RelayConfig.for_api(
        forward_to=f"{upstream_hook.url}/v1.0", api_url=f"http://127.0.0.1:{port}/v1.0", accesskey=SecretStr(ACCESSKEY)
    )
    with start_embedded(tmp_path / "self", accesskey=ACCESSKEY, port=port, relay=config) as own:
        async with VoipbinClient(own.api_url, accesskey=own.accesskey) as client:
            [seeded] = [a for a in await client.list_accounts() if a.phone_number_id == SEED_PHONE_NUMBER_ID]
            messages_before = await all_message_ids(client)
            headers = signed_headers(SEED_WHATSAPP_APP_SECRET, WHATSAPP_BODY)

            assert (await post(own, hook_path(seeded.id), WHATSAPP_BODY, headers)).status_code == 200

            assert await all_message_ids(client) == messages_before
        assert (await relayed_capture(own, seeded.id)).verdict == HookVerdict.OK
    assert len(upstream_hook.received) == 1


async def all_message_ids(client: VoipbinClient) -> set[tuple[UUID, UUID | None]]:
    """Every conversation, with each of its messages."""
    found: set[tuple[UUID, UUID | None]] = set()
    async for conversation in client.iter_conversations():
        found.add((conversation.id, None))
        found.update({(conversation.id, message.id) async for message in client.iter_messages(conversation.id)})
    return found


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``serve`` would run the server with; nothing is served."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(backend_server, "run_server", lambda **settings: calls.append(settings))
    return calls


def serve(*args: str) -> Any:
    return CliRunner().invoke(main, ["serve", "--port", "0", *args], catch_exceptions=False)


def test_serve_forward_to_without_upstream_credentials_is_a_usage_error(served: list[dict[str, Any]]) -> None:
    result = serve("--forward-to", "https://hook.voipbin.net/v1.0")

    assert result.exit_code == 2
    assert "needs VoIPBIN credentials" in result.output
    assert "--profile NAME" in result.output and "VOIPBIN_ACCESSKEY" in result.output
    assert served == []


def test_serve_forward_to_with_a_username_profile_is_a_usage_error(served: list[dict[str, Any]]) -> None:
    save_config(ConfigFile(profiles={"ops": Profile(username="operator")}), config_path())

    result = serve("--forward-to", "https://hook.voipbin.net/v1.0", "--profile", "ops")

    assert result.exit_code == 2 and "needs an access key" in result.output
    assert served == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream-accesskey", "k"], "are for a relay"),
        (["--forward-to", "ftp://hook.voipbin.net", "--upstream-accesskey", "k"], "--forward-to"),
        (["--forward-to", "https://user:pw@hook.voipbin.net/v1.0", "--upstream-accesskey", "k"], "credentials"),
        (["--forward-to", "https://hook.voipbin.net/v1.0", "--profile", "missing"], "unknown profile"),
    ],
)
def test_serve_refuses_relay_options_that_cannot_work(
    served: list[dict[str, Any]], args: list[str], message: str
) -> None:
    result = serve(*args)

    assert result.exit_code == 2 and message in result.output
    assert served == []


def test_serve_forward_to_reads_accounts_with_the_profile_credentials(served: list[dict[str, Any]]) -> None:
    profile = Profile(api_url="https://voipbin.example/v1.0", accesskey=SecretStr("profile-key"))
    save_config(ConfigFile(profiles={"prod": profile}), config_path())

    result = serve("--forward-to", "https://hook.voipbin.example", "--profile", "prod", "--accesskey", "own-key")

    assert result.exit_code == 0, result.output
    [settings] = served
    relay_config: RelayConfig = settings["relay"]
    assert settings["accesskey"] == "own-key"
    assert relay_config.forward_base == "https://hook.voipbin.example/v1.0"  # a bare origin means its /v1.0
    assert relay_config.accounts_from == "https://voipbin.example/v1.0"


def read_banner(process: subprocess.Popen[str]) -> str:
    """What ``serve`` prints before serving: up to its last line, the access key (or its exit)."""
    lines: list[str] = []
    while not lines or "access key:" not in lines[-1]:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        lines.append(line)
    return "".join(lines)


@pytest.mark.slow
def test_serve_forward_to_relays_end_to_end_with_credentials_from_the_environment(
    tmp_path: Path, voipbin_api: EmbeddedBackend, upstream_hook: StandIn
) -> None:
    async def create_account() -> tuple[Account, str]:
        async with VoipbinClient(voipbin_api.api_url, accesskey=voipbin_api.accesskey) as client:
            app_secret = secrets.token_hex(16)
            return await client.create_account(whatsapp_draft(app_secret)), app_secret

    account, app_secret = asyncio.run(create_account())
    environment = {
        **os.environ,
        "VOIPBIN_API_URL": voipbin_api.api_url,
        "VOIPBIN_ACCESSKEY": voipbin_api.accesskey.get_secret_value(),
    }
    command = [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(tmp_path), "--no-seed"]
    process = subprocess.Popen(
        [*command, "--forward-to", f"{upstream_hook.url}/v1.0"], stdout=subprocess.PIPE, text=True, env=environment
    )
    try:
        printed = read_banner(process)
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", printed).group(1)  # type: ignore[union-attr]
        assert f"relaying it to:      {upstream_hook.url}/v1.0/conversation/accounts/{{account_id}}" in printed
        assert f"accounts read from {voipbin_api.api_url}" in printed
        assert voipbin_api.accesskey.get_secret_value() not in printed

        answer = httpx.post(
            base + hook_path(account.id), content=WHATSAPP_BODY, headers=signed_headers(app_secret, WHATSAPP_BODY)
        )
        assert answer.status_code == 200
        assert [r.body for r in upstream_hook.received] == [WHATSAPP_BODY]
        key = re.search(r"access key:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        feed = httpx.get(f"{base}/inspector/v1/requests", cookies={"accesskey": key}).json()["result"]
        assert [(c["verdict"], c["upstream"]["status"]) for c in feed] == [("ok", 200)]
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_a_request_from_a_browser_is_refused_and_not_forwarded(
    relay: EmbeddedBackend, upstream_hook: StandIn, whatsapp_account: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp_account
    headers = {**signed_headers(app_secret, WHATSAPP_BODY), "Origin": "https://evil.example"}
    assert (await post(relay, hook_path(account.id), WHATSAPP_BODY, headers)).status_code == 403
    assert upstream_hook.received == []
    capture = await relayed_capture(relay, account.id)
    assert capture.verdict == HookVerdict.CROSS_SITE and capture.upstream == {"forwarded": False}
