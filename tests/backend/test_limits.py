"""Hostile senders over real loopback: bodies too large or too many at once, requests that
never finish arriving, more connections than the backend keeps open."""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.backend.conftest import (
    ACCESSKEY,
    captured_since,
    create_whatsapp_account,
    hook_path,
    latest_seq,
)
from tests.hostile_text import HOSTILE, assert_terminal_safe
from voipbin_tui.api import VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.backend.connections import KEEP_ALIVE_SECONDS, ConnectionLimits, bounded_log_config
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.protocols import HookVerdict, build_text_message_payload, sign_hub_signature

MB = 1024 * 1024
HEAD_TIMEOUT = 5.0  # how long a test waits for an answer that should come at once


async def _send_head(port: int, head: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode("ascii"))
    await writer.drain()
    return reader, writer


def _post_head(path: str, length: int, *extra: str) -> str:
    headers = "".join(f"{line}\r\n" for line in extra)
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n{headers}\r\n"


async def _small_post_status(port: int, path: str) -> int:
    """The status a two-byte POST gets: what a legitimate sender meets while the server is under attack."""
    reader, writer = await _send_head(port, _post_head(path, 2))
    writer.write(b"{}")
    try:
        return await _status(reader)
    finally:
        writer.close()


async def _status(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), HEAD_TIMEOUT)
    return int(line.split()[1])


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server ends the connection within ``seconds`` (reading whatever it sends)."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


# -- item 2: bodies ------------------------------------------------------------------------


async def test_a_declared_oversize_login_is_refused_before_its_body_is_sent(sandbox: EmbeddedBackend) -> None:
    reader, writer = await _send_head(sandbox.port, _post_head("/auth/login", 400 * MB))
    try:
        assert await _status(reader) == 413  # no byte of the body was sent: nothing was waited for
    finally:
        writer.close()


async def test_a_streamed_api_body_is_refused_once_it_passes_the_limit(sandbox: EmbeddedBackend) -> None:
    reader, writer = await _send_head(
        sandbox.port, "POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    try:
        chunk = b"x" * (64 * 1024)
        for _ in range(5):  # 320 KiB, over the REST limit, and the final chunk never comes
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        assert await _status(reader) == 413
    finally:
        writer.close()


async def test_the_hook_records_a_declared_oversize_without_reading_it(
    sandbox: EmbeddedBackend, client: VoipbinClient, feed: FeedClient
) -> None:
    account, _ = await create_whatsapp_account(client)
    cursor = await latest_seq(feed)
    reader, writer = await _send_head(sandbox.port, _post_head(hook_path(account.id), 400 * MB))
    try:
        assert await _status(reader) == 413
    finally:
        writer.close()
    (capture,) = await captured_since(feed, cursor, account_id=account.id)
    assert (capture.verdict, capture.body_size, capture.body_complete) == (HookVerdict.TOO_LARGE, 400 * MB, False)


async def test_a_head_over_the_bound_is_refused_even_when_it_comes_in_one_read(sandbox: EmbeddedBackend) -> None:
    flood = tuple(f"X-Filler-{n}: {'a' * 30}" for n in range(1000))  # ~45 KiB, sent in one write
    for path in (hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11"), "/auth/login"):
        reader, writer = await _send_head(sandbox.port, _post_head(path, 0, *flood))
        try:
            assert await _status(reader) == 431
        finally:
            writer.close()
    reader, writer = await _send_head(sandbox.port, _post_head(hook_path("x"), 0, *flood[:200]))  # ~9 KiB
    try:
        assert await _status(reader) == 200
    finally:
        writer.close()


async def test_bodies_in_flight_share_one_bound(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend(max_bodies_in_flight=100_000)
    path = hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11")
    first_reader, first = await _send_head(backend.port, _post_head(path, 80_000))
    first.write(b"x" * 79_999)  # all but its last byte: the bytes it holds
    await first.drain()
    try:
        await asyncio.sleep(0.2)
        second_reader, second = await _send_head(backend.port, _post_head(path, 80_000))
        try:
            assert await _status(second_reader) == 503
        finally:
            second.close()
        first.write(b"x")  # once the first is in, the budget is free again
        assert await _status(first_reader) == 200
        third_reader, third = await _send_head(backend.port, _post_head(path, 10))
        third.write(b"x" * 10)
        try:
            assert await _status(third_reader) == 200
        finally:
            third.close()
    finally:
        first.close()


async def test_hook_bodies_and_rest_bodies_share_the_one_bound(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    """The hook's POSTs are served ahead of the REST API's stack, on the same budget."""
    backend = fresh_backend(max_bodies_in_flight=100_000)
    first_reader, first = await _send_head(
        backend.port, _post_head(hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11"), 80_000)
    )
    first.write(b"x" * 79_999)
    await first.drain()
    try:
        await asyncio.sleep(0.2)
        rest_reader, rest = await _send_head(backend.port, _post_head("/v1.0/conversation_accounts", 30_000))
        try:
            assert await _status(rest_reader) == 503
        finally:
            rest.close()
        first.write(b"x")
        assert await _status(first_reader) == 200
    finally:
        first.close()


async def test_bodies_declared_but_not_sent_hold_none_of_the_bound(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(max_body_bytes=60_000, max_bodies_in_flight=100_000)
    path = hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11")
    idle = [(await _send_head(backend.port, _post_head(path, size)))[1] for size in (60_000, 40_000)]
    try:
        await asyncio.sleep(0.2)  # both heads in: their declarations add up to the whole bound
        assert await _small_post_status(backend.port, path) == 200
    finally:
        for connection in idle:
            connection.close()


async def test_a_content_length_beside_chunked_framing_is_not_taken_for_the_body_s_size(
    sandbox: EmbeddedBackend, feed: FeedClient
) -> None:
    # h11 frames such a body by its chunks: the hook reads those, not the 400 MB declared
    cursor = await latest_seq(feed)
    head = _post_head(hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11"), 400 * MB, "Transfer-Encoding: chunked")
    reader, writer = await _send_head(sandbox.port, head)
    writer.write(b"2\r\n{}\r\n0\r\n\r\n")
    try:
        assert await _status(reader) == 200
    finally:
        writer.close()
    (capture,) = await captured_since(feed, cursor)
    assert (capture.verdict, capture.body_size, capture.body_complete) == (HookVerdict.UNKNOWN_ACCOUNT, 2, True)


# -- item 3: slow senders and many connections -------------------------------------------------


@pytest.fixture
def strict(fresh_backend: Callable[..., EmbeddedBackend]) -> EmbeddedBackend:
    return fresh_backend(
        seed=True, connections=ConnectionLimits(max_connections=20, header_timeout=0.5, body_timeout=0.5)
    )


async def test_a_request_whose_headers_do_not_arrive_in_time_is_dropped(strict: EmbeddedBackend) -> None:
    reader, writer = await _send_head(strict.port, "POST /v1.0/conversation/accounts/x HTTP/1.1\r\nHost: a")
    try:
        assert await _closed_within(reader, 3.0)
    finally:
        writer.close()


@pytest.mark.slow
async def test_a_body_that_does_not_arrive_in_time_is_dropped_unrecorded(strict: EmbeddedBackend) -> None:
    async with FeedClient(strict.inspector_url, accesskey=ACCESSKEY) as feed:
        cursor = await latest_seq(feed)
        for path in (hook_path("x"), "/inspector/v1/voipbin-events"):
            reader, writer = await _send_head(strict.port, _post_head(path, 100))
            try:
                for _ in range(3):  # a trickle keeps the connection busy, but not past the deadline
                    writer.write(b"x")
                    await asyncio.sleep(0.2)
                assert await _closed_within(reader, 3.0)
            finally:
                writer.close()
        await asyncio.sleep(0.2)
        assert await captured_since(feed, cursor) == []  # a crowd of them must not become a burst of writes


@pytest.mark.slow
async def test_a_keep_alive_request_trickled_a_byte_at_a_time_is_dropped(strict: EmbeddedBackend) -> None:
    reader, writer = await _send_head(strict.port, "GET /v1.0/customer HTTP/1.1\r\nHost: a\r\n\r\n")
    try:
        assert await _status(reader) == 401
        started = time.monotonic()
        for byte in b"GET /v1.0/cus":  # each byte well within keep-alive, all of them beyond the deadline
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)
        assert await _closed_within(reader, 1.0) and time.monotonic() - started < 2.5
    finally:
        writer.close()


SLOW_BATCH = 20
"""Slow connections opened at once. asyncio's accept loop takes every waiting connection in
one go, before the cap can displace any: a burst bigger than the descriptors the server keeps
spare, met while the server is starved of CPU, runs it out of them (EMFILE, and a second with
no accepts). The tests pace their crowds so they test the cap, not the scheduler."""


@asynccontextmanager
async def _slow_connections(port: int, count: int) -> AsyncIterator[None]:
    """``count`` connections that begin a request and never finish it, all taken by the server
    (a request after each batch is answered) before the body runs; closed after it."""
    slow: list[asyncio.StreamWriter] = []
    try:
        for opened in range(0, count, SLOW_BATCH):
            for _ in range(min(SLOW_BATCH, count - opened)):
                slow.append((await _send_head(port, "POST / HTTP/1.1\r\nHost: a"))[1])
            reader, writer = await _send_head(port, "GET /v1.0/customer HTTP/1.1\r\nHost: a\r\n\r\n")
            try:
                await _status(reader)  # accepted in order: every connection before it is taken
            finally:
                writer.close()
        yield
    finally:
        for writer in slow:
            writer.close()


async def _signed_post(port: int, account_id: object, app_secret: str) -> tuple[int, float]:
    """A signed WhatsApp message to the hook on its own connection: the status and the seconds
    it took to get it."""
    body = build_text_message_payload(phone_number_id="106540352242922", text="hi")
    started = time.monotonic()
    reader, writer = await _send_head(
        port,
        _post_head(
            hook_path(account_id),
            len(body),
            "Content-Type: application/json",
            f"X-Hub-Signature-256: {sign_hub_signature(app_secret, body)}",
        ),
    )
    writer.write(body)
    try:
        return await _status(reader), time.monotonic() - started
    finally:
        writer.close()


async def test_a_signed_post_is_answered_with_more_slow_connections_than_the_cap(strict: EmbeddedBackend) -> None:
    async with VoipbinClient(strict.api_url, accesskey=ACCESSKEY) as client:
        account, app_secret = await create_whatsapp_account(client)
    async with _slow_connections(strict.port, 60):
        status, seconds = await _signed_post(strict.port, account.id, app_secret)
    assert status == 200
    assert seconds < 1.0
    async with FeedClient(strict.inspector_url, accesskey=ACCESSKEY) as feed:
        verdicts = [r.verdict for r in (await feed.poll(0, limit=1000, account_id=account.id)).requests]
    assert verdicts == [HookVerdict.OK]


async def test_a_flood_of_new_connections_does_not_displace_a_body_on_its_way(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(connections=ConnectionLimits(max_connections=4))
    reader, writer = await _send_head(backend.port, _post_head(hook_path("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11"), 2))
    flood: list[asyncio.StreamWriter] = []
    try:
        await asyncio.sleep(0.2)  # its headers are in; its body is crossing a slow network
        for _ in range(12):  # three times the cap: each one displaces a waiting connection
            flood.append((await asyncio.open_connection("127.0.0.1", backend.port))[1])
        await asyncio.sleep(0.2)
        writer.write(b"{}")
        assert await _status(reader) == 200
    finally:
        writer.close()
        for connection in flood:
            connection.close()


def _pin_with_unread_answers(port: int, seconds: float = 1.0) -> tuple[socket.socket, bool]:
    """A connection that pipelines requests with long (echoed) paths for ``seconds`` (or until
    the server drops it) and never reads the answers: they fill its buffers, and the server's
    writes stall. Also says whether the server reset it meanwhile."""
    pinned = socket.socket()
    pinned.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    pinned.connect(("127.0.0.1", port))
    pinned.setblocking(False)
    request = f"GET /{'a' * 8000} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pinned.send(request)
        except BlockingIOError:
            time.sleep(0.01)
        except ConnectionResetError:
            return pinned, True
    return pinned, False


@pytest.mark.slow
async def test_connections_whose_senders_never_read_their_answers_are_displaced_first(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(connections=ConnectionLimits(max_connections=2))
    pinned = [(await asyncio.to_thread(_pin_with_unread_answers, backend.port))[0] for _ in range(2)]
    try:
        assert await _small_post_status(backend.port, hook_path("x")) == 200
    finally:
        for connection in pinned:
            connection.close()


@pytest.mark.slow
async def test_a_connection_whose_sender_never_reads_its_answers_is_dropped_after_the_send_deadline(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(connections=ConnectionLimits(send_timeout=0.5))
    pinned, reset = await asyncio.to_thread(_pin_with_unread_answers, backend.port)
    try:
        await asyncio.sleep(1.5)  # its answers still unread: the server resets the connection
        assert reset or pinned.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET
    finally:
        pinned.close()


def _serve(data_dir: Path, stderr: IO[bytes], *, descriptors: int) -> tuple[subprocess.Popen[str], int]:
    """``voipbin-tui serve`` on a free port, with at most ``descriptors`` open files."""

    def limit_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    command = [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*command, "--accesskey", ACCESSKEY],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        preexec_fn=limit_descriptors,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
            return process, int(match.group(1))
    raise AssertionError(f"serve exited with {process.wait()} before listening")


@pytest.mark.slow
async def test_serve_answers_a_signed_post_past_its_descriptor_limit_and_logs_little(tmp_path: Path) -> None:
    """More slow connections than the process has file descriptors: the cap keeps it below
    the limit, so a signed POST still gets in, and nothing floods stderr."""
    with (tmp_path / "stderr").open("w+b") as stderr:
        process, port = _serve(tmp_path / "data", stderr, descriptors=128)
        try:
            async with VoipbinClient(f"http://127.0.0.1:{port}/v1.0", accesskey=ACCESSKEY) as client:
                account, app_secret = await create_whatsapp_account(client)
            async with _slow_connections(port, 150):
                status, seconds = await _signed_post(port, account.id, app_secret)
            assert status == 200
            assert seconds < 1.0
        finally:
            process.terminate()
            process.wait(timeout=10)
        assert stderr.tell() < 10_000, stderr.seek(0) or stderr.read()[:2000]


# -- item 8: requests a web page makes a browser send --------------------------------------------


@pytest.mark.parametrize(
    ("browser_header", "refused"),
    [
        ({"Origin": "https://evil.example"}, True),
        ({"Origin": "null"}, True),
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "none"}, False),  # typed in the address bar: no page behind it
    ],
)
@pytest.mark.slow
async def test_hook_requests_carrying_browser_only_headers_are_refused_and_recorded(
    http: httpx.AsyncClient,
    client: VoipbinClient,
    feed: FeedClient,
    browser_header: dict[str, str],
    refused: bool,
) -> None:
    account, app_secret = await create_whatsapp_account(client)
    body = build_text_message_payload(phone_number_id="106540352242922", text="from a page")
    cursor = await latest_seq(feed)
    headers = {"X-Hub-Signature-256": sign_hub_signature(app_secret, body), **browser_header}
    response = await http.post(hook_path(account.id), content=body, headers=headers)
    (capture,) = await captured_since(feed, cursor, account_id=account.id)
    if refused:
        assert (response.status_code, capture.verdict, capture.status) == (403, HookVerdict.CROSS_SITE, 403)
    else:
        assert (response.status_code, capture.verdict) == (200, HookVerdict.OK)


async def test_the_events_receiver_refuses_a_browser_too(http: httpx.AsyncClient, feed: FeedClient) -> None:
    cursor = await latest_seq(feed)
    response = await http.post("/inspector/v1/voipbin-events", content=b"{}", headers={"Origin": "https://x.example"})
    assert response.status_code == 403
    assert [c.verdict for c in await captured_since(feed, cursor)][-1] == HookVerdict.CROSS_SITE


# -- item 4: the disk -------------------------------------------------------------------------


@pytest.mark.slow
async def test_captures_are_bounded_by_bytes_and_the_feed_says_what_was_dropped(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(seed=True, max_capture_bytes=300_000)
    async with VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client:
        account, _ = await create_whatsapp_account(client)
    async with httpx.AsyncClient(base_url=backend.base_url) as http:
        for number in range(40):  # 2 MB in all, stored whole (the account exists)
            await http.post(hook_path(account.id), content=b"%03d" % number + b" " * 50_000)
    async with FeedClient(backend.inspector_url, accesskey=ACCESSKEY) as feed:
        batch = await feed.poll(0, limit=1000)
        kept = [await feed.get(request.id) for request in batch.requests]
    assert sum(len(request.body or b"") for request in kept) <= 300_000
    assert len(kept) >= 4 and (kept[-1].body or b"").startswith(b"039")  # the newest stay
    assert batch.oldest == kept[0].seq > 1  # the feed tells a reader what retention dropped


async def test_a_body_sent_to_a_made_up_account_keeps_its_first_64_kib_and_its_length(
    http: httpx.AsyncClient, feed: FeedClient
) -> None:
    cursor = await latest_seq(feed)
    for account_ref in ("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11", "made-up"):
        assert (await http.post(hook_path(account_ref), content=b"x" * (2 * MB))).status_code == 200
    captures = [await feed.get(request.id) for request in await captured_since(feed, cursor)]
    assert [(c.verdict, c.body_size, len(c.body or b""), c.body_complete) for c in captures] == [
        (HookVerdict.UNKNOWN_ACCOUNT, 2 * MB, 64 * 1024, False)
    ] * 2


def test_the_server_log_lets_each_message_through_a_few_times_a_minute() -> None:
    import logging

    from voipbin_tui.backend.connections import RepeatLimiter

    now = [0.0]
    limiter = RepeatLimiter(burst=5, period=60.0, clock=lambda: now[0])

    def passes(message: str) -> bool:
        return limiter.filter(logging.LogRecord("uvicorn.error", logging.WARNING, "", 0, message, None, None))

    assert sum(passes("Invalid HTTP request received.") for _ in range(10_000)) == 5
    assert passes("another message")
    now[0] = 61.0
    record = logging.LogRecord("uvicorn.error", logging.WARNING, "", 0, "Invalid HTTP request received.", None, None)
    assert limiter.filter(record) and "9995 more like it" in record.getMessage()


def test_the_server_log_shows_what_a_sender_chose_escaped() -> None:
    config = bounded_log_config()
    assert all(handler["filters"][-1] == "terminal_safe" for handler in config["handlers"].values())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name in ("repeats", "terminal_safe"):
        handler.addFilter(config["filters"][name]["()"]())
    logger = logging.getLogger("voipbin_tui.tests.server_log")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        raise ValueError(f"bad body from {HOSTILE}")
    except ValueError:
        logger.exception("failed to process %s %s; recording it unprocessed", "POST", f"/v1.0/x/{HOSTILE}")
    finally:
        logger.removeHandler(handler)
    assert "failed to process POST /v1.0/x/\\x1b]0;PWNED\\x07" in stream.getvalue()
    assert_terminal_safe(stream.getvalue())


def test_idle_connections_outlive_the_clients_idle_expiry() -> None:
    """A server that drops an idle connection when the client may just be reusing it loses that
    request (a ReadError; a PUT is not retried): the clients must always give up first."""
    assert KEEP_ALIVE_SECONDS >= httpx.Limits().keepalive_expiry + 3
