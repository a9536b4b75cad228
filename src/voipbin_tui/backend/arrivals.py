"""Wake feed long-polls when a captured request lands, from this process or another one.

Requests captured in this process are announced directly and wake waiters at once. Another
process writing the same data dir cannot announce, so while anyone waits, a cheap check
(``PRAGMA data_version``: one read, no query) runs at most every ``check_interval``; nobody
waiting means no checks at all, so an idle backend costs no CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

DEFAULT_CHECK_INTERVAL = 0.1


class Arrivals:
    """The newest captured seq, and a way to wait until it moves past a cursor."""

    def __init__(
        self,
        latest_seq: int,
        *,
        check_other_writers: Callable[[], int | None],
        check_interval: float = DEFAULT_CHECK_INTERVAL,
    ) -> None:
        self._latest = latest_seq
        self._check_other_writers = check_other_writers
        self._check_interval = check_interval
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._last_check = self._loop.time()
        self._closed = False

    @property
    def latest(self) -> int:
        return self._latest

    def announce(self, seq: int) -> None:
        """A request with this seq was committed (call on the event loop's thread)."""
        if seq > self._latest:
            self._latest = seq
            self._wake_all()

    def close(self) -> None:
        """Release every waiter now and refuse to wait from now on; safe from any thread."""
        self._closed = True
        self._loop.call_soon_threadsafe(self._wake_all)

    async def wait_beyond(self, seq: int, timeout: float) -> int:
        """Wait until a request newer than ``seq`` exists, the timeout ends, or the backend
        stops; return the newest seq known then."""
        deadline = self._loop.time() + timeout
        while self._latest <= seq and not self._closed:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                break
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, self._check_interval))
            except TimeoutError:
                self._check_now_and_then()
        return self._latest

    def _check_now_and_then(self) -> None:
        # Many waiters share one check per interval (half of it as slack for timer jitter).
        now = self._loop.time()
        if now - self._last_check < self._check_interval / 2:
            return
        self._last_check = now
        newest = self._check_other_writers()
        if newest is not None:
            self.announce(newest)

    def _wake_all(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
