"""Helpers more than one test area needs: one copy, so they cannot drift apart."""

from __future__ import annotations

import ast
import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import httpx

from voipbin_tui.config import ProviderBases, SandboxTarget
from voipbin_tui.connection import Connection

if TYPE_CHECKING:
    from voipbin_tui.api import VoipbinClient
    from voipbin_tui.backend.server import EmbeddedBackend


class SteppingClock:
    """Each reading is ``step`` after the previous one: ordered, unique and reproducible."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._ticks = itertools.count()
        self._start = start
        self._step = step

    def __call__(self) -> datetime:
        return self._start + self._step * next(self._ticks)


class ManualClock:
    """Monotonic seconds that move only when slept on: each sleep is recorded, then returns at
    once, so a loop's waits (backoff, intervals, deadlines) are checked without waiting."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class StreamedBody(httpx.AsyncByteStream):
    """A body a ``MockTransport`` answers chunk by chunk, as a slow or endless server sends it."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk


def sequential_ids() -> Callable[[], UUID]:
    """Account and object ids 1, 2, 3 ... in UUID form, for stable snapshots and assertions."""
    counter = itertools.count(1)
    return lambda: UUID(f"00000000-0000-4000-8000-{next(counter):012d}")


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (absolute names as written)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def sandbox_connection(backend: EmbeddedBackend, client: VoipbinClient, data_dir: Path | None = None) -> Connection:
    """What ``open_connection`` yields for a sandbox, aimed at a test's running backend (its
    emulated Meta and LINE included)."""
    return Connection(
        client=client,
        target=SandboxTarget(data_dir or Path("/sandbox")),
        hook_base_url=backend.hook_url,
        inspector_url=backend.inspector_url,
        feed_accesskey=backend.accesskey,
        local_hook_base_url=backend.local_hook_url,
        providers=ProviderBases.emulated_by(backend.base_url),
        backend_url=backend.base_url,
    )
