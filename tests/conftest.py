"""Keep every test away from the developer's own config, data dir and environment."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No VOIPBIN_* from the shell, and config and data in a fresh temp dir per test."""
    home = tmp_path_factory.mktemp("home")
    for name in ("VOIPBIN_API_URL", "VOIPBIN_ACCESSKEY", "VOIPBIN_PROFILE", "VOIPBIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOIPBIN_TUI_CONFIG", str(home / "config" / "config.toml"))
    monkeypatch.setenv("VOIPBIN_TUI_DATA_DIR", str(home / "data"))
    return home


@pytest.fixture
def shared_fixtures() -> Path:
    assert SHARED_FIXTURES.is_dir(), f"shared fixtures missing at {SHARED_FIXTURES}"
    return SHARED_FIXTURES
