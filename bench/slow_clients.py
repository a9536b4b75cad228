"""Slow clients: a signed POST while 1,000 connections hold the hook with unfinished requests.

Starts ``voipbin-tui serve`` (default limits) in its own process, opens N connections that
never finish their request (half stop in the headers, half in the body, and each one dropped
by the server is opened again at once), and meanwhile sends a signed WhatsApp POST every half
second on a fresh connection. Prints how fast those POSTs were answered and how much the
server wrote to stderr. Goals: every signed POST answered within 1 s, stderr grows < 1 MB.

    .venv/bin/python bench/slow_clients.py [--connections 1000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.protocols import build_text_message_payload, sign_hub_signature

ACCESSKEY = "bench-accesskey"
APP_SECRET = "0123456789abcdef0123456789abcdef"
HEAD = "POST /v1.0/conversation/accounts/{account} HTTP/1.1\r\nHost: bench\r\n"


class SlowCrowd:
    """``size`` connections kept open with unfinished requests, reopened when dropped; in a
    process of its own, so that reopening them never delays the measuring."""

    def __init__(self, port: int, account: str, size: int) -> None:
        self._open = multiprocessing.Value("i", 0)
        self._dropped = multiprocessing.Value("i", 0)
        self._process = multiprocessing.Process(
            target=_crowd, args=(port, account, size, self._open, self._dropped), daemon=True
        )
        self._size = size

    @property
    def open(self) -> int:
        return self._open.value

    @property
    def dropped(self) -> int:
        return self._dropped.value

    async def start(self) -> None:
        self._process.start()
        while self.open < self._size:
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()


def _crowd(port: int, account: str, size: int, open_count: Any, dropped: Any) -> None:
    async def hold(number: int) -> None:
        head = HEAD.format(account=account)
        unfinished = head + "X-Slow: " if number % 2 else head + "Content-Length: 1000\r\n\r\n{"
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            open_count.value += 1
            try:
                writer.write(unfinished.encode())
                await reader.read()  # until the server drops it
            except OSError:
                pass
            finally:
                open_count.value -= 1
                dropped.value += 1
                writer.close()

    async def all_of_them() -> None:
        await asyncio.gather(*(hold(number) for number in range(size)))

    _raise_descriptor_limit()
    asyncio.run(all_of_them())


def _raise_descriptor_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a descriptor per client


async def signed_post(port: int, account: str, body: bytes) -> float:
    """Seconds until the status line of a signed POST on a new connection (inf if refused)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = HEAD.format(account=account) + (
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {sign_hub_signature(APP_SECRET, body)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    try:
        status = (await asyncio.wait_for(reader.readline(), 10)).split()[1]
    except (TimeoutError, IndexError):
        return float("inf")
    finally:
        writer.close()
    return time.perf_counter() - started if status == b"200" else float("inf")


def start_server(data_dir: Path, stderr_path: Path) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*command, "--accesskey", ACCESSKEY], stdout=subprocess.PIPE, stderr=stderr_path.open("wb"), text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
            return process, int(match.group(1))
    raise RuntimeError(f"serve exited with {process.wait()} before listening")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    _raise_descriptor_limit()
    with tempfile.TemporaryDirectory() as scratch:
        stderr_path = Path(scratch) / "stderr"
        process, port = start_server(Path(scratch) / "data", stderr_path)
        try:
            async with VoipbinClient(f"http://127.0.0.1:{port}/v1.0", accesskey=ACCESSKEY) as client:
                draft = AccountDraft(
                    type=AccountType.WHATSAPP,
                    name="bench",
                    token="EAA" + "x" * 60,
                    secret="verify",
                    phone_number_id="106540352242922",
                    app_secret=APP_SECRET,
                )
                account = str((await client.create_account(draft)).id)
            body = build_text_message_payload(phone_number_id="106540352242922", text="through the crowd")
            alone = [await signed_post(port, account, body) for _ in range(5)]
            crowd = SlowCrowd(port, account, args.connections)
            await crowd.start()
            stderr_before = stderr_path.stat().st_size
            latencies: list[float] = []
            held: list[int] = []
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                held.append(crowd.open)
                latencies.append(await signed_post(port, account, body))
                await asyncio.sleep(0.5)
            crowd.stop()
            grew = stderr_path.stat().st_size - stderr_before
        finally:
            process.terminate()
            process.wait(10)
    answered = [latency for latency in latencies if latency != float("inf")]
    print(
        f"{args.connections} slow connections for {args.seconds:.0f} s "
        f"(median open: {statistics.median(held):.0f}, dropped by the server and reopened: {crowd.dropped})"
    )
    print(f"signed POST alone:          p50 {statistics.median(alone) * 1000:7.1f} ms")
    print(
        f"signed POST in the crowd:   p50 {statistics.median(latencies) * 1000:7.1f} ms   "
        f"max {max(latencies) * 1000:7.1f} ms   answered {len(answered)}/{len(latencies)} (goal: all, < 1000 ms)"
    )
    print(f"stderr grew by {grew} bytes (goal < 1 MB)")


if __name__ == "__main__":
    asyncio.run(main())
