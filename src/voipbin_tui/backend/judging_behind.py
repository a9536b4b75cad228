"""Judging right behind the answer, off the serving core.

A served backend answers a hook POST once the request as it arrived is committed, and judging
(parsing, the signature, applying to the sandbox, recording the verdict) follows in a worker
process, on another core: the server's process spends its CPU on receiving and answering.

The requests wait in a file of their own (``UnjudgedQueue``), which only the serving process
writes: the requests of one turn of its event loop are committed together, and never wait for
the judging's write lock on the database. The worker takes them in arrival order, in batches
of up to ``BATCH``, records their verdicts and how far it got in one transaction of the
database, and reports each batch; then the feed is woken (it never shows a request unjudged)
and the judged requests leave the queue.

Everything else the backend serves reads the sandbox as if the hook had judged before
answering: a request other than a hook POST first waits (``caught_up``) until every request
answered before it is judged, so a test message's conversation row is there when its sender
looks. A worker that dies is started again, and judges what its predecessor left; after
``MAX_DEATHS`` deaths within ``DEATH_WINDOW`` seconds the server judges in its own process, says
so, and tries a worker again ``DEATH_WINDOW`` seconds later. What a killed backend left unjudged
is judged when the next one starts.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import multiprocessing
import signal
import sqlite3
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from uuid import uuid4

from starlette.types import ASGIApp, Receive, Scope, Send

from voipbin_tui.backend.checkpoints import Checkpointer
from voipbin_tui.backend.connections import bounded_log_config
from voipbin_tui.backend.context import BackendContext, Backlogged, Judging
from voipbin_tui.backend.delivery import Delivery, is_hook_path
from voipbin_tui.backend.recording import JudgedBatch, judge_unjudged
from voipbin_tui.backend.store import DATABASE_FILENAME, Store, UnjudgedQueue, UnjudgedRequest

BATCH = 64
"""Requests judged in one transaction: enough to spread a COMMIT, few enough that the
database's write lock is held for milliseconds (the server's own writes wait for it)."""
MAX_DEATHS = 3
DEATH_WINDOW = 60.0
CATCH_UP_TIMEOUT = 5.0
"""The longest a request waits for the judging to catch up; then it is served as things are
(or, a hook POST waiting for room in the backlog, refused with 503)."""
MAX_BACKLOG = 10_000
MAX_BACKLOG_BYTES = 64 * 1024 * 1024
"""The most requests, and body bytes, answered and not judged yet: past either, a hook POST
waits for the judging to make room (a flood the judging cannot keep up with is slowed down to
its pace, and the queue file stays bounded)."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
WORKER_HANG_SECONDS = 60.0
"""A worker woken that reports nothing for this long is taken for hung: killed and replaced."""
LOCKED_RETRY_SECONDS = 0.05
"""How soon the worker tries a batch again while another process holds the database."""
BUSY_RETRY_SECONDS = 0.001
"""How soon a commit to the queue is tried again while its checkpoint holds the file."""

log = logging.getLogger(__name__)


async def judge_leftovers(backend: BackendContext) -> None:
    """Judge, before serving, every request a killed backend answered and left unjudged (for a
    backend that judges before answering; one that judges behind has its worker do it)."""
    data_dir = backend.config.data_dir
    if not UnjudgedQueue.exists(data_dir):
        return
    queue = UnjudgedQueue.open(data_dir, waits=True)
    try:
        while requests := queue.after(backend.read(Store.judged_up_to), BATCH):
            batch = await backend.write(lambda store: judge_unjudged(store, requests, new_id=backend.config.new_id))
            backend.arrivals.announce(batch.last_seq)
        queue.append([], forget_up_to=queue.newest_id())
    finally:
        queue.close()


