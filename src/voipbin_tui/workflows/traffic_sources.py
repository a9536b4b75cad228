"""Follow live traffic: a source gives the rows that arrived since it was last asked, and one
loop polls it, backs off while it fails, and reports what happened.

Two sources: the captured-traffic feed (a long-poll with a cursor, so nothing is lost or repeated
across a disconnect) and, on live VoIPBIN without a relay, its stored conversation messages
(polled every few seconds, within VoIPBIN's rate limit). The inspector pane shows what ``follow``
reports; an error that is not a ``VoipbinError`` is reported and then raised, never retried
blindly and never swallowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from voipbin_tui.api.conversation_traffic import ConversationWatcher
from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.traffic import TrafficRow, row_from_capture, row_from_message

BACKLOG = 500
"""Requests already captured that a feed source starts with."""
FEED_BATCH = 1000
POLL_WAIT_SECONDS = 20.0
"""How long the backend holds a feed poll when nothing arrives."""
CONVERSATION_POLL_SECONDS = 5.0
"""Between polls of VoIPBIN's conversations: a few requests each, well under its rate limit."""

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits after failures: ``first``, then doubled each time, at most ``most``."""

    first: float
    most: float

    def after(self, wait: float) -> float:
        return min(wait * 2, self.most)


@dataclass(frozen=True, slots=True)
class TrafficBatch:
    """What arrived since the last poll, oldest first."""

    rows: list[TrafficRow] = field(default_factory=list)
    dropped: bool = False
    """Retention dropped requests before they were read."""


class TrafficSource(Protocol):
    """Where live traffic comes from; ``next_batch`` raises a ``VoipbinError`` when it cannot be
    reached (the loop backs off and asks again)."""

    backoff: Backoff
    interval: float
    """A pause after each poll that worked (0 for a long-poll, which waits by itself)."""

    async def next_batch(self) -> TrafficBatch: ...


@dataclass(frozen=True, slots=True)
class Arrived:
    batch: TrafficBatch


@dataclass(frozen=True, slots=True)
class Disconnected:
    error: VoipbinError
    retry_in: float


@dataclass(frozen=True, slots=True)
class Stopped:
    """An unexpected error ended the loop: it is raised right after this is reported."""

    error: Exception


FollowEvent = Arrived | Disconnected | Stopped


async def follow(source: TrafficSource, *, sleep: Sleep = asyncio.sleep) -> AsyncIterator[FollowEvent]:
    """Poll ``source`` for ever: each batch as ``Arrived``; a ``VoipbinError`` as ``Disconnected``
    then a wait that doubles up to the source's most (reset by the next batch); any other error
    as ``Stopped``, then raised."""
    wait = source.backoff.first
    while True:
        try:
            batch = await source.next_batch()
        except VoipbinError as exc:
            yield Disconnected(exc, wait)
            await sleep(wait)
            wait = source.backoff.after(wait)
            continue
        except Exception as exc:
            yield Stopped(exc)
            raise
        wait = source.backoff.first
        yield Arrived(batch)
        if source.interval:
            await sleep(source.interval)


class FeedSource:
    """The captured-traffic feed, from the recent backlog on; a feed whose store was replaced
    (its cursor went back) is followed again from its new end's backlog."""

    backoff = Backoff(first=1.0, most=8.0)
    interval = 0.0

    def __init__(self, feed: FeedClient, *, backlog: int = BACKLOG, wait: float = POLL_WAIT_SECONDS) -> None:
        self._feed = feed
        self._backlog = backlog
        self._wait = wait
        self._cursor: int | None = None
        self._caught_up = False
        """The last poll worked: the next one may wait for news (after a failure it does not)."""

    async def next_batch(self) -> TrafficBatch:
        if self._cursor is None:  # start with the recent backlog, not 100,000 old requests
            self._cursor = max(0, await self._feed.latest_cursor() - self._backlog)
        cursor = self._cursor
        wait, self._caught_up = (self._wait if self._caught_up else 0.0), False
        batch = await self._feed.poll(cursor, limit=FEED_BATCH, wait=wait)
        self._caught_up = True
        self._cursor = batch.next if batch.next >= cursor else max(0, batch.next - self._backlog)
        return TrafficBatch([row_from_capture(request) for request in batch.requests], batch.oldest > cursor + 1)


class ConversationSource:
    """VoIPBIN's stored conversation messages: each new one, and each change of status."""

    def __init__(self, watcher: ConversationWatcher, *, interval: float | None = None) -> None:
        self._watcher = watcher
        self._sequence = 0
        self.interval = CONVERSATION_POLL_SECONDS if interval is None else interval
        self.backoff = Backoff(first=self.interval, most=60.0)

    async def next_batch(self) -> TrafficBatch:
        rows = []
        for event in await self._watcher.poll():
            self._sequence += 1
            rows.append(row_from_message(event, self._sequence))
        return TrafficBatch(rows)
