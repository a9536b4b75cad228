"""No plaintext token, secret, app secret or access key in any snapshot or screenshot.

The one exception is the snapshot where the user pressed "reveal": it must show the app
secret (which also proves this scan can find one) and nothing else secret.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.secrets_scan import stored_secrets, stored_secrets_by_kind
from tests.tui.conftest import start_sandbox

ROOT = Path(__file__).resolve().parents[2]
PICTURES = sorted((ROOT / "tests" / "tui" / "__snapshots__").rglob("*.svg")) + sorted(
    (ROOT / "screenshots").glob("*.svg")
)
REVEALED = "test_detail_whatsapp_revealed.svg"


def visible_text(svg: Path) -> str:
    """The characters drawn in the picture, with all whitespace removed (so grouping cannot hide a secret)."""
    drawn = " ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg.read_text(), flags=re.S))
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", drawn)))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The secrets of the same deterministic sandbox the snapshots were taken on."""
    data_dir = tmp_path_factory.mktemp("seeded")
    backend = start_sandbox(data_dir)
    backend.stop()
    return {"all": stored_secrets(data_dir), "app": stored_secrets_by_kind(data_dir)["app_secret"]}


def test_there_are_pictures_and_secrets_to_check(seeded: dict[str, list[str]]) -> None:
    assert len(PICTURES) >= 20
    assert len(seeded["all"]) >= 4 and seeded["app"]


@pytest.mark.parametrize("picture", PICTURES, ids=lambda path: path.name)
def test_picture_shows_no_secret(picture: Path, seeded: dict[str, list[str]]) -> None:
    text = visible_text(picture)
    allowed = seeded["app"] if picture.name == REVEALED else []
    for secret in seeded["all"]:
        if secret in allowed:
            assert secret in text, "the revealed snapshot should show the app secret"
        else:
            assert secret not in text, f"{picture.name} shows a secret ({secret[:4]}…)"
