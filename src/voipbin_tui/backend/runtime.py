"""What every process that uses a data dir's backend needs before (or instead of) starting one:
its access key, its address, and the error a failed start raises.

Kept apart from ``server`` so that a command which finds the backend already running never
imports Starlette or uvicorn.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

ACCESSKEY_FILENAME = "accesskey"
DEFAULT_HOST = "127.0.0.1"
INSPECTOR_PREFIX = "/inspector/v1"


class BackendStartError(RuntimeError):
    """The embedded backend did not start serving."""


def base_url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_or_create_accesskey(data_dir: Path) -> SecretStr:
    """The data dir's access key, generated on first use and kept in a 0600 file.

    The file is written whole under a temporary name and then linked into place, so two
    processes starting at once agree on one key and never read a half-written file.
    """
    path = data_dir / ACCESSKEY_FILENAME
    try:
        key = _read_or_create_accesskey(data_dir, path)
    except OSError as exc:
        problem = (
            f"cannot use {path}: {exc.strerror or exc}; make {data_dir} writable by you, "
            "or choose another data dir (--data-dir)"
        )
    else:
        if key:
            return SecretStr(key)
        problem = f"the access key file {path} is empty: delete it to generate a new key"
    from voipbin_tui.backend.store import StoreError  # only now: the store module is large, a failure rare

    raise StoreError(problem)


def _read_or_create_accesskey(data_dir: Path, path: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        temporary = data_dir / f".{ACCESSKEY_FILENAME}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: its key is the key
        finally:
            temporary.unlink()
    return path.read_text(encoding="utf-8", errors="replace").strip()
