"""The account doctor's speed: a full check of the seeded WhatsApp account against the sum of
the bare HTTP calls it makes, measured in the same run. Goal: the full check under 2 s.

The backend runs as ``voipbin-tui serve`` runs it, in its own process; the doctor runs here on
a connection to it, with the seeded token and verify token. Its provider calls are recorded,
then replayed one by one with a bare ``httpx`` client, together with the VoIPBIN calls (the
account, the flows, the hub challenge); the baseline is the sum of those times.

    .venv/bin/python bench/doctor.py [--runs 5] [--end-to-end]

``--end-to-end`` also times the check with ``--end-to-end=sign`` (no baseline: it waits for a
message to show in VoIPBIN's API).
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
from voipbin_tui.backend.seed import SEED_META_ACCESS_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.config import ProviderBases, SandboxTarget
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, DoctorSecrets, run_checks

ACCESSKEY = "bench-accesskey"
SECRETS = DoctorSecrets.of(token=SEED_META_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)


def connection_to(base_url: str, client: VoipbinClient) -> Connection:
    return Connection(
        client=client,
        target=SandboxTarget(Path("/sandbox")),
        hook_base_url=f"{base_url}/v1.0",
        inspector_url=None,
        feed_accesskey=None,
        providers=ProviderBases.emulated_by(base_url),
        backend_url=base_url,
    )


async def one_check(
    base_url: str, end_to_end: bool, *, recording: bool = False
) -> tuple[float, list[httpx.Request], str]:
    """One full check as the CLI runs it: its wall time, the account id, and (``recording``,
    through a client of the bench's own) the provider requests it made."""
    made: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        made.append(request)

    async with (
        VoipbinClient(f"{base_url}/v1.0", accesskey=ACCESSKEY) as client,
        httpx.AsyncClient(timeout=10, event_hooks={"request": [record]}) as recorder,
    ):
        connection = connection_to(base_url, client)
        account = [a for a in await client.list_accounts() if a.type == "whatsapp"][-1]  # the seeded one
        started = time.perf_counter()
        results = [
            result
            async for result in run_checks(
                connection,
                account.id,
                SECRETS,
                end_to_end="sign" if end_to_end else None,
                http=recorder if recording else None,
            )
        ]
        took = time.perf_counter() - started
    not_run = set() if end_to_end else {"end_to_end"}
    bad = [
        f"{r.id}: {r.status} {r.summary}" for r in results if r.status is not CheckStatus.PASS and r.id not in not_run
    ]
    if bad:
        raise SystemExit("the seeded account does not pass every check:\n" + "\n".join(bad))
    return took, made, str(account.id)


async def bare_calls(base_url: str, made: list[httpx.Request], account_id: str) -> float:
    """The same calls, one after the other, on a bare client: the sum of their times."""
    cookies = {"accesskey": ACCESSKEY}
    total = 0.0
    async with httpx.AsyncClient(timeout=10) as bare:
        voipbin = [
            bare.build_request("GET", f"{base_url}/v1.0/conversation_accounts/{account_id}", cookies=cookies),
            bare.build_request("GET", f"{base_url}/v1.0/flows?page_size=100", cookies=cookies),
            bare.build_request(
                "GET",
                f"{base_url}/v1.0/conversation/accounts/{account_id}",
                params={"hub.mode": "subscribe", "hub.challenge": "1234567890", "hub.verify_token": "x"},
            ),
        ]
        replayed = [
            bare.build_request(request.method, request.url, headers=request.headers, content=request.content)
            for request in made
        ]
        for request in voipbin + replayed:
            started = time.perf_counter()
            await bare.send(request)
            total += time.perf_counter() - started
    return total


async def main(runs: int, end_to_end: bool) -> None:
    with tempfile.TemporaryDirectory() as data, BackendProcess(Path(data), ACCESSKEY) as backend:
        await one_check(backend.base_url, False)  # warm up both sides
        _, made, account_id = await one_check(backend.base_url, False, recording=True)
        doctor_times, bare_times, signed_times = [], [], []
        for _ in range(runs):
            doctor_times.append((await one_check(backend.base_url, False))[0])
            bare_times.append(await bare_calls(backend.base_url, made, account_id))
            if end_to_end:
                signed_times.append((await one_check(backend.base_url, True))[0])
        doctor, bare = statistics.median(doctor_times), statistics.median(bare_times)
        print(f"full check of the seeded WhatsApp account (token and verify token), median of {runs} runs")
        print(f"  doctor:                  {doctor * 1000:7.1f} ms  (goal: < 2000 ms)")
        print(f"  sum of bare HTTP calls:  {bare * 1000:7.1f} ms  ({len(made) + 3} calls, one after the other)")
        print(f"  ratio doctor / bare:     {doctor / bare:7.2f}x")
        if signed_times:
            signed = statistics.median(signed_times)
            print(f"  with --end-to-end=sign:  {signed * 1000:7.1f} ms  (a signed message, watched for in the API)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--end-to-end", action="store_true", help="also sign a test message and watch for it")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.end_to_end))
