"""Find the secrets a sandbox holds, and check that a screen or file shows none of them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from voipbin_tui.backend.store import DATABASE_FILENAME


def stored_secrets(data_dir: Path) -> list[str]:
    """Every token, secret and app secret in the sandbox database, plus its access key."""
    connection = sqlite3.connect(f"file:{data_dir / DATABASE_FILENAME}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT token, secret, provider_data FROM accounts").fetchall()
    finally:
        connection.close()

    found: list[str] = []
    for token, secret, provider_data in rows:
        found += [value for value in (token, secret) if value]
        if provider_data:
            app_secret = json.loads(provider_data).get("app_secret")
            if app_secret:
                found.append(app_secret)
    key_file = data_dir / "accesskey"
    if key_file.exists():
        found.append(key_file.read_text().strip())
    return [value for value in found if len(value) >= 6]


def assert_no_secrets(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}…) is on screen"
        assert secret[:16] not in text or len(secret) < 16, f"the start of a secret ({secret[:4]}…) is on screen"
