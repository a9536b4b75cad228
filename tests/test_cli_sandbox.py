"""The CLI with no credentials: everything runs on the embedded sandbox in the temp data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.cli import main


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def account_id(kind: str) -> str:
    listed = run("accounts", "list", "--type", kind, "--json")
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)[0]["id"]


def test_sandbox_is_the_default_and_lists_the_seed() -> None:
    result = run("accounts", "list")
    assert result.exit_code == 0, result.output
    for kind in ("whatsapp", "line", "sms"):
        assert kind in result.stdout


def test_create_update_delete_on_the_sandbox() -> None:
    created = run("accounts", "create", "--type", "sms", "--name", "CLI made", "--json")
    assert created.exit_code == 0, created.output
    new_id = json.loads(created.stdout)["id"]
    assert run("accounts", "update", new_id, "--name", "CLI renamed").exit_code == 0
    assert json.loads(run("accounts", "get", new_id, "--json").stdout)["name"] == "CLI renamed"
    assert run("accounts", "delete", new_id, "--yes").exit_code == 0
    assert json.loads(run("accounts", "get", new_id, "--json").stdout)["tm_delete"] is not None


def test_read_only_refuses_writes() -> None:
    result = run("--read-only", "accounts", "create", "--type", "sms")
    assert result.exit_code == 2 and "--read-only" in result.output


def test_hook_send_test_reports_the_verdict() -> None:
    result = run("hook", "send-test", account_id("whatsapp"), "--text", "café ☕")
    assert result.exit_code == 0, result.output
    assert "(signed): 200" in result.stdout
    assert "verdict: ✓ ok" in result.stdout and "café ☕" in result.stdout


def test_hook_send_test_to_line_unsigned_says_so() -> None:
    result = run("hook", "send-test", account_id("line"))
    assert result.exit_code == 0, result.output
    assert "(unsigned)" in result.stdout and "missing_signature" in result.stdout


def test_hook_verify_good_and_bad_token() -> None:
    whatsapp = account_id("whatsapp")
    good = run("hook", "verify", whatsapp, "--verify-token", SEED_WHATSAPP_VERIFY_TOKEN)
    assert good.exit_code == 0 and "challenge echoed" in good.stdout
    bad = run("hook", "verify", whatsapp, "--verify-token", "-", input="wrong\n")
    assert bad.exit_code == 1 and "403: refused" in bad.stdout


def test_serve_prints_where_it_listens_and_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(tmp_path), "--no-seed"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0]).group(1)
        key = re.search(r"access key:\s+(\S+)", "".join(lines)).group(1)
        assert (tmp_path / "accesskey").read_text().strip() == key
        assert oct((tmp_path / "accesskey").stat().st_mode & 0o777) == "0o600"
        listed = httpx.get(f"{base}/v1.0/conversation_accounts", cookies={"accesskey": key})
        assert listed.status_code == 200 and listed.json()["result"] == []
        assert httpx.get(f"{base}/v1.0/conversation_accounts").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_server_text_is_printed_as_text_not_markup_or_escapes() -> None:
    created = run("accounts", "create", "--type", "sms", "--name", "evil[/x] \x1b]2;T\x07", "--json")
    assert created.exit_code == 0, created.output
    listed = run("accounts", "list")
    assert listed.exit_code == 0, listed.output
    assert "evil[/x]" in listed.stdout and "\x1b" not in listed.stdout


def test_a_corrupt_sandbox_database_is_a_clear_error(isolated_environment: Path) -> None:
    data = isolated_environment / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "backend.sqlite3").write_bytes(b"this is not a database" * 100)
    result = run("accounts", "list")
    assert result.exit_code == 1
    assert "cannot use the sandbox data" in result.output and "Traceback" not in result.output
