"""The ``voipbin-tui`` console script: the TUI's first frame before click, pydantic and httpx.

Deciding what to connect to takes click's parsing and the config (pydantic) and connecting
takes the client (httpx): about half a second of imports on this machine before anything is
drawn. A launch that opened the TUI without asking for a password leaves a
*launch record* in the user cache dir, named by a digest of everything that decided its target
(the arguments, the ``VOIPBIN_*``, ``XDG_*`` and ``HOME`` environment, the working directory)
and holding what the first frame needs: the config file it read (and a digest of its bytes),
the list last seen for that target, the keys and read-only. Same inputs, same target: the next
launch with the same inputs draws that list at once, from Textual and the standard library
alone, and resolves the command line for real (click, the config, the connection) after the
first frame. The app then compares the resolved target's list with the record's (another one:
the rows go at once); if resolving fails or would need a password, the TUI closes and the
command runs as it would have without a record, so errors read and exit as they always did.
No record (any subcommand, ``--help``, a changed config, a new directory): click runs at once.

Standard library only at import: this module is imported on every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voipbin_tui import __version__
from voipbin_tui.account_cache import CACHE_DIRNAME

if TYPE_CHECKING:
    from voipbin_tui.tui.app import Startup

RECORD_FORMAT = 1
DECIDING_ENVIRONMENT = ("VOIPBIN_", "XDG_")
"""Environment variables that can change the target (with ``HOME``): profiles, URLs, keys,
the config and data dirs. In any case: the config reads ``voipbin_profile`` too."""
UNDIGESTED_VALUES = frozenset({"VOIPBIN_PASSWORD", "VOIPBIN_ACCESSKEY", "VOIPBIN_INSPECTOR_ACCESSKEY"})
"""Counted as set or not, never by value: a digest of a password or a hand-chosen key is
guessable offline. (Two keys then share a record: the resolved target's list tells them apart,
and the rows of the other one go at once.)"""
UNDIGESTED_OPTIONS = ("--accesskey",)
"""Options whose value counts as given, never by value (see ``UNDIGESTED_VALUES``)."""
RECORDS_KEPT = 32
"""Launch records kept (one per set of inputs); the oldest go first."""
RECORD_LIMIT = 64 * 1024
"""A record is a few hundred bytes; anything larger is not one we wrote."""


def cache_dir() -> Path:
    """The user cache dir (platformdirs'), where launch records live."""
    import platformdirs  # small, and it reads only the environment

    return Path(platformdirs.user_cache_dir("voipbin-tui"))


@dataclass(frozen=True, slots=True)
class LaunchRecord:
    """What the TUI's first frame needs, as a launch with the same inputs resolved it."""

    config_path: str
    config_digest: str | None
    """SHA-256 of the config file's bytes; None when there was no file."""
    account_cache: str
    """The list last seen for the resolved target (``AccountCache``'s file)."""
    read_only: bool
    keymap: dict[str, str] = field(default_factory=dict)

    def still_holds(self) -> bool:
        """The config file it was resolved with is unchanged (or still absent)."""
        return config_digest(Path(self.config_path)) == self.config_digest


@dataclass(frozen=True, slots=True)
class LaunchInputs:
    """Everything that decides where ``voipbin-tui ARGS`` connects, but the config's bytes."""

    args: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    cwd: str

    @classmethod
    def now(cls, args: list[str]) -> LaunchInputs:
        deciding = sorted(
            (name, "(set)" if name.upper() in UNDIGESTED_VALUES else value)
            for name, value in os.environ.items()
            if name.upper() == "HOME" or name.upper().startswith(DECIDING_ENVIRONMENT)
        )
        return cls(_without_secrets(args), tuple(deciding), os.getcwd())

    @property
    def record_path(self) -> Path:
        identity = json.dumps([RECORD_FORMAT, __version__, self.args, self.environment, self.cwd])
        return cache_dir() / f"launch-{hashlib.sha256(identity.encode()).hexdigest()[:32]}.json"

    def recorded(self) -> LaunchRecord | None:
        """The record of these inputs, if there is one we wrote (the user's own file in the
        user's own folder, neither writable by others) and its config file is unchanged."""
        try:
            data = json.loads(_read_own_file(self.record_path))
            if data.pop("format", None) != RECORD_FORMAT:
                return None
            record = LaunchRecord(**data)
            keys_are_text = all(isinstance(k, str) and isinstance(v, str) for k, v in record.keymap.items())
            if not (isinstance(record.account_cache, str) and isinstance(record.read_only, bool) and keys_are_text):
                return None
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        cache = Path(record.account_cache)  # an account list kept by AccountCache, nothing else
        if cache.parent.name != CACHE_DIRNAME or not (cache.name.startswith("accounts-") and cache.suffix == ".json"):
            return None
        return record if record.still_holds() else None

    def remember(
        self,
        config_path: Path,
        config_digest: str | None,
        account_cache: Path,
        *,
        read_only: bool,
        keymap: dict[str, str],
    ) -> None:
        """Keep what these inputs resolved to, for the next launch with the same inputs (0600,
        written whole; a cache dir that cannot be written costs that launch its head start).
        ``config_digest`` is ``config_digest(config_path)`` taken before the config was read:
        a config changed meanwhile voids the record instead of passing for the one read."""
        record = LaunchRecord(str(config_path), config_digest, str(account_cache), read_only, keymap)
        path = self.record_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if path.parent.stat().st_uid == os.getuid():
                path.parent.chmod(0o700)  # a folder others can write into would void every record
            fd, temporary = tempfile.mkstemp(prefix=".launch-", suffix=".json", dir=path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({"format": RECORD_FORMAT, **asdict(record)}, file)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _forget_the_oldest(path.parent)
        except OSError:
            pass

    def forget(self) -> None:
        """Drop the record (it led to a launch that could not use it)."""
        try:
            self.record_path.unlink(missing_ok=True)
        except OSError:
            pass


def _without_secrets(args: list[str]) -> tuple[str, ...]:
    """The arguments with an access key's value counted as given (see ``UNDIGESTED_OPTIONS``)."""
    kept: list[str] = []
    for arg in args:
        if kept and kept[-1] in UNDIGESTED_OPTIONS:
            kept.append("(set)")
        elif arg.startswith(tuple(f"{option}=" for option in UNDIGESTED_OPTIONS)):
            kept.append(arg.split("=", 1)[0] + "=(set)")
        else:
            kept.append(arg)
    return tuple(kept)


def _read_own_file(path: Path) -> str:
    """``path``'s text if it is a regular file (not a link) of at most ``RECORD_LIMIT`` bytes,
    owned by this user in a folder of this user's, neither writable by others; else OSError."""
    folder = path.parent.stat()
    if folder.st_uid != os.getuid() or folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(f"{path.parent} is not this user's alone")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise PermissionError(f"{path} is not this user's alone")
        data = file.read(RECORD_LIMIT + 1)
    if len(data) > RECORD_LIMIT:
        raise ValueError(f"{path} is larger than a launch record")
    return data.decode("utf-8")


def config_digest(path: Path) -> str | None:
    """SHA-256 of the config file's bytes (None when there is none)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "(unreadable)"


def _forget_the_oldest(folder: Path) -> None:
    records = sorted(folder.glob("launch-*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in records[RECORDS_KEPT:]:
        stale.unlink(missing_ok=True)


def main() -> None:
    """The console script: the TUI at once from a launch record, else click."""
    inputs = LaunchInputs.now(sys.argv[1:])
    record = inputs.recorded()
    if record is None or not _fast_path(inputs, record):
        from voipbin_tui.cli import main as click_main

        click_main(obj=inputs)


def _fast_path(inputs: LaunchInputs, record: LaunchRecord) -> bool:
    """Run the TUI from ``record``; False when it closed to let the command run normally."""
    from voipbin_tui.account_cache import AccountCache
    from voipbin_tui.tui.app import VoipbinApp

    app = VoipbinApp.resolved_later(
        lambda: _resolve(inputs),
        read_only=record.read_only,
        keymap=record.keymap,
        account_cache=AccountCache.at(Path(record.account_cache)),
    )
    app.run()
    if app.normal_path_needed:
        inputs.forget()
        return False
    if app.startup is not None:  # printed before the TUI on the normal path; here, once it has left
        from voipbin_tui.terminal_text import one_line

        for warning in app.startup.warnings:
            print(one_line(warning), file=sys.stderr)
    return True


def _resolve(inputs: LaunchInputs) -> Startup | None:
    """click's parsing, the config and the target, as the TUI would have started without a
    record (runs on a thread after the first frame)."""
    from voipbin_tui.cli import resolve_tui_startup

    return resolve_tui_startup(inputs)
