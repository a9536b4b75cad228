"""The list last seen: drawn at once while the backend is still coming, marked, not acted on,
and replaced by the fresh list, which is kept (without a secret) for the next launch."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from textual.pilot import Pilot

from voipbin_tui.account_cache import AccountCache
from voipbin_tui.api.models import Account
from voipbin_tui.backend.seed import SEEDED_SECRETS
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import Connection
from voipbin_tui.tui.app import LAST_SEEN_REFUSAL, Startup, VoipbinApp
from voipbin_tui.tui.screens.accounts import AccountsScreen

from .conftest import accounts_screen, gated, opener_for, screen_text, toasts, wait_for_accounts, wait_until

FLOW_ID = UUID("b2c3d4e5-f6a7-8901-bcde-f12345678901")
STALE = Account(id=UUID("0f6e5d4c-3b2a-4190-8877-665544332211"), type="sms", name="Gone since last run")


def stale_cache(data_dir: Path) -> AccountCache:
    """The sandbox's cache, holding a list last seen with an account the backend no longer has."""
    cache = AccountCache(data_dir, SandboxTarget(data_dir))
    cache.write([STALE], {})
    return cache


async def test_the_list_last_seen_shows_at_once_and_the_fresh_one_replaces_it(
    sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    cache = stale_cache(tmp_path)
    gate = asyncio.Event()
    app = VoipbinApp(gated(sandbox, gate), account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        table = accounts_screen(pilot).accounts_table
        await wait_until(pilot, lambda: "Gone since last run" in screen_text(pilot))
        assert table.last_seen is not None
        assert "1 account · last seen " in screen_text(pilot)
        assert app.selected_account() is None  # a row last seen is not acted on
        assert app.refusal("hub_challenge") == LAST_SEEN_REFUSAL

        gate.set()
        await wait_for_accounts(pilot)
        text = screen_text(pilot)
        assert "Gone since last run" not in text and "last seen" not in text
        assert "SMS alerts" in text and table.last_seen is None
        assert app.selected_account() is not None

    kept = cache.read()
    assert kept is not None
    assert {account.name for account in kept.accounts} == {account.name for account in table.index.accounts}
    assert STALE.id not in {account.id for account in kept.accounts}
    assert kept.saved_at > datetime(2026, 1, 1, tzinfo=UTC)
    kept_text = cache.path.read_text()
    assert not [secret for secret in SEEDED_SECRETS if secret in kept_text or secret[-4:] in kept_text]


async def test_a_fresh_list_that_comes_first_is_not_covered_by_the_one_last_seen(
    sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    cache = stale_cache(tmp_path)
    app = VoipbinApp(opener_for(sandbox), account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        await pilot.pause(0.1)
        assert "Gone since last run" not in screen_text(pilot)
        assert screen.accounts_table.last_seen is None


class HeldAccountPages(httpx.AsyncBaseTransport):
    """Loopback HTTP, but the account pages wait for ``gate`` (a slow link, a busy server)."""

    def __init__(self, gate: asyncio.Event) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self._gate = gate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/conversation_accounts"):
            await self._gate.wait()
        return await self._http.handle_async_request(request)

    async def aclose(self) -> None:
        await self._http.aclose()


async def test_the_list_last_seen_stays_in_view_while_the_fresh_one_loads(
    sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    cache = stale_cache(tmp_path)
    pages = asyncio.Event()
    app = VoipbinApp(opener_for(sandbox, transport=HeldAccountPages(pages)), account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        table = accounts_screen(pilot).accounts_table
        await wait_until(pilot, lambda: app.connection is not None and table.fetching)
        await pilot.pause(0.1)
        text = screen_text(pilot)
        assert "Gone since last run" in text and "last seen" in text  # not hidden behind a spinner
        pages.set()
        await wait_for_accounts(pilot)
        assert "Gone since last run" not in screen_text(pilot)


@pytest.mark.slow
def test_the_list_last_seen_as_drawn(snap_compare, tmp_path: Path, fixtures_root: Path) -> None:
    """The marked list, while the backend has not answered yet (a snapshot: look at it)."""
    page = json.loads((fixtures_root / "voipbin" / "accounts-page.json").read_text())
    cache = AccountCache(tmp_path, SandboxTarget(tmp_path))
    cache.write([Account.model_validate(item) for item in page["result"]], {FLOW_ID: "Support triage"})
    kept = json.loads(cache.path.read_text())
    kept["saved_at"] = "2026-11-30T09:30:00+00:00"  # a fixed "last seen" for the picture
    cache.path.write_text(json.dumps(kept))
    never = asyncio.Event()

    @asynccontextmanager
    async def unanswered() -> AsyncIterator[Connection]:
        await never.wait()
        yield  # type: ignore[misc]  # never reached

    async def run_before(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: "last seen" in screen_text(pilot))

    app = VoipbinApp(unanswered, account_cache=cache)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- drawn from a launch record, resolved after the first frame (voipbin_tui/launch.py) --------


async def test_from_a_launch_record_the_list_shows_before_the_command_line_is_resolved(
    sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    cache = stale_cache(tmp_path)
    resolving = threading.Event()
    resolved = threading.Event()

    def resolve() -> Startup:  # on a thread: click, the config, the target
        resolving.set()
        resolved.wait(10)
        notice = "warning: config.toml is readable by other users"
        return Startup(opener_for(sandbox), cache, notices=[notice], keymap={"accounts.new": "N"}, read_only=True)

    app = VoipbinApp.resolved_later(resolve, read_only=True, keymap={"accounts.new": "N"}, account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "Gone since last run" in screen_text(pilot))
        await wait_until(pilot, resolving.is_set)
        text = screen_text(pilot)
        assert "last seen" in text and "READ-ONLY" not in text  # the header waits for the connection
        assert app.read_only and app.refusal("new_account").startswith("Read-only")  # from the record
        resolved.set()
        await wait_for_accounts(pilot)
        assert "Gone since last run" not in screen_text(pilot) and "SMS alerts" in screen_text(pilot)
        assert any("readable by other users" in message for message in toasts(app))  # the resolution's notices
        assert app.connection is not None and app.connection.read_only
        assert not app.normal_path_needed


async def test_a_record_whose_target_resolves_to_another_list_drops_its_rows_at_once(
    sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    recorded = AccountCache(tmp_path / "other", SandboxTarget(tmp_path / "other"))
    recorded.write([STALE], {})
    actual = AccountCache(tmp_path, SandboxTarget(tmp_path))
    gate = asyncio.Event()
    app = VoipbinApp.resolved_later(
        lambda: Startup(gated(sandbox, gate), actual), read_only=False, keymap={}, account_cache=recorded
    )
    async with app.run_test(size=(120, 40)) as pilot:
        table = accounts_screen(pilot).accounts_table
        await wait_until(pilot, lambda: "Gone since last run" in screen_text(pilot))
        await wait_until(pilot, lambda: table.last_seen is None)  # before the backend answers
        assert "Gone since last run" not in screen_text(pilot) and not gate.is_set()
        gate.set()
        await wait_for_accounts(pilot)
        assert app.account_cache is actual
    assert actual.read() is not None  # the fresh list is kept where the resolved target keeps it
    assert [account.name for account in recorded.read().accounts] == [STALE.name]


@pytest.mark.parametrize(
    "resolved",
    [{"keymap": {}, "read_only": False}, {"keymap": {"app.quit": "x"}, "read_only": True}],
    ids=["keys", "read-only"],
)
async def test_a_record_whose_keys_or_read_only_were_not_these_starts_over(
    sandbox: EmbeddedBackend, tmp_path: Path, resolved: dict
) -> None:
    """The config (keys) or the environment changed in a way the record did not see: the first
    frame's keys or read-only are not what the command line says, so the TUI is not kept."""
    cache = AccountCache(tmp_path, SandboxTarget(tmp_path))
    app = VoipbinApp.resolved_later(
        lambda: Startup(opener_for(sandbox), cache, **resolved),
        read_only=False,
        keymap={"app.quit": "x"},
        account_cache=cache,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.normal_path_needed)
    assert app.connection is None


async def test_a_record_that_does_not_resolve_closes_the_app_for_the_normal_path(tmp_path: Path) -> None:
    cache = stale_cache(tmp_path)
    app = VoipbinApp.resolved_later(lambda: None, read_only=False, keymap={}, account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.normal_path_needed)
    assert app.return_code == 0 and app.connection is None


async def test_a_list_last_seen_goes_when_the_backend_has_no_account_any_more(
    empty_sandbox: EmbeddedBackend, tmp_path: Path
) -> None:
    cache = stale_cache(tmp_path)
    app = VoipbinApp(opener_for(empty_sandbox), account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        table = accounts_screen(pilot).accounts_table
        await wait_until(pilot, lambda: table.loaded)
        await pilot.pause(0.05)
        assert table.last_seen is None and len(table.index) == 0
        text = screen_text(pilot)
        assert "Gone since last run" not in text and "No accounts yet" in text
    kept = cache.read()
    assert kept is not None and kept.accounts == []


class FlowsAfterAccounts(httpx.AsyncBaseTransport):
    """Loopback HTTP where the flows are answered only once the accounts were asked for: a
    load that waits for the flows before asking for the accounts never finishes."""

    def __init__(self) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self._accounts_asked = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/conversation_accounts"):
            self._accounts_asked.set()
        elif request.url.path.endswith("/flows"):
            await asyncio.wait_for(self._accounts_asked.wait(), 3)
        return await self._http.handle_async_request(request)

    async def aclose(self) -> None:
        await self._http.aclose()


async def test_the_flows_and_the_first_page_are_asked_for_at_once(sandbox: EmbeddedBackend) -> None:
    """One round trip, not two, before a slow link shows the accounts."""
    app = VoipbinApp(opener_for(sandbox, transport=FlowsAfterAccounts()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_accounts(pilot)
        text = screen_text(pilot)
        assert "Support triage" in text and "SMS alerts" in text  # flow names from the flows asked at once


async def test_from_a_launch_record_the_command_line_waits_for_the_list_to_be_drawn(tmp_path: Path) -> None:
    """Resolving imports click, pydantic and httpx on the same core: started before the list
    last seen is on screen, it holds that list back. The home screen says when it is drawn (its
    table laid out at its size, the cached rows in it), and resolving starts after that."""
    cache = stale_cache(tmp_path)
    home_when_resolving: list[bool] = []
    app: VoipbinApp

    def resolve() -> None:
        home_when_resolving.append(accounts_home(app).drawn.is_set())
        return None

    app = VoipbinApp.resolved_later(resolve, read_only=False, keymap={}, account_cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        home = accounts_screen(pilot)
        await wait_until(pilot, home.drawn.is_set)
        table = home.accounts_table.table
        assert table.size.width > 0 and table.row_count == 1
        await wait_until(pilot, lambda: app.normal_path_needed)
    assert home_when_resolving == [True]


def accounts_home(app: VoipbinApp) -> AccountsScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, AccountsScreen))
