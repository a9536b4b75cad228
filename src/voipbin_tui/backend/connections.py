"""The backend's connections, guarded against slow and numerous senders.

The hook faces the internet, and anyone can open connections to it and never finish a
request. uvicorn bounds how long an idle keep-alive connection stays open, but not how long a
request may take to arrive, and an ASGI middleware never sees a request whose headers never
end. So the HTTP protocol here is uvicorn's h11 protocol with two additions:

- a deadline on each request's arrival: its headers must be in within ``header_timeout``
  seconds of its first byte (or of the connection), and its body within ``body_timeout``
  seconds after that; a connection that misses one is dropped;
- a moment, not more, for the rest of a body refused before it ended, discarded unread;
- a deadline on a stalled answer: a connection whose sender stops reading (its answers pile
  up past the write buffer) is dropped after ``send_timeout`` seconds without progress, and
  is the first a new connection displaces (pipelined requests never read would otherwise
  hold a connection forever);
- a cap on open connections: a connection beyond ``max_connections`` displaces the connection
  that has been waiting longest for a request to finish arriving (an idle keep-alive one, or
  a slow sender; one still in its headers before one whose body is arriving), and is refused
  with a canned 503 only when every connection is busy being answered.

The cap is also kept below the process's file-descriptor limit, whose soft value is raised to
the hard one where the system allows, so the server never runs out of descriptors.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from voipbin_tui.terminal_text import multi_line, one_line

DEFAULT_MAX_CONNECTIONS = 1024
DEFAULT_HEADER_TIMEOUT = 5.0
"""Seconds a request's headers may take to arrive: a real sender needs milliseconds."""
DEFAULT_BODY_TIMEOUT = 10.0
"""Seconds a request's body may take once its headers are in (3 MB at 2.4 Mbit/s)."""
MAX_HEADER_BYTES = 16 * 1024
"""The most a request line and its headers may take; a longer head is a 400."""
DEFAULT_SEND_TIMEOUT = 10.0
"""Seconds an answer may wait for its reader to make room: a reader that reads at all makes
some within milliseconds."""
DISCARD_SECONDS = 2.0
"""How long the rest of a refused body is read and discarded before the connection ends."""
KEEP_ALIVE_SECONDS = 10
"""How long an idle keep-alive connection is kept open for a next request: longer than the 5 s
after which httpx's clients (ours, the doctor's, most scripts') drop an idle connection, so a
client never sends on a connection the server is closing at that moment (at an equal 5 s, a
PUT after an idle pause now and then failed with a ReadError under load)."""
RESERVED_DESCRIPTORS = 64
"""File descriptors kept for the database, the log and outgoing connections (the relay)."""

CUT_OFF = "voipbin_tui.cut_off"
"""Set in a request's scope when its connection was dropped for missing a deadline: that
request was not sent, so the receivers do not record it (a crowd of slow senders would
otherwise turn into a burst of writes)."""

_REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n\r\n"
_RECEIVED_STATES = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLimits:
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    send_timeout: float = DEFAULT_SEND_TIMEOUT

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.header_timeout <= 0 or self.body_timeout <= 0 or self.send_timeout <= 0:
            raise ValueError("the header, body and send timeouts must be positive")


def raise_descriptor_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit, where allowed, and
    return the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # a container may forbid it: the cap below still fits the soft limit
    return soft


def connection_cap(limits: ConnectionLimits, descriptor_limit: int) -> int:
    """How many connections may be open: the configured cap, within the descriptors left
    after what the backend itself needs (one more than the cap is accepted, then refused)."""
    if descriptor_limit == resource.RLIM_INFINITY:
        return limits.max_connections
    return max(1, min(limits.max_connections, descriptor_limit - RESERVED_DESCRIPTORS - 1))


