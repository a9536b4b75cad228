"""The CLI with no credentials: everything runs on the embedded sandbox in the temp data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import free_port, hook_line
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.cli import main

pytestmark = pytest.mark.slow  # each runs the CLI against a sandbox it starts


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


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


@pytest.mark.parametrize(
    "command",
    [
        ("accounts", "create", "--type", "sms", "--name", "forgotten"),
        ("accounts", "delete", "{sms}", "--yes"),
        ("hook", "send-test", "{whatsapp}"),
    ],
)
def test_a_command_that_forgot_the_read_only_check_is_refused_by_its_connection(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early check only saves a prompt: the connection's clients refuse the change anyway."""
    from voipbin_tui import cli

    ids = {"sms": account_id("sms"), "whatsapp": account_id("whatsapp")}
    before = run("accounts", "list", "--json").stdout
    monkeypatch.setattr(cli, "_refuse_if_read_only", lambda ctx: None)
    result = run("--read-only", *(part.format(**ids) for part in command))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: read-only: ") and result.stderr.count("\n") == 1
    assert "was not sent" in result.stderr and ("POST " in result.stderr or "DELETE " in result.stderr)
    assert run("accounts", "list", "--json").stdout == before


def test_hook_send_test_reports_the_verdict() -> None:
    result = run("hook", "send-test", account_id("whatsapp"), "--text", "café ☕")
    assert result.exit_code == 0, result.output
    assert "(signed): 200" in result.stdout
    assert "verdict: ✓ ok" in result.stdout and "café ☕" in result.stdout


def test_hook_send_test_to_line_unsigned_says_so_and_fails() -> None:
    """A test message the hook refuses is a failed test: exit 1, whatever the HTTP status."""
    result = run("hook", "send-test", account_id("line"))
    assert result.exit_code == 1, result.output
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
        stderr=subprocess.PIPE,
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
    # ctrl+c is how a server is stopped: not a failure, and no "Aborted!"
    assert process.returncode == 0
    assert "Aborted" not in process.stderr.read()


def test_serve_stopped_by_sigterm_withdraws_its_runtime_file(tmp_path: Path) -> None:
    """systemd, docker and kill stop a server with SIGTERM: the next command must not find a
    runtime file naming a dead process."""
    process, _ = start_serve(tmp_path, "--no-seed")
    assert (tmp_path / "backend.json").exists()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    assert process.returncode == 128 + signal.SIGTERM
    assert not (tmp_path / "backend.json").exists()


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


IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_list_fits_80_columns_and_never_wraps_an_id() -> None:
    ids = run("accounts", "list", "--ids").stdout.split()
    assert len(ids) == 3 and all(IDS.fullmatch(i) for i in ids)
    for columns in ("80", "160"):
        table = run("accounts", "list", env={"COLUMNS": columns})
        assert table.exit_code == 0, table.output
        lines = table.stdout.splitlines()
        assert max(len(line) for line in lines) <= int(columns)
        assert sorted(IDS.findall(table.stdout)) == sorted(ids)  # each one whole, on one line
        assert "WhatsApp Cust" in table.stdout and "Support triage" in table.stdout
    assert "WhatsApp Customer Support" in table.stdout  # at 160 nothing needs cutting
    wide = run("accounts", "list", "--wide", env={"COLUMNS": "80"})
    assert "DETAIL" in wide.stdout and "Meta Cloud API, +1 555-078-3881" in wide.stdout
    assert "never" in wide.stdout  # the seed was never updated: no creation time passed off as one
    assert sorted(IDS.findall(wide.stdout)) == sorted(ids)


def test_an_invalid_id_is_a_usage_error_everywhere() -> None:
    assert run("accounts", "get", "nope").exit_code == 2
    bad_flow = run("accounts", "create", "--type", "sms", "--message-flow-id", "nope")
    assert bad_flow.exit_code == 2 and "not a valid UUID" in bad_flow.output
    assert run("hook", "verify", "nope", "--verify-token", "x").exit_code == 2


def test_hook_verify_is_allowed_read_only() -> None:
    result = run("--read-only", "hook", "verify", account_id("whatsapp"), "--verify-token", SEED_WHATSAPP_VERIFY_TOKEN)
    assert result.exit_code == 0, result.output
    assert "challenge echoed" in result.stdout


def test_flow_by_name() -> None:
    created = run("accounts", "create", "--type", "sms", "--name", "By name", "--flow", "order status", "--json")
    assert created.exit_code == 0, created.output
    shown = run("accounts", "get", json.loads(created.stdout)["id"])
    assert "Order status bot" in shown.stdout
    ambiguous = run("accounts", "create", "--type", "sms", "--flow", "o")
    assert ambiguous.exit_code == 2
    assert "Support triage" in ambiguous.output and "Order status bot" in ambiguous.output
    missing = run("accounts", "create", "--type", "sms", "--flow", "no such flow")
    assert missing.exit_code == 2 and "no flow matches" in missing.output
    both = run("accounts", "create", "--type", "sms", "--flow", "Support triage", "--no-flow")
    assert both.exit_code == 2 and "not several" in both.output


