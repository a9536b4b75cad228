"""Regenerate the README screenshots from the real app on a fixed-clock sandbox.

    python screenshots/make_screenshots.py

Writes accounts, detail, form, delete, doctor, inspector and request SVGs beside this file
(80x24, the size operators have).
The app secret stays masked in every picture.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
os.environ["TZ"] = "UTC"  # the same pictures on every machine
time.tzset()

from tests.tui.conftest import (  # noqa: E402
    make_app,
    select_type,
    settle,
    start_sandbox,
    wait_for_accounts,
    wait_until,
)
from tests.tui.test_doctor_snapshots import run_report  # noqa: E402
from tests.tui.test_inspector_snapshots import with_traffic  # noqa: E402
from voipbin_tui.api import AccountType  # noqa: E402
from voipbin_tui.backend.seed import SEED_WHATSAPP_ACCESS_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN  # noqa: E402
from voipbin_tui.backend.server import EmbeddedBackend  # noqa: E402
from voipbin_tui.tui.screens.detail import AccountDetailScreen  # noqa: E402
from voipbin_tui.tui.screens.form import AccountFormScreen  # noqa: E402

SIZE = (80, 24)


async def accounts(pilot: Pilot) -> None:
    await wait_for_accounts(pilot)


async def detail(pilot: Pilot) -> None:
    select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
    await settle(pilot)


async def form(pilot: Pilot) -> None:
    select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
    await settle(pilot)


async def delete(pilot: Pilot) -> None:
    select_type(await wait_for_accounts(pilot), AccountType.LINE)
    await pilot.press("d")
    await settle(pilot)


def inspector(*keys: str) -> Callable[[EmbeddedBackend, Path], Callable[[Pilot], Awaitable[None]]]:
    """Fixture traffic of every verdict, posted to the sandbox hook, then ``keys``."""
    return lambda backend, data_dir: with_traffic(backend, data_dir, *keys)


SHOTS: dict[str, Callable[[EmbeddedBackend, Path], Callable[[Pilot], Awaitable[None]]]] = {
    "accounts": lambda backend, data_dir: accounts,
    "detail": lambda backend, data_dir: detail,
    "form": lambda backend, data_dir: form,
    "delete": lambda backend, data_dir: delete,
    # the doctor on the seeded WhatsApp account, its secrets given, signed end to end; the
    # highlight on the last row, so the provider checks are in the picture
    "doctor": lambda backend, data_dir: run_report(
        token=SEED_WHATSAPP_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN, end_to_end="s", keys=("end",)
    ),
    "inspector": inspector(),
    "request": inspector("up", "up", "up", "up", "up", "up", "enter"),
}


async def shoot(
    name: str, steps: Callable[[EmbeddedBackend, Path], Callable[[Pilot], Awaitable[None]]], data_dir: Path
) -> None:
    backend = start_sandbox(data_dir / name)
    try:
        app = make_app(backend)
        async with app.run_test(size=SIZE) as pilot:
            await steps(backend, data_dir / name)(pilot)
            app.save_screenshot(str(ROOT / f"{name}.svg"))
    finally:
        backend.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        for name, steps in SHOTS.items():
            await shoot(name, steps, Path(data_dir))
            print(f"wrote {ROOT / name}.svg")


if __name__ == "__main__":
    asyncio.run(main())
