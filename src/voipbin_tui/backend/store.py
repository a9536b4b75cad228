"""The backend's SQLite storage: sandbox objects, captured hook requests, and dedupe keys.

One connection per ``Store``, used from one thread at a time (the app calls it from its event
loop; WAL checkpoints run elsewhere, on their own connection). The database is in WAL mode with
``synchronous=NORMAL``: a commit appends to the WAL without an fsync, and committed WAL pages
sit in the OS page cache, so a ``kill -9`` of the process right after a commit loses nothing
(only a power loss or a kernel crash could). That is the promise the hook makes: a request is
committed before it is answered.

Times are stored as fixed-width UTC text (``2024-03-01T10:00:00.123456Z``, the page-token
format), so text order is time order and a page token compares directly against the column.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self
from uuid import UUID, uuid5

from voipbin_tui.api.models import NIL_UUID
from voipbin_tui.api.timestamps import format_page_token
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind

DATABASE_FILENAME = "backend.sqlite3"
DEFAULT_MAX_CAPTURED = 100_000
DEFAULT_MAX_CAPTURE_BYTES = 512 * 1024 * 1024
# Retention runs every so many captures (or bytes stored, a sixteenth of the budget): one
# indexed DELETE instead of one per insert.
PRUNE_EVERY = 256
CAPTURE_ROW_OVERHEAD = 200
"""Bytes a capture takes beyond its variable fields (ids, times, verdict, index entries)."""
# What one capture counts against the byte budget, in SQL (as record_capture counts it).
_CAPTURE_SIZE = (
    "length(body) + length(headers) + length(answer) + length(summary) + length(explanation) "
    f"+ coalesce(length(upstream), 0) + length(path) + length(query) + {CAPTURE_ROW_OVERHEAD}"
)
# Meta retries a notification for up to 7 days; a dedupe key older than that cannot match.
DEDUPE_KEY_LIFETIME = timedelta(days=8)
# VoIPBIN's times have microsecond resolution: the smallest step between two stamps.
STAMP_STEP = timedelta(microseconds=1)
BUSY_TIMEOUT_MS = 5_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""A checkpointed WAL is truncated to this, so a burst of writes does not keep its disk."""
CACHED_CONVERSATIONS = 10_000
# Enough for the hot index pages (random-UUID keys touch many), small next to a TUI's memory.
PAGE_CACHE_KIB = 16 * 1024

