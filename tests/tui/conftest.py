"""TUI tests run the real app against a real sandbox backend over loopback HTTP.

Deterministic by construction: the backend has a fixed clock and sequential ids, the local
zone is UTC and today is the clock's day, the hook URL shown is a fixed public one, and the input cursor does not blink.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tests.helpers import SteppingClock, sandbox_connection, sequential_ids
from voipbin_tui.api import Account, AccountType, VoipbinClient
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.connection import Connection
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.accounts import AccountsScreen
from voipbin_tui.tui.widgets import inspector as inspector_widget

PUBLIC_HOOK_URL = "https://hook.sandbox.example/v1.0"
START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def stepping_clock() -> SteppingClock:
    """The sandbox's clock in TUI tests: a second a reading from START."""
    return SteppingClock(START, timedelta(seconds=1))


@pytest.fixture(autouse=True)
def utc_and_no_blink(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(inspector_widget, "local_today", lambda: START.date())  # the sandbox's day is today
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def start_sandbox(data_dir: Path, *, seed: bool = True, port: int = 0) -> EmbeddedBackend:
    return start_embedded(
        data_dir,
        seed=seed,
        port=port,
        clock=stepping_clock(),
        new_id=sequential_ids(),
        public_hook_url=PUBLIC_HOOK_URL,
    )


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    backend = start_sandbox(tmp_path / "sandbox")
    yield backend
    backend.stop()


@pytest.fixture
def empty_sandbox(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    backend = start_sandbox(tmp_path / "empty", seed=False)
    yield backend
    backend.stop()


def opener_for(backend: EmbeddedBackend, data_dir: Path | None = None, **client_options: object):
    """What the CLI passes to the app, aimed at an already running test backend."""

    @asynccontextmanager
    async def open_connection() -> AsyncIterator[Connection]:
        async with VoipbinClient(backend.api_url, accesskey=backend.accesskey, **client_options) as client:
            yield sandbox_connection(backend, client, data_dir)

    return open_connection


def gated(backend: EmbeddedBackend, gate: asyncio.Event):
    """The sandbox's connection, held back until ``gate`` opens (a slow start, a slow link)."""
    opener = opener_for(backend)

    @asynccontextmanager
    async def open_connection() -> AsyncIterator[Connection]:
        await gate.wait()
        async with opener() as connection:
            yield connection

    return open_connection


def make_app(backend: EmbeddedBackend, *, read_only: bool = False, **client_options: object) -> VoipbinApp:
    return VoipbinApp(opener_for(backend, **client_options), read_only=read_only)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Let the app run until ``condition`` holds (workers finished, rows drawn)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


async def settle(pilot: Pilot) -> None:
    """Wait for every worker that ends (not the inspector's endless feed), then for a repaint."""
    finite = [worker for worker in pilot.app.workers if worker.group != "inspector-feed"]
    if finite:  # an empty list would mean "all workers" to wait_for_complete
        await pilot.app.workers.wait_for_complete(finite)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def accounts_screen(pilot: Pilot) -> AccountsScreen:
    for screen in pilot.app.screen_stack:
        if isinstance(screen, AccountsScreen):
            return screen
    raise AssertionError("no accounts screen")


async def wait_for_accounts(pilot: Pilot) -> AccountsScreen:
    await wait_until(pilot, lambda: pilot.app.connection is not None)
    screen = accounts_screen(pilot)
    await wait_until(pilot, lambda: screen.loaded)
    await settle(pilot)
    return screen


def select_type(screen: AccountsScreen, account_type: AccountType) -> Account:
    """Move the accounts list to its first account of ``account_type``, and return that account."""
    row = next(i for i, account in enumerate(screen.index.shown) if account.type == account_type)
    screen.table.move_cursor(row=row)
    account = screen.selected_account()
    assert account is not None
    return account


def toasts(app: App[object]) -> list[str]:
    """The text of every toast so far. Textual keeps them in a private list: read it here only."""
    return [notification.message for notification in app._notifications]


def titled_toasts(app: App[object]) -> list[tuple[str, str]]:
    """Every toast so far as (title, text)."""
    return [(notification.title, notification.message) for notification in app._notifications]


def screen_text(pilot: Pilot) -> str:
    """Everything on the terminal right now, as plain text (what a person would read)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
