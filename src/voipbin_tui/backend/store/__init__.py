"""The backend's SQLite storage: one ``Store`` over every dataset, on one connection.

A dataset is a module here with its records, its queries and its ``MIGRATIONS`` (a
``StoreConnection`` subclass): ``sandbox_tables`` (the sandbox's VoIPBIN objects) and
``captures`` (captured requests and dedupe keys), ``emulated_providers`` (the Meta and LINE
the sandbox plays), ``unjudged`` (how far the judging of hook requests answered before it got; the
requests themselves wait in a file of their own). To add one, write its module and add its
class to ``Store``'s bases; its tables come with the next schema version (``connection``).
"""

from __future__ import annotations

import sqlite3

from voipbin_tui.backend.store.captures import (
    DEFAULT_MAX_CAPTURE_BYTES,
    DEFAULT_MAX_CAPTURED,
    CapturePage,
    CaptureRecord,
    Captures,
)
from voipbin_tui.backend.store.connection import (
    BUSY_TIMEOUT_MS,
    DATABASE_FILENAME,
    WAL_SIZE_LIMIT,
    StoreConnection,
    StoreError,
    schema_migrations,
)
from voipbin_tui.backend.store.emulated_providers import EmulatedProviders
from voipbin_tui.backend.store.sandbox_tables import (
    AccountRecord,
    ConversationRecord,
    CustomerRecord,
    FlowRecord,
    MessageRecord,
    SandboxTables,
    with_action_ids,
)
from voipbin_tui.backend.store.unjudged import QUEUE_FILENAME, UnjudgedQueue, UnjudgedRequest, UnjudgedRequests

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DATABASE_FILENAME",
    "DEFAULT_MAX_CAPTURED",
    "DEFAULT_MAX_CAPTURE_BYTES",
    "MIGRATIONS",
    "QUEUE_FILENAME",
    "SCHEMA_VERSION",
    "WAL_SIZE_LIMIT",
    "AccountRecord",
    "CapturePage",
    "CaptureRecord",
    "ConversationRecord",
    "CustomerRecord",
    "FlowRecord",
    "MessageRecord",
    "Store",
    "StoreConnection",
    "StoreError",
    "UnjudgedQueue",
    "UnjudgedRequest",
    "with_action_ids",
]


class Store(SandboxTables, Captures, EmulatedProviders, UnjudgedRequests):
    """Typed access to the backend database; every method is synchronous and short."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        max_captured: int = DEFAULT_MAX_CAPTURED,
        max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES,
    ) -> None:
        if max_captured < 1 or max_capture_bytes < 1:
            raise ValueError("max_captured and max_capture_bytes must be at least 1")
        self.max_captured = max_captured
        self.max_capture_bytes = max_capture_bytes
        super().__init__(connection)


MIGRATIONS = schema_migrations(Store)
"""The schema, one script per version; ``SCHEMA_VERSION`` is the newest."""
SCHEMA_VERSION = len(MIGRATIONS)
