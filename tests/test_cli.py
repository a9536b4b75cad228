"""The CLI against a VoIPBIN stand-in: output for people and scripts, secrets, exit codes."""

import json
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner

from voipbin_tui.cli import main

API = "https://api.cli.test/v1.0"
ACCOUNT_ID = "c3d4e5f6-a7b8-9012-cdef-123456789012"
FLOW_ID = "b2c3d4e5-f6a7-8901-bcde-f12345678901"
APP_SECRET = "abcdef1234567890abcdef1234567890"
REMOTE = ["--api-url", API, "--accesskey", "cli-key"]

WHATSAPP = {
    "id": ACCOUNT_ID,
    "type": "whatsapp",
    "name": "Support",
    "provider_data": {"phone_number_id": "123456789012345", "app_secret": APP_SECRET},
    "message_flow_id": FLOW_ID,
    "tm_create": "2024-03-01T10:00:00Z",
}
FLOWS = {"result": [{"id": FLOW_ID, "name": "Support bot"}], "next_page_token": "t"}


@pytest.fixture
def api() -> respx.MockRouter:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.get("/flows").mock(
            side_effect=lambda request: httpx.Response(
                200, json=FLOWS if "page_token" not in request.url.params else {"result": []}
            )
        )
        router.get("/conversation_accounts").mock(
            side_effect=lambda request: httpx.Response(
                200,
                json={"result": [WHATSAPP], "next_page_token": "t"}
                if "page_token" not in request.url.params
                else {"result": []},
            )
        )
        router.get(f"/conversation_accounts/{ACCOUNT_ID}").mock(return_value=httpx.Response(200, json=WHATSAPP))
        yield router


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, [*args], input=input, catch_exceptions=False)


def test_list_table_shows_flow_by_name_and_no_secret(api: respx.MockRouter) -> None:
    result = run("accounts", "list", *REMOTE)
    assert result.exit_code == 0, result.output
    assert "Support bot" in result.output and "whatsapp" in result.output
    assert APP_SECRET not in result.output


def test_list_json_masks_unless_show_secrets(api: respx.MockRouter) -> None:
    masked = json.loads(run("accounts", "list", *REMOTE, "--json").stdout)
    assert masked[0]["provider_data"]["app_secret"] == "••••7890"
    shown = json.loads(run("accounts", "list", *REMOTE, "--json", "--show-secrets").stdout)
    assert shown[0]["provider_data"]["app_secret"] == APP_SECRET


def test_group_level_connection_options_are_inherited(api: respx.MockRouter) -> None:
    result = run(*REMOTE, "accounts", "get", ACCOUNT_ID)
    assert result.exit_code == 0
    assert "write-only: set on save, never returned" in result.output
    # the hook follows the API given at the group level, and says it was derived
    assert f"https://hook.cli.test/v1.0/conversation/accounts/{ACCOUNT_ID}  (derived from the API URL)" in result.stdout
    assert "hook.voipbin.net" not in result.output
    assert "••••7890" in result.output and APP_SECRET not in result.output


