"""The installed ``voipbin-tui`` in a real terminal (tmux): sandbox up, detail opens, quits cleanly."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.secrets_scan import assert_no_secrets, stored_secrets

pytestmark = pytest.mark.slow  # each runs the installed voipbin-tui in tmux

SCRIPT = Path(sys.executable).parent / "voipbin-tui"
SESSION = "voipbin-e2e"


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, check=check)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", SESSION).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def running(self) -> bool:
        return self("has-session", "-t", SESSION, check=False).returncode == 0


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is required (.ci/run installs it)"
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    runner = Tmux(tmp_path / "tmux.sock")
    yield runner
    runner("kill-server", check=False)


def start_tui(
    tmux: Tmux,
    tmp_path: Path,
    width: int = 100,
    height: int = 30,
    *,
    args: str = "",
    keep_pane: bool = False,
    **more_env: str,
) -> tuple[Path, Path]:
    """The installed script in a tmux pane of this size with a fresh home (the same one on a
    second start); returns (home, exit file). ``keep_pane`` keeps what it printed on screen
    after it exits."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    exit_file = tmp_path / "exit-status"
    exit_file.unlink(missing_ok=True)
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "VOIPBIN_TUI_PORT": "0",  # never the fixed 8631: test runs share this machine
        **more_env,
    }
    # env -i: nothing from the test process (its temp config and data dirs) leaks in
    assignments = " ".join(shlex.quote(f"{key}={value}") for key, value in env.items())
    command = f"env -i {assignments} {shlex.quote(str(SCRIPT))} {args}; echo $? > {shlex.quote(str(exit_file))}"
    if keep_pane:
        command += "; sleep 60"
    for _ in range(20):  # a server of an earlier start may still be on its way out
        started = tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), command, check=False)
        if started.returncode == 0:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"tmux could not start: {started.stderr}")
    return home, exit_file


def test_installed_tui_shows_the_sandbox_opens_a_detail_and_quits(tmux: Tmux, tmp_path: Path) -> None:
    home, exit_file = start_tui(tmux, tmp_path)
    tmux.wait_for("whatsapp")
    listed = tmux.wait_for("3 accounts")
    assert "SANDBOX" in listed and "line" in listed and "sms" in listed, listed
    tmux("send-keys", "-t", SESSION, "Enter")
    detail = tmux.wait_for("write-only")
    assert "Setup checklist" in detail or "Webhook" in detail
    tmux("send-keys", "-t", SESSION, "Escape")
    tmux.wait_for("Filter")  # the list's footer: the escape has been read, so "q" is not alt+q
    tmux("send-keys", "-t", SESSION, "q")
    deadline = time.monotonic() + 15
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "0"

    data_dir = home / ".local/share/voipbin-tui"
    secrets = stored_secrets(data_dir)
    assert secrets, "the sandbox seed should hold secrets to look for"
    assert_no_secrets(listed + detail, secrets)


def test_keys_sent_in_one_burst_land_in_their_fields(tmux: Tmux, tmp_path: Path) -> None:
    """What a password manager's auto-type does: every key in one write, tabs between fields."""
    start_tui(tmux, tmp_path)
    tmux.wait_for("3 accounts")
    tmux("send-keys", "-t", SESSION, "n")
    tmux.wait_for("Choose the type first")
    tmux("send-keys", "-t", SESSION, "Enter")
    tmux.wait_for("WhatsApp")
    tmux("send-keys", "-t", SESSION, "Down", "Enter")
    tmux.wait_for("Access token")
    # from the type: name, detail, flow, then the token; everything below is one send-keys
    burst = ["Tab", "Tab", "Tab", "Tab", "tok", "Tab", "vt", "Tab", "123456789012345", "Tab", "shortsecret", "C-r"]
    tmux("send-keys", "-t", SESSION, *burst)
    screen = tmux.wait_for("shortsecret")
    fields = {" ".join(line.split()) for line in screen.splitlines()}
    expected = {"Access token tok", "Verify token vt", "Phone number id 123456789012345", "App secret shortsecret"}
    assert expected <= fields, screen


def test_at_80x24_end_reaches_the_bottom_of_a_request_at_once(tmux: Tmux, tmp_path: Path) -> None:
    """A real terminal, where the first end used to stop short while the raw bytes were laid out."""
    start_tui(tmux, tmp_path, 80, 24)
    tmux.wait_for("3 accounts")
    footer = tmux.wait_for("q Quit").splitlines()[-1]  # the keys come right after the list is drawn
    assert "q Quit" in footer and "? Keys" in footer
    tmux("send-keys", "-t", SESSION, "t")
    tmux.wait_for("Message text")
    tmux("send-keys", "-t", SESSION, "Enter")  # sends, from any field
    tmux.wait_for("✓ ok")
    tmux("send-keys", "-t", SESSION, "i")
    tmux.wait_for("All/selected")  # the inspector's keys: it has the focus
    tmux("send-keys", "-t", SESSION, "Enter")
    tmux.wait_for("Copy as curl")
    time.sleep(0.5)  # what a person takes to reach for the key
    tmux("send-keys", "-t", SESSION, "End")
    tmux.wait_for('"field":"messages"}]}]}', timeout=3)


def quit_and_wait(tmux: Tmux, exit_file: Path, key: str = "q") -> str:
    tmux("send-keys", "-t", SESSION, key)
    return wait_for_exit(exit_file)