class JudgingBehind:
    """The serving process's side: stores requests in the queue, wakes the judge, waits for it,
    and tells the feed and ``on_capture`` of what it judged."""

    def __init__(self, backend: BackendContext) -> None:
        config = backend.config
        self._backend = backend
        self._loop = asyncio.get_running_loop()
        self._queue = UnjudgedQueue.open(config.data_dir, waits=False)
        self._checkpointer = Checkpointer(self._queue.path)
        judged = backend.read(Store.judged_up_to)
        self._newest_stored = max(self._queue.newest_id(), judged)
        self._newest_judged = judged
        self._forget_up_to = judged
        self._next_id = self._newest_stored + 1  # ids keep growing, even when the queue is emptied
        self._storing: list[UnjudgedRequest] = []
        self._backlog: deque[tuple[int, int]] = deque()  # (id, body bytes) stored and not judged
        self._backlog_bytes = 0
        self._room: asyncio.Future[None] | None = None
        self._stored: asyncio.Future[None] | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._deaths: list[float] = []
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._woken = False
        self._in_process: asyncio.Task[None] | None = None
        self._judging_here = False
        self._stopping = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._worker_ready = False
        self._ready: asyncio.Future[None] = self._loop.create_future()

    @property
    def judging_here(self) -> bool:
        """Whether the server judges in its own process (the worker kept dying)."""
        return self._judging_here

    @property
    def worker_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the worker and return once it is ready (within ``START_TIMEOUT``, else
        judge in this process): it begins with whatever is unjudged."""
        self._checkpointer.start()
        self._start_worker()
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT)
        except TimeoutError:
            log.error(
                "the judging worker did not start within %.0f s: judging in the server's own process", START_TIMEOUT
            )
            self._stop_worker()
            self._judge_here_for_a_while()

    async def store(self, delivery: Delivery, account_ref: str) -> None:
        """Commit a hook request as it arrived, with the requests of this turn of the event
        loop; return once it is on disk. Judging follows. Raises ``Backlogged`` (nothing
        stored) when the backlog stayed full for ``CATCH_UP_TIMEOUT``."""
        if self._backlog_full():
            await self._wait_for_room()
        config = self._backend.config
        request = UnjudgedRequest(
            id=self._next_id,
            capture_id=config.new_id(),
            time=config.clock(),
            account_ref=account_ref,
            method=delivery.method,
            path=delivery.path,
            query=delivery.query,
            headers=delivery.headers,
            body=delivery.body,
            body_size=delivery.body_size,
            body_complete=delivery.body_complete,
        )
        self._next_id += 1
        self._storing.append(request)
        self._backlog.append((request.id, len(request.body)))
        self._backlog_bytes += len(request.body)
        # Shielded: a sender that hangs up must not cancel the commit for the others.
        await asyncio.shield(self._commit_soon())

    def _backlog_full(self) -> bool:
        return len(self._backlog) >= MAX_BACKLOG or self._backlog_bytes >= MAX_BACKLOG_BYTES

    async def _wait_for_room(self) -> None:
        deadline = self._loop.time() + CATCH_UP_TIMEOUT
        while self._backlog_full():
            remaining = deadline - self._loop.time()
            if remaining <= 0 or self._stopping:
                log.warning("judging is %d requests behind: a hook POST was refused with 503", len(self._backlog))
                raise Backlogged
            if self._room is None:
                self._room = self._loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._room), remaining)
            except TimeoutError:
                pass

    async def caught_up(self) -> None:
        """Return once every request stored before this call is judged (or after
        ``CATCH_UP_TIMEOUT``, or when stopping)."""
        timeout = CATCH_UP_TIMEOUT
        target = self._newest_stored
        if self._newest_judged >= target or self._stopping:
            return
        waiter = self._loop.create_future()
        self._waiters.append((target, waiter))
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            log.warning("judging is behind by more than %.0f s: a request is served before it caught up", timeout)

    def stop(self) -> None:
        """Let the worker finish its batch and end; what is still unjudged stays for the next
        start."""
        self._stopping = True
        self._woken = False
        self._watch_worker()  # no watchdog left behind
        self._release_waiters(everyone=True)
        if self._in_process is not None:
            self._in_process.cancel()
        self._stop_worker()
        self._commit()
        self._checkpointer.stop()
        self._queue.close()

    def _stop_worker(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            self._loop.remove_reader(connection.fileno())
            connection.close()  # the worker reads the end of its pipe and stops
        if process is not None:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()

    # -- the queue -------------------------------------------------------------------------

    def _commit_soon(self) -> asyncio.Future[None]:
        if self._stored is None:
            self._stored = self._loop.create_future()
            # Waiters retrieve a failure; this marks it retrieved even if all of them left.
            self._stored.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._loop.call_soon(self._commit)
        return self._stored

    def _commit(self) -> None:
        """Commit what was stored this turn (and forget what was judged) in one transaction."""
        stored, storing = self._stored, self._storing
        if stored is None:
            return
        try:
            self._queue.append(storing, forget_up_to=self._forget_up_to)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY and not self._stopping:
                self._loop.call_later(BUSY_RETRY_SECONDS, self._commit)  # a checkpoint holds it
                return
            self._stored, self._storing = None, []
            stored.set_exception(exc)
            return
        except Exception as exc:
            self._stored, self._storing = None, []
            stored.set_exception(exc)
            return
        self._stored, self._storing = None, []
        stored.set_result(None)
        if storing:
            self._newest_stored = max(self._newest_stored, storing[-1].id)
            self._wake()

    # -- the worker ------------------------------------------------------------------------

    def _start_worker(self) -> None:
        config = self._backend.config
        context = multiprocessing.get_context("spawn")  # the server has threads: no fork
        ours, theirs = context.Pipe()
        process = context.Process(
            target=work,
            args=(str(config.data_dir), config.max_captured, config.max_capture_bytes, theirs),
            name="voipbin-judging",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        self._worker_ready = False
        self._woken = False
        self._loop.add_reader(ours.fileno(), self._read_reports)
        self._wake(force=True)

    def _wake(self, *, force: bool = False) -> None:
        """Have the judge look for work, unless it is already looking (one wake at a time, so
        the pipe never fills while the worker is busy)."""
        if self._judging_here:
            self._judge_here()
            return
        if self._connection is None or (self._woken and not force):
            return
        if not force and self._newest_judged >= self._newest_stored:
            return
        self._woken = True
        self._watch_worker()
        try:
            self._connection.send_bytes(b"w")
        except OSError:
            self._worker_gone()

    def _watch_worker(self) -> None:
        """While the worker is woken, expect a report within ``WORKER_HANG_SECONDS`` (while it
        starts, its first within ``START_TIMEOUT``)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._woken and self._process is not None:
            limit = WORKER_HANG_SECONDS if self._worker_ready else START_TIMEOUT
            self._watchdog = self._loop.call_later(limit, self._worker_hung)

    def _worker_hung(self) -> None:
        self._watchdog = None
        if self._process is not None and self._process.is_alive():
            limit = WORKER_HANG_SECONDS if self._worker_ready else START_TIMEOUT
            log.warning("the judging worker reported nothing for %.0f s: stopping it", limit)
            self._process.kill()  # its pipe then ends, and it is replaced (see _worker_gone)

    def _read_reports(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            while connection.poll():
                report = connection.recv()
                if report[0] == "ready":
                    self._worker_ready = True
                self._watch_worker()
                if report[0] == "ready":
                    if not self._ready.done():
                        self._ready.set_result(None)
                elif report[0] == "judged":
                    self._judged(JudgedBatch(last_id=report[1], first_seq=report[2], last_seq=report[3]))
                else:  # "idle": nothing left past what it says is judged; it waits for a wake
                    self._woken = False
                    self._advance(report[1])
                    self._wake()
        except (EOFError, OSError):
            self._worker_gone()

    def _worker_gone(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        self._woken = False
        self._watch_worker()
        if connection is not None:
            self._loop.remove_reader(connection.fileno())
            connection.close()
        if process is not None:
            process.join(1.0)
        if self._stopping:
            return
        # It may have committed a batch it did not live to report: the database says.
        self._advance(self._backend.read(Store.judged_up_to))
        self._backend.arrivals.announce(self._backend.read(Store.latest_seq))
        now = time.monotonic()
        self._deaths = [*(death for death in self._deaths if now - death < DEATH_WINDOW), now]
        code = process.exitcode if process is not None else None
        if len(self._deaths) >= MAX_DEATHS:
            log.error(
                "the judging worker stopped %d times within %.0f s (last exit code %s): judging in the "
                "server's own process, and trying a worker again in %.0f s",
                len(self._deaths),
                DEATH_WINDOW,
                code,
                DEATH_WINDOW,
            )
            self._judge_here_for_a_while()
            return
        log.warning("the judging worker stopped (exit code %s); starting another", code)
        self._start_worker()

    # -- in the server's process, when the worker keeps dying ------------------------------

    def _judge_here_for_a_while(self) -> None:
        self._judging_here = True
        if not self._ready.done():
            self._ready.set_result(None)
        self._judge_here()
        self._loop.call_later(DEATH_WINDOW, self._try_a_worker_again)

    def _try_a_worker_again(self) -> None:
        """Back to a worker (judging here meanwhile is safe: each batch reads what is judged in
        its own transaction)."""
        if self._stopping or not self._judging_here:
            return
        self._judging_here = False
        self._deaths = []
        self._start_worker()

    def _judge_here(self) -> None:
        if self._in_process is None or self._in_process.done():
            self._in_process = self._loop.create_task(self._judge_here_until_caught_up())

    async def _judge_here_until_caught_up(self) -> None:
        queue = self._queue
        while self._newest_judged < self._newest_stored and not self._stopping:
            try:
                # What is judged is read in the batch's own transaction, as the worker does.
                batch = await self._backend.write(
                    lambda store: judge_unjudged(store, queue.after(store.judged_up_to(), BATCH), new_id=uuid4)
                )
            except Exception:
                log.exception("judging stored requests failed; trying again at the next request")
                return
            if not batch.last_id:
                self._advance(self._backend.read(Store.judged_up_to))
                break
            self._judged(batch)
            await asyncio.sleep(0)  # let requests in between batches

    # -- reports ---------------------------------------------------------------------------

    def _judged(self, batch: JudgedBatch) -> None:
        self._advance(batch.last_id)
        if not batch.last_seq:
            return  # nothing in it could be recorded
        self._backend.arrivals.announce(batch.last_seq)
        on_capture = self._backend.config.on_capture
        if on_capture is not None:
            page = self._backend.read(
                lambda store: store.captures_after(batch.first_seq - 1, limit=batch.last_seq - batch.first_seq + 1)
            )
            for capture in page.captures:
                on_capture(capture)

    def _advance(self, judged: int) -> None:
        """Every request up to ``judged`` is judged: release what waited for it."""
        if judged <= self._newest_judged:
            return
        self._newest_judged = judged
        self._newest_stored = max(self._newest_stored, judged)
        self._forget_up_to = self._newest_judged
        while self._backlog and self._backlog[0][0] <= self._newest_judged:
            self._backlog_bytes -= self._backlog.popleft()[1]
        if self._room is not None:
            self._room.set_result(None)
            self._room = None
        if self._newest_judged >= self._newest_stored:
            self._commit_soon()  # caught up: the judged requests leave the queue now, else with the next ones stored
        self._release_waiters()

    def _release_waiters(self, *, everyone: bool = False) -> None:
        still: list[tuple[int, asyncio.Future[None]]] = []
        for target, waiter in self._waiters:
            if everyone or target <= self._newest_judged:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((target, waiter))
        self._waiters = still


class JudgedFirst:
    """ASGI middleware: every request but a hook POST waits until the requests answered before
    it are judged, so what it reads (the feed, a conversation) is as if the hook had judged
    each request before answering it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            judging: Judging | None = scope["app"].state.backend.judging
            if judging is not None and not (scope["method"] == "POST" and is_hook_path(scope["path"])):
                await judging.caught_up()
        await self.app(scope, receive, send)


def work(data_dir: str, max_captured: int, max_capture_bytes: int, connection: Connection) -> None:
    """The worker process: reports ``("ready",)``, then whenever woken judges what is unjudged,
    batch by batch, reporting each (``("judged", last_id, first_seq, last_seq)``), then
    ``("idle", judged)`` once nothing is left past ``judged``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c stops the server, which stops this
    logging.config.dictConfig(bounded_log_config())  # the server's log: escaped, bounded
    store = Store.open(
        Path(data_dir) / DATABASE_FILENAME, max_captured=max_captured, max_capture_bytes=max_capture_bytes
    )
    queue = UnjudgedQueue.open(Path(data_dir), waits=True)
    try:
        connection.send(("ready",))
        while True:
            try:
                connection.recv_bytes()
            except (EOFError, OSError):
                return  # the server is gone or stopping
            while batch := _judge_next_batch(store, queue):
                connection.send(("judged", batch.last_id, batch.first_seq, batch.last_seq))
            connection.send(("idle", store.judged_up_to()))
    finally:
        queue.close()
        store.close()


def _judge_next_batch(store: Store, queue: UnjudgedQueue) -> JudgedBatch | None:
    """Judge the next batch past what the database says is judged (None when there is none),
    waiting while another process holds the database."""
    while True:
        try:
            with store.transaction():
                requests = queue.after(store.judged_up_to(), BATCH)
                return judge_unjudged(store, requests, new_id=uuid4) if requests else None
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            time.sleep(LOCKED_RETRY_SECONDS)
