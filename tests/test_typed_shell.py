"""Screens and widgets reach the app through ``AppAccess.voipbin_app`` (typed), so ``tui/`` needs
no ``type: ignore`` on ``self.app``, no ``hasattr`` and no ``getattr`` with a fixed name: each of
those hid a misspelt or missing attribute from mypy.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

TUI = Path(__file__).resolve().parents[1] / "src" / "voipbin_tui" / "tui"


def untyped_app_access(package: Path) -> list[str]:
    """Every ``hasattr``, ``getattr(x, "name", ...)`` and ``type: ignore`` on a line that reads
    ``.app`` under ``package``, as ``path:line what``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(package)
        app_lines = set()
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "hasattr":
                    found.append(f"{where}:{node.lineno} hasattr")
                fixed_name = len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                if node.func.id == "getattr" and fixed_name:
                    found.append(f"{where}:{node.lineno} getattr")
            if isinstance(node, ast.Attribute) and node.attr == "app":
                app_lines.add(node.lineno)
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and "type: ignore" in token.string and token.start[0] in app_lines:
                found.append(f"{where}:{token.start[0]} type: ignore")
    return found


def test_the_tui_reaches_the_app_typed() -> None:
    assert untyped_app_access(TUI) == [], "use self.voipbin_app (tui/shell.py) or an isinstance check"


def test_the_scan_finds_each_kind(tmp_path: Path) -> None:
    (tmp_path / "screens").mkdir()
    (tmp_path / "screens" / "screen.py").write_text(
        "def f(self, draft, field):\n"
        "    client = self.app.connection.client  # type: ignore[attr-defined]\n"
        "    if hasattr(self.screen, 'selected_account'):\n"
        "        return getattr(self.app, 'feed', None)\n"
        "    rows = []  # type: ignore[var-annotated]\n"
        "    return getattr(draft, field)\n"
    )
    assert untyped_app_access(tmp_path) == [
        "screens/screen.py:3 hasattr",
        "screens/screen.py:4 getattr",
        "screens/screen.py:2 type: ignore",
    ]