def wait_for_exit(exit_file: Path, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return exit_file.read_text().strip()


def launch_records(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "voipbin-tui").glob("launch-*.json"))


def test_a_second_launch_draws_the_list_last_seen_from_its_record_then_the_fresh_one(
    tmux: Tmux, tmp_path: Path
) -> None:
    home, exit_file = start_tui(tmux, tmp_path)
    tmux.wait_for("3 accounts")
    assert quit_and_wait(tmux, exit_file) == "0"
    [record_path] = launch_records(home)
    record = json.loads(record_path.read_text())
    cache = Path(record["account_cache"])
    assert cache.parent == home / ".local/share/voipbin-tui/cache"
    kept = json.loads(cache.read_text())
    kept["accounts"][0]["name"] = "Gone since last run"
    cache.write_text(json.dumps(kept))

    start_tui(tmux, tmp_path)
    first = tmux.wait_for("last seen")
    assert "Gone since last run" in first, first
    fresh = tmux.wait_for("WhatsApp Customer")
    assert "Gone since last run" not in fresh
    tmux.wait_for("nothing yet")
    assert "last seen" not in tmux.screen()
    assert quit_and_wait(tmux, exit_file) == "0"

    # the list the record names is what the first frame draws (the normal path reads the
    # target's own): another one, named by hand, shows that the launcher drew it, and that
    # the resolved target's list replaces it
    elsewhere = tmp_path / "elsewhere" / "cache" / "accounts-sandbox.json"
    elsewhere.parent.mkdir(parents=True)
    kept["accounts"][0]["name"] = "From the record"
    elsewhere.write_text(json.dumps(kept))
    record_path.write_text(json.dumps({**json.loads(record_path.read_text()), "account_cache": str(elsewhere)}))
    start_tui(tmux, tmp_path)
    assert "From the record" in tmux.wait_for("last seen")
    assert "From the record" not in tmux.wait_for("WhatsApp Customer")
    assert quit_and_wait(tmux, exit_file) == "0"
    assert json.loads(record_path.read_text())["account_cache"] == str(cache)  # renewed as resolved


def test_a_changed_config_takes_the_normal_path(tmux: Tmux, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    home, exit_file = start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config))
    tmux.wait_for("3 accounts")
    tmux.wait_for("q Quit")  # the keys come right after the list is drawn
    assert quit_and_wait(tmux, exit_file) == "0"
    config.write_text('[keys]\n"app.quit" = "x"\n')
    config.chmod(0o600)

    start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config))
    screen = tmux.wait_for("x Quit")  # the first frame already: the record of the old config is not used
    assert "q Quit" not in screen
    tmux.wait_for("3 accounts")
    assert quit_and_wait(tmux, exit_file, key="x") == "0"
    [record] = launch_records(home)  # the same inputs: renewed for the config as it is now
    assert json.loads(record.read_text())["keymap"] == {"app.quit": "x"}


def test_a_config_error_reads_and_exits_as_it_always_did(tmux: Tmux, tmp_path: Path) -> None:
    """Also when a launch record drew the TUI first: resolving fails, the TUI closes, and the
    command says what it says without a record."""
    config = tmp_path / "config.toml"
    home, exit_file = start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config), args="--profile prod", keep_pane=True)
    assert wait_for_exit(exit_file) == "2"
    without_record = tmux.wait_for("error:")
    expected = "error: unknown profile 'prod'"
    assert expected in without_record and not launch_records(home), without_record
    tmux("kill-server", check=False)  # the pane kept for its output

    # a record for these inputs whose config check still passes, as if the profile went away in
    # a way the record cannot see
    config.write_text('[profiles.prod]\napi_url = "http://127.0.0.1:9/v1.0"\naccesskey = "k"\n')
    start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config), args="--profile prod")
    tmux.wait_for("prod @ 127.0.0.1:9")
    assert quit_and_wait(tmux, exit_file) == "0"
    [record_path] = launch_records(home)
    config.write_text("# no profiles now\n")
    record = json.loads(record_path.read_text())
    record["config_digest"] = hashlib.sha256(config.read_bytes()).hexdigest()
    record_path.write_text(json.dumps(record))

    start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config), args="--profile prod", keep_pane=True)
    assert wait_for_exit(exit_file) == "2"
    assert expected in tmux.wait_for("error:")
    assert not launch_records(home)  # the record that led astray is gone


def test_warnings_about_the_config_reach_stderr_also_when_a_record_drew_the_tui(tmux: Tmux, tmp_path: Path) -> None:
    """The normal path prints them before the TUI takes the terminal; from a record they come
    once it has left it (and as toasts in it, either way)."""
    config = tmp_path / "config.toml"
    config.write_text("# readable by anyone\n")
    config.chmod(0o644)
    home, exit_file = start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config))
    tmux.wait_for("3 accounts")
    assert quit_and_wait(tmux, exit_file) == "0"
    assert launch_records(home)

    start_tui(tmux, tmp_path, VOIPBIN_TUI_CONFIG=str(config), keep_pane=True)
    tmux.wait_for("nothing yet")  # the inspector is connected: the command line has been resolved
    tmux("send-keys", "-t", SESSION, "q")
    assert wait_for_exit(exit_file) == "0"
    after = tmux.wait_for("warning:").replace("\n", "")  # the terminal wraps the long line
    assert f"warning: {config} is readable by other users" in after, after
