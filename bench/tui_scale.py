"""The accounts screen with 10,000 accounts: first rows, all loaded, filter keystroke, memory.

The backend runs as ``voipbin-tui serve`` in its own process (so its memory is not counted);
the app runs headless in this process against it over loopback HTTP. The baseline, measured
in the same run, is the bare API client fetching the same 10,000 accounts with no UI.
Goals: first rows within 0.5 s of the screen opening, all loaded within 5 s, a filter
keystroke applied within 50 ms, RSS under 150 MB.

    .venv/bin/python bench/tui_scale.py [--accounts 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from targets import BackendProcess  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient  # noqa: E402
from voipbin_tui.config import SandboxTarget  # noqa: E402
from voipbin_tui.connection import Connection  # noqa: E402
from voipbin_tui.tui.app import VoipbinApp  # noqa: E402
from voipbin_tui.tui.screens.accounts import AccountsScreen  # noqa: E402

ACCESSKEY = "bench-accesskey"


async def populate(api_url: str, count: int) -> None:
    async with VoipbinClient(api_url, accesskey=ACCESSKEY) as client:
        existing = len([account async for account in client.iter_accounts()])
        semaphore = asyncio.Semaphore(32)

        async def create(index: int) -> None:
            async with semaphore:
                kind = (AccountType.SMS, AccountType.LINE)[index % 2]
                draft = AccountDraft(
                    type=AccountType.SMS, name=f"{kind} account {index:05d}", detail=f"bench account number {index}"
                )
                await client.create_account(draft)

        await asyncio.gather(*(create(index) for index in range(existing, count)))


async def fetch_all(api_url: str) -> float:
    started = time.perf_counter()
    async with VoipbinClient(api_url, accesskey=ACCESSKEY) as client:
        count = len([account async for account in client.iter_accounts()])
    assert count >= 1
    return time.perf_counter() - started


FILTER_KEYS = "account 0123"


class BareInputApp(App[None]):
    """The harness baseline: one Input, nothing behind it."""

    def compose(self) -> ComposeResult:
        yield Input()


async def keystroke_times(pilot: Pilot, keys: str) -> list[float]:
    timings = []
    for key in keys:
        started = time.perf_counter()
        await pilot.press(key if key != " " else "space")
        await pilot.pause()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def bare_keystroke_ms() -> float:
    async with BareInputApp().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return statistics.median(await keystroke_times(pilot, FILTER_KEYS))


async def measure_app(api_url: str, hook_url: str) -> dict[str, float]:
    @asynccontextmanager
    async def opener():
        async with VoipbinClient(api_url, accesskey=ACCESSKEY) as client:
            yield Connection(client, SandboxTarget(Path("/bench")), hook_url, None, None)

    app = VoipbinApp(opener)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, AccountsScreen))
        opened = time.perf_counter()
        while screen.table.row_count == 0:
            await asyncio.sleep(0.002)
        figures["first rows (s)"] = time.perf_counter() - opened
        while not screen.loaded:
            await asyncio.sleep(0.005)
        figures["all loaded (s)"] = time.perf_counter() - opened
        figures["rows"] = screen.table.row_count
        await pilot.press("slash")
        timings = await keystroke_times(pilot, FILTER_KEYS)
        figures["filter keystroke median (ms)"] = statistics.median(timings)
        figures["filter keystroke max (ms)"] = max(timings)
        for _ in FILTER_KEYS:
            await pilot.press("backspace")
            await pilot.pause()
        figures["visible after clearing"] = len(screen.index.visible_ids)
    figures["max RSS (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir, BackendProcess(Path(data_dir), ACCESSKEY) as backend:
        api_url = f"{backend.base_url}/v1.0"
        started = time.perf_counter()
        await populate(api_url, count)
        print(f"populated {count} accounts in {time.perf_counter() - started:.1f} s")
        baseline = statistics.median([await fetch_all(api_url) for _ in range(3)])
        figures = await measure_app(api_url, f"{backend.base_url}/v1.0")
    bare_key = await bare_keystroke_ms()
    figures["bare Input keystroke (ms)"] = bare_key
    figures["filter cost over bare (ms)"] = figures["filter keystroke median (ms)"] - bare_key
    print(f"baseline: the bare client fetches every account in {baseline:.2f} s")
    for name, value in figures.items():
        print(f"{name:>32}: {value:,.2f}")
    print(f"{'all loaded / bare client':>32}: {figures['all loaded (s)'] / baseline:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().accounts))
