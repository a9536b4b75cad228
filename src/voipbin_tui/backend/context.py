"""What every route needs: the config, the store (with group commit), the arrivals signal the
feed waits on, in relay mode the relay to the real VoIPBIN, and when the hook answers before
judging (``serve``) the judging behind it.

Store calls run on the event loop's thread: they take tens of microseconds, less than a hop
to a worker thread would, and the one connection is then never shared between threads. The
only slow SQLite work, WAL checkpoints, runs on a background thread (``checkpoints``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from starlette.requests import Request

from voipbin_tui.backend.arrivals import Arrivals
from voipbin_tui.backend.checkpoints import Checkpointer
from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.delivery import Delivery
from voipbin_tui.backend.group_commit import GroupCommit
from voipbin_tui.backend.relay import Relay
from voipbin_tui.backend.seed import initialize_database
from voipbin_tui.backend.store import Store

T = TypeVar("T")


class Backlogged(Exception):
    """The judging is too far behind to take another request now (503: the sender retries)."""


class Judging(Protocol):
    """Judging behind the answer (``judging_behind`` builds on this module)."""

    async def store(self, delivery: Delivery, account_ref: str) -> None:
        """Commit a hook request as it arrived, to judge right behind its answer; raises
        ``Backlogged`` when the judging is too far behind."""

    async def caught_up(self) -> None:
        """Return once every request stored before is judged."""

    def stop(self) -> None: ...


class BackendContext:
    """One running backend's shared state, kept in ``app.state.backend``."""

    def __init__(
        self, config: BackendConfig, store: Store, checkpointer: Checkpointer, relay: Relay | None = None
    ) -> None:
        self.config = config
        self.relay = relay  # relay mode: hook requests go to the real VoIPBIN, not to the sandbox
        self._store = store
        self._checkpointer = checkpointer
        self._commits = GroupCommit(store)
        self.arrivals = Arrivals(
            store.latest_seq(), check_other_writers=lambda: self.read(Store.latest_seq_if_changed_elsewhere)
        )
        self.judging: Judging | None = None
        """Set when the hook answers POSTs before judging them (see ``judging_behind``)."""

    @classmethod
    def start(cls, config: BackendConfig, relay: Relay | None = None) -> BackendContext:
        """Open (and on first run initialize) the database; call on the event loop."""
        store = open_store(config, auto_checkpoint=False)
        checkpointer = Checkpointer(config.database_path)
        checkpointer.start()
        return cls(config, store, checkpointer, relay)

    def read(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` on committed data."""
        return self._commits.read(work)

    async def write(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` as one atomic unit; returns once it is durably committed."""
        return await self._commits.write(work)

    def stop(self) -> None:
        if self.judging is not None:
            self.judging.stop()
        self.arrivals.close()
        self._commits.commit()
        self._checkpointer.stop()
        self._store.close()


def open_store(config: BackendConfig, *, auto_checkpoint: bool = True) -> Store:
    """Open the data dir's database, creating, upgrading and (when new) initializing it."""
    return Store.open(
        config.database_path,
        max_captured=config.max_captured,
        max_capture_bytes=config.max_capture_bytes,
        initialize=lambda store: initialize_database(store, config),
        auto_checkpoint=auto_checkpoint,
    )


def backend_of(request: Request) -> BackendContext:
    backend: BackendContext = request.app.state.backend
    return backend
