"""The installed ``voipbin-tui`` in a real terminal (tmux): sandbox up, detail opens, quits cleanly."""

from __future__ import annotations

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


def start_tui(tmux: Tmux, tmp_path: Path, width: int = 100, height: int = 30) -> tuple[Path, Path]:
    """The installed script in a tmux pane of this size with a fresh home; returns (home, exit file)."""
    home = tmp_path / "home"
    home.mkdir()
    exit_file = tmp_path / "exit-status"
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "VOIPBIN_TUI_PORT": "0",  # never the fixed 8631: test runs share this machine
    }
    # env -i: nothing from the test process (its temp config and data dirs) leaks in
    assignments = " ".join(shlex.quote(f"{key}={value}") for key, value in env.items())
    command = f"env -i {assignments} {shlex.quote(str(SCRIPT))}; echo $? > {shlex.quote(str(exit_file))}"
    tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), command)
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
    footer = tmux.wait_for("3 accounts").splitlines()[-1]
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
