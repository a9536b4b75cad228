"""The accounts screen's first frame does only what that frame shows, and what it leaves for
later still arrives and works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.widgets._footer import FooterKey

from tests.tui.conftest import accounts_screen, opener_for, wait_for_accounts, wait_until
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.connection import Connection
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.widgets.footer import KeyFooter


def gated_app(backend: EmbeddedBackend, gate: asyncio.Event) -> VoipbinApp:
    """An app that connects to ``backend`` only once ``gate`` is set (a slow start)."""
    open_backend = opener_for(backend)

    @asynccontextmanager
    async def open_connection() -> AsyncIterator[Connection]:
        await gate.wait()
        async with open_backend() as connection:
            yield connection

    return VoipbinApp(open_connection)


def check_key(footer: KeyFooter) -> FooterKey:
    return next(key for key in footer.query(FooterKey) if key.action == "app.check_account")


async def test_the_footer_lays_its_keys_out_once_at_start_and_follows_later_changes(
    sandbox: EmbeddedBackend,
) -> None:
    gate = asyncio.Event()
    async with gated_app(sandbox, gate).run_test(size=(120, 30)) as pilot:
        screen = accounts_screen(pilot)
        await wait_until(pilot, screen.drawn.is_set)
        await pilot.pause()
        footer = screen.query_one(KeyFooter)
        assert footer.compositions == 1  # not once per change of focus, width and bindings
        assert check_key(footer).has_class("-disabled")  # not connected yet
        gate.set()
        await wait_for_accounts(pilot)
        await wait_until(pilot, lambda: not check_key(footer).has_class("-disabled"))
        await pilot.resize_terminal(60, 30)
        await wait_until(pilot, lambda: "Inspector" not in [key.description for key in footer.query(FooterKey)])
