"""The store's SQLite connection: opening the file, its settings, transactions and migrations.

One connection per ``Store``, used from one thread at a time (the app calls it from its event
loop; WAL checkpoints run elsewhere, on their own connection). The database is in WAL mode with
``synchronous=NORMAL``: a commit appends to the WAL without an fsync, and committed WAL pages
sit in the OS page cache, so a ``kill -9`` of the process right after a commit loses nothing
(only a power loss or a kernel crash could). That is the promise the hook makes: a request is
committed before it is answered.

Each dataset (sandbox tables, captures, ...) is a ``StoreConnection`` subclass in its own
module, holding its records, its queries and its ``MIGRATIONS``; ``Store`` (in the package's
``__init__``) inherits from every dataset, and its schema is the datasets' migrations in
version order (see ``schema_migrations``).

Times are stored as fixed-width UTC text (``2024-03-01T10:00:00.123456Z``, the page-token
format), so text order is time order and a page token compares directly against the column.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self
from uuid import UUID

from voipbin_tui.api.models import NIL_UUID
from voipbin_tui.api.timestamps import format_page_token

DATABASE_FILENAME = "backend.sqlite3"
BUSY_TIMEOUT_MS = 5_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""A checkpointed WAL is truncated to this, so a burst of writes does not keep its disk."""
# Enough for the hot index pages (random-UUID keys touch many), small next to a TUI's memory.
PAGE_CACHE_KIB = 16 * 1024


class StoreError(sqlite3.DatabaseError):
    """The data dir or its database cannot be used (not writable, not a database, written by a
    newer voipbin-tui...): the message is one line naming the file and what to do."""


def schema_migrations(store_class: type[StoreConnection]) -> tuple[str, ...]:
    """The schema of ``store_class``: one script per version (PRAGMA user_version), made of its
    datasets' ``MIGRATIONS`` for that version, in the order the class lists the datasets.

    A dataset adds a table by adding the next version to its ``MIGRATIONS``; a version is never
    edited once shipped, and a new one belongs to one dataset (two branches that both add
    version N must renumber one: a test checks).
    """
    by_version: dict[int, list[str]] = {}
    owners: dict[int, list[str]] = {}
    for dataset in store_class.__mro__:
        for version, script in vars(dataset).get("MIGRATIONS", {}).items():
            by_version.setdefault(version, []).append(script)
            owners.setdefault(version, []).append(dataset.__name__)
    if sorted(by_version) != list(range(1, len(by_version) + 1)):
        raise ValueError(f"schema versions must run 1, 2, 3... without a gap, not {sorted(by_version)}")
    shared = {version: names for version, names in owners.items() if version > 1 and len(names) > 1}
    if shared:
        raise ValueError(f"a schema version after the first belongs to one dataset: {shared}")
    return tuple(";".join(by_version[version]) for version in sorted(by_version))


