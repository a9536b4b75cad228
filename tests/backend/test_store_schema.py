"""The store's schema is its datasets' migrations in version order; a new dataset module adds
its tables with the next version, and a database made before it is upgraded in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import ClassVar

import pytest

from voipbin_tui.backend.store import DATABASE_FILENAME, MIGRATIONS, SCHEMA_VERSION, Store, StoreConnection
from voipbin_tui.backend.store.connection import schema_migrations


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall()
    db.close()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def test_the_first_version_makes_the_sandbox_tables_then_the_capture_tables() -> None:
    first = MIGRATIONS[0]
    assert first.index("CREATE TABLE customer") < first.index("CREATE TABLE messages")
    assert first.index("CREATE TABLE messages") < first.index("CREATE TABLE captured_requests")
    assert SCHEMA_VERSION == len(MIGRATIONS) == 5
    assert "CREATE TABLE clock" in MIGRATIONS[1] and "stored_total" in MIGRATIONS[2]
    assert "CREATE TABLE emulated_providers" in MIGRATIONS[3]
    assert "CREATE TABLE judged_up_to" in MIGRATIONS[4]


class Notes(StoreConnection):
    """A dataset a later module could add: one table, with the next schema version."""

    MIGRATIONS: ClassVar[dict[int, str]] = {SCHEMA_VERSION + 1: "CREATE TABLE notes (id TEXT PRIMARY KEY)"}

    def add_note(self, note_id: str) -> None:
        self._db.execute("INSERT INTO notes VALUES (?)", (note_id,))


class StoreWithNotes(Store, Notes):
    pass


def test_a_new_dataset_module_adds_its_tables_to_a_database_made_before_it(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILENAME
    Store.open(path).close()
    assert "notes" not in _tables(path)
    store = StoreWithNotes.open(path)
    with store.transaction():
        store.add_note("n1")
    assert store.capture_count() == 0  # the other datasets still work on the same connection
    store.close()
    assert {"notes", "accounts", "captured_requests"} <= _tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    db.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer than this voipbin-tui understands"):
        Store.open(path)  # an older build refuses the newer schema instead of misreading it


def test_a_gap_or_a_version_claimed_by_two_datasets_is_refused() -> None:
    class Skips(StoreConnection):
        MIGRATIONS: ClassVar[dict[int, str]] = {SCHEMA_VERSION + 2: "CREATE TABLE later (id TEXT)"}

    class Clashes(StoreConnection):
        MIGRATIONS: ClassVar[dict[int, str]] = {SCHEMA_VERSION + 1: "CREATE TABLE other (id TEXT)"}

    class WithGap(Store, Skips):
        pass

    class WithClash(Store, Notes, Clashes):
        pass

    with pytest.raises(ValueError, match="without a gap"):
        schema_migrations(WithGap)
    with pytest.raises(ValueError, match="belongs to one dataset"):
        schema_migrations(WithClash)
