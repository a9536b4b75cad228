"""The sandbox's own VoIPBIN objects: the customer, flows, accounts, conversations, messages,
and the clock that stamps them.

Accounts and conversations are read on every hook request, so they are cached; the caches are
dropped on any rollback and whenever another connection (another process) has committed, which
``PRAGMA data_version`` tells in one cheap read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid5

from voipbin_tui.backend.storable import storable_text
from voipbin_tui.backend.store.connection import (
    StoreConnection,
    StoreError,
    read_json_object,
    read_time,
    read_time_or_none,
    read_uuid,
    stored_time,
    stored_time_or_none,
)

# VoIPBIN's times have microsecond resolution: the smallest step between two stamps.
STAMP_STEP = timedelta(microseconds=1)
CACHED_CONVERSATIONS = 10_000


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


class SandboxTables(StoreConnection):
    """The sandbox's VoIPBIN objects; every method is synchronous and short."""

    MIGRATIONS: ClassVar[dict[int, str]] = {
        1: """
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
        """,
        # The last time stamped on an object, so that every later one is stamped after it (see
        # stamp); a database made before this starts from its newest stored time.
        2: """
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
    }

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self._accounts: dict[UUID, AccountRecord] = {}
        self._conversations: dict[tuple[str, UUID, str], ConversationRecord] = {}
        self._last_stamp: datetime | None = None
        self._last_stamp_known = False

    def _forget_cached(self) -> None:
        super()._forget_cached()
        self._accounts.clear()
        self._conversations.clear()
        self._last_stamp_known = False

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
        self._db.execute("UPDATE clock SET last_stamp = ?", (stored_time(stamped),))
        self._last_stamp = stamped
        return stamped

    def _read_last_stamp(self) -> datetime | None:
        if not self._last_stamp_known:
            value = self._db.execute("SELECT last_stamp FROM clock").fetchone()[0]
            self._last_stamp = read_time(value) if value else None
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
                stored_time(customer.tm_create),
                stored_time_or_none(customer.tm_update),
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
                stored_time(flow.tm_create),
                stored_time_or_none(flow.tm_update),
                stored_time_or_none(flow.tm_delete),
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
                stored_time(account.tm_create),
                stored_time_or_none(account.tm_update),
                stored_time_or_none(account.tm_delete),
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
                stored_time(conversation.tm_create),
                stored_time_or_none(conversation.tm_update),
                stored_time_or_none(conversation.tm_delete),
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
                stored_time(message.tm_create),
                stored_time_or_none(message.tm_update),
                stored_time_or_none(message.tm_delete),
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
            (status, provider_status, stored_time(now), str(message_id)),
        )

    # -- internals -----------------------------------------------------------------------

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
            params = (*params, stored_time(before))
        return self._db.execute(
            f"SELECT * FROM {table} WHERE {where} ORDER BY tm_create DESC, rowid DESC LIMIT ?",
            (*params, limit),
        ).fetchall()


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
        tm_create=read_time(row["tm_create"]),
        tm_update=read_time_or_none(row["tm_update"]),
    )


def _flow(row: sqlite3.Row) -> FlowRecord:
    flow_id = UUID(row["id"])
    return FlowRecord(
        id=flow_id,
        customer_id=UUID(row["customer_id"]),
        type=row["type"],
        name=row["name"],
        detail=row["detail"],
        actions=with_action_ids(flow_id, json.loads(row["actions"])),
        tm_create=read_time(row["tm_create"]),
        tm_update=read_time_or_none(row["tm_update"]),
        tm_delete=read_time_or_none(row["tm_delete"]),
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
        provider_data=None if provider_data is None else read_json_object(provider_data),
        message_flow_id=read_uuid(row["message_flow_id"]),
        tm_create=read_time(row["tm_create"]),
        tm_update=read_time_or_none(row["tm_update"]),
        tm_delete=read_time_or_none(row["tm_delete"]),
    )


def _conversation(row: sqlite3.Row) -> ConversationRecord:
    return ConversationRecord(
        id=UUID(row["id"]),
        customer_id=UUID(row["customer_id"]),
        account_id=read_uuid(row["account_id"]),
        type=row["type"],
        name=row["name"],
        detail=row["detail"],
        dialog_id=row["dialog_id"],
        self_address=read_json_object(row["self"]),
        peer_address=read_json_object(row["peer"]),
        tm_create=read_time(row["tm_create"]),
        tm_update=read_time_or_none(row["tm_update"]),
        tm_delete=read_time_or_none(row["tm_delete"]),
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
        source=read_json_object(row["source"]),
        destination=read_json_object(row["destination"]),
        text=row["text"],
        tm_create=read_time(row["tm_create"]),
        tm_update=read_time_or_none(row["tm_update"]),
        tm_delete=read_time_or_none(row["tm_delete"]),
    )
