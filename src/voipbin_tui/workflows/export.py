"""Export captured requests: one JSON object a line, bodies included (base64, the exact bytes),
credentials redacted.

The file is private (0600: message texts are personal data), created new (never overwriting
one), and removed again if writing it fails part way, so a file that exists is whole. The
default place is the exports folder in the data dir, never the working directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.config import export_dir

BODY_CONCURRENCY = 8
"""Bodies fetched at once: the feed's pages leave them out."""


@dataclass(frozen=True, slots=True)
class Export:
    """What was written where."""

    path: Path
    count: int
    bodies_missing: int = 0
    """Requests written without their body: the feed could not give it (the metadata went out)."""


def default_export_path(now: datetime | None = None) -> Path:
    """A new file in the exports folder, named by the time."""
    return export_dir() / f"voipbin-inspector-{(now or datetime.now()):%Y%m%d-%H%M%S}.jsonl"


def export_target(typed: str, default_name: str) -> Path:
    """The path typed, made absolute (so it can be told whole afterwards); a folder gets the
    default name."""
    path = Path(typed.strip() or ".").expanduser().absolute()
    return path / default_name if path.is_dir() else path


async def export_captures(feed: FeedClient, requests: list[CapturedRequest], path: Path) -> Export:
    """Fetch each request in full and write them all to ``path`` (its folders made 0700).
    Raises ``OSError`` (``FileExistsError`` when the file exists) and then leaves no file."""
    limit = asyncio.Semaphore(BODY_CONCURRENCY)

    async def full(request: CapturedRequest) -> CapturedRequest:
        async with limit:
            try:
                return await feed.get(request.id)
            except VoipbinError:
                return request  # the metadata still goes out; body stays null, body_size says its size

    complete = await asyncio.gather(*(full(request) for request in requests))
    await asyncio.to_thread(_write_new, path, complete)
    missing = sum(1 for request in complete if request.body is None and request.body_size)
    return Export(path, len(complete), missing)


def _write_new(path: Path, requests: list[CapturedRequest]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_jsonl(path, requests)


def write_jsonl(path: Path, requests: Iterable[CapturedRequest]) -> None:
    """Write the requests, redacted, one a line into a new private file; on any failure the
    part written is removed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            for request in requests:
                handle.write(request.redacted().model_dump_json() + "\n")
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
