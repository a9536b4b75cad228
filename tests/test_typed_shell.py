"""Screens and widgets reach the app through ``AppAccess.voipbin_app`` (typed), so ``tui/`` needs
no ``type: ignore`` on ``self.app``, no ``hasattr`` and no ``getattr`` with a fixed name: each of
those hid a misspelt or missing attribute from mypy. And every worker starts through
``@background``, so none can fail unseen.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest
from textual.app import App

from voipbin_tui.tui.shell import AppAccess

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


def direct_workers(package: Path) -> list[str]:
    """Modules under ``package`` that take Textual's ``work`` (or call ``run_worker``) instead
    of ``@background`` (tui/workers.py), whose failures would reach no handler."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "workers.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            takes_work = isinstance(node, ast.ImportFrom) and any(alias.name == "work" for alias in node.names)
            runs_worker = isinstance(node, ast.Attribute) and node.attr == "run_worker"
            if takes_work or runs_worker:
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    return found


def test_every_worker_starts_through_background() -> None:
    assert direct_workers(TUI) == [], "decorate the worker with @background (tui/workers.py)"


def test_the_worker_scan_finds_textual_work(tmp_path: Path) -> None:
    (tmp_path / "screen.py").write_text("from textual import on, work\n\ndef f(self):\n    self.run_worker(g())\n")
    (tmp_path / "workers.py").write_text("from textual import work\n")
    assert direct_workers(tmp_path) == ["screen.py:1", "screen.py:4"]


def test_the_accessor_refuses_another_app() -> None:
    """A screen mounted in some other app fails at once, naming both, instead of reading
    attributes that are not there."""

    class Stray(AppAccess):
        app = App[object]()

    with pytest.raises(TypeError, match="Stray runs inside VoipbinApp, not App"):
        _ = Stray().voipbin_app