# Each entry upgrades the schema by one version (PRAGMA user_version); never edit a shipped one.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE customer (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        name TEXT NOT NULL,
        detail TEXT NOT NULL,
        email TEXT NOT NULL,
        phone_number TEXT NOT NULL,
        address TEXT NOT NULL,
        webhook_method TEXT NOT NULL,
        webhook_uri TEXT NOT NULL,
        webhook_secret TEXT NOT NULL,
        tm_create TEXT NOT NULL,
        tm_update TEXT
    );
    CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        detail TEXT NOT NULL,
        actions TEXT NOT NULL,
        tm_create TEXT NOT NULL,
        tm_update TEXT,
        tm_delete TEXT
    );
    CREATE INDEX flows_by_time ON flows (tm_create);
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        detail TEXT NOT NULL,
        secret TEXT NOT NULL,
        token TEXT NOT NULL,
        provider_data TEXT,
        message_flow_id TEXT NOT NULL,
        tm_create TEXT NOT NULL,
        tm_update TEXT,
        tm_delete TEXT
    );
    CREATE INDEX accounts_by_time ON accounts (tm_create);
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        detail TEXT NOT NULL,
        dialog_id TEXT NOT NULL,
        self TEXT NOT NULL,
        peer TEXT NOT NULL,
        tm_create TEXT NOT NULL,
        tm_update TEXT,
        tm_delete TEXT
    );
    CREATE INDEX conversations_by_time ON conversations (tm_create);
    CREATE INDEX conversations_by_dialog ON conversations (type, account_id, dialog_id);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations (id),
        direction TEXT NOT NULL,
        status TEXT NOT NULL,
        reference_type TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        provider_status TEXT NOT NULL,
        source TEXT NOT NULL,
        destination TEXT NOT NULL,
        text TEXT NOT NULL,
        tm_create TEXT NOT NULL,
        tm_update TEXT,
        tm_delete TEXT
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, tm_create);
    CREATE INDEX messages_by_transaction ON messages (transaction_id);
    CREATE TABLE captured_requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        time TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        query TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        body_size INTEGER NOT NULL,
        body_complete INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        verdict TEXT NOT NULL,
        status INTEGER NOT NULL,
        answer BLOB NOT NULL,
        summary TEXT NOT NULL,
        explanation TEXT NOT NULL,
        upstream TEXT,
        replay_of TEXT
    );
    CREATE INDEX captured_by_account ON captured_requests (account_id, seq);
    CREATE TABLE dedupe_keys (
        key TEXT PRIMARY KEY,
        tm_create TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX dedupe_keys_by_time ON dedupe_keys (tm_create);
    """,
    # The last time stamped on an object, so that every later one is stamped after it (see
    # Store.stamp); a database made before this starts from its newest stored time.
    """
    CREATE TABLE clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_stamp TEXT NOT NULL
    );
    INSERT INTO clock (id, last_stamp)
    SELECT 1, coalesce(max(stamp), '') FROM (
        SELECT max(tm_create) AS stamp FROM customer UNION ALL SELECT max(tm_update) FROM customer
        UNION ALL SELECT max(tm_create) FROM flows UNION ALL SELECT max(tm_update) FROM flows
        UNION ALL SELECT max(tm_delete) FROM flows
        UNION ALL SELECT max(tm_create) FROM accounts UNION ALL SELECT max(tm_update) FROM accounts
        UNION ALL SELECT max(tm_delete) FROM accounts
        UNION ALL SELECT max(tm_create) FROM conversations UNION ALL SELECT max(tm_update) FROM conversations
        UNION ALL SELECT max(tm_delete) FROM conversations
        UNION ALL SELECT max(tm_create) FROM messages UNION ALL SELECT max(tm_update) FROM messages
        UNION ALL SELECT max(tm_delete) FROM messages
    );
    """,
    # Retention by bytes: each capture holds the running total of the bytes stored up to it,
    # so the captures beyond a byte budget are one indexed range (see Store.prune).
    """
    ALTER TABLE captured_requests ADD COLUMN stored_total INTEGER NOT NULL DEFAULT 0;
    UPDATE captured_requests SET stored_total = running.total FROM (
        SELECT seq, sum(length(body) + length(headers) + length(answer) + length(summary)
            + length(explanation) + coalesce(length(upstream), 0) + length(path) + length(query) + 200
        ) OVER (ORDER BY seq) AS total FROM captured_requests
    ) AS running WHERE running.seq = captured_requests.seq;
    CREATE INDEX captured_by_stored_total ON captured_requests (stored_total);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


class StoreError(sqlite3.DatabaseError):
    """The data dir or its database cannot be used (not writable, not a database, written by a
    newer voipbin-tui...): the message is one line naming the file and what to do."""


@functools.lru_cache(maxsize=64)
def _time(value: datetime) -> str:
    # Memoized: one request stores the same instant in several rows, and strftime is slow.
    return format_page_token(value)


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else _time(value)


def _parse_time(value: str) -> datetime:
    # Stored times are always in the one fixed format above, which fromisoformat reads fast.
    return datetime.fromisoformat(value)