class ArrivingConnections:
    """The connections not being answered (a request still arriving, or idle between
    requests), longest waiting first: the ones a new connection may displace."""

    def __init__(self) -> None:
        self._waiting: OrderedDict[GuardedH11Protocol, None] = OrderedDict()
        self._stalled: OrderedDict[GuardedH11Protocol, None] = OrderedDict()

    def waiting(self, connection: GuardedH11Protocol) -> None:
        """``connection`` starts waiting (it goes last, whatever it was before)."""
        self._waiting.pop(connection, None)
        self._waiting[connection] = None

    def answering(self, connection: GuardedH11Protocol) -> None:
        self._waiting.pop(connection, None)

    def stalled(self, connection: GuardedH11Protocol, stalled: bool) -> None:
        """``connection``'s answers wait for its sender to read them (or no longer do)."""
        if stalled:
            self._stalled[connection] = None
        else:
            self._stalled.pop(connection, None)

    def gone(self, connection: GuardedH11Protocol) -> None:
        self._waiting.pop(connection, None)
        self._stalled.pop(connection, None)

    def displace_longest_waiting(self, newcomer: GuardedH11Protocol) -> bool:
        """Drop a connection whose sender stopped reading, else the one that has waited longest,
        one whose request has not even sent its headers (or idle) before one whose body is
        arriving; False if there is none. A flood of new connections then displaces its own
        kind first, not a sender's body on its way."""
        others = [connection for connection in self._waiting if connection is not newcomer]
        chosen = next(iter(self._stalled), None) or next(
            (c for c in others if not c.reading_body), others[0] if others else None
        )
        if chosen is None:
            return False
        self.gone(chosen)
        chosen.drop()
        return True


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with request-arrival deadlines and a connection cap."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ConnectionLimits,
        cap: int,
        arriving: ArrivingConnections,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = limits
        self._cap = cap
        self._arriving = arriving
        self._deadline: asyncio.TimerHandle | None = None
        self._send_deadline: asyncio.TimerHandle | None = None
        self._reading_body = False
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._cap and not self._arriving.displace_longest_waiting(self):
            self._refused = True
            transport.write(_REFUSAL)
            transport.close()
            return
        self._arriving.waiting(self)
        self._expect(self._limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arriving.waiting(self)  # a keep-alive connection's next request begins
            self._expect(self._limits.header_timeout)
        super().data_received(data)
        self._follow_arrival()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.SEND_BODY:
            # Answered before its body ended (refused): uvicorn discards what still arrives, for
            # a moment, so that the sender gets to read the answer; then the connection ends.
            self._expect(min(DISCARD_SECONDS, self._limits.body_timeout))
        elif self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            # Idle until the next request: uvicorn's keep-alive timeout bounds that wait.
            self._cancel_deadline()
            self._arriving.waiting(self)
        else:
            self._follow_arrival()  # a pipelined request is arriving, or has arrived

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        self._cancel_send_deadline()
        self._arriving.gone(self)
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arriving.stalled(self, True)
        if self._send_deadline is None:
            self._send_deadline = self.loop.call_later(self._limits.send_timeout, self._send_deadline_passed)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._cancel_send_deadline()

    def _cancel_send_deadline(self) -> None:
        self._arriving.stalled(self, False)
        if self._send_deadline is not None:
            self._send_deadline.cancel()
            self._send_deadline = None

    def _send_deadline_passed(self) -> None:
        self._send_deadline = None
        log.debug("dropped a connection whose sender did not read its answers")
        self._arriving.gone(self)
        self.drop()

    @property
    def reading_body(self) -> bool:
        """Whether its request's headers are in and its body is arriving."""
        return self._reading_body

    def drop(self) -> None:
        """Close at once, unanswered (the sender missed a deadline or was displaced)."""
        self._cancel_deadline()
        self._cancel_send_deadline()
        self.transport.abort()

    def _follow_arrival(self) -> None:
        """Move the deadline along with the request: the body's once the headers are in,
        none once all of it is."""
        state = self.conn.their_state
        if state is h11.SEND_BODY and not self._reading_body:
            self._reading_body = True
            self._expect(self._limits.body_timeout)
        elif state in _RECEIVED_STATES and self._deadline is not None:
            self._cancel_deadline()
            self._arriving.answering(self)

    def _expect(self, seconds: float) -> None:
        self._cancel_deadline()
        if self._deadline is None:
            self._deadline = self.loop.call_later(seconds, self._deadline_passed)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.conn.their_state is not h11.SEND_BODY:
            self._reading_body = False

    def _deadline_passed(self) -> None:
        self._deadline = None
        self._arriving.answering(self)
        if self.cycle is not None and not self.cycle.response_complete:
            self.scope[CUT_OFF] = True  # type: ignore[literal-required]  # the app reads this, not a disconnect
        log.debug("dropped a connection whose request did not arrive in time")
        self.drop()


class RepeatLimiter(logging.Filter):
    """Lets each message through at most ``burst`` times per ``period`` seconds, then says
    once how many were held back: a flood of bad requests cannot fill the disk with log."""

    def __init__(self, burst: int = 5, period: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._burst = burst
        self._period = period
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self._clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self._period:
            if count > self._burst:
                record.msg = f"{record.msg} ({count - self._burst} more like it in the last {self._period:g} s)"
            started, count = now, 0
        if len(self._windows) > 1000:
            self._windows.clear()  # bounded: a new window per message is only a few more lines
        self._windows[key] = (started, count + 1)
        return count < self._burst


class TerminalSafe(logging.Filter):
    """Escapes a log line, and its traceback, for the terminal the server log goes to: a line
    may quote a request (its path, say), and a sender chooses every byte of that."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = one_line(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = multi_line(logging.Formatter().formatException(record.exc_info))
        return True


def bounded_log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the root logger on stderr (warnings from the backend and from
    asyncio), with every line going through one ``RepeatLimiter``, then ``TerminalSafe``."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"repeats": {"()": RepeatLimiter}, "terminal_safe": {"()": TerminalSafe}},
        "handlers": {
            name: {**handler, "filters": ["repeats", "terminal_safe"]}
            for name, handler in LOGGING_CONFIG["handlers"].items()
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
    return config