def test_create_reads_secrets_from_stdin(api: respx.MockRouter) -> None:
    create = api.post("/conversation_accounts").mock(return_value=httpx.Response(200, json=WHATSAPP))
    result = run(
        "accounts",
        "create",
        *REMOTE,
        "--type",
        "whatsapp",
        "--name",
        "Support",
        "--phone-number-id",
        "123456789012345",
        "--message-flow-id",
        FLOW_ID,
        "--token",
        "-",
        "--secret",
        "-",
        "--app-secret",
        "-",
        input=f"EAAsecret\nverify-token\n{APP_SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    body = json.loads(create.calls.last.request.content)
    assert (body["token"], body["secret"], body["provider_data"]["app_secret"]) == (
        "EAAsecret",
        "verify-token",
        APP_SECRET,
    )
    assert "EAAsecret" not in result.output and "verify-token" not in result.output


def test_create_prompts_without_echo(api: respx.MockRouter) -> None:
    create = api.post("/conversation_accounts").mock(return_value=httpx.Response(200, json=WHATSAPP))
    result = run("accounts", "create", *REMOTE, "--type", "line", "--prompt-secrets", input="tok\nchan-secret\n")
    assert result.exit_code == 0, result.output
    assert json.loads(create.calls.last.request.content)["secret"] == "chan-secret"
    assert "chan-secret" not in result.output


def test_validation_error_exits_1_before_sending(api: respx.MockRouter) -> None:
    create = api.post("/conversation_accounts")
    result = run("accounts", "create", *REMOTE, "--type", "whatsapp", "--phone-number-id", "12ab")
    assert result.exit_code == 1
    assert "phone_number_id: the phone number id is digits only" in result.output
    assert "Traceback" not in result.output
    assert not create.called


def test_update_sends_only_what_was_given(api: respx.MockRouter) -> None:
    put = api.put(f"/conversation_accounts/{ACCOUNT_ID}").mock(return_value=httpx.Response(200, json=WHATSAPP))
    result = run("accounts", "update", ACCOUNT_ID, *REMOTE, "--name", "Renamed", "--no-flow")
    assert result.exit_code == 0, result.output
    assert json.loads(put.calls.last.request.content) == {"name": "Renamed", "message_flow_id": ""}


def test_update_with_nothing_to_change_sends_nothing(api: respx.MockRouter) -> None:
    put = api.put(f"/conversation_accounts/{ACCOUNT_ID}")
    result = run("accounts", "update", ACCOUNT_ID, *REMOTE, "--name", "Support")
    assert result.exit_code == 1 and "nothing changed" in result.output
    assert not put.called


def test_api_error_prints_reason_and_request_id(api: respx.MockRouter) -> None:
    api.delete(f"/conversation_accounts/{ACCOUNT_ID}").mock(
        return_value=httpx.Response(
            403,
            json={
                "error": {
                    "status": "PERMISSION_DENIED",
                    "reason": "PERMISSION_DENIED",
                    "message": "not yours",
                    "request_id": "req_42",
                }
            },
        )
    )
    result = run("accounts", "delete", ACCOUNT_ID, *REMOTE, "--yes")
    assert result.exit_code == 1
    assert "PERMISSION_DENIED" in result.output and "req_42" in result.output
    assert "Traceback" not in result.output


def test_delete_without_a_terminal_needs_yes(api: respx.MockRouter) -> None:
    result = run("accounts", "delete", ACCOUNT_ID, *REMOTE)
    assert result.exit_code == 2 and "--yes" in result.output


def test_bad_uuid_is_a_usage_error() -> None:
    result = run("accounts", "delete", "nope", *REMOTE, "--yes")
    assert result.exit_code == 2 and "not a valid UUID" in result.output


def test_invalid_id_from_get_is_a_usage_error() -> None:
    result = run("accounts", "get", "nope", *REMOTE)
    assert result.exit_code == 2 and "not a valid UUID" in result.output


def test_unreachable_api_is_exit_1() -> None:
    result = run("flows", "list", "--api-url", "http://127.0.0.1:9/v1.0", "--accesskey", "k")
    assert result.exit_code == 1 and "cannot connect to 127.0.0.1:9" in result.output


def test_unknown_profile_is_exit_2() -> None:
    result = run("flows", "list", "--profile", "nope")
    assert result.exit_code == 2 and "unknown profile 'nope'" in result.output


def test_config_set_profile_show_and_path(isolated_environment: Path) -> None:
    result = run("config", "set-profile", "prod", "--accesskey", "-", "--default", input="prod-key-123456\n")
    assert result.exit_code == 0, result.output
    shown = run("config", "show")
    assert "[profiles.prod]" in shown.output and "default_profile = prod" in shown.output
    assert "prod-key-123456" not in shown.output and "••••3456" in shown.output
    assert str(isolated_environment / "data") in run("config", "path").output


def test_set_profile_takes_the_relays_key_from_stdin_and_keeps_it_apart(isolated_environment: Path) -> None:
    result = run(
        "config",
        "set-profile",
        "ops",
        "--accesskey",
        "-",
        "--inspector-url",
        "https://ops-box.example/inspector/v1",
        "--inspector-accesskey",
        "-",
        input="voipbin-key-1111\nrelay-key-2222\n",
    )
    assert result.exit_code == 0, result.output
    saved = (isolated_environment / "config" / "config.toml").read_text()
    assert 'accesskey = "voipbin-key-1111"' in saved and 'inspector_accesskey = "relay-key-2222"' in saved
    assert "hook_url" not in saved  # derived from the API URL unless given
    shown = run("config", "show").output
    assert "relay-key-2222" not in shown and "••••2222" in shown


def test_set_profile_prompts_for_the_relays_key_without_echo(isolated_environment: Path) -> None:
    result = run("config", "set-profile", "ops", "--prompt-inspector-accesskey", input="relay-key-3333\n")
    assert result.exit_code == 0, result.output
    assert "relay-key-3333" not in result.output
    assert 'inspector_accesskey = "relay-key-3333"' in (isolated_environment / "config" / "config.toml").read_text()


def test_plain_http_to_a_remote_api_is_warned_about_on_stderr(api: respx.MockRouter) -> None:
    plain = "http://voipbin.lan/v1.0"
    with respx.mock(base_url=plain) as router:
        router.get("/flows").mock(return_value=httpx.Response(200, json={"result": []}))
        result = run("flows", "list", "--api-url", plain, "--accesskey", "k")
    assert result.exit_code == 0, result.output
    assert "warning: the API URL http://voipbin.lan/v1.0 sends credentials unencrypted" in result.stderr
    assert "unencrypted" not in run("flows", "list", *REMOTE).stderr


def test_the_tui_repeats_plain_http_warnings_inside_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from voipbin_tui.tui.app import VoipbinApp

    shown: list[str] = []
    monkeypatch.setattr(VoipbinApp, "run", lambda self: shown.extend(self._notices))
    result = run("--api-url", "http://voipbin.lan/v1.0", "--accesskey", "k")
    assert result.exit_code == 0, result.output
    assert any("http://voipbin.lan/v1.0 sends credentials unencrypted" in notice for notice in shown)


def test_a_bad_environment_variable_is_one_line_for_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOIPBIN_TUI_PORT", "eighty")
    for command in (["config", "show"], ["accounts", "list"]):
        result = run(*command)  # catch_exceptions=False: a traceback would fail here
        assert result.exit_code == 2
        assert "error: invalid environment variable VOIPBIN_TUI_PORT" in result.output
