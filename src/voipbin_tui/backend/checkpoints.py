"""WAL checkpoints on a background thread, so that no request waits for their fsync.

In WAL mode a commit only appends to the log; a checkpoint copies the log into the database
file and fsyncs, which takes milliseconds. SQLite would run one inside whichever COMMIT
crosses its threshold, stalling every request of that batch. The backend turns that off and
checkpoints from this thread on its own connection instead (SQLite releases the GIL while it
works), each second the log has changed; an idle backend costs one ``stat`` a second.

A passive checkpoint never waits for the writer, but under a steady stream of writes the log
then never starts over, and grows by every byte written (hundreds of MB a minute from one
sender of large bodies). So once the log is past ``WAL_SIZE_LIMIT`` the checkpoint truncates
it, waiting for the writer's lock between two of its commits (the writer, on the event loop,
waits for this one asynchronously).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from voipbin_tui.backend.store import BUSY_TIMEOUT_MS, WAL_SIZE_LIMIT

CHECK_INTERVAL = 1.0

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints the database's WAL while running; ``stop`` joins the thread."""

    def __init__(
        self, database_path: Path, *, wal_limit: int = WAL_SIZE_LIMIT, interval: float = CHECK_INTERVAL
    ) -> None:
        self._database_path = database_path
        self._wal_limit = wal_limit
        self._interval = interval
        self._wal_path = database_path.with_name(database_path.name + "-wal")
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voipbin-backend-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _wal_state(self) -> tuple[int, int] | None:
        """The log's modification time and size; None when there is no log."""
        try:
            stat = self._wal_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _run(self) -> None:
        connection = sqlite3.connect(self._database_path, isolation_level=None)
        checkpointed: int | None = None
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            while not self._stopping.wait(self._interval):
                state = self._wal_state()
                if state is None or state[0] == checkpointed:
                    continue
                modified, size = state
                mode = "TRUNCATE" if size > self._wal_limit else "PASSIVE"
                try:
                    connection.execute(f"PRAGMA wal_checkpoint({mode})")
                except sqlite3.Error:
                    # The next round retries; the log just stays longer meanwhile.
                    log.warning("WAL checkpoint failed", exc_info=True)
                else:
                    checkpointed = modified
        finally:
            connection.close()
