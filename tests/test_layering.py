"""The layers that the CLI, the backend and tests share must never depend on Textual."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import imported_modules

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "voipbin_tui"
UI_FREE_LAYERS = ("api", "protocols", "backend", "doctor", "workflows")


@pytest.mark.parametrize("layer", UI_FREE_LAYERS)
def test_layer_sources_do_not_import_textual_or_the_tui(layer: str) -> None:
    sources = sorted((PACKAGE / layer).rglob("*.py"))
    assert sources, f"{layer}/ has no sources"
    for source in sources:
        for module in imported_modules(source):
            root = module.split(".")[0]
            assert root != "textual", f"{source.relative_to(PACKAGE)} imports {module}"
            assert not module.startswith(("voipbin_tui.tui", "voipbin_tui.cli")), f"{source} imports {module}"


def test_importing_the_api_loads_no_textual() -> None:
    code = (
        "import sys, voipbin_tui.protocols, voipbin_tui.doctor; from voipbin_tui.api import *; "
        "print('textual' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


FIRST_SCREEN_MODULES = ("voipbin_tui.tui.app", "voipbin_tui.tui.screens.accounts")
"""What the TUI's first frame (the accounts screen, the list last seen) is drawn with."""
NOT_BEFORE_THE_FIRST_FRAME = (
    "pydantic",
    "pydantic_settings",
    "httpx",
    "click",
    "voipbin_tui.api.models",
    "voipbin_tui.api.client",
    "voipbin_tui.api.feed",
    "voipbin_tui.api.account_types",
    "voipbin_tui.cli",
    "voipbin_tui.config",
    "voipbin_tui.connection",
    "voipbin_tui.backend",
    "voipbin_tui.doctor",
    "voipbin_tui.workflows",
    "voipbin_tui.tui.screens.detail",
    "voipbin_tui.tui.screens.form",
    "voipbin_tui.tui.screens.doctor",
    "voipbin_tui.tui.screens.request",
)
"""Each costs the launch its import time (pydantic-settings alone 0.3 s, httpx 0.25 s on the
2-core machine); they are imported once the first frame is drawn, where first used."""


def test_the_first_screen_needs_only_textual_and_the_standard_library() -> None:
    code = f"import sys; import {', '.join(FIRST_SCREEN_MODULES)}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = result.stdout.split()
    assert "voipbin_tui.tui.app" in loaded and "textual.app" in loaded
    early = [
        module
        for module in loaded
        if any(module == name or module.startswith(f"{name}.") for name in NOT_BEFORE_THE_FIRST_FRAME)
    ]
    assert early == []
