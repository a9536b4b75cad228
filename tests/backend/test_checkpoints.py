"""The WAL stays bounded under a steady stream of writes (a flood of large hook bodies)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from voipbin_tui.backend.checkpoints import Checkpointer

MB = 1024 * 1024


@pytest.mark.slow
def test_the_log_is_truncated_past_its_limit_under_a_steady_stream_of_writes(tmp_path: Path) -> None:
    database = tmp_path / "backend.sqlite3"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # as the serving store: checkpoints are the thread's
    writer.execute("PRAGMA busy_timeout = 5000")
    writer.execute("CREATE TABLE captures (body BLOB)")
    checkpointer = Checkpointer(database, wal_limit=2 * MB, interval=0.05)
    checkpointer.start()
    wal = tmp_path / "backend.sqlite3-wal"
    largest = 0
    try:
        for _ in range(600):  # up to 60 MB, a commit every few ms: a passive checkpoint never catches up
            writer.execute("INSERT INTO captures VALUES (zeroblob(100000))")
            writer.execute("DELETE FROM captures WHERE rowid < (SELECT max(rowid) FROM captures) - 20")
            size = wal.stat().st_size
            if size < largest:
                break  # truncated while the writes go on
            largest = size
            time.sleep(0.002)  # the event loop between two group commits, reading the next bodies
    finally:
        checkpointer.stop()
        writer.close()
    assert largest and size < largest, f"the log only grew, to {largest} bytes"