class StoreConnection:
    """One SQLite connection with the store's settings, transactions and migrations.

    Datasets extend it; each may extend the hooks ``_forget_cached`` (drop what it caches) and
    ``_tidy`` (after opening), calling ``super()``.
    """

    MIGRATIONS: ClassVar[Mapping[int, str]] = {}
    """This dataset's schema changes by schema version. Each script runs statement by
    statement inside the upgrade's transaction, so it holds no ";" inside a statement."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._data_version = self._read_data_version()
        self._changed_elsewhere = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        initialize: Callable[[Self], None] | None = None,
        auto_checkpoint: bool = True,
        **settings: Any,
    ) -> Self:
        """Open the database at ``path``, creating or upgrading its schema; ``settings`` go to
        the constructor.

        ``initialize`` fills a database created by this call, in the same transaction as the
        schema, so another process opening the same file never sees it half made. Without
        ``auto_checkpoint`` no COMMIT ever runs a WAL checkpoint: the caller runs them.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            create_private(path)
            connection = sqlite3.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(unusable(path, exc)) from None
        try:
            store = cls(connection, **settings)
            store._set_up(initialize=initialize, serving=not auto_checkpoint)
            return store
        except BaseException as exc:
            connection.close()
            if isinstance(exc, sqlite3.Error) and not isinstance(exc, StoreError):
                raise StoreError(unusable(path, exc)) from None
            raise

    def _set_up(self, *, initialize: Callable[[Self], None] | None, serving: bool) -> None:
        """Configure the connection, then migrate and tidy. The serving connection runs no
        checkpoint of its own (a thread does) and never waits on a lock: it runs on the event
        loop, so a lock held by another process is waited for asynchronously (``group_commit``)."""
        connection = self._db
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        if serving:
            connection.execute("PRAGMA wal_autocheckpoint = 0")
        self._data_version = self._read_data_version()
        self._migrate(initialize)
        self._tidy()
        if serving:
            connection.execute("PRAGMA busy_timeout = 0")

    def close(self) -> None:
        self._db.close()

    def begin(self) -> None:
        """Start a write transaction (see ``transaction`` for why IMMEDIATE)."""
        self._db.execute("BEGIN IMMEDIATE")
        # With the write lock held no other connection can commit, so one look now keeps
        # the caches right for the whole transaction.
        self._sync_with_other_writers()

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        self._forget_cached()
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested unit inside the open transaction: undone alone if it raises."""
        self._db.execute("SAVEPOINT unit")
        try:
            yield
        except BaseException:
            self._forget_cached()
            self._db.execute("ROLLBACK TO unit")
            raise
        finally:
            self._db.execute("RELEASE unit")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; the write lock is taken up front so that two processes
        writing the same file wait for each other instead of failing to upgrade a read lock."""
        self.begin()
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    # -- hooks for the datasets ----------------------------------------------------------

    def _forget_cached(self) -> None:
        """Drop whatever the datasets cache: a rollback undid it, or another process wrote."""

    def _tidy(self) -> None:
        """Housekeeping after opening (retention, say)."""

    # -- internals -----------------------------------------------------------------------

    def _migrate(self, initialize: Callable[[Self], None] | None) -> None:
        """Bring the schema to the newest version (and initialize a new database) atomically."""
        migrations = schema_migrations(type(self))
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise StoreError(
                    f"the database has schema version {version}, newer than this voipbin-tui "
                    f"understands ({len(migrations)}): upgrade voipbin-tui or use another data dir"
                )
            for script in migrations[version:]:
                # Statement by statement (executescript would commit the transaction first).
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {len(migrations)}")
            if version == 0 and initialize is not None:
                initialize(self)

    def _read_data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _sync_with_other_writers(self) -> None:
        """Drop the caches if another connection committed since the last look."""
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self._changed_elsewhere = True
            self._forget_cached()

    def _sync_outside_transactions(self) -> None:
        if not self._db.in_transaction:
            self._sync_with_other_writers()


# -- column values -----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def stored_time(value: datetime) -> str:
    """A time as the store keeps it. Memoized: one request stores the same instant in several
    rows, and strftime is slow."""
    return format_page_token(value)


def stored_time_or_none(value: datetime | None) -> str | None:
    return None if value is None else stored_time(value)


def read_time(value: str) -> datetime:
    # Stored times are always in the one fixed format above, which fromisoformat reads fast.
    return datetime.fromisoformat(value)


def read_time_or_none(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def read_uuid(value: str | None) -> UUID:
    """A stored id; an empty one (never set) reads as the nil UUID, as VoIPBIN shows it."""
    return NIL_UUID if not value else UUID(value)


def read_json_object(value: str) -> dict[str, Any]:
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {}


# -- the database file -------------------------------------------------------------------


def create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its WAL and shared
    memory files the same mode), or make an existing one so: it holds tokens and secrets."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mode & 0o077:
                    file.chmod(0o600)


def unusable(path: Path, error: OSError | sqlite3.Error) -> str:
    """Why the database cannot be used, in one line that names the file and what to do."""
    if isinstance(error, OSError):
        return (
            f"cannot use {path}: {error.strerror or error}; make {path.parent} writable by you, "
            "or choose another data dir (--data-dir)"
        )
    name = getattr(error, "sqlite_errorname", "")
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return f"{path} is not a voipbin-tui database ({error}): move it away, or choose another data dir (--data-dir)"
    if name in ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"):
        return (
            f"cannot write {path} ({error}): make it and {path.parent} writable by you, "
            "or choose another data dir (--data-dir)"
        )
    if name == "SQLITE_BUSY":
        return f"{path} stayed locked by another process ({error}): stop it, or choose another data dir (--data-dir)"
    return f"cannot use {path} ({error}): choose another data dir (--data-dir)"
