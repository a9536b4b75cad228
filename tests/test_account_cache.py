"""The list last seen, on disk: what it keeps (the listed fields, nothing secret), where, and how."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from pathlib import Path
from uuid import UUID

from pydantic import SecretStr

from voipbin_tui.account_cache import LISTED_FIELDS, AccountCache, target_key
from voipbin_tui.api.models import Account
from voipbin_tui.config import RemoteTarget, SandboxTarget

APP_SECRET = "feedfacefeedfacefeedfacefeedQzWx"
"""Ends in characters nothing else in the page has: not even its masked form may be kept."""
ACCESSKEY = "remote-accesskey-9f8e7d6c5b4a"
FLOW_ID = UUID("b2c3d4e5-f6a7-8901-bcde-f12345678901")


def accounts(fixtures_root: Path) -> list[Account]:
    page = json.loads((fixtures_root / "voipbin" / "accounts-page.json").read_text())
    for item in page["result"]:
        if "provider_data" in item:
            item["provider_data"]["app_secret"] = APP_SECRET
    listed = [Account.model_validate(item) for item in page["result"]]
    assert any(account.app_secret for account in listed)  # one to leak
    return listed


def remote(accesskey: str = ACCESSKEY, profile: str | None = "prod") -> RemoteTarget:
    return RemoteTarget(
        api_url="https://api.voipbin.net/v1.0",
        hook_url="https://hook.voipbin.net/v1.0",
        accesskey=SecretStr(accesskey),
        username=None,
        profile=profile,
        inspector_url=None,
    )


def test_the_list_comes_back_as_it_was_shown(tmp_path: Path, fixtures_root: Path) -> None:
    cache = AccountCache(tmp_path, SandboxTarget(data_dir=tmp_path))
    assert cache.read() is None  # nothing seen yet
    shown = accounts(fixtures_root)
    cache.write(shown, {FLOW_ID: "Support triage"})

    cached = cache.read()
    assert cached is not None
    assert cached.flow_names == {FLOW_ID: "Support triage"}
    for before, after in zip(shown, cached.accounts, strict=True):
        for field in ("id", "type", "name", "detail", "message_flow_id", "tm_create", "tm_update", "tm_delete"):
            assert getattr(after, field) == getattr(before, field)
        assert not hasattr(after, "provider_data")  # kept nowhere, not even as None


def test_a_cached_list_never_holds_a_secret(tmp_path: Path, fixtures_root: Path) -> None:
    target = remote()
    data_dir = tmp_path / "no data dir yet"  # a remote profile's user who never ran the sandbox
    cache = AccountCache(data_dir, target)
    cache.write(accounts(fixtures_root), {})
    text = cache.path.read_text()
    assert APP_SECRET not in text and APP_SECRET[-4:] not in text  # not in clear, not even masked
    assert "provider_data" not in text and "••••" not in text
    assert ACCESSKEY not in text and ACCESSKEY not in str(cache.path)
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert [path.name for path in cache.path.parent.iterdir()] == [cache.path.name]  # no temporary left


def test_provider_data_in_a_cache_file_is_not_read_back(tmp_path: Path, fixtures_root: Path) -> None:
    """Whatever a cache file holds (an older version's, a hand edit), only listed fields come back."""
    cache = AccountCache(tmp_path, SandboxTarget(data_dir=tmp_path))
    cache.write(accounts(fixtures_root), {})
    data = json.loads(cache.path.read_text())
    data["accounts"][1]["provider_data"] = {"phone_number_id": "1", "app_secret": APP_SECRET}
    cache.path.write_text(json.dumps(data))
    cached = cache.read()
    assert cached is not None
    assert all(set(asdict(account)) == LISTED_FIELDS for account in cached.accounts)


def test_each_target_has_its_own_list(tmp_path: Path) -> None:
    keys = {
        target_key(SandboxTarget(data_dir=tmp_path)),
        target_key(remote()),
        target_key(remote(accesskey="another-customer-key")),
        target_key(remote(profile="staging")),
    }
    assert len(keys) == 4
    assert all(ACCESSKEY not in key for key in keys)


def test_an_unreadable_cache_is_no_cache(tmp_path: Path, fixtures_root: Path) -> None:
    cache = AccountCache(tmp_path, SandboxTarget(data_dir=tmp_path))
    cache.path.parent.mkdir(parents=True)
    for content in ("not json", "[]", '{"version": 1}', '{"version": 99, "accounts": [], "flows": {}}'):
        cache.path.write_text(content)
        assert cache.read() is None
    cache.write(accounts(fixtures_root), {})
    data = json.loads(cache.path.read_text())
    data["accounts"][0]["id"] = "not a uuid"
    cache.path.write_text(json.dumps(data))
    assert cache.read() is None
