"""Keep every test away from the developer's own config, data dir and environment."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Shared 2-core machines are noisy: a slow draw is load, not a bug in the strategy under test.
settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

SNAPSHOT_PYTHON = (3, 11)
"""The one Python the snapshot SVGs are made with: another one's Rich/Textual stack can draw a
few cells differently, and snapshots updated on two versions would flip back and forth."""

FIXTURES = Path(__file__).resolve().parent / "fixtures"
"""Real-shape payloads copied into the repository (see fixtures/README.md for their sources)."""


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("update_snapshots", default=False) and sys.version_info[:2] != SNAPSHOT_PYTHON:
        wanted, running = ".".join(map(str, SNAPSHOT_PYTHON)), ".".join(map(str, sys.version_info[:2]))
        raise pytest.UsageError(f"snapshots are made with Python {wanted} only; this is {running}")


def free_port() -> int:
    """A loopback port free right now, for tests of the sandbox's fixed port (never 8631)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hook_line(output: str) -> str:
    """The hook URL that ``accounts get`` or ``create`` printed."""
    line = next(line for line in output.splitlines() if line.startswith("hook url"))
    return line.split()[2]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No VOIPBIN_* from the shell, config and data in a fresh temp dir per test, and a sandbox
    on a free port: the fixed 8631 is never bound by a test (test runs share this machine)."""
    home = tmp_path_factory.mktemp("home")
    for name in (
        "VOIPBIN_API_URL",
        "VOIPBIN_HOOK_URL",
        "VOIPBIN_ACCESSKEY",
        "VOIPBIN_INSPECTOR_ACCESSKEY",
        "VOIPBIN_PROFILE",
        "VOIPBIN_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOIPBIN_TUI_CONFIG", str(home / "config" / "config.toml"))
    monkeypatch.setenv("VOIPBIN_TUI_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("VOIPBIN_TUI_PORT", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))  # launch records (voipbin_tui/launch.py)
    return home


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES
