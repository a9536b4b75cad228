"""The backend never depends on the UI: no Textual, no tui/, no cli (the TUI starts it through
``start_embedded`` and then talks HTTP to it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "src" / "voipbin_tui" / "backend"
FORBIDDEN = ("textual", "voipbin_tui.tui", "voipbin_tui.cli")


def imported_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_backend_sources_import_no_ui() -> None:
    sources = sorted(BACKEND.glob("*.py"))
    assert len(sources) > 5
    offending = {
        f"{source.name}: {module}"
        for source in sources
        for module in imported_modules(source)
        if any(module == name or module.startswith(name + ".") for name in FORBIDDEN)
    }
    assert not offending


def test_running_a_backend_loads_no_textual() -> None:
    code = (
        "import sys, voipbin_tui.backend, voipbin_tui.api.feed; "
        f"print(sorted(m for m in sys.modules if m == {FORBIDDEN[0]!r} or m.startswith({FORBIDDEN!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
