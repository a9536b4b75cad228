"""The one loop that follows live traffic: backoff while a source fails, recovery, pauses
between polls, and an unexpected error reported and raised. Waits run on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import pytest

from tests.helpers import ManualClock, SteppingClock, sequential_ids
from voipbin_tui.api.errors import ConnectionFailed, ServerError
from voipbin_tui.api.feed import CapturedRequest, FeedBatch, FeedClient
from voipbin_tui.protocols import HookVerdict, RequestKind
from voipbin_tui.traffic import TrafficRow
from voipbin_tui.workflows.traffic_sources import (
    Arrived,
    Backoff,
    Disconnected,
    FeedSource,
    FollowEvent,
    Stopped,
    TrafficBatch,
    follow,
)

DOWN = ConnectionFailed("cannot connect to feed.example: connection refused")


class ScriptedSource:
    """Answers each poll with the next step: a batch, or an error to raise."""

    def __init__(self, steps: list[TrafficBatch | Exception], *, interval: float = 0.0) -> None:
        self._steps = iter(steps)
        self.backoff = Backoff(first=1.0, most=8.0)
        self.interval = interval

    async def next_batch(self) -> TrafficBatch:
        step = next(self._steps)
        if isinstance(step, Exception):
            raise step
        return step


async def events_of(source: ScriptedSource, clock: ManualClock, count: int) -> list[FollowEvent]:
    events: list[FollowEvent] = []
    async for event in follow(source, sleep=clock.sleep):
        events.append(event)
        if len(events) == count:
            break
    return events


async def test_failures_back_off_doubling_up_to_the_most_and_a_batch_resets_it() -> None:
    clock = ManualClock()
    source = ScriptedSource([DOWN] * 5 + [TrafficBatch()] + [DOWN] * 2)
    events = await events_of(source, clock, 8)
    assert [type(event) for event in events] == [Disconnected] * 5 + [Arrived] + [Disconnected] * 2
    assert [event.retry_in for event in events if isinstance(event, Disconnected)] == [1, 2, 4, 8, 8, 1, 2]
    assert clock.slept == [1, 2, 4, 8, 8, 1]  # the last wait has not been slept yet: the loop was left
    assert all(event.error is DOWN for event in events if isinstance(event, Disconnected))


async def test_a_server_error_is_a_disconnect_too_and_the_next_batch_arrives() -> None:
    clock = ManualClock()
    refused = ServerError(503, message="VoIPBIN is unavailable")
    source = ScriptedSource([refused, TrafficBatch(dropped=True)])
    events = await events_of(source, clock, 2)
    assert events == [Disconnected(refused, 1.0), Arrived(TrafficBatch(dropped=True))]


async def test_a_polling_source_pauses_after_each_batch_and_not_after_a_failure() -> None:
    clock = ManualClock()
    source = ScriptedSource([TrafficBatch(), TrafficBatch(), DOWN, TrafficBatch()], interval=5.0)
    await events_of(source, clock, 4)
    assert clock.slept == [5.0, 5.0, 1.0]


async def test_an_unexpected_error_is_reported_and_raised_not_swallowed() -> None:
    clock = ManualClock()
    bug = KeyError("verdict")
    source = ScriptedSource([TrafficBatch(), bug, TrafficBatch()])
    events: list[FollowEvent] = []
    with pytest.raises(KeyError):
        async for event in follow(source, sleep=clock.sleep):
            events.append(event)
    assert events == [Arrived(TrafficBatch()), Stopped(bug)]
    assert clock.slept == []  # not retried


# -- the feed source ---------------------------------------------------------------------


class StandInFeed:
    """A feed that answers polls from a script and records how it was asked."""

    def __init__(self, latest: int, batches: list[FeedBatch | Exception]) -> None:
        self.latest = latest
        self._batches: Iterator[FeedBatch | Exception] = iter(batches)
        self.polls: list[tuple[int, float]] = []

    async def latest_cursor(self) -> int:
        return self.latest

    async def poll(self, after: int, *, limit: int = 200, wait: float = 0, **_: Any) -> FeedBatch:
        self.polls.append((after, wait))
        answer = next(self._batches)
        if isinstance(answer, Exception):
            raise answer
        return answer


def captured(seq: int, new_id: Any, clock: SteppingClock) -> CapturedRequest:
    return CapturedRequest(
        seq=seq,
        id=cast(UUID, new_id()),
        time=clock(),
        method="POST",
        path="/v1.0/conversation/accounts/1",
        kind=RequestKind.MESSAGE,
        verdict=HookVerdict.OK,
        status=200,
    )


def keys(batch: TrafficBatch) -> list[tuple[str, str]]:
    return [row.key for row in batch.rows]


async def test_the_feed_starts_at_the_backlog_waits_once_caught_up_and_not_after_a_failure() -> None:
    new_id, clock = sequential_ids(), SteppingClock(datetime(2026, 11, 2, 9, 30, tzinfo=UTC), timedelta(seconds=1))
    first, second = captured(1201, new_id, clock), captured(1202, new_id, clock)
    feed = StandInFeed(
        1700,
        [FeedBatch([first], next=1201, oldest=1), DOWN, FeedBatch([second], next=1202, oldest=1)],
    )
    source = FeedSource(cast(FeedClient, feed), backlog=500, wait=20.0)
    assert keys(await source.next_batch()) == [("capture", str(first.id))]
    with pytest.raises(ConnectionFailed):
        await source.next_batch()
    batch = await source.next_batch()
    assert keys(batch) == [("capture", str(second.id))] and not batch.dropped
    # from latest - backlog, at once; then waiting for news; after the failure, at once again
    assert feed.polls == [(1200, 0.0), (1201, 20.0), (1201, 0.0)]
    assert all(isinstance(row, TrafficRow) for row in batch.rows)


async def test_the_feed_says_when_retention_dropped_requests_and_restarts_on_a_replaced_store() -> None:
    feed = StandInFeed(
        10,
        [
            FeedBatch([], next=40, oldest=31),  # 8..30 were dropped before they were read
            FeedBatch([], next=900, oldest=1),
            FeedBatch([], next=5, oldest=1),  # a replaced store: its end is behind the cursor
            FeedBatch([], next=5, oldest=1),
        ],
    )
    source = FeedSource(cast(FeedClient, feed), backlog=3, wait=20.0)
    assert (await source.next_batch()).dropped
    assert not (await source.next_batch()).dropped
    assert not (await source.next_batch()).dropped
    await source.next_batch()
    assert [after for after, _ in feed.polls] == [7, 40, 900, 2]  # then from the new end's backlog
