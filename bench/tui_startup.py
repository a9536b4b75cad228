"""Launch to the account list on screen, in a real terminal (tmux), against a bare Textual app.

Each trial starts a fresh tmux server, runs the program, and polls the pane until its marker
text is drawn; the process's resident memory is read at that moment. The baseline, run
alternately in the same session, is a bare Textual app that shows one line. Two ways to open
voipbin-tui are measured:

- sandbox: the embedded sandbox of its own data dir (seeded once before the trials);
- remote: a profile whose API is a `voipbin-tui serve` started apart, on loopback, as a
  remote VoIPBIN would be.

For each, "list" is the seeded accounts on screen (possibly the list last seen, from the
local cache) and "fresh" the list as the backend answered it (no cached marker left).
Goals: list <= 1.5x the bare app, fresh <= 2.5x, memory at start <= 1.5x.

    .venv/bin/python bench/tui_startup.py [--trials 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "voipbin-tui"
BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare app ready")

Bare().run()
"""
BARE_MARKER = "bare app ready"
LIST_MARKER = "SMS alerts"
CACHED_MARKER = "last seen"
"""What the accounts screen's status line says while the list on it is the cached one."""
STATUS_MARKER = "3 accounts"
"""The status line under the seeded list (a frame can reach the terminal in parts)."""
PAGE_COLUMNS, PAGE_ROWS = 120, 40


@dataclass
class Launch:
    """One trial: seconds until the list, until the fresh list, and memory at the list."""

    list_seconds: float
    fresh_seconds: float
    rss_mib: float
    cpu_seconds: float
    """CPU time of the program's own process (not its children) until the list."""


@dataclass
class Series:
    launches: list[Launch] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(launch, attribute) for launch in self.launches)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (a backend started in a child process counts)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        pending.extend(int(child) for child in children)
    return total / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def launch(command: str, marker: str, sockets: Path, *, cached_marker: str | None = None) -> Launch:
    """Start ``command`` in a fresh tmux server and wait for ``marker`` (then for
    ``cached_marker`` to be gone, if given)."""
    socket = sockets / f"tmux-{time.monotonic_ns()}.sock"
    tmux = ["tmux", "-S", str(socket)]
    started = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "bench", "-x", str(PAGE_COLUMNS), "-y", str(PAGE_ROWS), command],
        check=True,
    )
    try:
        pid = int(subprocess.run([*tmux, "display", "-p", "#{pane_pid}"], capture_output=True, text=True).stdout)
        deadline = started + 30
        shown = memory = cpu = None
        while time.perf_counter() < deadline:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True)
            now = time.perf_counter() - started
            if shown is None and marker in screen.stdout:
                shown, memory, cpu = now, rss_mib(pid), cpu_seconds(pid)
            fresh = cached_marker is None or (STATUS_MARKER in screen.stdout and cached_marker not in screen.stdout)
            if shown is not None and fresh:
                assert memory is not None and cpu is not None
                quit_and_wait(tmux)  # as a user would: the list is kept, the sandbox stops cleanly
                return Launch(shown, now, memory, cpu)
            time.sleep(0.005)
        raise RuntimeError(f"{marker!r} never appeared (or {cached_marker!r} never went)")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def quit_and_wait(tmux: list[str], timeout: float = 10) -> None:
    """Press q (ctrl+q for the bare app) and wait until the program has exited."""
    subprocess.run([*tmux, "send-keys", "-t", "bench", "q"], capture_output=True)
    subprocess.run([*tmux, "send-keys", "-t", "bench", "C-q"], capture_output=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run([*tmux, "has-session", "-t", "bench"], capture_output=True).returncode != 0:
            return
        time.sleep(0.05)


def start_remote(home: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A `voipbin-tui serve` of its own data dir, and a config whose profile points at it."""
    data_dir = home / "remote-data"
    server = subprocess.Popen(
        [str(SCRIPT), "serve", "--data-dir", str(data_dir), "--port", "0"],
        env={**os.environ, "HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (data_dir / "backend.json").exists():
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError("the remote backend did not start")
        time.sleep(0.05)
    port = json.loads((data_dir / "backend.json").read_text())["port"]
    key = (data_dir / "accesskey").read_text().strip()
    config = home / "remote.toml"
    config.write_text(f'[profiles.bench]\napi_url = "http://127.0.0.1:{port}/v1.0"\naccesskey = "{key}"\n')
    config.chmod(0o600)
    return server, config


def main(trials: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        bare_app = home / "bare.py"
        bare_app.write_text(BARE_APP)
        env = f"env -i HOME={home} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8"
        server, config = start_remote(home)
        try:
            commands = {
                "bare": f"{env} {shlex.quote(sys.executable)} {bare_app}",
                "sandbox": f"{env} {shlex.quote(str(SCRIPT))}",
                "remote": f"{env} VOIPBIN_TUI_CONFIG={config} {shlex.quote(str(SCRIPT))} --profile bench",
            }
            first = launch(commands["sandbox"], LIST_MARKER, home, cached_marker=CACHED_MARKER)
            launch(commands["remote"], LIST_MARKER, home, cached_marker=CACHED_MARKER)
            series = {name: Series() for name in commands}
            for _ in range(trials):
                for name, command in commands.items():
                    if name == "bare":
                        series[name].launches.append(launch(command, BARE_MARKER, home))
                    else:
                        series[name].launches.append(launch(command, LIST_MARKER, home, cached_marker=CACHED_MARKER))
        finally:
            server.terminate()
            server.wait()
    bare = series["bare"]
    bare_seconds, bare_mib, bare_cpu = (bare.median(what) for what in ("list_seconds", "rss_mib", "cpu_seconds"))
    print(f"first launch (creates and seeds the sandbox): {first.fresh_seconds:.3f} s")
    print(f"bare Textual app, median of {trials}: {bare_seconds:.3f} s, {bare_mib:.0f} MiB, {bare_cpu:.3f} s CPU")
    for name in ("sandbox", "remote"):
        shown, fresh, mib, cpu = (
            series[name].median(what) for what in ("list_seconds", "fresh_seconds", "rss_mib", "cpu_seconds")
        )
        print(
            f"{name}: list {shown:.3f} s ({shown / bare_seconds:.2f}x, goal <= 1.5x); "
            f"fresh {fresh:.3f} s ({fresh / bare_seconds:.2f}x, goal <= 2.5x); "
            f"memory {mib:.0f} MiB ({mib / bare_mib:.2f}x, goal <= 1.5x); CPU to the list {cpu:.3f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=7)
    main(parser.parse_args().trials)