def test_get_sms_lists_no_write_only_fields_it_does_not_use() -> None:
    sms = run("accounts", "get", account_id("sms"))
    assert sms.exit_code == 0, sms.output
    assert "token" not in sms.stdout and "write-only" not in sms.stdout
    assert "updated         never" in sms.stdout
    line = run("accounts", "get", account_id("line")).stdout
    assert "token" in line and "write-only" in line


def test_serve_log_prints_a_line_per_hook_request(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(tmp_path), "--log"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0]).group(1)
        missing = "00000000-0000-4000-8000-00000000dead"
        answer = httpx.post(f"{base}/v1.0/conversation/accounts/{missing}", content=b"{}")
        assert answer.status_code == 200
        logged = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  " + missing + r"  \w+  ✗ unknown_account  200$", logged)


def test_set_profile_prompt_reads_a_piped_key(isolated_environment: Path) -> None:
    """Piped into --prompt-accesskey, the pipe is the key: no getpass warning, nothing echoed."""
    config = isolated_environment / "config" / "config.toml"
    finished = subprocess.run(
        [sys.executable, "-m", "voipbin_tui", "config", "set-profile", "prod", "--prompt-accesskey"],
        input="piped-key-123456\n",
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=30,
    )
    assert finished.returncode == 0, finished.stderr
    assert "Warning" not in finished.stderr and "piped-key" not in finished.stdout + finished.stderr
    assert 'accesskey = "piped-key-123456"' in config.read_text()


def test_create_strips_a_pasted_secret_and_says_so() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    created = run(
        "accounts",
        "create",
        "--type",
        "whatsapp",
        "--name",
        "pasted",
        "--phone-number-id",
        "106540352242111 ",
        "--token",
        "EAApasted",
        "--secret",
        "verify",
        "--app-secret",
        "-",
        "--no-flow",
        "--json",
        input=f"{secret} \n",
    )
    assert created.exit_code == 0, created.output
    assert "warning: app_secret: removed a trailing space" in created.stderr
    assert "warning: phone_number_id: removed a trailing space" in created.stderr
    saved = json.loads(run("accounts", "get", json.loads(created.stdout)["id"], "--json", "--show-secrets").stdout)
    assert saved["provider_data"] == {"phone_number_id": "106540352242111", "app_secret": secret}


def test_send_test_refuses_a_sender_that_is_not_a_wa_id() -> None:
    result = run("hook", "send-test", account_id("whatsapp"), "--from", "x")
    assert result.exit_code == 2 and "digits only" in result.output


def test_get_shows_checked_facts_and_console_steps_apart() -> None:
    result = run("accounts", "get", account_id("whatsapp"))
    assert result.exit_code == 0, result.output
    steps = [line for line in result.stdout.splitlines() if "Meta's App Dashboard" in line]
    assert steps and all(line.split()[:2] == ["step", "→"] for line in steps), result.stdout
    assert "✓ phone number id set" in result.stdout


def test_cli_runs_print_one_stable_hook_url_and_say_it_listens_only_while_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("VOIPBIN_TUI_PORT", str(port))
    whatsapp = account_id("whatsapp")
    first, second = run("accounts", "get", whatsapp), run("accounts", "get", whatsapp)
    assert first.exit_code == 0, first.output
    assert hook_line(first.stdout) == hook_line(second.stdout)
    assert hook_line(first.stdout) == f"http://127.0.0.1:{port}/v1.0/conversation/accounts/{whatsapp}"
    assert "listens only while `voipbin-tui` or `voipbin-tui serve` runs" in first.stderr
    created = run(
        "accounts", "create", "--type", "line", "--name", "L", "--token", SEED_LINE_CHANNEL_TOKEN, "--secret", "s"
    )
    assert f"http://127.0.0.1:{port}/v1.0/conversation/accounts/" in created.stdout
    assert "listens only while" in created.stderr


