"""Server stacks: the same bare ASGI app (no framework, answers 200) on each server stack.

What the hook could gain from another server, measured the way ``hook_throughput.py`` loads
the hook (50 keep-alive clients posting signed WhatsApp messages), in interleaved rounds:
``backend`` is the server the backend runs (uvicorn, its guarded h11 protocol); the others
(uvicorn with httptools and uvloop, hypercorn, granian) must be installed by hand first:

    .venv/bin/pip install httptools uvloop hypercorn granian
    .venv/bin/python bench/server_stacks.py [--seconds 5] [--rounds 3] [--stacks backend,granian]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics

from hook_throughput import LoadResult, report, run_load
from targets import STACKS, BareAsgiProcess


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stacks", default=",".join(STACKS))
    options = parser.parse_args()
    stacks = options.stacks.split(",")
    results: dict[str, list[LoadResult]] = {stack: [] for stack in stacks}
    with contextlib.ExitStack() as servers:
        running = {stack: servers.enter_context(BareAsgiProcess(stack)) for stack in stacks}
        for _ in range(options.rounds):
            for stack, server in running.items():
                results[stack].append(await run_load(server, options.clients, options.seconds))
    print(f"bare ASGI app, {options.clients} clients, {options.rounds} rounds of {options.seconds:.0f} s (medians)")
    reference = statistics.median(r.rate for r in results[stacks[0]])
    for stack in stacks:
        report(stack, results[stack])
    for stack in stacks[1:]:
        print(f"{stack}: {statistics.median(r.rate for r in results[stack]) / reference:.2f}x {stacks[0]}")


if __name__ == "__main__":
    asyncio.run(main())
