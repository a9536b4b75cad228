"""Launch to the seeded account list on screen, in a real terminal (tmux), against a minimal app.

Each trial starts a fresh tmux pane, runs the program, and polls the pane until its marker
text is drawn. The baseline, run alternately in the same session, is a minimal Textual app
that shows one line. Goal: voipbin-tui at most 1.5x the minimal app. The sandbox data dir is
seeded once before the trials (the first launch also seeds; that figure is printed apart).

    .venv/bin/python bench/tui_startup.py [--trials 7]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "voipbin-tui"
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("minimal app ready")

Minimal().run()
"""


def launch_seconds(command: str, marker: str, sockets: Path) -> float:
    """Seconds from starting ``command`` in a fresh tmux server until ``marker`` is on screen."""
    socket = sockets / f"tmux-{time.monotonic_ns()}.sock"
    tmux = ["tmux", "-S", str(socket)]
    started = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40", command], check=True)
    try:
        deadline = started + 30
        while time.perf_counter() < deadline:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True)
            if marker in screen.stdout:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise RuntimeError(f"{marker!r} never appeared")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def main(trials: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        minimal = home / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        env = f"env -i HOME={home} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8"
        tui = f"{env} {shlex.quote(str(SCRIPT))}"
        baseline = f"{env} {shlex.quote(sys.executable)} {minimal}"
        socket = home
        first = launch_seconds(tui, "SMS alerts", socket)
        ours, theirs = [], []
        for _ in range(trials):
            theirs.append(launch_seconds(baseline, "minimal app ready", socket))
            ours.append(launch_seconds(tui, "SMS alerts", socket))
    print(f"first launch (creates and seeds the sandbox): {first:.3f} s")
    print(f"minimal Textual app, median of {trials}:        {statistics.median(theirs):.3f} s")
    print(f"voipbin-tui to the seeded list, median of {trials}: {statistics.median(ours):.3f} s")
    print(f"ratio: {statistics.median(ours) / statistics.median(theirs):.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=7)
    main(parser.parse_args().trials)