def test_a_taken_sandbox_port_is_a_visible_note(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        monkeypatch.setenv("VOIPBIN_TUI_PORT", str(port))
        result = run("accounts", "list")
    assert result.exit_code == 0, result.output
    assert f"note: port {port} is taken by another program" in result.stderr


def start_serve(data_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    assert base, first + process.stderr.read()
    return process, base.group(1)


def test_the_cli_uses_a_running_serve_on_the_same_data_dir(isolated_environment: Path) -> None:
    data = isolated_environment / "data"
    process, base = start_serve(data)
    try:
        assert json.loads((data / "backend.json").read_text())["pid"] == process.pid
        whatsapp = account_id("whatsapp")
        shown = run("accounts", "get", whatsapp)
        assert hook_line(shown.stdout) == f"{base}/v1.0/conversation/accounts/{whatsapp}"
        assert "listens only while" not in shown.stderr  # serve keeps it listening
        assert run("accounts", "update", whatsapp, "--name", "renamed by the CLI").exit_code == 0
        served = httpx.get(f"{base}/v1.0/conversation_accounts/{whatsapp}", cookies={"accesskey": _key(data)})
        assert served.json()["name"] == "renamed by the CLI"  # one backend, one database

        second = subprocess.run(
            [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1 and f"already served by process {process.pid}" in second.stderr
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert not (data / "backend.json").exists()


def _key(data: Path) -> str:
    return (data / "accesskey").read_text().strip()


def test_a_data_dir_held_by_a_relay_is_one_clear_error(isolated_environment: Path) -> None:
    data = isolated_environment / "data"
    process, _ = start_serve(
        data,
        "--forward-to",
        "http://127.0.0.1:9/v1.0",
        "--upstream-accesskey",
        "k",
        "--api-url",
        "http://127.0.0.1:9/v1.0",
    )
    try:
        result = run("accounts", "list")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"is used by a relay (voipbin-tui serve --forward-to, process {process.pid})" in result.stderr


def test_updating_a_deleted_account_is_refused_unless_allowed() -> None:
    """VoIPBIN saves into a deleted account without a word: the CLI says so and exits 1."""
    created = run("accounts", "create", "--type", "sms", "--name", "Soon gone", "--json")
    account = json.loads(created.stdout)["id"]
    assert run("accounts", "delete", account, "--yes").exit_code == 0

    refused = run("accounts", "update", account, "--name", "Renamed")
    assert refused.exit_code == 1
    assert "“Soon gone” was deleted at" in refused.stderr and "--allow-deleted" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert json.loads(run("accounts", "get", account, "--json").stdout)["name"] == "Soon gone"

    allowed = run("accounts", "update", account, "--name", "Renamed", "--allow-deleted")
    assert allowed.exit_code == 0, allowed.output
    assert "stays deleted" in allowed.stderr
    after = json.loads(run("accounts", "get", account, "--json").stdout)
    assert after["name"] == "Renamed" and after["tm_delete"] is not None


def _serve(data_dir: Path, *args: str, stdin: str | None = None, accesskey: str | None = None) -> str:
    """Start ``serve``, read its banner (up to the access key line), check that ``accesskey``
    opens the REST API, stop it; the banner."""
    process = subprocess.Popen(
        [sys.executable, "-m", "voipbin_tui", "serve", "--port", "0", "--data-dir", str(data_dir), "--no-seed", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if stdin is not None:
            process.stdin.write(stdin)
        process.stdin.close()
        lines = []
        while not lines or "access key" not in lines[-1]:
            lines.append(process.stdout.readline())
            assert lines[-1], process.stderr.read()
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0]).group(1)
        if accesskey is not None:
            listed = httpx.get(f"{base}/v1.0/conversation_accounts", cookies={"accesskey": accesskey})
            assert listed.status_code == 200
        return "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_serve_prints_the_access_key_only_when_it_is_made(tmp_path: Path) -> None:
    first = _serve(tmp_path)
    key = (tmp_path / "accesskey").read_text().strip()
    assert key in first and "new: kept 0600 in" in first
    again = _serve(tmp_path)
    assert key not in again and f"kept 0600 in {tmp_path / 'accesskey'}" in again


def test_serve_reads_its_access_key_from_stdin(tmp_path: Path) -> None:
    banner = _serve(tmp_path, "--accesskey", "-", stdin="key-from-stdin-1234\n", accesskey="key-from-stdin-1234")
    assert "key-from-stdin-1234" not in banner and "the one given" in banner
    assert not (tmp_path / "accesskey").exists()


def test_serve_reads_both_keys_from_stdin_in_option_order(monkeypatch) -> None:
    import voipbin_tui.backend.server as server

    started = {}
    monkeypatch.setattr(server, "run_server", lambda **given: started.update(given))
    result = CliRunner().invoke(
        main,
        ["serve", "--accesskey", "-", "--forward-to", "https://hook.example/v1.0"]
        + ["--api-url", "https://api.example/v1.0", "--upstream-accesskey", "-"],
        input="own-key\nupstream-key\n",
    )
    assert result.exit_code == 0, result.output
    assert started["accesskey"] == "own-key"
    assert started["relay"].api_client.keywords["accesskey"].get_secret_value() == "upstream-key"


@pytest.mark.slow
def test_a_reader_that_leaves_early_stops_the_list_quietly() -> None:
    """``voipbin-tui accounts list --ids | head -1``: the closed pipe is the reader's choice,
    not a sandbox failure, so no error line, and the exit status of a tool stopped by SIGPIPE."""
    script = Path(sys.executable).with_name("voipbin-tui")
    reader, writer = os.pipe()
    os.close(reader)  # every write now fails with EPIPE
    try:
        done = subprocess.run(
            [str(script), "accounts", "list", "--ids"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(writer)
    assert done.stderr == "" and done.returncode == 141
