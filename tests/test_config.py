import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from voipbin_tui.config import (
    ConfigError,
    ConfigFile,
    Environment,
    Profile,
    RemoteTarget,
    SandboxTarget,
    config_path,
    data_dir,
    load_config,
    permission_warning,
    resolve_target,
    save_config,
)

PROFILES = ConfigFile(
    default_profile="prod",
    profiles={
        "prod": Profile(accesskey=SecretStr("file-key")),
        "staging": Profile(
            api_url="https://api.staging.test/v1.0",
            hook_url="https://hook.staging.test/v1.0",
            username="ops",
            inspector_url="http://relay:8631",
        ),
    },
)


def test_nothing_configured_means_the_sandbox(isolated_environment: Path) -> None:
    target = resolve_target(config=ConfigFile())
    assert target == SandboxTarget(data_dir=isolated_environment / "data")
    assert resolve_target(config=ConfigFile(), data_dir_option=Path("/x")) == SandboxTarget(Path("/x"))


def test_default_profile_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    target = resolve_target(config=PROFILES)
    assert isinstance(target, RemoteTarget)
    assert (target.profile, target.api_url, target.accesskey.get_secret_value()) == (
        "prod",
        "https://api.voipbin.net/v1.0",
        "file-key",
    )
    assert target.label == "prod @ api.voipbin.net"


def test_flag_beats_env_beats_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOIPBIN_ACCESSKEY", "env-key")
    monkeypatch.setenv("VOIPBIN_API_URL", "https://env.test/v1.0/")
    from_env = resolve_target(config=PROFILES)
    assert from_env.accesskey.get_secret_value() == "env-key"
    assert from_env.api_url == "https://env.test/v1.0"
    from_flag = resolve_target(config=PROFILES, accesskey="flag-key", api_url="https://flag.test/v1.0")
    assert (from_flag.accesskey.get_secret_value(), from_flag.api_url) == ("flag-key", "https://flag.test/v1.0")


def test_profile_env_var_selects_a_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOIPBIN_PROFILE", "staging")
    target = resolve_target(config=PROFILES)
    assert (target.profile, target.username, target.accesskey) == ("staging", "ops", None)
    assert (target.hook_url, target.inspector_url) == ("https://hook.staging.test/v1.0", "http://relay:8631")


def test_credentials_without_profile_use_the_public_api() -> None:
    target = resolve_target(config=ConfigFile(), accesskey="k")
    assert target.api_url == "https://api.voipbin.net/v1.0" and target.profile is None


def test_unknown_profile_and_missing_credentials_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="unknown profile 'nope'.*prod, staging"):
        resolve_target(config=PROFILES, profile="nope")
    with pytest.raises(ConfigError, match="no credentials"):
        resolve_target(config=ConfigFile(), api_url="https://x.test/v1.0")


def test_save_is_0600_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "config.toml"
    save_config(PROFILES, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path) == PROFILES
    assert 'accesskey = "file-key"' in path.read_text()
    assert permission_warning(path) is None
    os.chmod(path, 0o644)
    assert "readable by other users" in permission_warning(path)


def test_bad_files_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("default_profile = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    path.write_text('[profiles.x]\napi_key = "typo"\n')
    with pytest.raises(ConfigError, match="profiles.x.api_key"):
        load_config(path)


def test_paths_follow_the_environment(isolated_environment: Path) -> None:
    env = Environment()
    assert config_path(env) == isolated_environment / "config" / "config.toml"
    assert data_dir(env) == isolated_environment / "data"
