"""The data dir: private file modes, one-line errors for an unusable one, and lock waits of
another process on it that never stall this one's event loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.backend.conftest import ACCESSKEY, create_whatsapp_account, post_whatsapp
from voipbin_tui.api import VoipbinClient
from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.backend.server import load_or_create_accesskey, start_embedded
from voipbin_tui.backend.store import DATABASE_FILENAME, QUEUE_FILENAME, StoreError
from voipbin_tui.cli import main
from voipbin_tui.config import data_dir_warning
from voipbin_tui.protocols import build_text_message_payload


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- item 5: file modes --------------------------------------------------------------------


def test_the_data_dir_and_the_database_files_are_private(tmp_path: Path) -> None:
    os.umask(0o022)  # the usual one, which leaves files readable by others
    data = tmp_path / "nested" / "data"
    with start_embedded(data, accesskey=ACCESSKEY):
        pass  # seeding wrote to the database, so its WAL and shared memory exist too
    with start_embedded(data, accesskey=ACCESSKEY, judge_behind=True):  # as served: with the unjudged queue
        files = {path.name: _mode(path) for path in data.iterdir()}
    assert _mode(data) == 0o700
    assert files[DATABASE_FILENAME] == files[QUEUE_FILENAME] == 0o600
    assert all(mode == 0o600 for name, mode in files.items() if name.startswith(DATABASE_FILENAME)), files
    assert all(mode == 0o600 for name, mode in files.items() if name.startswith(QUEUE_FILENAME)), files


def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    with start_embedded(tmp_path, accesskey=ACCESSKEY):
        pass
    (tmp_path / DATABASE_FILENAME).chmod(0o644)
    with start_embedded(tmp_path, accesskey=ACCESSKEY):
        assert _mode(tmp_path / DATABASE_FILENAME) == 0o600


def test_a_data_dir_readable_by_others_is_warned_about(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    assert f"chmod 700 {tmp_path}" in (data_dir_warning(tmp_path) or "")
    tmp_path.chmod(0o700)
    assert data_dir_warning(tmp_path) is None


# -- item 10: one line, naming the file and what to do ---------------------------------------


def test_a_file_that_is_not_a_database_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / DATABASE_FILENAME).write_bytes(b"not a database" * 200)
    with pytest.raises(StoreError) as raised:
        start_embedded(tmp_path, accesskey=ACCESSKEY)
    message = str(raised.value)
    assert str(tmp_path / DATABASE_FILENAME) in message and "move it away" in message and "\n" not in message


def test_a_data_dir_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match=r"cannot use .*file/data.*choose another data dir"):
        start_embedded(tmp_path / "file" / "data", accesskey=ACCESSKEY)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_data_dir_is_one_line(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="writable"):
            start_embedded(tmp_path, accesskey=ACCESSKEY)
    finally:
        tmp_path.chmod(0o700)


def test_serve_with_an_empty_access_key_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "accesskey").write_text("\n")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"the access key file {tmp_path / 'accesskey'} is empty: delete it" in result.output
    with pytest.raises(StoreError, match="empty"):
        load_or_create_accesskey(tmp_path)


def test_serve_on_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / DATABASE_FILENAME).write_bytes(b"not a database" * 200)
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--data-dir", str(tmp_path), "--accesskey", "k"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is not a voipbin-tui database" in result.output


async def test_a_broken_content_encoding_is_a_clear_error() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")

    transport = httpx.MockTransport(broken)
    async with VoipbinClient("https://api.example/v1.0", accesskey="k", transport=transport) as client:
        with pytest.raises(VoipbinError, match="Content-Encoding does not decode"):
            await client.list_flows()


# -- item 12: another process's lock ----------------------------------------------------------


async def test_a_lock_held_by_another_process_never_stalls_the_event_loop(tmp_path: Path) -> None:
    with start_embedded(tmp_path, accesskey=ACCESSKEY) as backend:
        async with VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client:
            account, app_secret = await create_whatsapp_account(client)
        other = sqlite3.connect(tmp_path / DATABASE_FILENAME, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing: the write lock is taken
        try:
            async with httpx.AsyncClient(base_url=backend.base_url, cookies={"accesskey": ACCESSKEY}) as http:
                body = build_text_message_payload(phone_number_id="106540352242922", text="waits")
                post = asyncio.create_task(post_whatsapp(http, account.id, body, app_secret))
                await asyncio.sleep(0.2)  # the POST now waits for the lock
                started = time.monotonic()
                assert (await http.get("/v1.0/flows")).status_code == 200
                assert time.monotonic() - started < 0.5  # the loop was free meanwhile
                assert not post.done()
                other.execute("COMMIT")
                assert (await asyncio.wait_for(post, 5)).status_code == 200
        finally:
            other.close()


def test_captures_stored_before_the_byte_budget_count_against_it_after_the_upgrade(tmp_path: Path) -> None:
    from voipbin_tui.backend.store import MIGRATIONS, Store

    path = tmp_path / DATABASE_FILENAME
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:2]:
            for statement in script.split(";"):
                db.execute(statement)
        for number in range(5):
            db.execute(
                "INSERT INTO captured_requests (id, time, method, path, query, headers, body, body_size, "
                "body_complete, account_id, kind, verdict, status, answer, summary, explanation) VALUES "
                "(?, '2026-03-01T10:00:00.000000Z', 'POST', '/p', '', '[]', ?, 10000, 1, '', 'unknown', "
                "'malformed', 200, x'', '{}', '')",
                (f"id-{number}", bytes([number]) * 10_000),
            )
        db.execute("PRAGMA user_version = 2")
    db.close()
    store = Store.open(path, max_capture_bytes=25_000)  # opening prunes to the budget
    rows = store._db.execute("SELECT id, stored_total FROM captured_requests ORDER BY seq").fetchall()
    store.close()
    assert [row["id"] for row in rows] == ["id-3", "id-4"]  # two of 10 KB fit 25 KB, the newest first
    assert rows[1]["stored_total"] - rows[0]["stored_total"] == 10_000 + len("[]{}/p") + 200  # body, texts, row
