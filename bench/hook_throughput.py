"""Hook throughput: signed WhatsApp POSTs from concurrent keep-alive clients on loopback.

Runs the same load for a fixed time against the real backend (as ``voipbin-tui serve`` runs
it) and against a bare ASGI app (no framework) that answers 200, served by the same server
(the backend's uvicorn with its guarded h11 protocol), in interleaved rounds, then prints
requests/s, p50/p99 latency, the server's CPU time per request, the ratio to the bare app, and
how many acknowledged requests are missing from the feed. Goals: >= 60% of the bare app, p99 <
50 ms at 50 clients, 0 lost. The CPU per request is the steadier figure on a busy machine: the
throughput of a CPU-bound server is its inverse.

    .venv/bin/python bench/hook_throughput.py [--seconds 10] [--clients 50] [--rounds 3]
        [--stack backend] [--starlette] [--judging-first] [--kill]

``--stack`` serves the bare app on another server stack (see ``targets.STACKS``);
``--starlette`` adds a bare Starlette app (the baseline of earlier versions of this bench);
``--judging-first`` adds the backend judging each request in the serving process before its
answer (as the embedded backend does, and ``serve`` did before it judged behind the answer).
The CPU per request is given for the serving process and for all the server's processes (with
the judging worker): the bare app has one process.

The clients speak HTTP/1.1 over raw asyncio streams: a full HTTP client costs more CPU per
request than the servers measured, and would mostly measure itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

from targets import STACKS, BackendProcess, BareAppProcess, BareAsgiProcess, ServerProcess

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.protocols import HookVerdict, build_text_message_payload, sign_hub_signature

ACCESSKEY = "bench-accesskey"
WARMUP_SECONDS = 1.0
NO_ACCOUNT = ("00000000-0000-4000-8000-000000000001", "0" * 32, "106540352242922")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    errors: int = 0
    disconnected: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    """CPU seconds the server's processes spent while the load ran (warm-up included): the
    serving process and its children (the backend's judging worker)."""
    serving_cpu: float = 0.0
    """CPU seconds of the serving process alone (the one that answers)."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        return statistics.quantiles(self.latencies, n=1000)[int(fraction * 1000) - 1] * 1000

    @property
    def cpu_per_request(self) -> float:
        """The server's CPU microseconds per answered request, all its processes together."""
        return self.server_cpu / max(1, len(self.acknowledged)) * 1e6

    @property
    def serving_cpu_per_request(self) -> float:
        """The serving process's CPU microseconds per answered request."""
        return self.serving_cpu / max(1, len(self.acknowledged)) * 1e6


def process_cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User plus system CPU time of a process and (unless told not to) its children, such as
    a server's workers (Linux)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        process = int(stat.parent.name)
        parents[process] = int(fields[1])
        times[process] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    family = {pid}
    while children and (grown := {child for child, parent in parents.items() if parent in family} - family):
        family |= grown
    return sum(times.get(member, 0.0) for member in family)


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
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
    tag: str,
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
            wamid = f"wamid.bench-{tag}-{worker}-{sequence}"
            body = build_text_message_payload(
                phone_number_id=phone_number_id, text=f"load {sequence}", wamid=wamid, timestamp=1750000000
            )
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                f"X-Hub-Signature-256: {sign_hub_signature(app_secret, body)}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode("ascii")
            writer.write(head + body)
            try:
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                result.disconnected += 1  # the server is gone (killed): this one was never answered
                return
            done = time.perf_counter()
            if status != 200:
                result.errors += 1
                continue
            if now >= start:
                result.latencies.append(done - now)
            result.acknowledged.append(wamid)
    finally:
        writer.close()


async def run_load(
    server: ServerProcess,
    clients: int,
    seconds: float,
    account: tuple[str, str, str] = NO_ACCOUNT,
    *,
    kill_after: float | None = None,
) -> LoadResult:
    """``clients`` keep-alive clients posting for ``seconds`` (after a warm-up); with
    ``kill_after``, the server is SIGKILLed that many seconds into the measured time."""
    result = LoadResult(seconds=seconds)
    start = time.perf_counter() + WARMUP_SECONDS
    end = start + seconds
    if kill_after is not None:
        asyncio.get_running_loop().call_later(WARMUP_SECONDS + kill_after, server.kill)
        await asyncio.gather(
            *(_client(n, uuid4().hex[:8], server.base_url, *account, start, end, result) for n in range(clients))
        )
        return result
    cpu_before = process_cpu_seconds(server.pid)
    serving_before = process_cpu_seconds(server.pid, children=False)
    tag = uuid4().hex[:8]  # wamids never repeat between loads: a repeat is judged a cheaper duplicate
    await asyncio.gather(*(_client(n, tag, server.base_url, *account, start, end, result) for n in range(clients)))
    result.serving_cpu = process_cpu_seconds(server.pid, children=False) - serving_before
    if isinstance(server, BackendProcess):
        await judged_to_the_end(server)  # the judging's CPU counts until it has caught up
    result.server_cpu = process_cpu_seconds(server.pid) - cpu_before
    return result


async def judged_to_the_end(backend: BackendProcess) -> None:
    """Wait until the backend has judged every request it answered: any request but a hook
    POST waits for that (at most a few seconds at a time)."""
    async with VoipbinClient(f"{backend.base_url}/v1.0", accesskey=ACCESSKEY) as client:
        while True:
            started = time.perf_counter()
            await client.list_flows()
            if time.perf_counter() - started < 1.0:
                return


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


def report(name: str, results: list[LoadResult]) -> None:
    """The median round's figures (by throughput), and the range over the rounds."""
    middle = sorted(results, key=lambda result: result.rate)[len(results) // 2]
    rates = f"{min(r.rate for r in results):.0f}-{max(r.rate for r in results):.0f}"
    cpu = statistics.median(r.cpu_per_request for r in results)
    serving = statistics.median(r.serving_cpu_per_request for r in results)
    print(
        f"{name:<30} {middle.rate:7.0f} req/s ({rates})  p50 {middle.percentile(0.50):6.1f} ms  "
        f"p99 {middle.percentile(0.99):6.1f} ms  CPU {serving:5.0f} us/request serving, {cpu:5.0f} all processes  "
        f"non-200: {sum(r.errors for r in results)}"
    )


def median_rate(results: list[LoadResult]) -> float:
    return statistics.median(result.rate for result in results)


def cpu_ratio(baseline: list[LoadResult], results: list[LoadResult], *, serving: bool) -> float:
    """The baseline's CPU per request over the results' (the serving process's, or all)."""

    def cpu(result: LoadResult) -> float:
        return result.serving_cpu_per_request if serving else result.cpu_per_request

    return statistics.median(map(cpu, baseline)) / statistics.median(map(cpu, results))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stack", choices=STACKS, default="backend", help="the server of the bare ASGI app")
    parser.add_argument("--starlette", action="store_true", help="also measure a bare Starlette app")
    parser.add_argument(
        "--judging-first", action="store_true", help="also measure the backend judging before each answer"
    )
    parser.add_argument(
        "--kill", action="store_true", help="then SIGKILL the backend mid-load, restart it, and count the lost"
    )
    options = parser.parse_args()

    bare: list[LoadResult] = []
    starlette: list[LoadResult] = []
    measured: list[LoadResult] = []
    judging_first: list[LoadResult] = []
    with (
        tempfile.TemporaryDirectory() as data_dir,
        tempfile.TemporaryDirectory() as first_data_dir,
        BackendProcess(Path(data_dir), ACCESSKEY) as backend,
        BareAsgiProcess(options.stack) as bare_app,
        BareAppProcess() if options.starlette else contextlib.nullcontext() as starlette_app,
        (
            BackendProcess(Path(first_data_dir), ACCESSKEY, judging_first=True)
            if options.judging_first
            else contextlib.nullcontext()
        ) as first_backend,
    ):
        account = await whatsapp_account(f"{backend.base_url}/v1.0")
        for _ in range(options.rounds):  # interleaved, so that a busy moment hits each alike
            bare.append(await run_load(bare_app, options.clients, options.seconds))
            if starlette_app is not None:
                starlette.append(await run_load(starlette_app, options.clients, options.seconds))
            if first_backend is not None:
                first_account = await whatsapp_account(f"{first_backend.base_url}/v1.0")
                judging_first.append(await run_load(first_backend, options.clients, options.seconds, first_account))
            measured.append(await run_load(backend, options.clients, options.seconds, account))
        acknowledged = [wamid for result in measured for wamid in result.acknowledged]
        if options.kill:
            killed = await run_load(backend, options.clients, options.seconds, account, kill_after=options.seconds / 2)
            acknowledged += killed.acknowledged
            with BackendProcess(Path(data_dir), ACCESSKEY) as restarted:
                lost = await missing_from_feed(f"{restarted.base_url}/inspector/v1", acknowledged)
        else:
            lost = await missing_from_feed(f"{backend.base_url}/inspector/v1", acknowledged)

    print(
        f"{options.clients} clients, {options.rounds} rounds of {options.seconds:.0f} s, "
        "signed WhatsApp text POSTs on loopback (medians)"
    )
    report(f"bare ASGI app ({options.stack})", bare)
    if starlette:
        report("bare Starlette app (uvicorn)", starlette)
    if judging_first:
        report("backend, judging first", judging_first)
    report("voipbin-tui backend", measured)
    print(
        f"ratio to the bare ASGI app: {median_rate(measured) / median_rate(bare):.0%} by requests/s (goal >= 60%); "
        f"by CPU per request {cpu_ratio(bare, measured, serving=True):.0%} of the serving process, "
        f"{cpu_ratio(bare, measured, serving=False):.0%} of all processes"
    )
    if judging_first:
        print(
            f"judging first: {median_rate(judging_first) / median_rate(bare):.0%} by requests/s, "
            f"{cpu_ratio(bare, judging_first, serving=False):.0%} by CPU per request"
        )
    if starlette:
        print(f"ratio to the bare Starlette app: {median_rate(measured) / median_rate(starlette):.0%}")
    p99 = statistics.median(result.percentile(0.99) for result in measured)
    worst_p99 = max(result.percentile(0.99) for result in measured)
    print(f"p99: {p99:.1f} ms, worst round {worst_p99:.1f} ms (goal < 50 ms)")
    after_kill = (
        f" (the last {len(killed.acknowledged)} in a load SIGKILLed mid-way, {killed.disconnected} "
        "requests then in flight unanswered; counted after a restart)"
        if options.kill
        else ""
    )
    print(f"acknowledged: {len(acknowledged)}{after_kill}, missing from the feed: {lost} (goal 0)")


if __name__ == "__main__":
    asyncio.run(main())
