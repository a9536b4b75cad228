"""Requests answered before they were judged.

A served backend answers a hook POST once the request as it arrived is committed to its own
file beside the database (``UnjudgedQueue``, written by the serving process alone, so storing a
request never waits for the judging's write lock), and judges it right behind. The judging
records its verdicts and, in the same transaction, how far it got (``UnjudgedRequests``, in the
database): a request is judged exactly once, and whatever a killed backend left unjudged is
judged when the next one starts.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar
from uuid import UUID

from voipbin_tui.backend.store.connection import StoreConnection, StoreError, create_private, unusable

QUEUE_FILENAME = "unjudged.sqlite3"
QUEUE_LOG_LIMIT = 4 * 1024 * 1024
"""The queue's log (WAL) is cut back to this once checkpointed: a burst of large bodies does
not keep its disk."""


@dataclass(frozen=True, slots=True)
class UnjudgedRequest:
    """A request as it arrived, stored before its answer; ``id`` orders them."""

    id: int
    capture_id: UUID
    """The id its capture will have."""
    time: datetime
    account_ref: str
    """The account as the path addressed it."""
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    body_size: int
    body_complete: bool


class UnjudgedRequests(StoreConnection):
    """How far the judging of the unjudged requests got: the newest one judged."""

    MIGRATIONS: ClassVar[dict[int, str]] = {
        5: "CREATE TABLE judged_up_to (id INTEGER PRIMARY KEY CHECK (id = 1), unjudged_id INTEGER NOT NULL)",
    }

    def judged_up_to(self) -> int:
        """The newest unjudged request judged (0: none yet)."""
        row = self._db.execute("SELECT unjudged_id FROM judged_up_to WHERE id = 1").fetchone()
        return 0 if row is None else int(row[0])

    def mark_judged_up_to(self, unjudged_id: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO judged_up_to (id, unjudged_id) VALUES (1, ?)", (unjudged_id,))


class UnjudgedQueue:
    """The file of requests answered and not judged yet, oldest first. The serving process
    appends and forgets; the judging only reads it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, data_dir: Path, *, waits: bool) -> UnjudgedQueue:
        """Open (and create) the data dir's queue; WAL, like the database, so a commit
        survives a ``kill -9`` and a reader never waits for the writer. Unless it ``waits``, a
        commit while the file is locked (its checkpoint) fails at once instead of waiting: the
        serving process writes it from its event loop."""
        path = data_dir / QUEUE_FILENAME
        try:
            create_private(path)
            connection = sqlite3.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(unusable(path, exc)) from None
        try:
            connection.execute("PRAGMA busy_timeout = 5000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA wal_autocheckpoint = 0")  # a thread checkpoints (see checkpoints)
            connection.execute(f"PRAGMA journal_size_limit = {QUEUE_LOG_LIMIT}")
            connection.execute("CREATE TABLE IF NOT EXISTS unjudged (id INTEGER PRIMARY KEY, request BLOB NOT NULL)")
            if not waits:
                connection.execute("PRAGMA busy_timeout = 0")
        except sqlite3.Error as exc:
            connection.close()
            raise StoreError(unusable(path, exc)) from None
        except BaseException:
            connection.close()
            raise
        return cls(connection, path)

    @staticmethod
    def exists(data_dir: Path) -> bool:
        return os.path.exists(data_dir / QUEUE_FILENAME)

    def close(self) -> None:
        self._db.close()

    def newest_id(self) -> int:
        row = self._db.execute("SELECT max(id) FROM unjudged").fetchone()
        return int(row[0] or 0)

    def append(self, requests: Sequence[UnjudgedRequest], *, forget_up_to: int = 0) -> None:
        """Commit ``requests`` (and drop the judged ones, up to ``forget_up_to``) in one
        transaction. Raises ``sqlite3.OperationalError`` (SQLITE_BUSY) when the file is locked."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if forget_up_to:
                self._db.execute("DELETE FROM unjudged WHERE id <= ?", (forget_up_to,))
            self._db.executemany(
                "INSERT INTO unjudged (id, request) VALUES (?, ?)",
                [(request.id, _packed(request)) for request in requests],
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def after(self, unjudged_id: int, limit: int) -> list[UnjudgedRequest]:
        """Up to ``limit`` requests newer than ``unjudged_id``, oldest first."""
        rows = self._db.execute(
            "SELECT id, request FROM unjudged WHERE id > ? ORDER BY id LIMIT ?", (unjudged_id, limit)
        ).fetchall()
        return [_unpacked(row_id, packed) for row_id, packed in rows]


def _packed(request: UnjudgedRequest) -> bytes:
    """A request as one value: ``marshal`` writes these plain types several times faster than
    columns with JSON (the serving process pays it on every POST); the file is as private as
    the database, and lives as long as the judging takes."""
    return marshal.dumps(
        (
            request.capture_id.bytes,
            _microseconds(request.time),
            request.account_ref,
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            request.body_size,
            request.body_complete,
        )
    )


def _unpacked(row_id: int, packed: bytes) -> UnjudgedRequest:
    capture_id, time, account_ref, method, path, query, headers, body, body_size, complete = marshal.loads(packed)
    return UnjudgedRequest(
        id=row_id,
        capture_id=UUID(bytes=capture_id),
        time=_EPOCH + timedelta(microseconds=time),
        account_ref=account_ref,
        method=method,
        path=path,
        query=query,
        headers=tuple((name, value) for name, value in headers),
        body=body,
        body_size=body_size,
        body_complete=complete,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(moment: datetime) -> int:
    """A time as whole microseconds since the epoch: exact, where a float timestamp rounds."""
    return (moment - _EPOCH) // timedelta(microseconds=1)
