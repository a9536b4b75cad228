"""The client's one request path reads answers within bounds: size, time, and retry waits."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
import respx

from voipbin_tui.api import ConnectionFailed, RateLimited, VoipbinClient
from voipbin_tui.api import client as client_module
from voipbin_tui.api.errors import UnexpectedResponse

API = "https://api.example.test/v1.0"
FLOWS = {"result": [{"id": "00000000-0000-4000-8000-00000000f10a", "name": "Support bot"}], "next_page_token": ""}


class Pulled(httpx.AsyncByteStream):
    """A streamed answer body that counts how much of it was read."""

    def __init__(self, chunk: bytes, chunks: int, *, pause: float = 0.0) -> None:
        self.chunk, self.chunks, self.pause, self.sent = chunk, chunks, pause, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            if self.pause:
                await asyncio.sleep(self.pause)
            self.sent += len(self.chunk)
            yield self.chunk


def client_for(handler, **options) -> VoipbinClient:
    return VoipbinClient(API, accesskey="key", transport=httpx.MockTransport(handler), **options)


async def test_an_endless_answer_is_cut_at_the_limit_and_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 64 * 1024)
    body = Pulled(b"x" * 4096, chunks=100_000)  # 400 MB if read to the end
    async with client_for(lambda request: httpx.Response(200, stream=body)) as client:
        with pytest.raises(UnexpectedResponse, match="answered more than"):
            await client.list_flows()
    assert body.sent <= 64 * 1024 + 4096  # one chunk past the limit, no further


async def test_a_declared_huge_answer_is_not_read_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 64 * 1024)
    body = Pulled(b"x" * 4096, chunks=100)
    answer = lambda request: httpx.Response(200, headers={"Content-Length": str(10**9)}, stream=body)  # noqa: E731
    async with client_for(answer) as client:
        with pytest.raises(UnexpectedResponse, match="answered more than"):
            await client.list_flows()
    assert body.sent == 0


async def test_a_trickling_answer_ends_at_the_call_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "CALL_DEADLINE_SLACK", 0.3)
    body = Pulled(b" ", chunks=10_000, pause=0.05)  # each byte well within the read timeout
    started = asyncio.get_running_loop().time()
    async with client_for(lambda request: httpx.Response(200, stream=body), timeout=0.2) as client:
        with pytest.raises(ConnectionFailed, match="did not finish answering within"):
            await client.list_flows()
    assert asyncio.get_running_loop().time() - started < 2


async def test_a_compressed_answer_still_reads_as_json() -> None:
    packed = gzip.compress(json.dumps(FLOWS).encode())
    answer = lambda request: httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=packed)  # noqa: E731
    async with client_for(answer) as client:
        assert [flow.name for flow in await client.list_flows()] == ["Support bot"]


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@respx.mock
async def test_retry_waits_stop_at_the_budget_and_say_when_to_try_again() -> None:
    respx.get(f"{API}/flows").mock(return_value=httpx.Response(429, headers={"Retry-After": "8"}))
    sleeps = Sleeps()
    async with VoipbinClient(API, accesskey="key", sleep=sleeps) as client:
        with pytest.raises(RateLimited) as caught:
            await client.list_flows()
    assert sleeps == [8.0, 8.0]  # a third wait would pass 20 s in all
    assert caught.value.retry_after == 8.0


@respx.mock
async def test_a_retry_after_over_ten_seconds_is_not_waited_out() -> None:
    route = respx.get(f"{API}/flows").mock(return_value=httpx.Response(429, headers={"Retry-After": "30"}))
    sleeps = Sleeps()
    async with VoipbinClient(API, accesskey="key", sleep=sleeps) as client:
        with pytest.raises(RateLimited) as caught:
            await client.list_flows()
    assert sleeps == [] and route.call_count == 1
    assert caught.value.retry_after == 30.0


async def test_timeouts_are_retried_only_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each attempt here takes 15 s (its read timeout) before failing: a second try fits in 20 s,
    a third would not, so the call fails after about 30 s instead of four attempts' minute."""
    now = [1000.0]
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
    calls = []

    def times_out(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        now[0] += 15.0
        raise httpx.ReadTimeout("no answer", request=request)

    sleeps = Sleeps()
    async with client_for(times_out, sleep=sleeps) as client:
        with pytest.raises(ConnectionFailed, match="did not answer in time"):
            await client.list_flows()
    assert len(calls) == 2 and sleeps == [0.5]
