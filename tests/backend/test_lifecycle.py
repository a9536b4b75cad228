"""Starting and restarting backends: access key, seeding, schema versions, retention."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.backend.conftest import ACCESSKEY
from voipbin_tui.backend.seed import SEED_WHATSAPP_ACCESS_TOKEN
from voipbin_tui.backend.server import EmbeddedBackend, load_or_create_accesskey, start_embedded
from voipbin_tui.backend.store import DATABASE_FILENAME, SCHEMA_VERSION, CaptureRecord, Store, StoreError
from voipbin_tui.backend.store.captures import PRUNE_EVERY
from voipbin_tui.protocols import HookVerdict, RequestKind


def test_the_access_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    key = load_or_create_accesskey(tmp_path / "data")
    key_file = tmp_path / "data" / "accesskey"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key.get_secret_value()) >= 32
    assert load_or_create_accesskey(tmp_path / "data") == key
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["accesskey"]  # no temporary left behind
    key_file.write_text("")
    with pytest.raises(StoreError, match="empty: delete it"):
        load_or_create_accesskey(tmp_path / "data")


def test_an_embedded_backend_without_a_key_uses_the_data_dirs(tmp_path: Path) -> None:
    with start_embedded(tmp_path, seed=False) as backend:
        assert backend.accesskey == load_or_create_accesskey(tmp_path)
        assert backend.api_url == f"http://127.0.0.1:{backend.port}/v1.0"
        assert backend.hook_url == backend.local_hook_url == backend.api_url
        assert backend.inspector_url == f"http://127.0.0.1:{backend.port}/inspector/v1"
        response = httpx.get(f"{backend.api_url}/customer", cookies={"accesskey": backend.accesskey.get_secret_value()})
        assert response.status_code == 200
    assert not backend.is_running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{backend.api_url}/customer")


def test_a_public_hook_url_is_what_providers_are_given(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend(public_hook_url="https://hook.example.org/v1.0")
    assert backend.hook_url == "https://hook.example.org/v1.0"
    assert backend.local_hook_url.startswith("http://127.0.0.1:")


def _listing(backend: EmbeddedBackend) -> dict[str, object]:
    """Everything the REST API shows, for comparing two sandboxes."""
    with httpx.Client(base_url=backend.api_url, cookies={"accesskey": ACCESSKEY}) as http:
        conversations = http.get("/conversations").json()["result"]
        return {
            "accounts": http.get("/conversation_accounts").json(),
            "flows": http.get("/flows").json(),
            "customer": http.get("/customer").json(),
            "conversations": conversations,
            "messages": [http.get(f"/conversations/{c['id']}/messages").json() for c in conversations],
        }


def test_the_seed_is_realistic_and_reproducible(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    first = _listing(fresh_backend(seed=True))
    second = _listing(fresh_backend(seed=True))
    assert first == second  # same clock and ids, same sandbox

    accounts = {a["type"]: a for a in first["accounts"]["result"]}  # type: ignore[index]
    assert set(accounts) == {"whatsapp", "line", "sms"}
    provider_data = accounts["whatsapp"]["provider_data"]
    assert len(provider_data["phone_number_id"]) == 15 and provider_data["phone_number_id"].isdigit()
    assert len(provider_data["app_secret"]) == 32 and int(provider_data["app_secret"], 16) >= 0
    assert SEED_WHATSAPP_ACCESS_TOKEN.startswith("EAA") and len(SEED_WHATSAPP_ACCESS_TOKEN) > 100
    assert len(first["flows"]["result"]) == 3  # type: ignore[index]
    directions = {m["direction"] for page in first["messages"] for m in page["result"]}  # type: ignore[attr-defined]
    assert directions == {"incoming", "outgoing"} and len(first["conversations"]) >= 3  # type: ignore[arg-type]


def test_without_seed_the_sandbox_starts_empty(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    listing = _listing(fresh_backend(seed=False))
    assert listing["accounts"] == {"result": [], "next_page_token": ""}
    assert listing["flows"] == {"result": [], "next_page_token": ""}
    assert listing["customer"]["username"] == "sandbox"  # type: ignore[index]


def test_the_seed_runs_only_on_a_new_database(tmp_path: Path) -> None:
    with (
        start_embedded(tmp_path, accesskey=ACCESSKEY, seed=True) as backend,
        httpx.Client(base_url=backend.api_url, cookies={"accesskey": ACCESSKEY}) as http,
    ):
        first = http.get("/conversation_accounts").json()["result"]
        http.delete(f"/conversation_accounts/{first[0]['id']}")
    with (
        start_embedded(tmp_path, accesskey=ACCESSKEY, seed=True) as backend,
        httpx.Client(base_url=backend.api_url, cookies={"accesskey": ACCESSKEY}) as http,
    ):
        again = http.get("/conversation_accounts").json()["result"]
    assert [a["id"] for a in again] == [a["id"] for a in first[1:]]


def test_a_database_from_a_newer_version_is_refused_before_serving(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    with sqlite3.connect(tmp_path / DATABASE_FILENAME) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        start_embedded(tmp_path, accesskey=ACCESSKEY)


def test_the_database_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / DATABASE_FILENAME)
    store.close()
    with sqlite3.connect(tmp_path / DATABASE_FILENAME) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _capture(number: int) -> CaptureRecord:
    return CaptureRecord(
        id=uuid4(),
        time=datetime(2026, 1, 1, tzinfo=UTC),
        method="POST",
        path="/x",
        query="",
        headers=(),
        body=b"",
        body_size=0,
        body_complete=True,
        account_id=f"account-{number}",
        kind=RequestKind.UNKNOWN,
        verdict=HookVerdict.UNKNOWN_ACCOUNT,
        status=200,
        answer=b"",
        summary={},
        explanation="",
    )


def test_retention_keeps_the_newest_requests(tmp_path: Path) -> None:
    store = Store.open(tmp_path / DATABASE_FILENAME, max_captured=10)
    with store.transaction():
        seqs = [store.record_capture(_capture(n)).seq for n in range(PRUNE_EVERY + 44)]
    # Pruned cheaply, every PRUNE_EVERY captures: 10 kept then, 44 more since.
    assert store.capture_count() == 54
    assert [c.seq for c in store.captures_after(0, limit=100).captures] == seqs[-54:]
    store.close()
    reopened = Store.open(tmp_path / DATABASE_FILENAME, max_captured=10)
    assert [c.seq for c in reopened.captures_after(0, limit=100).captures] == seqs[-10:]
    reopened.close()


def test_sequence_numbers_continue_across_restarts(tmp_path: Path) -> None:
    """A feed client's cursor stays valid when the backend restarts on the same data dir."""
    for _ in range(2):
        with start_embedded(tmp_path, accesskey=ACCESSKEY, seed=False) as backend:
            response = httpx.post(f"{backend.local_hook_url}/conversation/accounts/{uuid4()}", content=b"{}")
            assert response.status_code == 200
    store = Store.open(tmp_path / DATABASE_FILENAME)
    assert [c.seq for c in store.captures_after(0, limit=10).captures] == [1, 2]
    store.close()