def _parse_time_or_none(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def storable_text(value: str) -> str:
    """Untrusted text made safe to store and to serve: JSON escapes can yield lone surrogates,
    which UTF-8 (SQLite's binding, JSON responses) cannot encode; they become "?"."""
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: UUID
    username: str
    name: str
    detail: str
    email: str
    phone_number: str
    address: str
    webhook_method: str
    webhook_uri: str
    webhook_secret: str = field(repr=False)
    tm_create: datetime
    tm_update: datetime | None


def with_action_ids(flow_id: UUID, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actions, each with the ``id`` VoIPBIN gives every action (its OpenAPI spec requires
    one). One that has none gets an id derived from the flow and its position: the same on
    every read, also for flows stored before actions had ids."""
    return [
        action if "id" in action else {"id": str(uuid5(flow_id, f"action/{index}")), **action}
        for index, action in enumerate(actions)
    ]


@dataclass(frozen=True, slots=True)
class FlowRecord:
    id: UUID
    customer_id: UUID
    type: str
    name: str
    detail: str
    actions: list[dict[str, Any]]
    tm_create: datetime
    tm_update: datetime | None = None
    tm_delete: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account with its write-only ``secret`` and ``token``, which the API never returns."""

    id: UUID
    customer_id: UUID
    type: str
    name: str
    detail: str
    secret: str = field(repr=False)
    token: str = field(repr=False)
    provider_data: dict[str, str] | None = field(repr=False)
    message_flow_id: UUID
    tm_create: datetime
    tm_update: datetime | None = None
    tm_delete: datetime | None = None

    @property
    def app_secret(self) -> str:
        return (self.provider_data or {}).get("app_secret", "")


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: UUID
    customer_id: UUID
    account_id: UUID
    type: str
    name: str
    detail: str
    dialog_id: str
    self_address: dict[str, str]
    peer_address: dict[str, str]
    tm_create: datetime
    tm_update: datetime | None = None
    tm_delete: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A conversation message; ``transaction_id`` (the provider's message id) and
    ``provider_status`` (sent / delivered / read / failed) are stored but not exposed by VoIPBIN."""

    id: UUID
    customer_id: UUID
    conversation_id: UUID
    direction: str
    status: str
    reference_type: str
    transaction_id: str
    provider_status: str
    source: dict[str, str]
    destination: dict[str, str]
    text: str
    tm_create: datetime
    tm_update: datetime | None = None
    tm_delete: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One request received by the hook (or the VoIPBIN event receiver), as it arrived and
    as it was judged. ``seq`` is 0 until the store has assigned it."""

    id: UUID
    time: datetime
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)
    body_size: int
    body_complete: bool
    account_id: str
    """The account id as addressed in the path (lower-cased when it is a UUID), or ""."""
    kind: RequestKind
    verdict: HookVerdict
    status: int
    answer: bytes
    summary: dict[str, Any]
    explanation: str
    upstream: dict[str, Any] | None = None
    replay_of: UUID | None = None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class CapturePage:
    """Captured requests after a cursor, oldest first, and the cursor to continue from."""

    captures: list[CaptureRecord]
    next: int
    """The last returned seq, or (when the page is not full) the newest seq looked at, so a
    filtered reader does not rescan requests its filter skipped."""
    oldest: int = 0
    """The oldest seq still stored (0 when none): retention dropped those before it."""


_CAPTURE_COLUMNS = (
    "seq, id, time, method, path, query, headers, body_size, body_complete, account_id, kind, "
    "verdict, status, answer, summary, explanation, upstream, replay_of"
)


class Store:
    """Typed access to the backend database; every method is synchronous and short.

    Accounts and conversations are read on every hook request, so they are cached; the caches
    are dropped on any rollback and whenever another connection (another process) has
    committed, which ``PRAGMA data_version`` tells in one cheap read.
    """

    def __init__(
        self, connection: sqlite3.Connection, *, max_captured: int, max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES
    ) -> None:
        self._db = connection
        self.max_captured = max_captured
        self.max_capture_bytes = max_capture_bytes
        self._captures_since_prune = 0
        self._bytes_since_prune = 0
        self._data_version = self._read_data_version()
        self._changed_elsewhere = False
        self._accounts: dict[UUID, AccountRecord] = {}
        self._conversations: dict[tuple[str, UUID, str], ConversationRecord] = {}
        self._last_stamp: datetime | None = None
        self._last_stamp_known = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        max_captured: int = DEFAULT_MAX_CAPTURED,
        max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES,
        initialize: Callable[[Store], None] | None = None,
        auto_checkpoint: bool = True,
    ) -> Self:
        """Open the database at ``path``, creating or upgrading its schema.

        ``initialize`` fills a database created by this call, in the same transaction as the
        schema, so another process opening the same file never sees it half made. Without
        ``auto_checkpoint`` no COMMIT ever runs a WAL checkpoint: the caller runs them.
        """
        if max_captured < 1 or max_capture_bytes < 1:
            raise ValueError("max_captured and max_capture_bytes must be at least 1")
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _create_private(path)
            connection = sqlite3.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(_unusable(path, exc)) from None
        try:
            serving = not auto_checkpoint
            store = cls(connection, max_captured=max_captured, max_capture_bytes=max_capture_bytes)
            store._set_up(initialize=initialize, serving=serving)
            return store
        except BaseException as exc:
            connection.close()
            if isinstance(exc, sqlite3.Error) and not isinstance(exc, StoreError):
                raise StoreError(_unusable(path, exc)) from None
            raise

    def _set_up(self, *, initialize: Callable[[Store], None] | None, serving: bool) -> None:
        """Configure the connection, then migrate and prune. The serving connection runs no
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
        self.prune()
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

    # -- stamps --------------------------------------------------------------------------

    def stamp(self, now: datetime) -> datetime:
        """The time to stamp an object created or changed now: ``now``, or one microsecond
        after the last stamp handed out if ``now`` is not later.

        Pages are cut at a ``tm_create`` and continue strictly before it, so two objects sharing
        one would hide each other; VoIPBIN stamps each object when it makes it. The objects of
        one request (a batch of 1,000 messages), a frozen clock, or a clock set back still get
        distinct times, in the order they were made. Call inside a write transaction.
        """
        last = self._read_last_stamp()
        stamped = now if last is None or now > last else last + STAMP_STEP
        self._db.execute("UPDATE clock SET last_stamp = ?", (_time(stamped),))
        self._last_stamp = stamped
        return stamped

    def _read_last_stamp(self) -> datetime | None:
        if not self._last_stamp_known:
            value = self._db.execute("SELECT last_stamp FROM clock").fetchone()[0]
            self._last_stamp = _parse_time(value) if value else None
            self._last_stamp_known = True
        return self._last_stamp

    # -- customer ------------------------------------------------------------------------

    def get_customer(self) -> CustomerRecord:
        row = self._db.execute("SELECT * FROM customer LIMIT 1").fetchone()
        if row is None:
            raise StoreError("the database has no customer: it was not initialized")
        return _customer(row)

    def save_customer(self, customer: CustomerRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO customer VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(customer.id),
                customer.username,
                customer.name,
                customer.detail,
                customer.email,
                customer.phone_number,
                customer.address,
                customer.webhook_method,
                customer.webhook_uri,
                customer.webhook_secret,
                _time(customer.tm_create),
                _time_or_none(customer.tm_update),
            ),
        )

    # -- flows ---------------------------------------------------------------------------

    def add_flow(self, flow: FlowRecord) -> None:
        self._db.execute(
            "INSERT INTO flows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(flow.id),
                str(flow.customer_id),
                flow.type,
                flow.name,
                flow.detail,
                json.dumps(flow.actions),
                _time(flow.tm_create),
                _time_or_none(flow.tm_update),
                _time_or_none(flow.tm_delete),
            ),
        )

    def flow_exists(self, flow_id: UUID) -> bool:
        row = self._db.execute("SELECT 1 FROM flows WHERE id = ? AND tm_delete IS NULL", (str(flow_id),)).fetchone()
        return row is not None

    def list_flows(self, *, before: datetime | None, limit: int) -> list[FlowRecord]:
        rows = self._newest_first("flows", "tm_delete IS NULL", (), before, limit)
        return [_flow(row) for row in rows]

    # -- accounts ------------------------------------------------------------------------

    def get_account(self, account_id: UUID) -> AccountRecord | None:
        self._sync_outside_transactions()
        cached = self._accounts.get(account_id)
        if cached is not None:
            return cached
        row = self._db.execute("SELECT * FROM accounts WHERE id = ?", (str(account_id),)).fetchone()
        if row is None:
            return None
        account = self._accounts[account_id] = _account(row)
        return account

    def list_accounts(self, *, before: datetime | None, limit: int) -> list[AccountRecord]:
        """Accounts not deleted, newest first."""
        rows = self._newest_first("accounts", "tm_delete IS NULL", (), before, limit)
        return [_account(row) for row in rows]

    def save_account(self, account: AccountRecord) -> None:
        """Insert or overwrite the whole account."""
        self._db.execute(
            "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(account.id),
                str(account.customer_id),
                account.type,
                account.name,
                account.detail,
                account.secret,
                account.token,
                None if account.provider_data is None else json.dumps(account.provider_data),
                str(account.message_flow_id),
                _time(account.tm_create),
                _time_or_none(account.tm_update),
                _time_or_none(account.tm_delete),
            ),
        )
        self._accounts[account.id] = account

    # -- conversations and messages ------------------------------------------------------

    def add_conversation(self, conversation: ConversationRecord) -> None:
        self._db.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(conversation.id),
                str(conversation.customer_id),
                str(conversation.account_id),
                conversation.type,
                storable_text(conversation.name),
                conversation.detail,
                storable_text(conversation.dialog_id),
                json.dumps(conversation.self_address),
                json.dumps(conversation.peer_address),
                _time(conversation.tm_create),
                _time_or_none(conversation.tm_update),
                _time_or_none(conversation.tm_delete),
            ),
        )
        self._cache_conversation(conversation)

    def get_conversation(self, conversation_id: UUID) -> ConversationRecord | None:
        row = self._db.execute("SELECT * FROM conversations WHERE id = ?", (str(conversation_id),)).fetchone()
        return None if row is None else _conversation(row)

    def find_conversation(self, *, type: str, account_id: UUID, dialog_id: str) -> ConversationRecord | None:
        """The first conversation of this type and account with this dialog id."""
        self._sync_outside_transactions()
        key = (type, account_id, storable_text(dialog_id))
        cached = self._conversations.get(key)
        if cached is not None:
            return cached
        row = self._db.execute(
            "SELECT * FROM conversations WHERE type = ? AND account_id = ? AND dialog_id = ? "
            "AND tm_delete IS NULL ORDER BY tm_create LIMIT 1",
            (key[0], str(account_id), key[2]),
        ).fetchone()
        if row is None:
            return None
        conversation = _conversation(row)
        self._cache_conversation(conversation)
        return conversation

    def list_conversations(self, *, before: datetime | None, limit: int) -> list[ConversationRecord]:
        rows = self._newest_first("conversations", "tm_delete IS NULL", (), before, limit)
        return [_conversation(row) for row in rows]

    def add_message(self, message: MessageRecord) -> None:
        self._db.execute(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(message.id),
                str(message.customer_id),
                str(message.conversation_id),
                message.direction,
                message.status,
                message.reference_type,
                storable_text(message.transaction_id),
                message.provider_status,
                json.dumps(message.source),
                json.dumps(message.destination),
                storable_text(message.text),
                _time(message.tm_create),
                _time_or_none(message.tm_update),
                _time_or_none(message.tm_delete),
            ),
        )

    def list_messages(self, conversation_id: UUID, *, before: datetime | None, limit: int) -> list[MessageRecord]:
        rows = self._newest_first(
            "messages", "conversation_id = ? AND tm_delete IS NULL", (str(conversation_id),), before, limit
        )
        return [_message(row) for row in rows]

    def outgoing_message(self, transaction_id: str) -> MessageRecord | None:
        """The outgoing message the provider knows by ``transaction_id`` (a wamid)."""
        row = self._db.execute(
            "SELECT * FROM messages WHERE transaction_id = ? AND direction = 'outgoing' LIMIT 1",
            (storable_text(transaction_id),),
        ).fetchone()
        return None if row is None else _message(row)

    def set_message_delivery(self, message_id: UUID, *, status: str, provider_status: str, now: datetime) -> None:
        self._db.execute(
            "UPDATE messages SET status = ?, provider_status = ?, tm_update = ? WHERE id = ?",
            (status, provider_status, _time(now), str(message_id)),
        )

    # -- dedupe --------------------------------------------------------------------------

    def claim_dedupe_key(self, key: str, *, now: datetime) -> bool:
        """Remember ``key``; False if it was already remembered (the item is a duplicate)."""
        cursor = self._db.execute("INSERT OR IGNORE INTO dedupe_keys VALUES (?, ?)", (storable_text(key), _time(now)))
        return cursor.rowcount == 1

    # -- captured requests ---------------------------------------------------------------

    def record_capture(self, capture: CaptureRecord) -> CaptureRecord:
        """Store a captured request and return it with its ``seq``; prunes now and then."""
        headers = json.dumps(capture.headers)
        path = storable_text(capture.path)
        summary = storable_text(json.dumps(capture.summary, ensure_ascii=False))
        explanation = storable_text(capture.explanation)
        upstream = None if capture.upstream is None else json.dumps(capture.upstream)
        size = CAPTURE_ROW_OVERHEAD + sum(
            map(len, (capture.body, headers, capture.answer, summary, explanation, upstream or "", path, capture.query))
        )
        cursor = self._db.execute(
            "INSERT INTO captured_requests (id, time, method, path, query, headers, body, body_size, "
            "body_complete, account_id, kind, verdict, status, answer, summary, explanation, upstream, "
            "replay_of, stored_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "? + coalesce((SELECT stored_total FROM captured_requests ORDER BY seq DESC LIMIT 1), 0))",
            (
                str(capture.id),
                _time(capture.time),
                capture.method,
                path,
                capture.query,
                headers,
                capture.body,
                capture.body_size,
                capture.body_complete,
                storable_text(capture.account_id),
                capture.kind.value,
                capture.verdict.value,
                capture.status,
                capture.answer,
                summary,
                explanation,
                upstream,
                None if capture.replay_of is None else str(capture.replay_of),
                size,
            ),
        )
        self._captures_since_prune += 1
        self._bytes_since_prune += size
        if self._captures_since_prune >= PRUNE_EVERY or self._bytes_since_prune * 16 >= self.max_capture_bytes:
            self.prune(now=capture.time)
        seq = cursor.lastrowid
        assert seq is not None  # an INSERT into a rowid table always has one
        return replace(capture, seq=seq)

    def get_capture(self, capture_id: UUID) -> CaptureRecord | None:
        """One captured request, with its body."""
        row = self._db.execute(
            f"SELECT {_CAPTURE_COLUMNS}, body FROM captured_requests WHERE id = ?", (str(capture_id),)
        ).fetchone()
        return None if row is None else _capture(row, body=row["body"])

    def captures_after(self, after: int, *, limit: int, account_id: str | None = None) -> CapturePage:
        """Up to ``limit`` captured requests with seq > ``after``, oldest first, without bodies."""
        where = "seq > ?"
        params: list[int | str] = [after]
        if account_id is not None:
            where += " AND account_id = ?"
            params.append(storable_text(account_id))
        self._db.execute("BEGIN")
        try:
            rows = self._db.execute(
                f"SELECT {_CAPTURE_COLUMNS} FROM captured_requests WHERE {where} ORDER BY seq LIMIT ?",
                (*params, limit),
            ).fetchall()
            newest = self.latest_seq()
            oldest = self._db.execute("SELECT seq FROM captured_requests ORDER BY seq LIMIT 1").fetchone()
        finally:
            self._db.execute("COMMIT")
        captures = [_capture(row, body=b"") for row in rows]
        next_seq = captures[-1].seq if len(captures) == limit else newest
        return CapturePage(captures=captures, next=next_seq, oldest=0 if oldest is None else oldest[0])

    def capture_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM captured_requests").fetchone()[0])

    def latest_seq(self) -> int:
        row = self._db.execute("SELECT seq FROM captured_requests ORDER BY seq DESC LIMIT 1").fetchone()
        return 0 if row is None else row[0]

    def latest_seq_if_changed_elsewhere(self) -> int | None:
        """The newest seq if another connection (another process) committed since the last
        call, else None: usually one cheap read, not a query."""
        self._sync_with_other_writers()
        if not self._changed_elsewhere:
            return None
        self._changed_elsewhere = False
        return self.latest_seq()

    def prune(self, *, now: datetime | None = None) -> None:
        """Keep the newest ``max_captured`` requests, within ``max_capture_bytes`` (the newest
        one always), and drop dedupe keys past any retry."""
        self._captures_since_prune = self._bytes_since_prune = 0
        self._db.execute(
            "DELETE FROM captured_requests WHERE seq <= "
            "(SELECT seq FROM captured_requests ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (self.max_captured,),
        )
        self._drop_beyond_byte_budget()
        if now is not None:
            self._db.execute("DELETE FROM dedupe_keys WHERE tm_create < ?", (_time(now - DEDUPE_KEY_LIFETIME),))

    def _drop_beyond_byte_budget(self) -> None:
        """Drop the oldest captures until the rest take at most ``max_capture_bytes``."""
        newest = self._db.execute("SELECT stored_total FROM captured_requests ORDER BY seq DESC LIMIT 1").fetchone()
        if newest is None:
            return
        cut = newest[0] - self.max_capture_bytes  # captures that end at or before it go
        self._db.execute("DELETE FROM captured_requests WHERE stored_total <= ?", (cut,))
        # ... and the oldest one left, if it starts before it (but never the newest)
        self._db.execute(
            f"DELETE FROM captured_requests WHERE seq = (SELECT min(seq) FROM captured_requests) "
            f"AND stored_total - ({_CAPTURE_SIZE}) < ? AND stored_total < ?",
            (cut, newest[0]),
        )

    # -- internals -----------------------------------------------------------------------

    def _migrate(self, initialize: Callable[[Store], None] | None) -> None:
        """Bring the schema to SCHEMA_VERSION (and initialize a new database) atomically."""
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {version}, newer than this voipbin-tui "
                    f"understands ({SCHEMA_VERSION}): upgrade voipbin-tui or use another data dir"
                )
            for script in _MIGRATIONS[version:]:
                # Statement by statement (executescript would commit the transaction first);
                # migration scripts therefore hold no ";" inside a statement.
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
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

    def _forget_cached(self) -> None:
        self._accounts.clear()
        self._conversations.clear()
        self._last_stamp_known = False

    def _cache_conversation(self, conversation: ConversationRecord) -> None:
        if len(self._conversations) >= CACHED_CONVERSATIONS:
            self._conversations.clear()
        key = (conversation.type, conversation.account_id, storable_text(conversation.dialog_id))
        self._conversations[key] = conversation

    def _newest_first(
        self, table: str, where: str, params: tuple[Any, ...], before: datetime | None, limit: int
    ) -> list[sqlite3.Row]:
        """One page in VoIPBIN's order: newest first, strictly older than the page token."""
        if before is not None:
            where += " AND tm_create < ?"
            params = (*params, _time(before))
        return self._db.execute(
            f"SELECT * FROM {table} WHERE {where} ORDER BY tm_create DESC, rowid DESC LIMIT ?",
            (*params, limit),
        ).fetchall()


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its WAL and shared
    memory files the same mode), or make an existing one so: it holds tokens and secrets."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mode & 0o077:
                    file.chmod(0o600)


