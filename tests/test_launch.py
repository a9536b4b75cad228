"""Launch records: what lets the console script draw the TUI before click, pydantic and httpx,
and when it must not (voipbin_tui/launch.py)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from voipbin_tui import cli, launch
from voipbin_tui.account_cache import AccountCache
from voipbin_tui.cli import resolve_tui_startup
from voipbin_tui.config import ConfigFile, data_dir, resolve_target
from voipbin_tui.launch import RECORDS_KEPT, LaunchInputs, config_digest


def config_file() -> Path:
    path = Path(os.environ["VOIPBIN_TUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def remember(inputs: LaunchInputs, **keys: str) -> Path:
    cache = Path(os.environ["VOIPBIN_TUI_DATA_DIR"]) / "cache" / "accounts-sandbox.json"
    inputs.remember(config_file(), config_digest(config_file()), cache, read_only=False, keymap=dict(keys))
    return cache


def test_a_record_comes_back_for_the_same_inputs_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    inputs = LaunchInputs.now(["--read-only"])
    assert inputs.recorded() is None
    cache = remember(inputs, **{"accounts.new": "N"})
    record = inputs.recorded()
    assert record is not None and record.account_cache == str(cache) and record.keymap == {"accounts.new": "N"}
    assert stat.S_IMODE(inputs.record_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(inputs.record_path.parent.stat().st_mode) == 0o700

    assert LaunchInputs.now([]).recorded() is None  # other arguments
    monkeypatch.setenv("VOIPBIN_PROFILE", "prod")
    assert LaunchInputs.now(["--read-only"]).recorded() is None  # another environment
    monkeypatch.delenv("VOIPBIN_PROFILE")
    monkeypatch.chdir(tmp_path)  # a relative --data-dir would point elsewhere
    assert LaunchInputs.now(["--read-only"]).recorded() is None
    monkeypatch.undo()


def test_a_changed_config_file_voids_the_record() -> None:
    inputs = LaunchInputs.now([])
    remember(inputs)  # no config file yet
    assert inputs.recorded() is not None
    config_file().write_text('default_profile = "prod"\n')
    assert inputs.recorded() is None
    remember(inputs)
    assert inputs.recorded() is not None
    config_file().write_text('default_profile = "staging"\n')
    assert inputs.recorded() is None
    config_file().unlink()
    assert inputs.recorded() is None


@pytest.mark.parametrize("name", ["VOIPBIN_PASSWORD", "VOIPBIN_ACCESSKEY", "VOIPBIN_INSPECTOR_ACCESSKEY"])
def test_a_password_or_a_key_counts_as_given_or_not_never_by_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A digest of a hand-chosen secret would be guessable offline from the record's name."""
    monkeypatch.setenv(name, "correct horse")
    given = LaunchInputs.now([])
    monkeypatch.setenv(name, "battery staple")
    assert LaunchInputs.now([]).record_path == given.record_path
    assert "correct horse" not in repr(given)
    monkeypatch.delenv(name)
    assert LaunchInputs.now([]).record_path != given.record_path


def test_an_access_key_on_the_command_line_counts_as_given_never_by_its_value() -> None:
    for args in (["--accesskey", "correct horse"], ["--accesskey=correct horse"]):
        given = LaunchInputs.now(args)
        other = LaunchInputs.now([arg.replace("correct horse", "battery staple") for arg in args])
        assert given.record_path == other.record_path and "correct horse" not in repr(given)
    assert LaunchInputs.now(["--accesskey", "k"]).record_path != LaunchInputs.now([]).record_path


def test_the_environment_counts_in_any_case_as_the_config_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = LaunchInputs.now([])
    monkeypatch.setenv("voipbin_profile", "prod")  # Environment reads it as VOIPBIN_PROFILE
    assert LaunchInputs.now([]).record_path != plain.record_path
    monkeypatch.delenv("voipbin_profile")
    monkeypatch.setenv("Xdg_Config_Home", "/elsewhere")
    assert LaunchInputs.now([]).record_path != plain.record_path


