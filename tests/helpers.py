"""Helpers more than one test area needs: one copy, so they cannot drift apart."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID


class SteppingClock:
    """Each reading is ``step`` after the previous one: ordered, unique and reproducible."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._ticks = itertools.count()
        self._start = start
        self._step = step

    def __call__(self) -> datetime:
        return self._start + self._step * next(self._ticks)


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
