"""What shapes one backend instance: where it stores, its access key, limits, clock and ids.

The clock and the id factory are injected so that everything time- or id-dependent (stored
objects, captured requests, seed data, JWT expiry) is reproducible in snapshot tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from pydantic import SecretStr

from voipbin_tui.backend.store import DATABASE_FILENAME, DEFAULT_MAX_CAPTURED

DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024
"""Meta sends notifications of up to 3 MB; anything larger is refused with 413."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendConfig:
    data_dir: Path
    accesskey: SecretStr
    seed: bool = True
    """Fill a new database with a realistic customer (accounts, flows, conversations)."""
    max_captured: int = DEFAULT_MAX_CAPTURED
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = uuid4
    public_hook_url: str | None = None
    """The hook base URL as providers reach it (through a tunnel or proxy), if not local."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILENAME
