"""The inspector pane and request detail as users see them (deterministic fixture traffic)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot

from tests.conftest import FIXTURES
from tests.secrets_scan import stored_secrets_by_kind
from tests.tui.conftest import make_app, settle, wait_for_accounts, wait_until
from voipbin_tui.api.hooks import hook_url_for
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.protocols import sign_hub_signature
from voipbin_tui.tui.screens.request import RequestDetailScreen

pytestmark = pytest.mark.slow  # each draws the app and compares SVGs

PUBLIC_HOST = "hook.sandbox.example"
"""What providers would send as Host through the public URL (and no random port in pictures)."""
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def batch_body() -> bytes:
    """Two entries, each with a change holding a message and a status: four items in one POST."""
    message = json.loads(fixture("whatsapp/text-message.json"))
    status = json.loads(fixture("whatsapp/status-failed.json"))
    entries = []
    for index in range(2):
        value = json.loads(json.dumps(message["entry"][0]["changes"][0]["value"]))
        value["messages"][0]["id"] = f"wamid.batch{index}"
        value["messages"][0]["text"]["body"] = f"batched message {index}"
        value["statuses"] = status["entry"][0]["changes"][0]["value"]["statuses"]
        entries.append({"id": "102290129340398", "changes": [{"field": "messages", "value": value}]})
    return json.dumps({"object": "whatsapp_business_account", "entry": entries}, separators=(",", ":")).encode()


def traffic(backend: EmbeddedBackend, data_dir: Path) -> list[tuple[str, bytes, dict[str, str]]]:
    """(account type, body, headers) for one request of each verdict."""
    app_secret = stored_secrets_by_kind(data_dir)["app_secret"][0]
    signed = lambda body: {"X-Hub-Signature-256": sign_hub_signature(app_secret, body)}  # noqa: E731
    text = fixture("whatsapp/text-message.json")
    return [
        ("whatsapp", text, signed(text)),
        ("whatsapp", text, signed(text)),  # the same wamid again: duplicate
        ("whatsapp", text, {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        ("whatsapp", text, {}),
        ("whatsapp", fixture("whatsapp/status-sent.json"), signed(fixture("whatsapp/status-sent.json"))),
        ("whatsapp", fixture("whatsapp/dashboard-test.json"), signed(fixture("whatsapp/dashboard-test.json"))),
        ("whatsapp", b"{not json", signed(b"{not json")),
        ("whatsapp", batch_body(), signed(batch_body())),
        ("line", fixture("line/text-message.json"), {}),
    ]


def post_traffic(backend: EmbeddedBackend, data_dir: Path, accounts: dict[str, str], count: int | None = None) -> None:
    with httpx.Client() as client:
        for kind, body, headers in traffic(backend, data_dir)[:count]:
            response = client.post(
                hook_url_for(backend.local_hook_url, accounts[kind]),
                content=body,
                headers={"Host": PUBLIC_HOST, "Content-Type": "application/json", **headers},
            )
            assert response.status_code == 200


def account_ids(screen) -> dict[str, str]:
    return {str(account.type): str(account.id) for account in screen.index.shown}


def with_traffic(backend: EmbeddedBackend, data_dir: Path, *keys: str, count: int | None = None):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_accounts(pilot)
        pane = screen.inspector
        await wait_until(pilot, lambda: pane.connected)
        post_traffic(backend, data_dir, account_ids(screen), count)
        pane.table.focus()
        await pilot.press("a")  # every account
        expected = len(traffic(backend, data_dir)[:count])
        await wait_until(pilot, lambda: len(pane.shown) == expected)
        await pilot.press(*keys)
        await settle(pilot)
        if isinstance(pilot.app.screen, RequestDetailScreen):
            await wait_until(pilot, lambda: pilot.app.screen.request.body is not None)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_pane_every_verdict(snap_compare, sandbox: EmbeddedBackend, tmp_path: Path, size) -> None:
    run_before = with_traffic(sandbox, tmp_path / "sandbox")
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pane_full_screen_only_problems(snap_compare, sandbox: EmbeddedBackend, tmp_path: Path, size) -> None:
    run_before = with_traffic(sandbox, tmp_path / "sandbox", "f", "v")
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)


def test_pane_scrolled_up_with_new_arrivals(snap_compare, sandbox: EmbeddedBackend, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"

    async def run_before(pilot: Pilot) -> None:
        await with_traffic(sandbox, data_dir, "up", "up", count=3)(pilot)
        screen = pilot.app.screen
        with httpx.Client() as client:
            text = fixture("whatsapp/status-failed.json")
            for _ in range(2):
                client.post(
                    hook_url_for(sandbox.local_hook_url, account_ids(screen)["whatsapp"]),
                    content=text,
                    headers={"Host": PUBLIC_HOST},
                )
        await wait_until(pilot, lambda: len(screen.inspector.shown) == 5)
        await settle(pilot)

    assert snap_compare(make_app(sandbox), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize(
    ("name", "row"),
    [("good_message", 0), ("bad_signature", 2), ("batch", 7), ("line_event", 8)],
)
@pytest.mark.parametrize("size", SIZES)
def test_request_detail(snap_compare, sandbox: EmbeddedBackend, tmp_path: Path, name: str, row: int, size) -> None:
    ups = ["up"] * (8 - row)
    run_before = with_traffic(sandbox, tmp_path / "sandbox", *ups, "enter")
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=run_before)
