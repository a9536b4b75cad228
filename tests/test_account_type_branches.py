"""Knowledge of each account type lives in one registry (``api/account_types.py``): nowhere
else in ``src/`` branches on ``AccountType.WHATSAPP``, ``LINE`` or ``SMS``, so the copies
cannot drift apart again. ``protocols/`` holds each channel's wire format and may name them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "voipbin_tui"
REGISTRY = PACKAGE / "api" / "account_types.py"
PROTOCOLS = PACKAGE / "protocols"
NAMED_TYPES = {"WHATSAPP", "LINE", "SMS"}


def _is_type_keyword(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> bool:
    """``SomeRecord(type=AccountType.LINE)``: making an account of a type (the demo seed), not
    choosing what to do by its type."""
    parent = parents.get(node)
    return isinstance(parent, ast.keyword) and parent.arg == "type"


def type_branches(package: Path) -> list[str]:
    """Every ``AccountType.<NAMED>`` use under ``package`` outside the registry and protocols,
    as ``path:line``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == REGISTRY.name and path.parent.name == "api" or PROTOCOLS.name in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in NAMED_TYPES
                and isinstance(node.value, ast.Name)
                and node.value.id == "AccountType"
                and not _is_type_keyword(node, parents)
            ):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    return found


def test_no_module_outside_the_registry_branches_on_an_account_type() -> None:
    assert type_branches(PACKAGE) == [], "read the account type's entry in api/account_types.py instead"


def test_the_scan_finds_a_branch(tmp_path: Path) -> None:
    module = tmp_path / "voipbin_tui" / "tui" / "screen.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def f(account):\n"
        "    if account.type == AccountType.WHATSAPP:\n"
        "        return {AccountType.LINE: 1}\n"
        "    return Record(type=AccountType.SMS)\n"
    )
    (tmp_path / "voipbin_tui" / "protocols").mkdir()
    (tmp_path / "voipbin_tui" / "protocols" / "line.py").write_text("X = AccountType.LINE\n")
    assert type_branches(tmp_path / "voipbin_tui") == ["tui/screen.py:2", "tui/screen.py:3"]
