"""No text from outside (the API, webhook senders, the config file) reaches the terminal through
the CLI as anything but text: every command's stdout and stderr, scanned byte for byte."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner, Result

from tests.hostile_text import HOSTILE, MARKUP_SHOWN, assert_terminal_safe, plant_hostile_data
from voipbin_tui.cli import main

pytestmark = pytest.mark.slow  # each runs the CLI against a sandbox it starts


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    for name, stream in (("stdout", result.stdout_bytes), ("stderr", result.stderr_bytes)):
        assert_terminal_safe(stream.decode("utf-8"), where=f"{' '.join(args)[:60]} {name}")
    return result


@pytest.fixture
def hostile_sandbox(isolated_environment: Path) -> dict[str, str]:
    """The CLI's sandbox, seeded, then every account and flow text replaced by the corpus."""
    assert run("accounts", "list", "--json").exit_code == 0
    plant_hostile_data(isolated_environment / "data")
    listed = json.loads(CliRunner().invoke(main, ["accounts", "list", "--json"]).stdout)
    return {account["type"]: account["id"] for account in listed}


def test_accounts_and_flows_print_as_text(hostile_sandbox: dict[str, str]) -> None:
    listed = run("accounts", "list", "--wide")
    assert listed.exit_code == 0 and "\\x1b]0;PWNED" in listed.stdout
    for kind, account_id in hostile_sandbox.items():
        shown = run("accounts", "get", account_id)
        assert shown.exit_code == 0 and MARKUP_SHOWN in shown.stdout, kind
        as_json = run("accounts", "get", account_id, "--json", "--show-secrets")
        assert json.loads(as_json.stdout)["name"] == f"acct {HOSTILE}"  # the same data, for scripts
    assert run("accounts", "list").exit_code == 0 and run("accounts", "list", "--json").exit_code == 0
    assert run("flows", "list").exit_code == 0 and run("flows", "list", "--wide").exit_code == 0
    assert json.loads(run("flows", "list", "--json").stdout)[0]["name"] == f"flow {HOSTILE}"


def test_create_update_and_delete_say_what_they_did_as_text(
    hostile_sandbox: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = run("accounts", "create", "--type", "sms", "--name", HOSTILE[:200], "--detail", HOSTILE)
    assert created.exit_code == 0, created.output
    updated = run("accounts", "update", hostile_sandbox["sms"], "--detail", "changed")
    assert updated.exit_code == 0, updated.output
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    refused = run("accounts", "delete", hostile_sandbox["line"], input="n\n")
    assert "Delete line account acct \\x1b]0;PWNED" in refused.stderr and "not deleted" in refused.stderr
    assert run("accounts", "delete", hostile_sandbox["line"], "--yes").exit_code == 0


def test_send_test_reports_hostile_ids_and_texts_as_text(hostile_sandbox: dict[str, str]) -> None:
    """The account's phone_number_id (planted) lands in the payload and so in the explanation."""
    result = run("hook", "send-test", hostile_sandbox["whatsapp"], "--text", HOSTILE)
    assert result.exit_code in (0, 1), result.output
    assert "verdict:" in result.stdout and "phone_number_id '\\x1b]0;PWNED" in result.stdout


class _HostileApi(BaseHTTPRequestHandler):
    """A VoIPBIN whose every answer is an error made of the corpus."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps(
            {"error": {"status": HOSTILE, "reason": HOSTILE, "message": HOSTILE, "request_id": HOSTILE}}
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1.0"
    server.shutdown()
    server.server_close()


def test_api_error_messages_print_as_text(hostile_api: str) -> None:
    for command in (
        ["accounts", "list"],
        ["accounts", "get", "00000000-0000-4000-8000-000000000001"],
        ["flows", "list"],
    ):
        result = run(*command, "--api-url", hostile_api, "--accesskey", "k")
        assert result.exit_code == 1 and "error: 400" in result.stderr and "\\x1b]0;PWNED" in result.stderr


def test_config_show_prints_a_hostile_file_as_text(isolated_environment: Path) -> None:
    config = isolated_environment / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    escaped = json.dumps(HOSTILE.replace("\ud800", ""))  # a TOML basic string is JSON-compatible here
    config.write_text(f"default_profile = {escaped}\n[profiles.{escaped}]\napi_url = {escaped}\n")
    config.chmod(0o600)
    result = run("config", "show")
    assert result.exit_code == 0 and "\\x1b]0;PWNED" in result.stdout
