"""The emulated providers' table: the Meta app and LINE channel the sandbox plays, as one JSON
document (its shape is ``provider_state``'s), so every process on the data dir sees the same."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from voipbin_tui.backend.store.connection import StoreConnection


class EmulatedProviders(StoreConnection):
    """The emulated provider state: none until someone changes it (then the seed applies)."""

    MIGRATIONS: ClassVar[dict[int, str]] = {
        4: "CREATE TABLE emulated_providers (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)",
    }

    def provider_document(self) -> str | None:
        row = self._db.execute("SELECT state FROM emulated_providers WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def save_provider_document(self, document: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO emulated_providers (id, state) VALUES (1, ?)", (document,))

    def forget_provider_document(self) -> None:
        self._db.execute("DELETE FROM emulated_providers")

    def first_account_with_token(self, token: str) -> UUID | None:
        """The oldest account holding ``token`` (how the seeded accounts are found again: their
        tokens are the seed's)."""
        row = self._db.execute(
            "SELECT id FROM accounts WHERE token = ? ORDER BY tm_create LIMIT 1", (token,)
        ).fetchone()
        return None if row is None else UUID(row[0])
