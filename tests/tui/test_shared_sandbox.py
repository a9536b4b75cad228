"""The TUI's sandbox is the data dir's one local service: the hook URL it shows is the one the
CLI prints, and it answers while the TUI runs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, hook_line
from tests.tui.conftest import toasts, wait_for_accounts
from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.backend.service import acquire_sandbox
from voipbin_tui.config import resolve_target
from voipbin_tui.connection import open_connection
from voipbin_tui.tui.app import VoipbinApp

pytestmark = pytest.mark.slow  # each starts a backend process and the app


async def cli(*args: str) -> tuple[str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voipbin_tui", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


async def test_the_tui_and_the_cli_show_one_hook_url_and_it_answers_while_the_tui_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("VOIPBIN_TUI_PORT", str(port))
    listed, _ = await cli("accounts", "list", "--type", "whatsapp", "--json")
    whatsapp = json.loads(listed)[0]["id"]
    before, _ = await cli("accounts", "get", whatsapp)

    app = VoipbinApp(lambda: open_connection(resolve_target()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_accounts(pilot)
        assert app.connection.owns_sandbox
        assert app.connection.hook_url_for(whatsapp) == hook_line(before)
        assert f"hook http://127.0.0.1:{port}/v1.0" in app.sub_title  # the header says where it listens

        during, note = await cli("accounts", "get", whatsapp)
        assert hook_line(during) == hook_line(before)
        assert "listens only while" not in note  # the TUI's backend answered, not a temporary one
        async with httpx.AsyncClient() as http:
            challenge = await http.get(
                hook_line(during),
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": SEED_WHATSAPP_VERIFY_TOKEN,
                    "hub.challenge": "1158201444",
                },
            )
        assert (challenge.status_code, challenge.text) == (200, "1158201444")


async def test_a_second_tui_uses_the_running_sandbox_and_leaves_it_running(isolated_environment: Path) -> None:
    first = acquire_sandbox(isolated_environment / "data", port=0)
    try:
        app = VoipbinApp(lambda: open_connection(resolve_target()))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_accounts(pilot)
            assert not app.connection.owns_sandbox
            assert app.connection.hook_base_url == first.hook_url
            assert any(f"process {os.getpid()} runs for this data dir" in told for told in toasts(app))
        answer = httpx.get(f"{first.api_url}/customer", cookies={"accesskey": first.accesskey.get_secret_value()})
        assert answer.status_code == 200  # the second TUI's exit did not stop it
    finally:
        first.release()
