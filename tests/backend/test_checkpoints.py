"""The WAL stays bounded under a steady stream of writes (a flood of large hook bodies)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from voipbin_tui.backend.checkpoints import Checkpointer

MB = 1024 * 1024


def test_the_log_is_truncated_past_its_limit_under_a_steady_stream_of_writes(tmp_path: Path) -> None:
    database = tmp_path / "backend.sqlite3"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # as the serving store: checkpoints are the thread's
    writer.execute("PRAGMA busy_timeout = 5000")
    writer.execute("CREATE TABLE captures (body BLOB)")
    checkpointer = Checkpointer(database, wal_limit=2 * MB, interval=0.05)
    checkpointer.start()
    largest = 0
    try:
        deadline = time.monotonic() + 3.0
        for _ in range(300):  # 30 MB, a commit every few ms: a passive checkpoint never catches up
            writer.execute("INSERT INTO captures VALUES (zeroblob(100000))")
            writer.execute("DELETE FROM captures WHERE rowid < (SELECT max(rowid) FROM captures) - 20")
            time.sleep(0.002)  # the event loop between two group commits, reading the next bodies
            largest = max(largest, (tmp_path / "backend.sqlite3-wal").stat().st_size)
            if time.monotonic() > deadline:
                break
    finally:
        checkpointer.stop()
        writer.close()
    assert largest < 12 * MB
