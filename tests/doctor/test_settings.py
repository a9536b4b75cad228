"""Where the doctor reaches Meta and LINE: the providers' own by default, a profile's or the
environment's bases when given, and the sandbox's emulation on the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from voipbin_tui.cli import main
from voipbin_tui.config import (
    ConfigFile,
    Environment,
    Profile,
    ProviderBases,
    RemoteTarget,
    SandboxTarget,
    resolve_target,
)
from voipbin_tui.connection import open_connection


def test_defaults_are_the_providers_own() -> None:
    target = resolve_target(accesskey="k", env=Environment(), config=ConfigFile())
    assert isinstance(target, RemoteTarget)
    assert target.providers == ProviderBases("https://graph.facebook.com", "v26.0", "https://api.line.me")


def test_a_profile_sets_them_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ConfigFile(
        profiles={"staging": Profile(accesskey="k", graph_base="https://graph.proxy/", graph_version="v24.0")}
    )
    target = resolve_target(profile="staging", env=Environment(), config=config)
    assert isinstance(target, RemoteTarget)
    assert target.providers.graph_base == "https://graph.proxy" and target.providers.graph_version == "v24.0"
    assert target.providers.line_base == "https://api.line.me"
    monkeypatch.setenv("VOIPBIN_GRAPH_BASE", "https://graph.env")
    monkeypatch.setenv("VOIPBIN_LINE_BASE", "https://line.env")
    target = resolve_target(profile="staging", env=Environment(), config=config)
    assert isinstance(target, RemoteTarget)
    assert target.providers == ProviderBases("https://graph.env", "v24.0", "https://line.env")


async def test_the_sandbox_points_them_at_its_emulation(tmp_path: Path) -> None:
    async with open_connection(SandboxTarget(tmp_path / "data", port=0)) as connection:
        assert connection.backend_url is not None
        assert connection.providers.graph_base == f"{connection.backend_url}/emulated/graph"
        assert connection.providers.line_base == f"{connection.backend_url}/emulated/line"
        assert connection.providers.graph_version == "v26.0"


def test_set_profile_saves_the_doctors_bases() -> None:
    saved = CliRunner().invoke(
        main,
        ["config", "set-profile", "proxy", "--accesskey", "k"]
        + ["--graph-base", "https://graph.proxy", "--graph-version", "v25.0"],
    )
    assert saved.exit_code == 0, saved.output
    target = resolve_target(profile="proxy")
    assert isinstance(target, RemoteTarget)
    assert target.providers == ProviderBases("https://graph.proxy", "v25.0", "https://api.line.me")
