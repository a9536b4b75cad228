"""Servers the benchmarks measure, each in its own process on a free loopback port.

``BackendProcess`` is the real backend as ``voipbin-tui serve`` runs it (``run_server``);
``BareAppProcess`` is a Starlette app on uvicorn that reads the body and answers 200;
``BareAsgiProcess`` is an ASGI app with no framework at all that does the same, served by a
chosen server stack (``STACKS``; ``backend`` is exactly the server the backend runs, its
guarded h11 protocol and limits included). They are the baselines a figure is compared with
in the same run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

_LISTENING = re.compile(r"listening on (http://\S+)")

BACKEND_SCRIPT = """
import sys
import tempfile
import time
from pathlib import Path
from voipbin_tui.backend.server import run_server
run_server(port=0, data_dir=Path(sys.argv[1]), accesskey=sys.argv[2], seed=True,
           echo=lambda line: print(line, flush=True), judge_behind=sys.argv[3] == "behind")
"""

BARE_APP_SCRIPT = """
import socket
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def hook(request):
    await request.body()
    return Response(status_code=200)

app = Starlette(routes=[Route("/v1.0/conversation/accounts/{account_id}", hook, methods=["POST"])])
# Made exactly as the backend makes its listener (IPPROTO_TCP, so asyncio sets TCP_NODELAY).
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(2048)
print(f"listening on http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[listener])
"""


BARE_ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})

import socket
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(2048)
port = listener.getsockname()[1]
"""

_SERVE_ON = {
    "backend": """
import tempfile
import time
from pathlib import Path
import uvicorn
from pydantic import SecretStr
from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.server import _uvicorn_config
config = BackendConfig(data_dir=Path(tempfile.mkdtemp()), accesskey=SecretStr("unused"))
print(f"listening on http://127.0.0.1:{port}", flush=True)
uvicorn.Server(_uvicorn_config(app, config, log_config=None)).run(sockets=[listener])
""",
    "uvicorn-h11": """
import uvicorn
print(f"listening on http://127.0.0.1:{port}", flush=True)
uvicorn.Server(uvicorn.Config(app, http="h11", loop="asyncio", log_level="warning", access_log=False)).run(
    sockets=[listener]
)
""",
    "uvicorn-httptools": """
import uvicorn
print(f"listening on http://127.0.0.1:{port}", flush=True)
uvicorn.Server(uvicorn.Config(app, http="httptools", loop="uvloop", log_level="warning", access_log=False)).run(
    sockets=[listener]
)
""",
    "hypercorn": """
import asyncio
from hypercorn.asyncio import serve
from hypercorn.config import Config
config = Config()
config.bind = [f"fd://{listener.fileno()}"]
config.loglevel = "WARNING"
print(f"listening on http://127.0.0.1:{port}", flush=True)
asyncio.run(serve(app, config))
""",
    "granian": """
import os, sys
listener.close()  # granian binds by itself (one worker, one runtime thread)
print(f"listening on http://127.0.0.1:{port}", flush=True)
os.execv(sys.executable, [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
    "--port", str(port), "--workers", "1", "--runtime-threads", "1", "--log-level", "warning",
    "--http", "1", "--working-dir", os.environ["BARE_APP_DIR"], "bare_asgi:app"])
""",
}
STACKS = tuple(_SERVE_ON)
"""The server stacks a bare ASGI app can be served by: ``backend`` (the backend's own), uvicorn
with h11 or with httptools and uvloop, hypercorn, granian (the last three installed by hand)."""


class ServerProcess:
    """A server script in a subprocess; ``base_url`` is read from its first output line."""

    def __init__(self, script: str, *args: str, env: dict[str, str] | None = None) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self._process.stdout is not None
        for line in self._process.stdout:
            match = _LISTENING.search(line)
            if match:
                self.base_url = match.group(1)
                return
        raise RuntimeError(f"the server exited with {self._process.wait()} before listening")

    @property
    def pid(self) -> int:
        return self._process.pid

    def kill(self) -> None:
        """SIGKILL: the process ends at once, with no chance to finish anything."""
        self._process.kill()
        self._process.wait()

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class BackendProcess(ServerProcess):
    """The backend as ``voipbin-tui serve`` runs it (a hook POST answered once stored, judged
    right behind in a worker process); with ``judging_first``, as the embedded backend runs it
    (each request judged and applied in the serving process before its answer)."""

    def __init__(self, data_dir: Path, accesskey: str, *, judging_first: bool = False) -> None:
        super().__init__(BACKEND_SCRIPT, str(data_dir), accesskey, "first" if judging_first else "behind")


class BareAppProcess(ServerProcess):
    def __init__(self) -> None:
        super().__init__(BARE_APP_SCRIPT)


class BareAsgiProcess(ServerProcess):
    """A no-framework ASGI app that reads the body and answers 200, served by ``stack``."""

    def __init__(self, stack: str = "backend") -> None:
        self._app_dir = tempfile.TemporaryDirectory()
        # granian imports the app by name: the same app, as a module
        (Path(self._app_dir.name) / "bare_asgi.py").write_text(BARE_ASGI_APP.split("import socket")[0])
        env = {**os.environ, "BARE_APP_DIR": self._app_dir.name}
        super().__init__(BARE_ASGI_APP + _SERVE_ON[stack], env=env)
        _wait_until_accepting(self.base_url)

    def stop(self) -> None:
        super().stop()
        self._app_dir.cleanup()


def _wait_until_accepting(base_url: str, timeout: float = 15.0) -> None:
    """A server that binds by itself (granian) says its port before it listens on it."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
