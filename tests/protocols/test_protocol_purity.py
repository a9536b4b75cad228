"""protocols/ stays pure: standard library and itself only, so anything can import it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import voipbin_tui.protocols

PACKAGE_DIR = Path(voipbin_tui.protocols.__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            names.append(node.module or "")
    return names


def test_protocols_import_only_the_standard_library_and_themselves() -> None:
    files = sorted(PACKAGE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {
        "__init__.py",
        "verdicts.py",
        "signatures.py",
        "whatsapp.py",
        "line.py",
        "inspection.py",
    }
    offenders = []
    for path in files:
        for name in _imported_modules(path):
            top = name.split(".")[0]
            if name == "voipbin_tui.protocols" or name.startswith("voipbin_tui.protocols."):
                continue
            if name == "voipbin_tui.terminal_text":  # standard library only itself, checked below
                continue
            if top == "__future__" or top in sys.stdlib_module_names:
                continue
            offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_terminal_text_imports_only_the_standard_library() -> None:
    """protocols/ quotes sender values with it, so it must stay as pure as protocols/."""
    path = PACKAGE_DIR.parent / "terminal_text.py"
    names = [name.split(".")[0] for name in _imported_modules(path)]
    assert [name for name in names if name != "__future__" and name not in sys.stdlib_module_names] == []


def test_public_names_are_exported() -> None:
    for name in voipbin_tui.protocols.__all__:
        assert getattr(voipbin_tui.protocols, name) is not None
    assert {
        "RequestKind",
        "HookVerdict",
        "explain_verdict",
        "SignatureCheck",
        "sign_hub_signature",
        "verify_hub_signature",
        "sign_line_signature",
        "verify_line_signature",
        "sign_voipbin_signature",
        "verify_voipbin_signature",
        "constant_time_equals",
        "InboundMessage",
        "StatusUpdate",
        "WhatsAppNotification",
        "parse_whatsapp_notification",
        "check_hub_challenge",
        "HubChallengeResult",
        "build_text_message_payload",
        "build_status_payload",
        "LineEvent",
        "LineWebhook",
        "parse_line_webhook",
        "build_line_text_payload",
        "RequestSummary",
        "HookInspection",
        "inspect_whatsapp_verify",
        "inspect_whatsapp_post",
        "inspect_line_post",
        "MalformedPayload",
    } <= set(voipbin_tui.protocols.__all__)
