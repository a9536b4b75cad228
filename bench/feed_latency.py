"""Feed latency: from a hook POST's 200 to the inspector long-poll returning that request.

One client keeps a long-poll open on ``/inspector/v1/requests`` (as the inspector pane does);
another posts signed WhatsApp messages, one at a time, to the backend as ``voipbin-tui serve``
runs it. Prints p50/p95/max of the delay. Goal: p95 under 50 ms.

    .venv/bin/python bench/feed_latency.py [--posts 300] [--interval 0.01]

The backend (as ``serve`` runs it) answers a POST once it is stored and announces it once its
verdict is committed, right behind, so the feed can even be first (the poster still reading
its answer): such a delay counts as 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from targets import BackendProcess

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.protocols import build_text_message_payload, sign_hub_signature

ACCESSKEY = "bench-accesskey"


async def follow_feed(feed: FeedClient, arrivals: dict[str, float], expected: int) -> None:
    cursor = (await feed.poll(0, limit=1000)).next
    while len(arrivals) < expected:
        batch = await feed.poll(cursor, limit=1000, wait=30)
        now = time.perf_counter()
        for request in batch.requests:
            if request.summary.wamid:
                arrivals[request.summary.wamid] = now
        cursor = batch.next


async def post_messages(base_url: str, posts: int, interval: float, acknowledged: dict[str, float]) -> None:
    async with VoipbinClient(f"{base_url}/v1.0", accesskey=ACCESSKEY) as client:
        account = next(a for a in await client.list_accounts() if a.type == "whatsapp")
    assert account.app_secret is not None
    app_secret = account.app_secret.get_secret_value()
    async with httpx.AsyncClient(base_url=base_url) as http:
        for number in range(posts):
            wamid = f"wamid.latency-{number}"
            body = build_text_message_payload(phone_number_id=account.phone_number_id, text=f"#{number}", wamid=wamid)
            response = await http.post(
                f"/v1.0/conversation/accounts/{account.id}",
                content=body,
                headers={"X-Hub-Signature-256": sign_hub_signature(app_secret, body)},
            )
            acknowledged[wamid] = time.perf_counter()
            assert response.status_code == 200
            await asyncio.sleep(interval)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.01)
    options = parser.parse_args()

    acknowledged: dict[str, float] = {}
    arrivals: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data_dir, BackendProcess(Path(data_dir), ACCESSKEY) as backend:
        async with FeedClient(f"{backend.base_url}/inspector/v1", accesskey=ACCESSKEY) as feed:
            follower = asyncio.create_task(follow_feed(feed, arrivals, options.posts))
            await asyncio.sleep(0.2)  # the long-poll is open before the first POST
            await post_messages(backend.base_url, options.posts, options.interval, acknowledged)
            await asyncio.wait_for(follower, timeout=30)

    delays = sorted(max(0.0, arrivals[wamid] - acked) * 1000 for wamid, acked in acknowledged.items())
    first = sum(1 for wamid, acked in acknowledged.items() if arrivals[wamid] <= acked)
    p95 = statistics.quantiles(delays, n=100)[94]
    print(f"{len(delays)} POSTs, one every {options.interval * 1000:.0f} ms; the feed was first for {first}")
    print(
        f"200 -> long-poll return: p50 {statistics.median(delays):.2f} ms   p95 {p95:.2f} ms   max {delays[-1]:.2f} ms"
    )
    print(f"p95 goal < 50 ms: {'met' if p95 < 50 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
