"""The backend under test: the real app on uvicorn, on a free loopback port, in a temp data dir.

Tests drive it with the real ``VoipbinClient``, ``FeedClient`` and raw httpx, over HTTP. The
shared sandbox is seeded and shared by a whole session, so tests create their own accounts
and read the feed after their own cursor; tests that count things start a fresh backend.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.helpers import SteppingClock, sequential_ids
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.api.models import Account
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_TOKEN
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.protocols import sign_hub_signature, sign_line_signature

ACCESSKEY = "backend-test-accesskey"


def fixture_bytes(name: str) -> bytes:
    """A shared fixture's exact bytes (what a test signs is what it sends)."""
    return (FIXTURES / name).read_bytes()


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def stepping_clock() -> SteppingClock:
    """The backend's clock in tests: a millisecond a reading, ordered and reproducible."""
    return SteppingClock(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), timedelta(milliseconds=1))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    backend = start_embedded(tmp_path_factory.mktemp("sandbox"), accesskey=ACCESSKEY)
    yield backend
    backend.stop()


@pytest.fixture
def fresh_backend(tmp_path: Path) -> Iterator[Callable[..., EmbeddedBackend]]:
    """Start backends of one's own (stopped after the test), with a fixed clock and ids."""
    started: list[EmbeddedBackend] = []

    def start(**overrides: Any) -> EmbeddedBackend:
        settings: dict[str, Any] = {"seed": False, "clock": stepping_clock(), "new_id": sequential_ids()}
        settings.update(overrides)
        backend = start_embedded(tmp_path / f"data-{len(started)}", accesskey=ACCESSKEY, **settings)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


@pytest.fixture
async def client(sandbox: EmbeddedBackend) -> AsyncIterator[VoipbinClient]:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as api:
        yield api


@pytest.fixture
async def feed(sandbox: EmbeddedBackend) -> AsyncIterator[FeedClient]:
    async with FeedClient(sandbox.inspector_url, accesskey=sandbox.accesskey) as feed_client:
        yield feed_client


@pytest.fixture
async def http(sandbox: EmbeddedBackend) -> AsyncIterator[httpx.AsyncClient]:
    """A bare client on the backend's origin: no credentials unless a test adds them."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=15) as bare:
        yield bare


@pytest.fixture
async def rest(sandbox: EmbeddedBackend) -> AsyncIterator[httpx.AsyncClient]:
    """A bare client on the backend's origin that sends the access key cookie."""
    cookies = {"accesskey": sandbox.accesskey.get_secret_value()}
    async with httpx.AsyncClient(base_url=sandbox.base_url, cookies=cookies, timeout=15) as authenticated:
        yield authenticated


def hook_path(account_id: UUID | str) -> str:
    return f"/v1.0/conversation/accounts/{account_id}"


async def create_whatsapp_account(client: VoipbinClient, **fields: Any) -> tuple[Account, str]:
    """A WhatsApp account with fresh secrets; returns it and its app secret."""
    app_secret = secrets.token_hex(16)
    flows = await client.list_flows()
    draft = AccountDraft(
        type=AccountType.WHATSAPP,
        name=fields.pop("name", "Test WhatsApp"),
        token=fields.pop("token", "EAA" + secrets.token_urlsafe(60)),
        secret=fields.pop("verify_token", "verify-" + secrets.token_hex(4)),
        phone_number_id=fields.pop("phone_number_id", str(secrets.randbelow(9 * 10**14) + 10**14)),
        app_secret=app_secret,
        message_flow_id=flows[0].id,
        **fields,
    )
    return await client.create_account(draft), app_secret


async def create_line_account(client: VoipbinClient) -> tuple[Account, str]:
    """A LINE account; returns it and its channel secret."""
    channel_secret = secrets.token_hex(16)
    draft = AccountDraft(type=AccountType.LINE, name="Test LINE", secret=channel_secret, token=SEED_LINE_CHANNEL_TOKEN)
    return await client.create_account(draft), channel_secret


async def post_whatsapp(
    http: httpx.AsyncClient, account_id: UUID | str, body: bytes, app_secret: str | None
) -> httpx.Response:
    """POST ``body`` as Meta does, signed over exactly these bytes (unsigned without a secret)."""
    headers = {"Content-Type": "application/json"}
    if app_secret is not None:
        headers["X-Hub-Signature-256"] = sign_hub_signature(app_secret, body)
    return await http.post(hook_path(account_id), content=body, headers=headers)


async def post_line(
    http: httpx.AsyncClient, account_id: UUID | str, body: bytes, channel_secret: str | None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if channel_secret is not None:
        headers["x-line-signature"] = sign_line_signature(channel_secret, body)
    return await http.post(hook_path(account_id), content=body, headers=headers)


async def latest_seq(feed: FeedClient) -> int:
    """The feed cursor now: everything captured so far is at or before it."""
    cursor = 0
    while batch := (await feed.poll(cursor, limit=1000)).requests:
        cursor = batch[-1].seq
    return cursor


async def captured_since(
    feed: FeedClient, cursor: int, *, account_id: UUID | str | None = None
) -> list[CapturedRequest]:
    return (await feed.poll(cursor, limit=1000, account_id=account_id)).requests