def test_a_record_only_this_user_can_have_written_is_trusted(tmp_path: Path) -> None:
    inputs = LaunchInputs.now([])
    remember(inputs)
    path = inputs.record_path
    assert inputs.recorded() is not None
    path.chmod(0o620)  # others could have written it
    assert inputs.recorded() is None
    path.chmod(0o600)
    path.parent.chmod(0o733)  # others could have put it there
    assert inputs.recorded() is None
    remember(inputs)  # a record written again makes its folder private again
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and inputs.recorded() is not None

    planted = tmp_path / "planted.json"
    planted.write_text(path.read_text())
    path.unlink()
    path.symlink_to(planted)
    assert inputs.recorded() is None  # a link is not followed
    path.unlink()

    remember(inputs)
    data = json.loads(path.read_text())
    data["keymap"] = {f"key{n}": "x" * 100 for n in range(700)}  # past the size of any record
    path.write_text(json.dumps(data))
    assert inputs.recorded() is None


def test_a_record_names_only_an_account_list_as_what_to_draw() -> None:
    inputs = LaunchInputs.now([])
    remember(inputs)
    data = json.loads(inputs.record_path.read_text())
    for elsewhere in ("/proc/self/environ", str(Path.home() / ".ssh" / "accounts-x.json"), "cache/x.json"):
        inputs.record_path.write_text(json.dumps({**data, "account_cache": elsewhere}))
        assert inputs.recorded() is None, elsewhere


def test_a_config_changed_while_it_was_read_voids_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The record's digest is of the config as it was before it was read: an edit in between
    never passes for the version the keys and the target came from."""
    config_file().write_text(PROFILE + 'accesskey = "k"\n')
    real_load = cli.load_config

    def load_then_edit(path: Path) -> ConfigFile:
        loaded = real_load(path)
        path.write_text(PROFILE + 'accesskey = "k"\n[keys]\n"app.quit" = "x"\n')
        return loaded

    monkeypatch.setattr(cli, "load_config", load_then_edit)
    inputs = LaunchInputs.now(["--profile", "ops"])
    assert resolve_tui_startup(inputs) is not None
    assert inputs.recorded() is None


def test_a_record_that_is_not_ours_is_ignored() -> None:
    inputs = LaunchInputs.now([])
    remember(inputs)
    for broken in ("{", "[]", '{"format": 1}', '{"format": 1, "config_path": 3}', '{"format": 99}'):
        inputs.record_path.write_text(broken)
        assert inputs.recorded() is None, broken
    data = {"format": 1, "config_path": "x", "config_digest": None, "account_cache": "y", "read_only": "yes"}
    inputs.record_path.write_text(json.dumps(data))
    assert inputs.recorded() is None


def test_records_are_kept_for_the_latest_launches_only() -> None:
    for number in range(RECORDS_KEPT + 5):
        remember(LaunchInputs.now([f"--port={number}"]))
    records = list(launch.cache_dir().glob("launch-*.json"))
    assert len(records) == RECORDS_KEPT
    assert not list(launch.cache_dir().glob(".launch-*"))  # no temporary left


PROFILE = '[profiles.ops]\napi_url = "https://api.example.test/v1.0"\n'


def test_resolving_a_record_gives_the_target_the_tui_would_have_and_renews_the_record() -> None:
    config_file().write_text(PROFILE + 'accesskey = "ops-key-5e8d"\n[keys]\n"accounts.new" = "N"\n')
    inputs = LaunchInputs.now(["--profile", "ops", "--read-only"])
    startup = resolve_tui_startup(inputs)  # a remote profile: nothing starts until it connects
    assert startup is not None and startup.account_cache is not None
    target = resolve_target(profile="ops")
    assert startup.account_cache.path == AccountCache(data_dir(), target).path
    record = inputs.recorded()
    assert record is not None and record.read_only and record.keymap == {"accounts.new": "N"}
    assert record.account_cache == str(startup.account_cache.path)
    assert "ops-key-5e8d" not in inputs.record_path.read_text()


def test_a_command_line_that_no_longer_resolves_gives_no_startup() -> None:
    inputs = LaunchInputs.now(["--profile", "nowhere"])  # no such profile: exit 2 on the normal path
    assert resolve_tui_startup(inputs) is None
    assert inputs.recorded() is None


def test_a_profile_that_asks_for_a_password_gives_no_startup() -> None:
    config_file().write_text(PROFILE + 'username = "ops@example.test"\n')
    inputs = LaunchInputs.now(["--profile", "ops"])
    assert resolve_tui_startup(inputs) is None  # the prompt comes before the TUI, on the normal path
    assert inputs.recorded() is None
