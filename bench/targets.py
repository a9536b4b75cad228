"""Servers the benchmarks measure, each in its own process on a free loopback port.

``BackendProcess`` is the real backend as ``voipbin-tui serve`` runs it (``run_server``);
``BareAppProcess`` is a Starlette app on uvicorn that reads the body and answers 200, the
baseline each figure is compared with in the same run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

_LISTENING = re.compile(r"listening on (http://\S+)")

BACKEND_SCRIPT = """
import sys
from pathlib import Path
from voipbin_tui.backend.server import run_server
run_server(port=0, data_dir=Path(sys.argv[1]), accesskey=sys.argv[2], seed=True,
           echo=lambda line: print(line, flush=True))
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


class ServerProcess:
    """A server script in a subprocess; ``base_url`` is read from its first output line."""

    def __init__(self, script: str, *args: str) -> None:
        self._process = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
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
    def __init__(self, data_dir: Path, accesskey: str) -> None:
        super().__init__(BACKEND_SCRIPT, str(data_dir), accesskey)


class BareAppProcess(ServerProcess):
    def __init__(self) -> None:
        super().__init__(BARE_APP_SCRIPT)
