"""Find the secrets a sandbox holds, and check that a screen or file shows none of them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from voipbin_tui.backend.server import ACCESSKEY_FILENAME
from voipbin_tui.backend.store import DATABASE_FILENAME


def stored_secrets_by_kind(data_dir: Path) -> dict[str, list[str]]:
    """Tokens, secrets and app secrets in the sandbox database, and its access key."""
    connection = sqlite3.connect(f"file:{data_dir / DATABASE_FILENAME}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT token, secret, provider_data FROM accounts").fetchall()
    finally:
        connection.close()
    found: dict[str, list[str]] = {"token": [], "secret": [], "app_secret": [], "accesskey": []}
    for token, secret, provider_data in rows:
        found["token"] += [token] if token else []
        found["secret"] += [secret] if secret else []
        app_secret = json.loads(provider_data).get("app_secret") if provider_data else None
        found["app_secret"] += [app_secret] if app_secret else []
    key_file = data_dir / ACCESSKEY_FILENAME
    if key_file.exists():
        found["accesskey"].append(key_file.read_text().strip())
    return found


def stored_secrets(data_dir: Path) -> list[str]:
    return [value for values in stored_secrets_by_kind(data_dir).values() for value in values if len(value) >= 6]


def assert_no_secrets(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}…) is on screen"
