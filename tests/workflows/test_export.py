"""Exporting captures: whole bodies, credentials redacted, a private new file, never a partial one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import pytest

from voipbin_tui.api import AccountType
from voipbin_tui.api.feed import CapturedRequest
from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.connection import Connection
from voipbin_tui.workflows.export import default_export_path, export_captures, export_target, write_jsonl
from voipbin_tui.workflows.hook_test import HookTest, hook_test_url, send_hook_test


async def captured_traffic(connection: Connection) -> list[CapturedRequest]:
    """A test message and a hub challenge (its verify token in the query) to the WhatsApp account."""
    whatsapp = next(a for a in await connection.client.list_accounts() if a.type == AccountType.WHATSAPP)
    sent = await send_hook_test(connection, whatsapp, HookTest(text="exported"))
    async with connection.hook_sender() as sender:
        await sender.send_hub_challenge(hook_test_url(connection, whatsapp.id), verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
    feed = connection.feed_client()
    assert feed is not None and sent.capture is not None
    async with feed:
        batch = await feed.poll(sent.capture.seq - 1, limit=10)
    return batch.requests  # as the pane has them: no bodies


async def test_an_export_holds_every_body_whole_and_no_credential(connection: Connection, tmp_path: Path) -> None:
    shown = await captured_traffic(connection)
    assert [r.kind.value for r in shown] == ["message", "verify"] and all(r.body is None for r in shown)
    path = tmp_path / "deep" / "er" / "out.jsonl"
    feed = connection.feed_client()
    assert feed is not None
    async with feed:
        written = await export_captures(feed, shown, path)
        full = await feed.get(shown[0].id)
    assert (written.path, written.count, written.bodies_missing) == (path, 2, 0)
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert base64.b64decode(lines[0]["body"]) == full.body and lines[0]["summary"]["text"] == "exported"
    assert SEED_WHATSAPP_VERIFY_TOKEN not in path.read_text()
    assert "hub.verify_token=REDACTED" in lines[1]["query"]


async def test_an_existing_file_is_never_overwritten(connection: Connection, tmp_path: Path) -> None:
    shown = await captured_traffic(connection)
    path = tmp_path / "taken.jsonl"
    path.write_text("mine\n")
    feed = connection.feed_client()
    assert feed is not None
    async with feed:
        with pytest.raises(FileExistsError):
            await export_captures(feed, shown, path)
    assert path.read_text() == "mine\n"


async def test_a_request_the_feed_no_longer_has_goes_out_without_its_body(
    connection: Connection, tmp_path: Path
) -> None:
    shown = await captured_traffic(connection)
    gone = shown[0].model_copy(update={"id": uuid4()})  # dropped by retention since it was shown
    feed = connection.feed_client()
    assert feed is not None
    async with feed:
        written = await export_captures(feed, [gone, shown[1]], tmp_path / "out.jsonl")
    assert (written.count, written.bodies_missing) == (2, 1)
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["body"] is None and first["body_size"] == shown[0].body_size > 0


async def test_a_write_that_fails_part_way_leaves_no_file(connection: Connection, tmp_path: Path) -> None:
    shown = await captured_traffic(connection)

    def then_fail() -> Iterator[CapturedRequest]:
        yield shown[0]
        raise OSError(28, "No space left on device")

    path = tmp_path / "half.jsonl"
    with pytest.raises(OSError, match="No space"):
        write_jsonl(path, then_fail())
    assert not path.exists()


def test_the_default_is_a_new_file_in_the_exports_folder_and_a_folder_takes_its_name(tmp_path: Path) -> None:
    default = default_export_path(datetime(2026, 11, 2, 9, 30, 5))
    assert default.name == "voipbin-inspector-20261102-093005.jsonl"
    assert default.parent.name == "exports"
    assert export_target(str(tmp_path), default.name) == tmp_path / default.name
    assert export_target(str(tmp_path / "mine.jsonl"), default.name) == tmp_path / "mine.jsonl"
    assert export_target("  ", default.name) == Path.cwd() / default.name
