"""The feed client takes the REST client's request path (``ApiSession``): one place for the user
agent, request ids, timeouts and error mapping; only its key and its no-retry rule differ."""

from __future__ import annotations

import ast
import inspect
from uuid import uuid4

import httpx
import pytest

from voipbin_tui.api import feed as feed_module
from voipbin_tui.api.client import DEFAULT_TIMEOUT, ApiSession, VoipbinClient
from voipbin_tui.api.errors import ConnectionFailed, ServerError, UnexpectedResponse
from voipbin_tui.api.feed import MAX_WAIT_SECONDS, FeedClient

INSPECTOR = "http://relay.example/inspector/v1"


def test_the_feed_module_builds_no_http_client_of_its_own() -> None:
    tree = ast.parse(inspect.getsource(feed_module))
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "httpx.AsyncClient" not in calls
    assert isinstance(FeedClient(INSPECTOR).session, ApiSession)


async def test_the_feed_and_the_rest_client_send_the_same_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/requests"):
            return httpx.Response(200, json={"result": [], "next": 0})
        return httpx.Response(200, json={"result": [], "next_page_token": ""})

    transport = httpx.MockTransport(answer)
    async with FeedClient(INSPECTOR, accesskey="feed-key", transport=transport) as feed:
        await feed.poll(0)
        await feed.poll(0, wait=5)
    async with VoipbinClient("http://api.example/v1.0", accesskey="api-key", transport=transport) as client:
        await client.list_flows()
    polled, long_poll, listed = seen
    for name in ("User-Agent", "Accept"):
        assert polled.headers[name] == listed.headers[name]
    assert polled.headers["X-Request-Id"].startswith("vt-") and listed.headers["X-Request-Id"].startswith("vt-")
    assert polled.headers["Cookie"] == "accesskey=feed-key"  # its own key, never the VoIPBIN one
    # the session's timeouts; a long poll waits its wait on top
    assert polled.extensions["timeout"]["read"] == DEFAULT_TIMEOUT.read
    assert long_poll.extensions["timeout"]["read"] > DEFAULT_TIMEOUT.read + 5
    assert long_poll.extensions["timeout"]["read"] < DEFAULT_TIMEOUT.read + MAX_WAIT_SECONDS


async def test_feed_failures_are_the_clients_typed_errors_naming_the_feed_path() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/requests"):
            return httpx.Response(503, headers={"X-Request-Id": "req_busy"})
        return httpx.Response(200, text="<html>a login page</html>")

    async with FeedClient(INSPECTOR, transport=httpx.MockTransport(answer)) as feed:
        with pytest.raises(ServerError) as unavailable:
            await feed.poll(0)
        with pytest.raises(UnexpectedResponse, match="/inspector/v1/requests/.*the feed did not answer JSON"):
            await feed.get(uuid4())
    assert calls[0] == "/inspector/v1/requests" and len(calls) == 2  # no retry: the poller backs off
    assert (unavailable.value.path, unavailable.value.request_id) == ("/inspector/v1/requests", "req_busy")


async def test_an_unreachable_feed_is_described_as_the_client_describes_its_server() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with FeedClient(INSPECTOR, transport=httpx.MockTransport(refuse)) as feed:
        with pytest.raises(ConnectionFailed) as caught:
            await feed.poll(0)
    assert "relay.example" in str(caught.value) and caught.value.path == "/inspector/v1/requests"