def _unusable(path: Path, error: OSError | sqlite3.Error) -> str:
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


def _uuid(value: str | None) -> UUID:
    return NIL_UUID if not value else UUID(value)


def _json_object(value: str) -> dict[str, Any]:
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {}


def _customer(row: sqlite3.Row) -> CustomerRecord:
    return CustomerRecord(
        id=UUID(row["id"]),
        username=row["username"],
        name=row["name"],
        detail=row["detail"],
        email=row["email"],
        phone_number=row["phone_number"],
        address=row["address"],
        webhook_method=row["webhook_method"],
        webhook_uri=row["webhook_uri"],
        webhook_secret=row["webhook_secret"],
        tm_create=_parse_time(row["tm_create"]),
        tm_update=_parse_time_or_none(row["tm_update"]),
    )


def _flow(row: sqlite3.Row) -> FlowRecord:
    return FlowRecord(
        id=UUID(row["id"]),
        customer_id=UUID(row["customer_id"]),
        type=row["type"],
        name=row["name"],
        detail=row["detail"],
        actions=json.loads(row["actions"]),
        tm_create=_parse_time(row["tm_create"]),
        tm_update=_parse_time_or_none(row["tm_update"]),
        tm_delete=_parse_time_or_none(row["tm_delete"]),
    )


