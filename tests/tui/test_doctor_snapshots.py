"""The doctor's report as users see it, at 80x24 and 120x40: every check passing on the seeded
WhatsApp account, and failing where the emulated Meta app's callback points elsewhere and the
account holds another app's secret (look at each SVG before accepting it).

The clocks and the test message's random sender are held still, so "Done in" and "arrived
after" read the same in every run; the evidence shown is one without times or random values in
it (Meta's debug_token answer).
"""

from __future__ import annotations

import asyncio
import secrets as random_tokens
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot

from tests.tui.conftest import make_app, select_type, settle, wait_for_accounts, wait_until
from tests.tui.test_account_flows import paste_into
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import SEED_WHATSAPP_ACCESS_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.doctor import hook_checks
from voipbin_tui.tui.screens import doctor as doctor_screen
from voipbin_tui.tui.screens.choice import ChoiceScreen
from voipbin_tui.tui.screens.doctor import DoctorReportScreen
from voipbin_tui.tui.screens.prompt import PromptScreen

pytestmark = pytest.mark.slow  # each runs the doctor in the app and compares SVGs

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(autouse=True)
def still_clocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(doctor_screen, "monotonic", lambda: 100.0)
    monkeypatch.setattr(hook_checks, "time", SimpleNamespace(monotonic=lambda: 100.0))
    steady = SimpleNamespace(randbelow=lambda below: 0, token_hex=lambda size: "00" * size)
    monkeypatch.setattr(hook_checks, "random_tokens", steady)  # the test message's sender and text
    yield


def run_report(*, token: str, verify_token: str = "", end_to_end: str = "n", keys: tuple[str, ...] = ()):
    """Open the report on the seeded WhatsApp account, answer its questions, wait for the end."""

    async def run_before(pilot: Pilot) -> None:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await paste_into(pilot, "#prompt-token", token)
        if verify_token:
            await paste_into(pilot, "#prompt-verify_token", verify_token)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await pilot.press(end_to_end)
        screen = pilot.app.screen
        assert isinstance(screen, DoctorReportScreen)
        await wait_until(pilot, lambda: screen.finished, timeout=20)
        screen.checks.focus()
        await pilot.press(*keys)
        await settle(pilot)
        await pilot.pause(0.1)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_report_all_pass(snap_compare, sandbox: EmbeddedBackend, size) -> None:
    steps = run_report(token=SEED_WHATSAPP_ACCESS_TOKEN, verify_token=SEED_WHATSAPP_VERIFY_TOKEN, end_to_end="s")
    assert snap_compare(make_app(sandbox), terminal_size=size, run_before=steps)


def test_report_evidence(snap_compare, sandbox: EmbeddedBackend) -> None:
    steps = run_report(token=SEED_WHATSAPP_ACCESS_TOKEN, keys=("down", "down", "down", "down", "enter"))
    assert snap_compare(make_app(sandbox), terminal_size=(80, 24), run_before=steps)


@pytest.fixture
def misconfigured(sandbox: EmbeddedBackend) -> EmbeddedBackend:
    """The Meta app's callback points elsewhere, and the account holds another app's secret."""

    async def misconfigure() -> None:
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            await SandboxProviders(client).set({"meta.app_callback_url": "https://elsewhere.example/webhook"})
            account = next(a for a in await client.list_accounts() if a.type == AccountType.WHATSAPP)
            other_app = AccountDraft.from_account(account).model_copy(
                update={"app_secret": SecretStr(random_tokens.token_hex(16))}
            )
            await client.update_account(account, other_app)

    asyncio.run(misconfigure())
    return sandbox


@pytest.mark.parametrize("size", SIZES)
def test_report_with_failures(snap_compare, misconfigured: EmbeddedBackend, size) -> None:
    steps = run_report(token=SEED_WHATSAPP_ACCESS_TOKEN, keys=("down",) * 6)
    assert snap_compare(make_app(misconfigured), terminal_size=size, run_before=steps)
