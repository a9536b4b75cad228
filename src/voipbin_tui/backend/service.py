"""One sandbox backend per data dir, on a stable port, shared by every process that uses it.

A backend that serves a data dir says so in a runtime file there (``backend.json``: pid, port,
a nonce; 0600, written atomically, removed on a clean stop). A CLI command or a second TUI on
the same data dir finds it and uses it instead of starting a second backend on the same SQLite
file; a lock file around "look / start / publish" keeps two processes starting at once from
both starting one. A runtime file is stale when its process is gone, nothing answers on its
port, or what answers does not accept this data dir's access key.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from voipbin_tui.api.client import tls_verification
from voipbin_tui.backend.runtime import (
    DEFAULT_HOST,
    INSPECTOR_PREFIX,
    BackendStartError,
    base_url_for,
    load_or_create_accesskey,
)

if TYPE_CHECKING:
    from voipbin_tui.backend.server import EmbeddedBackend

RUNTIME_FILENAME = "backend.json"
LOCK_FILENAME = "backend.lock"
PROBE_TIMEOUT = 3.0
LOCK_TIMEOUT = 30.0
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1", "localhost": "127.0.0.1"}


@dataclass(frozen=True, slots=True)
class RuntimeRecord:
    """What ``backend.json`` says: which process serves the data dir, and where."""

    pid: int
    port: int
    host: str = DEFAULT_HOST
    nonce: str = ""
    relay: bool = False
    accesskey: str | None = field(default=None, repr=False)  # left out of repr(): logs, tracebacks
    """Only when the backend was given a key other than the data dir's key file (``serve --accesskey``)."""

    @classmethod
    def for_this_process(cls, *, port: int, host: str = DEFAULT_HOST, **fields: Any) -> RuntimeRecord:
        return cls(
            pid=os.getpid(), port=port, host=_WILDCARD_HOSTS.get(host, host), nonce=secrets.token_hex(8), **fields
        )

    @property
    def base_url(self) -> str:
        return base_url_for(self.host, self.port)


def read_record(data_dir: Path) -> RuntimeRecord | None:
    """The runtime file's record; a missing or unreadable one is no record."""
    try:
        data = json.loads((data_dir / RUNTIME_FILENAME).read_text(encoding="utf-8"))
        return RuntimeRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_record(data_dir: Path, record: RuntimeRecord) -> None:
    """Publish the record: written whole under a temporary name (0600), then renamed into place."""
    fd, temporary = tempfile.mkstemp(prefix=".backend-", suffix=".json", dir=data_dir)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(asdict(record), file)
        os.replace(temporary, data_dir / RUNTIME_FILENAME)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_record(data_dir: Path, record: RuntimeRecord) -> None:
    """Withdraw our record (never another process's)."""
    current = read_record(data_dir)
    if current is not None and current.nonce == record.nonce:
        (data_dir / RUNTIME_FILENAME).unlink(missing_ok=True)


@contextmanager
def startup_lock(data_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the data dir's lock: only one process at a time looks for, starts or stops its backend."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(data_dir / LOCK_FILENAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BackendStartError(
                        f"another voipbin-tui is still starting or stopping the sandbox in {data_dir}"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else: the probe decides
    return True


def _record_key(data_dir: Path, record: RuntimeRecord) -> SecretStr:
    return SecretStr(record.accesskey) if record.accesskey else load_or_create_accesskey(data_dir)


def find_running(data_dir: Path) -> RuntimeRecord | None:
    """The live backend serving ``data_dir``, if its runtime file is true; ``None`` if stale.

    Raises ``BackendStartError`` when a live process holds the data dir but does not answer in
    time: starting a second backend on its database would be worse than saying so.
    """
    record = read_record(data_dir)
    if record is None or not _process_alive(record.pid):
        return None
    key = _record_key(data_dir, record)
    try:
        answer = httpx.get(
            f"{record.base_url}/v1.0/customer",
            cookies={"accesskey": key.get_secret_value()},
            timeout=httpx.Timeout(PROBE_TIMEOUT, connect=1.0),
            verify=tls_verification(record.base_url),
        )
    except httpx.TimeoutException:
        raise BackendStartError(
            f"the sandbox backend of process {record.pid} does not answer on {record.base_url}; "
            f"stop it, or remove {data_dir / RUNTIME_FILENAME} if that process is not voipbin-tui"
        ) from None
    except httpx.HTTPError:
        return None  # nothing listens there any more
    return record if answer.status_code == 200 else None


@dataclass(slots=True)
class SandboxLease:
    """The sandbox backend a process uses: one it started (``owned``), or another process's."""

    data_dir: Path
    base_url: str
    accesskey: SecretStr
    record: RuntimeRecord
    backend: EmbeddedBackend | None = None
    notice: str | None = None
    """Something the user should know about where it listens (a taken port)."""

    @property
    def owned(self) -> bool:
        return self.backend is not None

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def hook_url(self) -> str:
        return self.backend.hook_url if self.backend is not None else self.api_url

    @property
    def local_hook_url(self) -> str:
        return self.api_url

    @property
    def inspector_url(self) -> str:
        return f"{self.base_url}{INSPECTOR_PREFIX}"

    def release(self) -> None:
        """Stop the backend if this process started it (and withdraw its runtime file); a
        borrowed one keeps running for its owner."""
        if self.backend is None:
            return
        with startup_lock(self.data_dir):
            self.backend.stop()
            remove_record(self.data_dir, self.record)


def acquire_sandbox(data_dir: Path, *, port: int, **overrides: Any) -> SandboxLease:
    """Use the backend already serving ``data_dir``, or start one on ``port`` (a free port, with
    a notice, when another program holds it) and publish it for the next process."""
    with startup_lock(data_dir):
        running = find_running(data_dir)
        if running is not None:
            if running.relay:
                raise BackendStartError(
                    f"{data_dir} is used by a relay (voipbin-tui serve --forward-to, process {running.pid}); "
                    "give the sandbox another --data-dir"
                )
            return SandboxLease(data_dir, running.base_url, _record_key(data_dir, running), running)
        from voipbin_tui.backend.server import start_embedded  # only now: Starlette and uvicorn load

        notice = None
        try:
            backend = start_embedded(data_dir, port=port, **overrides)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            backend = start_embedded(data_dir, port=0, **overrides)
            notice = (
                f"port {port} is taken by another program: the sandbox listens on {backend.base_url} "
                "for now (choose a port with --port or VOIPBIN_TUI_PORT)"
            )
        record = RuntimeRecord.for_this_process(port=backend.port)
        try:
            write_record(data_dir, record)
        except BaseException:
            backend.stop()
            raise
        return SandboxLease(data_dir, backend.base_url, backend.accesskey, record, backend, notice)


@contextmanager
def publish_served(data_dir: Path, record_fields: dict[str, Any], bind: Any) -> Iterator[Any]:
    """For ``serve``: refuse a data dir another backend serves, bind, and publish the record
    (withdrawn on exit). ``bind()`` returns the listening socket."""
    with startup_lock(data_dir):
        running = find_running(data_dir)
        if running is not None:
            raise BackendStartError(
                f"{data_dir} is already served by process {running.pid} on {running.base_url}; "
                "use that one, or give another --data-dir"
            )
        listener = bind()
        record = RuntimeRecord.for_this_process(port=listener.getsockname()[1], **record_fields)
        write_record(data_dir, record)
    try:
        yield listener
    finally:
        remove_record(data_dir, record)