def _account(row: sqlite3.Row) -> AccountRecord:
    provider_data = row["provider_data"]
    return AccountRecord(
        id=UUID(row["id"]),
        customer_id=UUID(row["customer_id"]),
        type=row["type"],
        name=row["name"],
        detail=row["detail"],
        secret=row["secret"],
        token=row["token"],
        provider_data=None if provider_data is None else _json_object(provider_data),
        message_flow_id=_uuid(row["message_flow_id"]),
        tm_create=_parse_time(row["tm_create"]),
        tm_update=_parse_time_or_none(row["tm_update"]),
        tm_delete=_parse_time_or_none(row["tm_delete"]),
    )


def _conversation(row: sqlite3.Row) -> ConversationRecord:
    return ConversationRecord(
        id=UUID(row["id"]),
        customer_id=UUID(row["customer_id"]),
        account_id=_uuid(row["account_id"]),
        type=row["type"],
        name=row["name"],
        detail=row["detail"],
        dialog_id=row["dialog_id"],
        self_address=_json_object(row["self"]),
        peer_address=_json_object(row["peer"]),
        tm_create=_parse_time(row["tm_create"]),
        tm_update=_parse_time_or_none(row["tm_update"]),
        tm_delete=_parse_time_or_none(row["tm_delete"]),
    )


