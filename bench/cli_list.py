"""`voipbin-tui accounts list` on the sandbox against a bare httpx script fetching the same page.

A `voipbin-tui serve` on a fresh data dir serves the seeded sandbox; each trial then runs, as a
new process, alternately the real command and a bare script that reads the same runtime file
and key, fetches the accounts page with httpx and prints a line per account. Goal: the command
at most 2x the bare script (medians). Also printed, for information: the command when no
backend runs yet and it starts one for itself.

    .venv/bin/python bench/cli_list.py [--trials 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BARE_SCRIPT = """
import json, sys
from pathlib import Path
import httpx

data_dir = Path(sys.argv[1])
port = json.loads((data_dir / "backend.json").read_text())["port"]
key = (data_dir / "accesskey").read_text().strip()
answer = httpx.get(
    f"http://127.0.0.1:{port}/v1.0/conversation_accounts", params={"page_size": 100}, cookies={"accesskey": key}
)
answer.raise_for_status()
for account in answer.json()["result"]:
    print(account["id"], account["type"], account["name"])
"""


def run_seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time of one run; it must succeed and print the three seeded accounts.
    CPU time (user + system) varies less than wall time on a machine that is busy."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or "SMS alerts" not in done.stdout:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} never appeared")
        time.sleep(0.05)


def main(trials: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        data_dir = home / "data"
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        bare_script = home / "bare.py"
        bare_script.write_text(BARE_SCRIPT)
        ours = [str(BIN / "voipbin-tui"), "accounts", "list", "--data-dir", str(data_dir)]
        bare = [sys.executable, str(bare_script), str(data_dir)]
        alone = run_seconds(ours, env)  # no backend yet: it creates, seeds and starts its own
        alone_again = run_seconds(ours, env)
        server = subprocess.Popen(
            [str(BIN / "voipbin-tui"), "serve", "--data-dir", str(data_dir), "--port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(data_dir / "backend.json")
            run_seconds(bare, env)  # warm the file cache for both
            run_seconds(ours, env)
            theirs, mine = [], []
            for _ in range(trials):
                theirs.append(run_seconds(bare, env))
                mine.append(run_seconds(ours, env))
        finally:
            server.terminate()
            server.wait()
    wall = [statistics.median(run[0] for run in runs) for runs in (theirs, mine)]
    cpu = [statistics.median(run[1] for run in runs) for runs in (theirs, mine)]
    print(f"no backend running (first run creates and seeds): {alone[0]:.3f} s, then {alone_again[0]:.3f} s")
    print(f"bare httpx script, median of {trials}:          {wall[0]:.3f} s ({cpu[0]:.3f} s CPU)")
    print(f"voipbin-tui accounts list, median of {trials}:  {wall[1]:.3f} s ({cpu[1]:.3f} s CPU)")
    print(f"ratio: {wall[1] / wall[0]:.2f}x (goal <= 2x); in CPU time {cpu[1] / cpu[0]:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=9)
    main(parser.parse_args().trials)
