"""Inspector latency and footprint: from a POST's 200 to its row in the real app's pane.

The backend runs as ``voipbin-tui serve`` in its own process with 100,000 requests already
captured; the app runs headless in this process against it over loopback HTTP. The
baseline, measured in the same run, is the bare feed client's long-poll receiving the same
kind of POST (no UI). Goals: p95 under 300 ms; with 100,000 captured requests the TUI stays
under 200 MB RSS and under 2% CPU while no traffic arrives.

    .venv/bin/python bench/inspector_latency.py [--posts 100] [--captured 100000] [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx  # noqa: E402
from targets import BackendProcess  # noqa: E402

from voipbin_tui.api import AccountType, VoipbinClient  # noqa: E402
from voipbin_tui.api.feed import FeedClient  # noqa: E402
from voipbin_tui.api.hooks import hook_url_for  # noqa: E402
from voipbin_tui.backend.config import BackendConfig  # noqa: E402
from voipbin_tui.backend.context import open_store  # noqa: E402
from voipbin_tui.backend.store import CaptureRecord  # noqa: E402
from voipbin_tui.config import SandboxTarget  # noqa: E402
from voipbin_tui.connection import Connection  # noqa: E402
from voipbin_tui.protocols import HookVerdict, RequestKind, build_text_message_payload, sign_hub_signature  # noqa: E402
from voipbin_tui.tui.app import VoipbinApp  # noqa: E402
from voipbin_tui.tui.screens.accounts import AccountsScreen  # noqa: E402
from voipbin_tui.tui.widgets.inspector import InspectorPane  # noqa: E402

ACCESSKEY = "bench-accesskey"
ROW_DEADLINE_SECONDS = 10.0


def prefill(data_dir: Path, count: int) -> None:
    """Captured requests written straight into the store: POSTing 100,000 would take minutes."""
    store = open_store(BackendConfig(data_dir=data_dir, accesskey=SecretStr(ACCESSKEY)))
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    now = datetime.now(UTC)
    with store.transaction():
        for _ in range(count):
            store.record_capture(
                CaptureRecord(
                    id=uuid4(),
                    time=now,
                    method="POST",
                    path="/v1.0/conversation/accounts/x",
                    query="",
                    headers=(("content-type", "application/json"),),
                    body=body,
                    body_size=len(body),
                    body_complete=True,
                    account_id="",
                    kind=RequestKind.UNKNOWN,
                    verdict=HookVerdict.MALFORMED,
                    status=200,
                    answer=b"",
                    summary={},
                    explanation="",
                )
            )
    store.close()


async def whatsapp_account(api_url: str):
    async with VoipbinClient(api_url, accesskey=ACCESSKEY) as client:
        return next(a for a in await client.list_accounts() if a.type == AccountType.WHATSAPP)


async def post(client: httpx.AsyncClient, url: str, account, text: str) -> float:
    body = build_text_message_payload(phone_number_id=account.phone_number_id, text=text)
    signature = sign_hub_signature(account.app_secret.get_secret_value(), body)
    response = await client.post(url, content=body, headers={"X-Hub-Signature-256": signature})
    assert response.status_code == 200
    return time.perf_counter()


async def feed_baseline(base_url: str, account, posts: int) -> list[float]:
    """Bare FeedClient long-poll latency for the same POSTs (no UI)."""
    latencies = []
    url = hook_url_for(f"{base_url}/v1.0", account.id)
    async with FeedClient(f"{base_url}/inspector/v1", accesskey=ACCESSKEY) as feed, httpx.AsyncClient() as client:
        cursor = await feed.latest_cursor()
        for index in range(posts):
            waiting = asyncio.create_task(feed.poll(cursor, wait=5))
            await asyncio.sleep(0.01)
            acknowledged = await post(client, url, account, f"baseline {index}")
            batch = await waiting
            latencies.append(time.perf_counter() - acknowledged)
            cursor = batch.next
    return latencies


async def _row_shown(pane: InspectorPane, text: str) -> None:
    """Wait until the pane shows the request carrying ``text``; fail (not hang) after
    ROW_DEADLINE_SECONDS."""
    deadline = time.perf_counter() + ROW_DEADLINE_SECONDS
    while not any(request.summary.text == text for request in pane.shown[-5:]):
        if time.perf_counter() > deadline:
            shown = len(pane.shown)
            raise SystemExit(f"no row for {text!r} after {ROW_DEADLINE_SECONDS:.0f} s ({shown} rows shown)")
        await asyncio.sleep(0.001)


async def app_latency(base_url: str, account, posts: int, idle_seconds: float) -> dict[str, float]:
    @asynccontextmanager
    async def opener():
        async with VoipbinClient(f"{base_url}/v1.0", accesskey=ACCESSKEY) as client:
            yield Connection(
                client,
                SandboxTarget(Path("/bench")),
                f"{base_url}/v1.0",
                f"{base_url}/inspector/v1",
                SecretStr(ACCESSKEY),
                f"{base_url}/v1.0",
            )

    app = VoipbinApp(opener)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, AccountsScreen))
        pane = screen.inspector
        while not (pane.connected and screen.loaded):
            await asyncio.sleep(0.01)
        await pilot.press("a")
        url = hook_url_for(f"{base_url}/v1.0", account.id)
        latencies = []
        async with httpx.AsyncClient() as client:
            for index in range(posts):
                text = f"inspector {index}"
                acknowledged = await post(client, url, account, text)
                await _row_shown(pane, text)
                await pilot.pause()  # the row is drawn
                latencies.append(time.perf_counter() - acknowledged)
                await asyncio.sleep(0.02)
        figures["p50 (ms)"] = statistics.median(latencies) * 1000
        figures["p95 (ms)"] = statistics.quantiles(latencies, n=20)[-1] * 1000
        figures["max RSS (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(idle_seconds)
        figures["idle CPU (%)"] = 100 * (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    return figures


async def main(posts: int, captured: int, idle_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as temp:
        data_dir = Path(temp)
        started = time.perf_counter()
        prefill(data_dir, captured)
        print(f"prefilled {captured} captured requests in {time.perf_counter() - started:.1f} s")
        with BackendProcess(data_dir, ACCESSKEY) as backend:
            account = await whatsapp_account(f"{backend.base_url}/v1.0")
            baseline = await feed_baseline(backend.base_url, account, posts)
            figures = await app_latency(backend.base_url, account, posts, idle_seconds)
    base_p95 = statistics.quantiles(baseline, n=20)[-1] * 1000
    print(f"baseline: bare feed client long-poll, p95 {base_p95:.1f} ms")
    for name, value in figures.items():
        print(f"{name:>16}: {value:,.1f}")
    print(f"{'p95 / baseline':>16}: {figures['p95 (ms)'] / base_p95:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--captured", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds the idle CPU is measured over")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.posts, arguments.captured, arguments.idle))
