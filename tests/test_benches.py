"""The benches in ``bench/`` run to the end: each is run here briefly, as a user would run it.

They are measured by hand, not in CI, so nothing else notices when one stops working: the
inspector bench once waited forever for a row after the pane's internals changed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def run_bench(script: str, *args: str) -> str:
    """The bench's output; it fails the test if the bench fails or has not ended in 3 minutes."""
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


@pytest.mark.slow
def test_inspector_bench_measures_a_post_to_its_row_and_ends() -> None:
    output = run_bench("inspector_latency.py", "--posts", "3", "--captured", "20", "--idle", "0.2")
    assert "prefilled 20 captured requests" in output
    assert "p95 (ms)" in output and "idle CPU (%)" in output


@pytest.mark.slow
def test_hook_bench_kills_the_backend_mid_load_and_counts_no_loss() -> None:
    output = run_bench("hook_throughput.py", "--rounds", "1", "--seconds", "1", "--clients", "4", "--kill")
    assert "ratio to the bare ASGI app" in output
    assert "SIGKILLed mid-way" in output
    assert output.rstrip().endswith("missing from the feed: 0 (goal 0)")
