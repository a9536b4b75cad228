"""A 200 means the request is on disk: kill -9 the server mid-stream, restart it, find them all.

Also what ``voipbin-tui serve`` (``run_server``) prints and where it listens, since the test
runs it exactly as the CLI does, in its own process.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.backend.conftest import ACCESSKEY, hook_path
from voipbin_tui.api.feed import CapturedRequest
from voipbin_tui.backend.seed import SEED_PHONE_NUMBER_ID, SEED_WHATSAPP_APP_SECRET
from voipbin_tui.protocols import HookVerdict, build_text_message_payload, sign_hub_signature

SERVE = """
import sys
from pathlib import Path
from voipbin_tui.backend.server import run_server
run_server(port=0, data_dir=Path(sys.argv[1]), accesskey=sys.argv[2], echo=lambda line: print(line, flush=True))
"""
SENDERS = 4


@contextmanager
def serve(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``run_server`` in its own process; yields it and its banner once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(data_dir), ACCESSKEY], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    banner: list[str] = []
    try:
        for line in process.stdout:
            banner.append(line.rstrip())
            if "access key" in line:
                break
        yield process, banner
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def base_url_of(banner: list[str]) -> str:
    match = re.search(r"listening on (http://\S+)", banner[0])
    assert match, banner
    return match.group(1)


def all_captured(base_url: str) -> list[CapturedRequest]:
    captured: list[CapturedRequest] = []
    with httpx.Client(base_url=base_url, cookies={"accesskey": ACCESSKEY}, timeout=10) as http:
        cursor = 0
        while page := http.get("/inspector/v1/requests", params={"after": cursor, "limit": 1000}).json()["result"]:
            captured += [CapturedRequest.model_validate(item) for item in page]
            cursor = page[-1]["seq"]
    return captured


@pytest.mark.slow
def test_run_server_says_where_it_listens_and_binds_loopback_only(tmp_path: Path) -> None:
    with serve(tmp_path) as (_, banner):
        base_url = base_url_of(banner)
        text = "\n".join(banner)
        assert base_url.startswith("http://127.0.0.1:")
        assert f"{base_url}/v1.0" in text
        assert f"{base_url}/v1.0/conversation/accounts/{{account_id}}" in text
        assert f"{base_url}/inspector/v1/requests" in text
        assert ACCESSKEY not in text and "the one given" in text  # a key given is not echoed back
        flows = httpx.get(f"{base_url}/v1.0/flows", cookies={"accesskey": ACCESSKEY}).json()["result"]
        assert len(flows) == 3


def _send_until_refused(base_url: str, account_id: str, acknowledged: list[str], worker: int) -> None:
    """Post signed messages one after another; note each wamid answered 200."""
    with httpx.Client(base_url=base_url, timeout=5) as http:
        sequence = 0
        while True:
            sequence += 1
            wamid = f"wamid.kill-{worker}-{sequence}"
            body = build_text_message_payload(phone_number_id=SEED_PHONE_NUMBER_ID, text=f"#{sequence}", wamid=wamid)
            headers = {"X-Hub-Signature-256": sign_hub_signature(SEED_WHATSAPP_APP_SECRET, body)}
            try:
                response = http.post(hook_path(account_id), content=body, headers=headers)
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code == 200:
                acknowledged.append(wamid)


@pytest.mark.slow
def test_every_acknowledged_post_survives_sigkill(tmp_path: Path) -> None:
    acknowledged: list[str] = []
    with serve(tmp_path) as (process, banner):
        base_url = base_url_of(banner)
        accounts = httpx.get(f"{base_url}/v1.0/conversation_accounts", cookies={"accesskey": ACCESSKEY}).json()
        account_id = next(a["id"] for a in accounts["result"] if a["type"] == "whatsapp")
        senders = [
            threading.Thread(target=_send_until_refused, args=(base_url, account_id, acknowledged, worker))
            for worker in range(SENDERS)
        ]
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)  # mid-stream: requests are in flight
        for sender in senders:
            sender.join(timeout=10)
        assert process.wait(timeout=10) == -signal.SIGKILL
    assert len(acknowledged) >= 200

    with serve(tmp_path) as (_, banner):
        taken = {r.summary.wamid for r in all_captured(base_url_of(banner)) if r.verdict == HookVerdict.OK}
    missing = set(acknowledged) - taken
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged requests were lost"
