"""Run the backend: headless in the foreground (``voipbin-tui serve``), or embedded in a
daemon thread of the TUI or a test (``start_embedded``). This module is the only way the rest
of voipbin-tui starts a backend; after that it is just a VoIPBIN at a URL.

Both bind their own listening socket before serving, so port 0 (a free port) works and the
printed or returned URL is always the real one. Nothing binds beyond loopback unless told to.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette

from voipbin_tui.backend.app import create_app
from voipbin_tui.backend.config import BackendConfig, RelayConfig
from voipbin_tui.backend.connections import (
    KEEP_ALIVE_SECONDS,
    MAX_HEADER_BYTES,
    ArrivingConnections,
    ConnectionLimits,
    GuardedH11Protocol,
    bounded_log_config,
    connection_cap,
    raise_descriptor_limit,
)
from voipbin_tui.backend.context import open_store
from voipbin_tui.backend.judging_behind import JudgingBehind
from voipbin_tui.backend.runtime import (
    ACCESSKEY_FILENAME,
    DEFAULT_HOST,
    INSPECTOR_PREFIX,
    BackendStartError,
    base_url_for,
    load_or_create_accesskey,
)
from voipbin_tui.backend.store import CaptureRecord, StoreError, UnjudgedQueue
from voipbin_tui.terminal_text import one_line
from voipbin_tui.traffic import verdict_label

__all__ = [
    "BackendStartError",
    "ConnectionLimits",
    "EmbeddedBackend",
    "RelayConfig",
    "StoreError",
    "load_or_create_accesskey",
    "run_server",
    "start_embedded",
]

DEFAULT_PORT = 8631
LISTEN_BACKLOG = 2048
STARTUP_TIMEOUT = 15.0
# Long-polls are released on stop; this only bounds a request that is still streaming.
GRACEFUL_SHUTDOWN_SECONDS = 2


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Its protocol is set explicitly: asyncio turns Nagle's algorithm
    off (TCP_NODELAY) only on sockets that say they are TCP, and with Nagle on, a response
    written in two parts waits ~40 ms for a delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(LISTEN_BACKLOG)
    except OSError:
        listener.close()
        raise
    return listener


def _prepare(data_dir: Path, accesskey: str | None, **settings: Any) -> BackendConfig:
    """The config, with the database opened once here so that a bad data dir fails in the
    caller with a clear error (and a new one is seeded) before anything is served."""
    key = SecretStr(accesskey) if accesskey else load_or_create_accesskey(data_dir)
    config = BackendConfig(data_dir=data_dir, accesskey=key, **settings)
    open_store(config).close()
    if config.judge_behind or UnjudgedQueue.exists(data_dir):
        UnjudgedQueue.open(data_dir, waits=True).close()  # the requests answered and not judged yet
    return config


def _uvicorn_config(app: Starlette, config: BackendConfig, *, log_config: dict[str, Any] | None) -> uvicorn.Config:
    """uvicorn as the backend runs it: the guarded h11 protocol (request deadlines, a
    connection cap within the file-descriptor limit), bounded heads, no websockets."""
    cap = connection_cap(config.connections, raise_descriptor_limit())
    protocol = partial(GuardedH11Protocol, limits=config.connections, cap=cap, arriving=ArrivingConnections())
    return uvicorn.Config(
        app,
        http=protocol,  # type: ignore[arg-type]  # called like the class
        ws="none",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        log_config=log_config,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def run_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    data_dir: Path,
    accesskey: str | None = None,
    seed: bool = True,
    relay: RelayConfig | None = None,
    echo: Callable[[str], None] = print,
    log_requests: Callable[[str], None] | None = None,
    **limits: Any,
) -> None:
    """Serve the backend in the foreground until interrupted (Ctrl+C or SIGTERM); with
    ``relay``, its provider hook relays to the real VoIPBIN instead of feeding the sandbox;
    with ``log_requests``, a line per stored hook request goes there. ``limits`` are further
    BackendConfig fields (``connections``, ``max_capture_bytes``).

    It publishes itself in the data dir's runtime file, so the TUI and the CLI on the same data
    dir use it, and refuses a data dir another backend already serves."""
    from voipbin_tui.backend.service import publish_served  # it builds on this module

    on_capture = (lambda capture: log_requests(capture_log_line(capture))) if log_requests else None
    key_file = data_dir / ACCESSKEY_FILENAME
    generating = not accesskey and not key_file.exists()
    limits.setdefault("judge_behind", relay is None)  # the hook answers POSTs once stored
    config = _prepare(data_dir, accesskey, seed=seed, relay=relay, on_capture=on_capture, **limits)
    # the key is printed once, when it is made: logs and scrollback should not keep it
    if accesskey:
        key_shown = "the one given"
    elif generating:
        key_shown = f"{config.accesskey.get_secret_value()}  (new: kept 0600 in {key_file})"
    else:
        key_shown = f"kept 0600 in {key_file}"
    published = {"host": host, "relay": relay is not None, "accesskey": accesskey}
    with publish_served(data_dir, published, lambda: _listen(host, port)) as listener:
        _serve_in_foreground(
            config, listener, host=host, data_dir=data_dir, relay=relay, echo=echo, key_shown=key_shown
        )


def _serve_in_foreground(
    config: BackendConfig,
    listener: socket.socket,
    *,
    host: str,
    data_dir: Path,
    relay: RelayConfig | None,
    echo: Callable[[str], None],
    key_shown: str,
) -> None:
    base_url = base_url_for(host, listener.getsockname()[1])
    echo(f"voipbin-tui backend listening on {base_url} (data in {data_dir})")
    echo(f"  REST API (sandbox):  {base_url}/v1.0")
    echo(f"  provider hook:       {base_url}/v1.0/conversation/accounts/{{account_id}}")
    if relay is not None:
        echo(
            f"  relaying it to:      {relay.forward_base}/conversation/accounts/{{account_id}}"
            f"  (accounts read from {relay.accounts_from})"
        )
    echo(f"  inspector feed:      {base_url}{INSPECTOR_PREFIX}/requests")
    echo(f"  access key:          {key_shown}  (send it as Cookie: accesskey=...)")
    server = uvicorn.Server(_uvicorn_config(create_app(config), config, log_config=bounded_log_config()))
    server.run(sockets=[listener])


def capture_log_line(capture: CaptureRecord) -> str:
    """One hook request for a server log: local time, account, kind, verdict and answer."""
    when = capture.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    account = one_line(capture.account_id) or "-"
    return f"{when}  {account}  {capture.kind.value}  {verdict_label(capture.verdict)}  {capture.status}"


class EmbeddedBackend:
    """A backend serving on 127.0.0.1 from a daemon thread; stop it, or use it as a context
    manager."""

    def __init__(
        self, *, port: int, config: BackendConfig, app: Starlette, server: uvicorn.Server, thread: threading.Thread
    ) -> None:
        self.base_url = base_url_for(DEFAULT_HOST, port)
        self.config = config
        self._port = port
        self._app = app
        self._server = server
        self._thread = thread

    @property
    def accesskey(self) -> SecretStr:
        return self.config.accesskey

    @property
    def api_url(self) -> str:
        """The REST base, as ``VoipbinClient(api_url)`` wants it."""
        return f"{self.base_url}/v1.0"

    @property
    def port(self) -> int:
        return self._port

    @property
    def hook_url(self) -> str:
        """The hook base to give providers (an account's hook is
        ``{hook_url}/conversation/accounts/{id}``): the configured public one, else the local one."""
        return self.config.public_hook_url or self.local_hook_url

    @property
    def local_hook_url(self) -> str:
        """The hook base on this machine, where test traffic can be sent directly."""
        return f"{self.base_url}/v1.0"

    @property
    def inspector_url(self) -> str:
        """The feed base, as ``FeedClient(inspector_url)`` wants it."""
        return f"{self.base_url}{INSPECTOR_PREFIX}"

    @property
    def judging(self) -> JudgingBehind | None:
        """The judging behind the answer, when the hook answers POSTs before judging them."""
        backend = getattr(self._app.state, "backend", None)
        return None if backend is None else backend.judging

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and close the database; pending long-polls are answered at once."""
        if not self._thread.is_alive():
            return
        backend = getattr(self._app.state, "backend", None)
        if backend is not None:
            backend.arrivals.close()
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start_embedded(
    data_dir: Path,
    *,
    accesskey: str | None = None,
    seed: bool = True,
    port: int = 0,
    relay: RelayConfig | None = None,
    **overrides: Any,
) -> EmbeddedBackend:
    """Start a backend on 127.0.0.1 (a free port unless ``port`` is given) in a daemon thread
    and return once it accepts connections; with ``relay``, its provider hook relays to the
    real VoIPBIN. ``overrides`` are further BackendConfig fields (``clock``, ``new_id``,
    ``max_captured``, ``max_body_bytes``, ``public_hook_url``).
    """
    config = _prepare(data_dir, accesskey, seed=seed, relay=relay, **overrides)
    app = create_app(config)
    listener = _listen(DEFAULT_HOST, port)
    bound_port = listener.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, config, log_config=None))  # the host process owns logging
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="voipbin-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            listener.close()
            raise BackendStartError("the embedded backend stopped while starting; see the log for why")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise BackendStartError(f"the embedded backend did not start within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.01)
    return EmbeddedBackend(port=bound_port, config=config, app=app, server=server, thread=thread)
