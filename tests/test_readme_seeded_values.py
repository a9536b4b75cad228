"""The README's table of the sandbox's seeded values is what a user types into the doctor:
it must stay the seed's own values, whole."""

from __future__ import annotations

from pathlib import Path

from voipbin_tui.backend import seed

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_holds_every_seeded_credential_whole() -> None:
    text = README.read_text(encoding="utf-8")
    for name in (
        "SEED_WHATSAPP_ACCESS_TOKEN",
        "SEED_WHATSAPP_VERIFY_TOKEN",
        "SEED_LINE_CHANNEL_SECRET",
        "SEED_LINE_CHANNEL_TOKEN",
    ):
        assert getattr(seed, name) in text, f"{name} is not in the README whole"
