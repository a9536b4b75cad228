"""What the doctor reports: one result per check, in a shape people and scripts both read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    """Not run, and the summary says why (e.g. "needs the access token")."""

    @property
    def mark(self) -> str:
        """A mark readable without colour: ``✓`` pass, ``✗`` fail, ``!`` warn, ``-`` skip."""
        return _MARKS[self]


_MARKS = {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗", CheckStatus.WARN: "!", CheckStatus.SKIP: "-"}


@dataclass(frozen=True, slots=True)
class PlannedCheck:
    """A check a report will show, before it has run: its stable id and a short title."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One finished check: a status, one sentence a person can act on, and the evidence
    (what was asked, what came back; secrets redacted)."""

    id: str
    title: str
    status: CheckStatus
    summary: str
    evidence: tuple[str, ...] = ()
    elapsed: float = 0.0
    """Seconds from the check's start (after the account was read) to its result."""

    @property
    def failed(self) -> bool:
        return self.status is CheckStatus.FAIL

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status.value, "summary": self.summary, "evidence": list(self.evidence)}


def tally(results: Iterable[CheckResult]) -> str:
    """A report's outcome in one line: "3 passed, 1 failed, 0 warnings, 2 skipped"."""
    counts = Counter(result.status for result in results)
    warnings = counts[CheckStatus.WARN]
    return (
        f"{counts[CheckStatus.PASS]} passed, {counts[CheckStatus.FAIL]} failed, "
        f"{warnings} warning{'' if warnings == 1 else 's'}, {counts[CheckStatus.SKIP]} skipped"
    )


def report_json(account_id: UUID | str | None, results: Iterable[CheckResult]) -> dict[str, Any]:
    """``{"account_id": ..., "checks": [{"id", "status", "summary", "evidence"}]}``."""
    return {
        "account_id": str(account_id) if account_id is not None else None,
        "checks": [result.to_json() for result in results],
    }
