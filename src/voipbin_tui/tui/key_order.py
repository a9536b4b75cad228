"""Keys typed in a burst are handled one after the other, each finished before the next starts.

Textual forwards every key to whatever has focus when the app dequeues it, but a key that the
focused widget does not consume (``tab``, ``enter``, ``backspace`` in an input) only acts when
it has bubbled back up to the app, several message queues later. Keys that arrive together (a
password manager's auto-type, ``tmux send-keys``, a fast typist over SSH) are therefore
forwarded to the old focus before the ``tab`` between them has moved it: ``tok<tab>vt`` landed
as ``tokvt`` in one field. Here a key is held back until the one before it has been consumed
or has reached the app's bindings, so every key goes where focus is once the keys before it
have acted. (One private Textual attribute is read, ``Message._stop_propagation``: Textual
8.2.8 has no public way to ask whether a message was stopped; Textual is pinned exactly.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.timer import Timer

STUCK_KEY_SECONDS = 1.0
"""A key not resolved by then (its widget was removed mid-flight) stops holding the others."""

OrderedEvent = events.Key | events.Paste


class KeyOrder:
    """Holds keys and pastes while an earlier one is still travelling through the widgets."""

    def __init__(self, app: App[Any], dispatch: Callable[[OrderedEvent], Awaitable[None]]) -> None:
        self._app = app
        self._dispatch = dispatch
        self._waiting: deque[OrderedEvent] = deque()
        self._in_flight: OrderedEvent | None = None
        self._stuck_timer: Timer | None = None

    async def arrive(self, event: OrderedEvent) -> None:
        """A key from the terminal: handled now, or after the ones before it."""
        self._waiting.append(event)
        if self._in_flight is None:
            await self._next()

    async def _next(self) -> None:
        while self._in_flight is None and self._waiting:
            event = self._waiting.popleft()
            target = self._app.focused or self._app.screen
            await self._dispatch(event)
            if event.is_forwarded and not event._stop_propagation:
                self._in_flight = event
                self._stuck_timer = self._app.set_timer(STUCK_KEY_SECONDS, lambda e=event: self._resolved(e))
                self._follow(event, target)

    def _follow(self, event: OrderedEvent, node: DOMNode) -> None:
        """Look again once ``node`` has handled the event: stopped there, or bubbled on."""

        def check() -> None:
            parent = node.parent
            if event._stop_propagation or node is self._app or parent is None:
                self._resolved(event)
            else:
                self._follow(event, parent)

        if not node.call_later(check):
            self._resolved(event)

    def _resolved(self, event: OrderedEvent) -> None:
        if self._in_flight is not event:
            return
        self._in_flight = None
        if self._stuck_timer is not None:
            self._stuck_timer.stop()
            self._stuck_timer = None
        # the app's own queue: after the key's bindings ran, before anything typed later
        self._app.call_later(self._next)
