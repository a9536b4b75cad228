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
    code = "import sys, voipbin_tui.api, voipbin_tui.protocols, voipbin_tui.doctor; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
