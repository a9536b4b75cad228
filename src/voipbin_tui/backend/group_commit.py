"""Group commit: the writes of concurrent requests share one transaction and one COMMIT.

Store calls take tens of microseconds, less than a hop to a worker thread, so they run on the
event loop itself. A write opens the shared transaction if none is open and schedules its
COMMIT for the next turn of the loop; every request that writes in the meantime joins it, in
its own savepoint (a failing write rolls back alone), and awaits that COMMIT before it
answers. While another process holds the write lock, writes wait for it without blocking the
loop. Under load one COMMIT covers dozens of requests; alone, a request waits one loop turn.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from voipbin_tui.backend.store import Store

T = TypeVar("T")

LOCK_WAIT_SECONDS = 5.0
"""How long a write waits for another process to release the database; then it fails."""


class GroupCommit:
    """Runs reads and writes on the store from the event loop's thread."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._loop = asyncio.get_running_loop()
        self._batch: asyncio.Future[None] | None = None

    async def write(self, work: Callable[[Store], T]) -> T:
        """Run ``work(store)`` in the shared transaction; return once it is committed.

        Raises what ``work`` raised (its changes rolled back), or what the COMMIT raised.
        """
        batch = self._batch or await self._open_batch()
        with self._store.savepoint():
            result = work(self._store)
        # Shielded: a request cancelled while waiting must not cancel the batch for the others.
        await asyncio.shield(batch)
        return result

    def read(self, work: Callable[[Store], T]) -> T:
        """Run ``work(store)`` on committed data only (a pending batch is committed first)."""
        self.commit()
        return work(self._store)

    def commit(self) -> None:
        """Commit the pending batch now, if any, and release its waiters."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            self._store.commit()
        except Exception as exc:
            self._store.rollback()
            batch.set_exception(exc)
        else:
            batch.set_result(None)

    async def _open_batch(self) -> asyncio.Future[None]:
        """The open batch, or a new one once the write lock is ours. The store never waits
        for the lock itself (that would stall the event loop while another process writes):
        it is retried here, asynchronously, until LOCK_WAIT_SECONDS have passed."""
        deadline = self._loop.time() + LOCK_WAIT_SECONDS
        pause = 0.001
        while self._batch is None:
            try:
                self._store.begin()
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY or self._loop.time() > deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)
                continue
            self._batch = self._loop.create_future()
            # Waiters retrieve a failure; this marks it retrieved even if all of them left.
            self._batch.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._loop.call_soon(self.commit)
        return self._batch
