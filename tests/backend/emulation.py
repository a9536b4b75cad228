"""Helpers for the emulated providers' tests: a seeded backend of one's own, the Graph and LINE
bases on it, and the proofs and app tokens Meta's callers make."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from voipbin_tui.api import VoipbinClient
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend

GRAPH_VERSION = "v26.0"
SYSTEM_TOKEN = seed.SEED_META_ACCESS_TOKEN
APP_TOKEN = f"{seed.SEED_META_APP_ID}|{seed.SEED_META_APP_SECRET}"
BEARER = {"Authorization": f"Bearer {SYSTEM_TOKEN}"}


def graph_base(backend: EmbeddedBackend) -> str:
    return f"{backend.base_url}/emulated/graph"


def line_base(backend: EmbeddedBackend) -> str:
    return f"{backend.base_url}/emulated/line"


def proof(
    token: str = SYSTEM_TOKEN, secret: str = seed.SEED_META_APP_SECRET, when: int | None = None
) -> dict[str, str]:
    """``appsecret_proof`` (timed when ``when`` is given) as query parameters."""
    if when is None:
        return {"appsecret_proof": hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()}
    message = f"{token}|{when}".encode()
    return {
        "appsecret_proof": hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(),
        "appsecret_time": str(when),
    }


def timed_proof(**kwargs: Any) -> dict[str, str]:
    return proof(when=int(time.time()), **kwargs)


@asynccontextmanager
async def seeded(start: Callable[..., EmbeddedBackend], **settings: Any) -> AsyncIterator[Emulation]:
    """A fresh seeded backend with a graph client, a LINE client and its control API."""
    backend = start(seed=True, **settings)
    async with (
        httpx.AsyncClient(base_url=f"{graph_base(backend)}/{GRAPH_VERSION}", timeout=15) as graph,
        httpx.AsyncClient(base_url=line_base(backend), timeout=15) as line,
        VoipbinClient(backend.api_url, accesskey=backend.accesskey) as client,
    ):
        yield Emulation(backend, graph, line, client)


class Emulation:
    def __init__(
        self, backend: EmbeddedBackend, graph: httpx.AsyncClient, line: httpx.AsyncClient, client: VoipbinClient
    ) -> None:
        self.backend = backend
        self.graph = graph
        self.line = line
        self.client = client
        self.providers = SandboxProviders(client)

    async def seeded_account(self, account_type: str) -> Any:
        return next(account for account in await self.client.list_accounts() if account.type == account_type)

    def hook_url(self, account_id: object) -> str:
        return f"{self.backend.hook_url}/conversation/accounts/{account_id}"

    async def captures(self, account_id: object) -> list[CapturedRequest]:
        """Every request the account's hook received, whole (bodies and explanations)."""
        async with FeedClient(self.backend.inspector_url, accesskey=self.backend.accesskey) as feed:
            page = (await feed.poll(0, limit=1000, account_id=str(account_id))).requests
            return [await feed.get(captured.id) for captured in page]


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The Graph error envelope's inner object, without its random ``fbtrace_id``."""
    error = dict(response.json()["error"])
    assert error.pop("fbtrace_id")
    return error
