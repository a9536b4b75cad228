"""The inspector pane against a real sandbox: live rows, disconnects, replay, export."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input

from tests.helpers import sequential_ids
from tests.tui.conftest import (
    PUBLIC_HOOK_URL,
    START,
    make_app,
    screen_text,
    select_type,
    settle,
    start_sandbox,
    stepping_clock,
    titled_toasts,
    toasts,
    wait_for_accounts,
    wait_until,
)
from voipbin_tui.api import AccountType
from voipbin_tui.api.hooks import HookSender, hook_url_for
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.config import export_dir
from voipbin_tui.protocols import HookVerdict
from voipbin_tui.tui.screens.request import RequestDetailScreen

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a sandbox


async def pane_ready(pilot, account_type: AccountType = AccountType.WHATSAPP):
    """The accounts screen with ``account_type`` selected and the inspector following its feed."""
    screen = await wait_for_accounts(pilot)
    account = select_type(screen, account_type)
    await wait_until(pilot, lambda: screen.inspector.connected)
    return screen, account, screen.inspector


async def send_messages(backend: EmbeddedBackend, account, texts: list[str]) -> None:
    async with HookSender() as sender:
        for text in texts:
            delivery = await sender.send_test_message(
                hook_url_for(backend.local_hook_url, account.id), account, text=text
            )
            assert delivery.status_code == 200


async def test_a_signed_post_appears_in_the_pane(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["first live message"])
        await wait_until(pilot, lambda: any(r.summary.text == "first live message" for r in pane.shown))
        await settle(pilot)
        request = pane.shown[-1]
        assert request.verdict is HookVerdict.OK and request.account_id == str(account.id)
        assert "first live message" in screen_text(pilot) and "✓ ok" in screen_text(pilot)


async def test_rows_follow_the_selected_account_or_all(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        whatsapp = select_type(screen, AccountType.WHATSAPP)
        line = select_type(screen, AccountType.LINE)
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        await send_messages(sandbox, whatsapp, ["to whatsapp"])
        await send_messages(sandbox, line, ["to line"])
        await wait_until(pilot, lambda: [r.summary.text for r in pane.shown] == ["to line"])
        pane.table.focus()
        await pilot.press("a")  # all accounts
        assert [r.summary.text for r in pane.shown] == ["to whatsapp", "to line"]


async def test_scrolled_up_counts_new_arrivals_and_end_resumes(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, [f"m{i}" for i in range(5)])
        await wait_until(pilot, lambda: len(pane.shown) == 5)
        pane.table.focus()
        await pilot.press("up", "up")
        assert not pane.following
        await send_messages(sandbox, account, ["m5", "m6"])
        await wait_until(pilot, lambda: len(pane.shown) == 7)
        await settle(pilot)
        assert "2 new · end follows" in screen_text(pilot)
        assert pane.table.cursor_row == 2  # the user's place is kept
        await pilot.press("end")
        assert pane.following and pane.table.cursor_row == 6


async def test_an_unexpected_failure_stops_the_pane_visibly(sandbox: EmbeddedBackend, monkeypatch) -> None:
    """Not a network error the loop can wait out: the pane says it stopped, and what stopped it."""
    from voipbin_tui.workflows.traffic_sources import FeedSource

    async def broken(self):
        raise RuntimeError("a row the pane cannot read")

    monkeypatch.setattr(FeedSource, "next_batch", broken)
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        await wait_for_accounts(pilot)
        await wait_until(pilot, lambda: "stopped: RuntimeError" in screen_text(pilot))
        told = titled_toasts(pilot.app)
        assert ("The inspector stopped", "Unexpected error: RuntimeError: a row the pane cannot read") in told


async def test_backend_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    backend = start_sandbox(tmp_path / "data")
    port = backend.port
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(backend, account, ["before 1", "before 2"])
        await wait_until(pilot, lambda: len(pane.shown) == 2)
        backend.stop()
        await wait_until(pilot, lambda: not pane.connected, timeout=30)
        assert "disconnected" in screen_text(pilot)
        restarted = start_sandbox(tmp_path / "data", port=port)
        try:
            await send_messages(restarted, account, ["after 1"])
            await wait_until(pilot, lambda: len(pane.shown) == 3, timeout=20)
            await pilot.pause(0.3)
            texts = [r.summary.text for r in pane.shown]
            assert texts == ["before 1", "before 2", "after 1"]
            assert len({r.seq for r in pane.shown}) == 3
        finally:
            restarted.stop()


async def test_open_replay_and_copy_as_curl(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["replay me"])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
        await settle(pilot)
        assert "replay me" in screen_text(pilot) and "x-hub-signature-256" in screen_text(pilot)
        await pilot.press("c")
        curl = pilot.app.clipboard
        assert f" | curl -sS -X POST {sandbox.local_hook_url}/conversation/accounts/{account.id} " in curl
        assert curl.startswith("printf %s ") and curl.endswith(" --data-binary @-")
        assert "X-Hub-Signature-256: sha256=" in curl.replace("x-hub-signature-256", "X-Hub-Signature-256")
        assert str(sandbox.accesskey.get_secret_value()) not in curl
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(pane.shown) == 2)
        replayed = pane.shown[-1]
        assert replayed.replay_of == pane.shown[0].id
        assert replayed.verdict is HookVerdict.DUPLICATE  # the same wamid again is skipped


def exports() -> list[Path]:
    return sorted(export_dir().glob("*.jsonl"))


async def test_export_writes_the_shown_requests(sandbox: EmbeddedBackend, tmp_path: Path, monkeypatch) -> None:
    """Into the exports folder (asked, prefilled), never the working directory; the whole path is told."""
    monkeypatch.chdir(tmp_path)
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["one", "two"])
        await wait_until(pilot, lambda: len(pane.shown) == 2)
        pane.table.focus()
        await pilot.press("x")
        await settle(pilot)
        asked = pilot.app.screen.query_one("#prompt-path", Input).value
        assert asked.startswith(str(export_dir()) + "/voipbin-inspector-") and asked.endswith(".jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(exports()))
        await wait_until(pilot, lambda: any(f"to {asked}" in message for message in toasts(pilot.app)))
    assert not list(tmp_path.glob("*.jsonl"))
    exported = exports()[0]
    assert str(exported) == asked
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [line["summary"]["text"] for line in lines] == ["one", "two"]
    assert all(line["body"] and line["verdict"] == "ok" for line in lines)
    assert oct(exported.stat().st_mode & 0o777) == "0o600"
    assert sandbox.accesskey.get_secret_value() not in exported.read_text()


async def test_t_sends_a_test_message_and_read_only_refuses(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("ctrl+u", *"typed test", "enter")  # enter sends from any field
        await wait_until(pilot, lambda: any(r.summary.text == "typed test" for r in pane.shown))
    async with make_app(sandbox, read_only=True).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        await pilot.press("t")
        await settle(pilot)
        assert pilot.app.screen is screen


@pytest.mark.parametrize("body", [b"not json", b'{"object":"whatsapp_business_account","entry":[]}'])
async def test_refused_requests_show_their_verdict(sandbox: EmbeddedBackend, body: bytes) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        async with httpx.AsyncClient() as client:
            await client.post(
                hook_url_for(sandbox.local_hook_url, account.id),
                content=body,
                headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
            )
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        await settle(pilot)
        assert pane.shown[0].verdict is HookVerdict.BAD_SIGNATURE
        assert "✗ bad_signature" in screen_text(pilot)


async def test_without_a_feed_the_pane_shows_voipbin_messages(sandbox: EmbeddedBackend, monkeypatch) -> None:
    """A live profile with no relay: the pane polls conversations and their messages instead."""
    from contextlib import asynccontextmanager

    from voipbin_tui.api import VoipbinClient
    from voipbin_tui.config import RemoteTarget
    from voipbin_tui.connection import Connection
    from voipbin_tui.tui.app import VoipbinApp
    from voipbin_tui.workflows import traffic_sources

    monkeypatch.setattr(traffic_sources, "CONVERSATION_POLL_SECONDS", 0.2)

    @asynccontextmanager
    async def live_profile():
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            target = RemoteTarget(sandbox.api_url, sandbox.hook_url, sandbox.accesskey, None, "prod", None)
            yield Connection(client, target, sandbox.hook_url, None, None, sandbox.local_hook_url)

    async with VoipbinApp(live_profile).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        before = len(pane.shown_rows)
        await send_messages(sandbox, account, ["seen through VoIPBIN"])
        await wait_until(pilot, lambda: any(r.cells["text"] == "seen through VoIPBIN" for r in pane.shown_rows))
        await settle(pilot)
        row = next(r for r in pane.shown_rows if r.cells["text"] == "seen through VoIPBIN")
        assert (row.cells["method"], row.cells["kind"]) == ("IN", "incoming")
        assert row.request is None and len(pane.shown_rows) > before
        assert "VoIPBIN's messages" in screen_text(pilot) and "prod @" in pilot.app.sub_title
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        title = next(line for line in screen_text(pilot).splitlines() if "Inspector ·" in line)
        assert "VoIPBIN's messages" in title and "source:" not in title  # the short form, whole


async def test_hub_challenge_from_the_palette(sandbox: EmbeddedBackend) -> None:
    from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN

    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        await pilot.press("ctrl+p", *"hub challenge")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*SEED_WHATSAPP_VERIFY_TOKEN, "enter")
        await wait_until(pilot, lambda: any(r.kind.value == "verify" for r in pane.shown))
        await settle(pilot)
        assert pane.shown[-1].verdict is HookVerdict.OK
        await wait_until(pilot, lambda: any("the challenge was echoed" in message for message in toasts(pilot.app)))


async def test_control_characters_from_senders_never_reach_the_terminal(sandbox: EmbeddedBackend) -> None:
    hostile = "\x1b]2;PWNED\x07\x1b[31mred\x9b"
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, [hostile])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        await settle(pilot)
        text = screen_text(pilot)
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\\x1b]2;PWNED" in text  # shown, as an escape a person can read
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
        await settle(pilot)
        assert "\x1b" not in screen_text(pilot)


async def test_the_verify_token_is_redacted_on_screen_in_curl_and_exports(
    sandbox: EmbeddedBackend, tmp_path: Path, monkeypatch
) -> None:
    from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN

    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        async with HookSender() as sender:
            delivery = await sender.send_hub_challenge(
                hook_url_for(sandbox.local_hook_url, account.id), verify_token=SEED_WHATSAPP_VERIFY_TOKEN
            )
        assert delivery.accepted
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
        await settle(pilot)
        await pilot.press("c")
        assert "hub.verify_token=REDACTED" in pilot.app.clipboard
        seen = screen_text(pilot) + pilot.app.clipboard
        await pilot.press("escape", "x")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(exports()))
        await settle(pilot)
    exported = exports()[0].read_text()
    assert SEED_WHATSAPP_VERIFY_TOKEN not in seen + exported
    assert "REDACTED" in exported


async def test_a_full_buffer_drops_old_rows_without_moving_the_reader(sandbox: EmbeddedBackend, monkeypatch) -> None:
    from voipbin_tui.tui.widgets import inspector

    monkeypatch.setattr(inspector, "BUFFER_LIMIT", 6)
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, [f"m{i}" for i in range(5)])
        await wait_until(pilot, lambda: len(pane.shown) == 5)
        pane.table.focus()
        await pilot.press("up", "up")  # on m2, reading
        await send_messages(sandbox, account, ["m5", "m6", "m7"])
        await wait_until(pilot, lambda: [r.summary.text for r in pane.shown][-1] == "m7")
        await settle(pilot)
        assert [r.summary.text for r in pane.shown] == ["m2", "m3", "m4", "m5", "m6", "m7"]
        assert not pane.following and pane.shown[pane.table.cursor_row].summary.text == "m2"
        assert "3 new" in screen_text(pilot)


async def test_the_pane_says_when_retention_dropped_requests(tmp_path: Path) -> None:
    settings = {"clock": stepping_clock(), "new_id": sequential_ids(), "public_hook_url": PUBLIC_HOOK_URL}
    with start_embedded(tmp_path / "small", max_capture_bytes=20_000, **settings) as backend:
        async with make_app(backend).run_test(size=(120, 40)) as pilot:
            screen, account, pane = await pane_ready(pilot)
            await settle(pilot)
            assert "dropped" not in screen_text(pilot)
        await send_messages(backend, account, [f"m{i}" for i in range(30)])  # ~2 KB each: 60 KB
        async with make_app(backend).run_test(size=(120, 40)) as pilot:  # a pane that comes later
            screen, account, pane = await pane_ready(pilot)
            await wait_until(pilot, lambda: "m29" in screen_text(pilot))
            await settle(pilot)
            assert "older ones dropped" in screen_text(pilot)
            assert "m0" not in [r.summary.text for r in pane.shown]


async def test_hub_challenge_has_a_key_on_whatsapp_and_read_only_allows_it(sandbox: EmbeddedBackend) -> None:
    from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN

    async with make_app(sandbox, read_only=True).run_test(size=(120, 40)) as pilot:
        screen = await wait_for_accounts(pilot)
        select_type(screen, AccountType.WHATSAPP)
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        await pilot.press("enter")
        await settle(pilot)
        assert "h Hub challenge" in screen_text(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press(*SEED_WHATSAPP_VERIFY_TOKEN, "enter")
        await wait_until(pilot, lambda: any(r.kind.value == "verify" for r in pane.shown))
        assert pane.shown[-1].verdict is HookVerdict.OK
        await pilot.press("escape")
        select_type(screen, AccountType.SMS)
        await pilot.press("enter")
        await settle(pilot)
        assert "Hub challenge" not in screen_text(pilot)  # only where it applies


async def test_at_80_columns_verdicts_and_the_source_are_whole(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen, account, pane = await pane_ready(pilot, AccountType.SMS)
        async with httpx.AsyncClient() as client:
            await client.post(hook_url_for(sandbox.local_hook_url, account.id), content=b"{}")
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        await settle(pilot)
        assert "✗ unsupported_account" in screen_text(pilot)


async def test_rows_from_another_day_show_their_date(sandbox: EmbeddedBackend, monkeypatch) -> None:
    from voipbin_tui.tui.widgets import inspector

    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["from the sandbox's day"])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        await settle(pilot)
        assert f"{START:%H:%M}" in screen_text(pilot) and f"{START:%m-%d}" not in screen_text(pilot)
        monkeypatch.setattr(inspector, "local_today", lambda: START.date() + timedelta(days=1))
        pane.table.refresh()
        await settle(pilot)
        assert f"{START:%m-%d} {START:%H:%M}" in screen_text(pilot)


async def test_esc_in_the_full_screen_filter_clears_it_then_leaves(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["one"])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        pane.table.focus()
        await pilot.press("f", "slash", *"on", "escape")
        await settle(pilot)
        box = pane.query_one("#inspector-filter", Input)
        assert box.value == "" and pilot.app.focused is pane.table
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen.maximized is None and pilot.app.focused is pane.table
        await pilot.press("v")  # a key, not text in a box
        assert box.value == "" and "only problems" in screen_text(pilot)


async def test_raw_bytes_are_cut_at_the_width_with_a_mark(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        screen, account, pane = await pane_ready(pilot)
        await send_messages(sandbox, account, ["words with spaces " * 6])
        await wait_until(pilot, lambda: len(pane.shown) == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestDetailScreen))
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        width = pilot.app.screen.query_one("#request-raw").content_region.width
        lines = [line[1:].rstrip() for line in screen_text(pilot).splitlines()]  # less the left padding
        start = next(i for i, line in enumerate(lines) if line.startswith("Raw bytes")) + 1
        raw = lines[start:-1]
        continued = [line for line in raw if line.endswith("↩")]
        assert len(continued) >= 3 and all(len(line) == width for line in continued)
        assert "words with spaces words with spaces" in "".join(line.removesuffix("↩") for line in raw)


async def test_following_keeps_the_newest_row_on_screen_when_the_scrollbar_appears(tmp_path: Path) -> None:
    """A backlog that needs a vertical scrollbar: the columns fit again in the narrower room (no
    horizontal bar appears and takes a line), so the newest row stays in view."""
    settings = {"clock": stepping_clock(), "new_id": sequential_ids(), "public_hook_url": PUBLIC_HOOK_URL}
    with start_embedded(tmp_path / "backlog", **settings) as backend:
        async with make_app(backend).run_test(size=(120, 40)) as pilot:
            _, account, _ = await pane_ready(pilot)
        await send_messages(backend, account, [f"row{i:02}" for i in range(30)])
        for _ in range(3):  # the layout race did not show every time
            async with make_app(backend).run_test(size=(120, 40)) as pilot:
                _, _, pane = await pane_ready(pilot)
                await wait_until(pilot, lambda pane=pane: any(r.summary.text == "row29" for r in pane.shown))
                await settle(pilot)
                assert pane.table.show_vertical_scrollbar
                assert not pane.table.show_horizontal_scrollbar
                assert "row29" in screen_text(pilot)
