"""Captured requests (what the hook and the events receiver received, and how each was judged)
and the dedupe keys of the items already delivered, with their retention."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from voipbin_tui.backend.storable import storable_text
from voipbin_tui.backend.store.connection import StoreConnection, read_json_object, read_time, stored_time
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind

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


class Captures(StoreConnection):
    """Captured requests and dedupe keys, kept within ``max_captured`` requests and
    ``max_capture_bytes`` bytes (the subclass sets both before calling this constructor)."""

    MIGRATIONS: ClassVar[dict[int, str]] = {
        1: """
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
        # Retention by bytes: each capture holds the running total of the bytes stored up to
        # it, so the captures beyond a byte budget are one indexed range (see prune).
        3: """
        ALTER TABLE captured_requests ADD COLUMN stored_total INTEGER NOT NULL DEFAULT 0;
        UPDATE captured_requests SET stored_total = running.total FROM (
            SELECT seq, sum(length(body) + length(headers) + length(answer) + length(summary)
                + length(explanation) + coalesce(length(upstream), 0) + length(path) + length(query) + 200
            ) OVER (ORDER BY seq) AS total FROM captured_requests
        ) AS running WHERE running.seq = captured_requests.seq;
        CREATE INDEX captured_by_stored_total ON captured_requests (stored_total);
        """,
    }

    max_captured: int
    max_capture_bytes: int

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self._captures_since_prune = 0
        self._bytes_since_prune = 0

    def _tidy(self) -> None:
        super()._tidy()
        self.prune()

    # -- dedupe --------------------------------------------------------------------------

    def claim_dedupe_key(self, key: str, *, now: datetime) -> bool:
        """Remember ``key``; False if it was already remembered (the item is a duplicate)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO dedupe_keys VALUES (?, ?)", (storable_text(key), stored_time(now))
        )
        return cursor.rowcount == 1

    # -- captured requests ---------------------------------------------------------------

    def record_capture(self, capture: CaptureRecord) -> CaptureRecord:
        """Store a captured request and return it with its ``seq``; prunes now and then."""
        return replace(capture, seq=self.insert_capture(capture))

    def insert_capture(self, capture: CaptureRecord) -> int:
        """Store a captured request and return its ``seq`` (a copy of the record with it costs
        the judging of a batch more than the copy is worth); prunes now and then."""
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
                stored_time(capture.time),
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
        return seq

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
        return 0 if row is None else int(row[0])

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
            self._db.execute("DELETE FROM dedupe_keys WHERE tm_create < ?", (stored_time(now - DEDUPE_KEY_LIFETIME),))

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


def _capture(row: sqlite3.Row, *, body: bytes) -> CaptureRecord:
    upstream, replay_of = row["upstream"], row["replay_of"]
    return CaptureRecord(
        seq=row["seq"],
        id=UUID(row["id"]),
        time=read_time(row["time"]),
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
        summary=read_json_object(row["summary"]),
        explanation=row["explanation"],
        upstream=None if upstream is None else read_json_object(upstream),
        replay_of=None if replay_of is None else UUID(replay_of),
    )
