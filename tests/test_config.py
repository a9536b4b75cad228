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
    derive_hook_url,
    load_config,
    permission_warning,
    plain_http_warnings,
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
    assert target == SandboxTarget(data_dir=isolated_environment / "data", port=0)
    assert resolve_target(config=ConfigFile(), data_dir_option=Path("/x")) == SandboxTarget(Path("/x"), port=0)


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


@pytest.mark.parametrize(
    ("mode", "told"),
    [(0o620, "writable by other users"), (0o602, "writable by other users"), (0o666, "readable and writable")],
)
def test_a_config_others_can_write_is_warned_about(tmp_path: Path, mode: int, told: str) -> None:
    """Whoever can write it can point api_url at their own server and collect the access key."""
    path = tmp_path / "config.toml"
    save_config(PROFILES, path)
    os.chmod(path, mode)
    assert told in (permission_warning(path) or "")
    assert f"chmod 600 {path}" in (permission_warning(path) or "")


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


@pytest.mark.parametrize(
    ("api_url", "hook_url"),
    [
        ("https://api.voipbin.net/v1.0", "https://hook.voipbin.net/v1.0"),
        ("https://api.staging.example/v1.0/", "https://hook.staging.example/v1.0"),
        ("https://API.Staging.example:8443/v1.0", "https://hook.staging.example:8443/v1.0"),
        ("http://127.0.0.1:8631/v1.0", "http://127.0.0.1:8631/v1.0"),  # a `serve` serves both
        ("https://voipbin.internal/v1.0", "https://voipbin.internal/v1.0"),
    ],
)
def test_the_hook_url_is_derived_from_the_api_url(api_url: str, hook_url: str) -> None:
    target = resolve_target(config=ConfigFile(), api_url=api_url, accesskey="k")
    assert (target.hook_url, target.hook_url_derived) == (hook_url, True)
    assert derive_hook_url(api_url) == hook_url


def test_a_given_hook_url_wins_flag_then_env_then_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    staging = resolve_target(config=PROFILES, profile="staging")
    assert (staging.hook_url, staging.hook_url_derived) == ("https://hook.staging.test/v1.0", False)
    monkeypatch.setenv("VOIPBIN_HOOK_URL", "https://env-hook.test/v1.0")
    assert resolve_target(config=PROFILES, profile="staging").hook_url == "https://env-hook.test/v1.0"
    flagged = resolve_target(config=PROFILES, profile="staging", hook_url="https://flag-hook.test/v1.0/")
    assert (flagged.hook_url, flagged.hook_url_derived) == ("https://flag-hook.test/v1.0", False)


def test_a_profile_hook_does_not_follow_another_api_given_by_flag() -> None:
    target = resolve_target(config=PROFILES, profile="staging", api_url="https://api.other.test/v1.0")
    assert target.hook_url == "https://hook.other.test/v1.0"


def test_an_old_file_with_the_production_hook_derives_it_from_its_api(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[profiles.staging]\napi_url = "https://api.staging.test/v1.0"\n'
        'hook_url = "https://hook.voipbin.net/v1.0"\naccesskey = "k"\n'
    )
    target = resolve_target(config=load_config(path), profile="staging")
    assert (target.hook_url, target.hook_url_derived) == ("https://hook.staging.test/v1.0", True)


def test_the_inspector_key_comes_from_env_or_profile_never_from_the_voipbin_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = ConfigFile(profiles={"ops": Profile(accesskey=SecretStr("voipbin"), inspector_url="https://relay.test")})
    assert resolve_target(config=relay, profile="ops").inspector_accesskey is None
    saved = relay.profiles["ops"].model_copy(update={"inspector_accesskey": SecretStr("relay")})
    from_file = resolve_target(config=ConfigFile(profiles={"ops": saved}), profile="ops")
    assert from_file.inspector_accesskey.get_secret_value() == "relay"
    monkeypatch.setenv("VOIPBIN_INSPECTOR_ACCESSKEY", "relay-env")
    assert resolve_target(config=relay, profile="ops").inspector_accesskey.get_secret_value() == "relay-env"


def test_the_sandbox_port_flag_env_file_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOIPBIN_TUI_PORT")
    assert resolve_target(config=ConfigFile()).port == 8631
    assert resolve_target(config=ConfigFile(sandbox_port=9100)).port == 9100
    monkeypatch.setenv("VOIPBIN_TUI_PORT", "9200")
    assert resolve_target(config=ConfigFile(sandbox_port=9100)).port == 9200
    assert resolve_target(config=ConfigFile(sandbox_port=9100), port=9300).port == 9300


def test_plain_http_to_another_host_is_warned_about() -> None:
    def warnings(api_url: str, inspector_url: str | None = None) -> list[str]:
        config = ConfigFile(
            profiles={"p": Profile(api_url=api_url, accesskey=SecretStr("k"), inspector_url=inspector_url)}
        )
        return plain_http_warnings(resolve_target(config=config, profile="p"))

    assert warnings("https://api.voipbin.net/v1.0", "https://relay.test/inspector/v1") == []
    assert warnings("http://127.0.0.1:8631/v1.0", "http://localhost:8631/inspector/v1") == []
    assert warnings("http://[::1]:8631/v1.0") == []
    api_only = warnings("http://voipbin.lan/v1.0")
    assert len(api_only) == 1 and "API URL http://voipbin.lan/v1.0" in api_only[0]
    relay = warnings("https://api.voipbin.net/v1.0", "http://ops-box:8631/inspector/v1")
    assert len(relay) == 1 and "inspector URL http://ops-box:8631/inspector/v1" in relay[0]
    assert "https or an SSH tunnel" in relay[0]


def test_the_environment_is_read_by_prefix_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("voipbin_profile", "staging")  # as pydantic-settings did: names are not case-sensitive
    monkeypatch.setenv("VOIPBIN_TUI_PORT", "9000")
    monkeypatch.setenv("VOIPBIN_UNKNOWN", "ignored")
    monkeypatch.setenv("OTHER_PROFILE", "not ours")
    env = Environment()
    assert (env.profile, env.tui_port) == ("staging", 9000)
    assert Environment(profile="given").profile == "given"  # what the code passes wins


def test_a_bad_environment_variable_is_a_config_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOIPBIN_TUI_PORT", "eighty")
    with pytest.raises(ConfigError, match="VOIPBIN_TUI_PORT: Input should be a valid integer"):
        Environment()
