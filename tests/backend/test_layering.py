"""The backend never depends on the UI: no Textual, no tui/, no cli (the TUI starts it through
``start_embedded`` and then talks HTTP to it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import imported_modules

BACKEND = Path(__file__).resolve().parents[2] / "src" / "voipbin_tui" / "backend"
FORBIDDEN = ("textual", "voipbin_tui.tui", "voipbin_tui.cli")


def test_backend_sources_import_no_ui() -> None:
    sources = sorted(BACKEND.rglob("*.py"))
    assert len(sources) > 5
    offending = {
        f"{source.name}: {module}"
        for source in sources
        for module in imported_modules(source)
        if any(module == name or module.startswith(name + ".") for name in FORBIDDEN)
    }
    assert not offending


@pytest.mark.slow
def test_running_a_backend_loads_no_textual() -> None:
    code = (
        "import sys, voipbin_tui.backend, voipbin_tui.api.feed; "
        f"print(sorted(m for m in sys.modules if m == {FORBIDDEN[0]!r} or m.startswith({FORBIDDEN!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


PACKAGE = BACKEND.parent


def _module_name(source: Path) -> str:
    parts = source.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_import_graph() -> dict[str, set[str]]:
    """Each voipbin_tui module and the package modules it imports, at run time or for type
    checking alike (``from package import module`` counts as importing the module)."""
    modules = {_module_name(source): source for source in sorted(PACKAGE.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, source in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {module for module in imported if module in modules and module != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowlink[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                lowlink[module] = min(lowlink[module], lowlink[imported])
            elif imported in on_stack:
                lowlink[module] = min(lowlink[module], index[imported])
        if lowlink[module] == index[module]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_import_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_no_backend_module_imports_itself_back() -> None:
    """Modules of the backend form no import cycle, counting imports made only for type
    checking (hook -> context -> relay -> hook was one): each job's module depends on the
    ones below it only."""
    graph = package_import_graph()
    backend_cycles = [cycle for cycle in import_cycles(graph) if any(".backend" in m for m in cycle)]
    assert "voipbin_tui.backend.hook" in graph and "voipbin_tui.backend.relay" in graph
    assert [cycle for cycle in backend_cycles if cycle not in KNOWN_CYCLES] == []


KNOWN_CYCLES = [["voipbin_tui.backend.server", "voipbin_tui.backend.service"]]
"""Left for now: ``run_server`` imports ``publish_served`` inside the function."""
