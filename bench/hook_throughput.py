"""Hook throughput: signed WhatsApp POSTs from concurrent keep-alive clients on loopback.

Runs the same load for a fixed time against the real backend (as ``voipbin-tui serve`` runs
it) and against a bare Starlette app on uvicorn that answers 200 without work, then prints
requests/s, p50/p99 latency, the ratio to the bare app, and how many acknowledged requests
are missing from the feed. Goals: >= 60% of the bare app, p99 < 50 ms at 50 clients, 0 lost.

    .venv/bin/python bench/hook_throughput.py [--seconds 10] [--clients 50]

The clients speak HTTP/1.1 over raw asyncio streams: a full HTTP client costs more CPU per
request than the servers measured, and would mostly measure itself.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from targets import BackendProcess, BareAppProcess

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.protocols import HookVerdict, build_text_message_payload, sign_hub_signature

ACCESSKEY = "bench-accesskey"
WARMUP_SECONDS = 1.0


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        return statistics.quantiles(self.latencies, n=1000)[int(fraction * 1000) - 1] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return int(status_line.split()[1])


async def _client(
    worker: int,
    base_url: str,
    account_id: str,
    app_secret: str,
    phone_number_id: str,
    start: float,
    end: float,
    result: LoadResult,
) -> None:
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    path = f"/v1.0/conversation/accounts/{account_id}"
    sequence = 0
    try:
        while (now := time.perf_counter()) < end:
            sequence += 1
            wamid = f"wamid.bench-{worker}-{sequence}"
            body = build_text_message_payload(
                phone_number_id=phone_number_id, text=f"load {sequence}", wamid=wamid, timestamp=1750000000
            )
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                f"X-Hub-Signature-256: {sign_hub_signature(app_secret, body)}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode("ascii")
            writer.write(head + body)
            status = await _read_response(reader)
            done = time.perf_counter()
            if status != 200:
                result.errors += 1
                continue
            if now >= start:
                result.latencies.append(done - now)
            result.acknowledged.append(wamid)
    finally:
        writer.close()


async def run_load(base_url: str, clients: int, seconds: float, account: tuple[str, str, str]) -> LoadResult:
    result = LoadResult(seconds=seconds)
    start = time.perf_counter() + WARMUP_SECONDS
    end = start + seconds
    await asyncio.gather(*(_client(n, base_url, *account, start, end, result) for n in range(clients)))
    return result


async def whatsapp_account(api_url: str) -> tuple[str, str, str]:
    async with VoipbinClient(api_url, accesskey=ACCESSKEY) as client:
        account = next(a for a in await client.list_accounts() if a.type == "whatsapp")
    assert account.app_secret is not None
    return str(account.id), account.app_secret.get_secret_value(), account.phone_number_id


async def missing_from_feed(inspector_url: str, acknowledged: list[str]) -> int:
    """How many acknowledged POSTs the feed does not hold as taken (verdict ok)."""
    taken: set[str] = set()
    async with FeedClient(inspector_url, accesskey=ACCESSKEY) as feed:
        cursor = 0
        while batch := (await feed.poll(cursor, limit=1000)).requests:
            taken.update(r.summary.wamid for r in batch if r.verdict == HookVerdict.OK and r.summary.wamid)
            cursor = batch[-1].seq
    return len(set(acknowledged) - taken)


def report(name: str, result: LoadResult) -> None:
    print(
        f"{name:<22} {result.rate:8.0f} req/s   p50 {result.percentile(0.50):6.2f} ms   "
        f"p99 {result.percentile(0.99):6.2f} ms   non-200: {result.errors}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    options = parser.parse_args()

    with BareAppProcess() as bare:
        account = ("00000000-0000-4000-8000-000000000001", "0" * 32, "106540352242922")
        baseline = await run_load(bare.base_url, options.clients, options.seconds, account)
    with tempfile.TemporaryDirectory() as data_dir, BackendProcess(Path(data_dir), ACCESSKEY) as backend:
        account = await whatsapp_account(f"{backend.base_url}/v1.0")
        measured = await run_load(backend.base_url, options.clients, options.seconds, account)
        lost = await missing_from_feed(f"{backend.base_url}/inspector/v1", measured.acknowledged)

    print(f"{options.clients} clients, {options.seconds:.0f} s each, signed WhatsApp text POSTs on loopback")
    report("bare Starlette app", baseline)
    report("voipbin-tui backend", measured)
    ratio = measured.rate / baseline.rate
    print(f"ratio to the bare app: {ratio:.0%} (goal >= 60%)")
    print(f"p99: {measured.percentile(0.99):.1f} ms (goal < 50 ms)")
    print(f"acknowledged: {len(measured.acknowledged)}, missing from the feed: {lost} (goal 0)")


if __name__ == "__main__":
    asyncio.run(main())