def _message(row: sqlite3.Row) -> MessageRecord:
    return MessageRecord(
        id=UUID(row["id"]),
        customer_id=UUID(row["customer_id"]),
        conversation_id=UUID(row["conversation_id"]),
        direction=row["direction"],
        status=row["status"],
        reference_type=row["reference_type"],
        transaction_id=row["transaction_id"],
        provider_status=row["provider_status"],
        source=_json_object(row["source"]),
        destination=_json_object(row["destination"]),
        text=row["text"],
        tm_create=_parse_time(row["tm_create"]),
        tm_update=_parse_time_or_none(row["tm_update"]),
        tm_delete=_parse_time_or_none(row["tm_delete"]),
    )


def _capture(row: sqlite3.Row, *, body: bytes) -> CaptureRecord:
    upstream, replay_of = row["upstream"], row["replay_of"]
    return CaptureRecord(
        seq=row["seq"],
        id=UUID(row["id"]),
        time=_parse_time(row["time"]),
        method=row["method"],
        path=row["path"],
        query=row["query"],
        headers=tuple((name, value) for name, value in json.loads(row["headers"])),
        body=body,
        body_size=row["body_size"],
        body_complete=bool(row["body_complete"]),
        account_id=row["account_id"],
        kind=RequestKind(row["kind"]),
        verdict=HookVerdict(row["verdict"]),
        status=row["status"],
        answer=row["answer"],
        summary=_json_object(row["summary"]),
        explanation=row["explanation"],
        upstream=None if upstream is None else _json_object(upstream),
        replay_of=None if replay_of is None else UUID(replay_of),
    )
