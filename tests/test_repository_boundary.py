"""A clone tests and runs itself: nothing in the repository reads a path above its root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("src", "tests", "bench", "screenshots", ".ci")
ABOVE_ROOT = [
    re.compile(r"\.\.[/]+(shared|fixtures|docs)\b"),  # dot-dot, slash, then shared (or fixtures, docs)
    re.compile(r"""["']shared["']\s*/\s*["'](fixtures|docs)["']"""),  # ... / "shared" / "fixtures"
    re.compile(r"""/\s*["']\.\.["']"""),  # Path(...) / ".."
    re.compile(r"\bos\.pardir\b"),
    re.compile(r"\.parents\[\d+\]\s*\.parent\b"),  # one level above what parents[] reached
]


def _files() -> list[Path]:
    return sorted(
        path
        for folder in CHECKED
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".py", ".sh", ""} and "__pycache__" not in path.parts
    )


def test_the_checked_folders_exist() -> None:
    assert _files(), "no files found: the check below would pass vacuously"


@pytest.mark.parametrize("path", _files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_path_above_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for pattern in ABOVE_ROOT:
        match = pattern.search(text)
        if match and path.name != Path(__file__).name:
            line = text.count("\n", 0, match.start()) + 1
            pytest.fail(f"{path.relative_to(ROOT)}:{line} refers to a path outside the repository: {match.group(0)!r}")


def test_parents_index_stays_inside_the_repository() -> None:
    """``Path(__file__).parents[N]`` must not climb above the root from where the file is."""
    for path in _files():
        if path.suffix != ".py":
            continue
        depth = len(path.relative_to(ROOT).parts) - 1  # parents[depth] is the root
        for match in re.finditer(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]", path.read_text(encoding="utf-8")):
            assert int(match.group(1)) <= depth, f"{path.relative_to(ROOT)} climbs above the repository root"
