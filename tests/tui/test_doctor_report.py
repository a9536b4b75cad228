"""The account doctor's report screen on the sandbox (its emulated Meta included): k opens it on
the list and the detail, it asks for the secrets and never keeps them, rows fill in as checks
finish, enter shows the evidence, esc stops a run, and the form checks before saving."""

from __future__ import annotations

import asyncio
import logging
import secrets as random_tokens
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr
from textual.widgets import Input

from tests.helpers import sandbox_connection
from tests.tui.conftest import (
    accounts_screen,
    make_app,
    screen_text,
    select_type,
    settle,
    wait_for_accounts,
    wait_until,
)
from tests.tui.test_account_flows import choose, paste_into, type_into
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import (
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_PHONE_NUMBER_ID,
    SEED_WHATSAPP_ACCESS_TOKEN,
    SEED_WHATSAPP_APP_SECRET,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.config import RemoteTarget
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckStatus, planned_checks, runner
from voipbin_tui.doctor.context import DoctorRun, Outcome
from voipbin_tui.tui.app import VoipbinApp
from voipbin_tui.tui.screens.choice import ChoiceScreen
from voipbin_tui.tui.screens.confirm import ConfirmScreen
from voipbin_tui.tui.screens.detail import AccountDetailScreen
from voipbin_tui.tui.screens.doctor import DoctorReportScreen
from voipbin_tui.tui.screens.form import AccountFormScreen
from voipbin_tui.tui.screens.prompt import PromptScreen

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP
SEEDED_SECRETS = (SEED_WHATSAPP_ACCESS_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN, SEED_WHATSAPP_APP_SECRET)


def report(pilot) -> DoctorReportScreen:
    screen = pilot.app.screen
    assert isinstance(screen, DoctorReportScreen), screen
    return screen


async def open_report(pilot, key: str = "k") -> DoctorReportScreen:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
    await pilot.pause()
    return next(screen for screen in pilot.app.screen_stack if isinstance(screen, DoctorReportScreen))


async def give_secrets(pilot, token: str = "", verify_token: str = "", end_to_end: str = "n") -> DoctorReportScreen:
    """Answer the secrets dialog (empty skips) and the end-to-end question, then wait for the run."""
    if token:
        await paste_into(pilot, "#prompt-token", token)
    if verify_token:
        await paste_into(pilot, "#prompt-verify_token", verify_token)
    pilot.app.screen.query_one("#prompt-token", Input).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
    await pilot.press(end_to_end)
    screen = report(pilot)
    await wait_until(pilot, lambda: screen.finished, timeout=20)
    await pilot.pause()
    return screen


def statuses(screen: DoctorReportScreen) -> dict[str, CheckStatus]:
    return {check_id: result.status for check_id, result in screen.results.items()}


def assert_holds_no_secret(pilot, screen: DoctorReportScreen, secrets: tuple[str, ...]) -> None:
    """Not on the screen object, not drawn, not in the evidence, not in a toast."""
    held = repr(vars(screen)) + repr(screen.results)
    shown = screen_text(pilot) + "".join(n.message for n in pilot.app._notifications)
    evidence = " ".join(line for result in screen.results.values() for line in (result.summary, *result.evidence))
    for secret in secrets:
        assert secret not in held and secret not in shown and secret not in evidence, f"{secret[:4]}… kept or shown"


async def test_k_lists_every_check_asks_for_the_secrets_and_fills_the_rows(
    sandbox: EmbeddedBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_app(sandbox).run_test(size=(120, 40), notifications=True) as pilot:
        account = select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        screen = await open_report(pilot)
        planned = [check.id for check in planned_checks(AccountType.WHATSAPP)]
        assert [option.id for option in screen.checks.options] == planned  # all listed at once
        assert screen.results == {} and "waits for the secrets" in screen_text(pilot)
        dialog = pilot.app.screen
        assert [field.password for field in dialog.query(Input).results(Input)] == [True, True]
        assert "Meta access token" in screen_text(pilot)

        screen = await give_secrets(pilot, SEED_WHATSAPP_ACCESS_TOKEN, SEED_WHATSAPP_VERIFY_TOKEN, end_to_end="s")
        assert list(screen.results)[0] == "voipbin.account"
        assert statuses(screen) == dict.fromkeys(planned, PASS), screen.results
        text = screen_text(pilot)
        assert "✓ pass" in text and "Done in" in text and "12 passed, 0 failed" in text
        assert "arrived in VoIPBIN after" in screen.results["end_to_end"].summary
        assert screen.account.id == account.id
        assert_holds_no_secret(pilot, screen, SEEDED_SECRETS)
    assert caplog.records and not [secret for secret in SEEDED_SECRETS if secret in caplog.text]


async def test_a_secret_left_empty_skips_what_needs_it_saying_so(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        await open_report(pilot)
        screen = await give_secrets(pilot)
        for check_id in ("meta.token", "meta.app_secret", "meta.webhook_url", "meta.subscription"):
            assert screen.results[check_id].status is SKIP
            assert screen.results[check_id].summary == "needs the access token"
        assert screen.results["hook.verify_token"].summary == "needs the verify token"
        assert screen.results["end_to_end"].status is SKIP and "not asked for" in screen.results["end_to_end"].summary
        assert screen.results["whatsapp.app_secret_shape"].status is PASS
        assert "- skip" in screen_text(pilot)


async def test_esc_in_the_secrets_dialog_closes_the_report(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        await open_report(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: pilot.app.screen is accounts_screen(pilot))


async def test_enter_shows_the_highlighted_checks_evidence_and_esc_hides_it_then_leaves(
    sandbox: EmbeddedBackend,
) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        await pilot.press("enter")  # the detail has the key too
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))
        await open_report(pilot)
        screen = await give_secrets(pilot, SEED_WHATSAPP_ACCESS_TOKEN)
        row = [check.id for check in screen.plan].index("meta.token")
        screen.checks.focus()
        await pilot.press(*["down"] * row, "enter")
        await settle(pilot)
        assert screen.evidence_shown
        shown = str(screen.query_one("#doctor-evidence-text").render())
        assert "meta.token" in shown and "debug_token?input_token=[redacted]" in shown
        assert SEED_WHATSAPP_ACCESS_TOKEN not in shown
        await pilot.press("up")  # the panel follows the highlight
        await settle(pilot)
        assert "whatsapp.app_secret_shape" in str(screen.query_one("#doctor-evidence-text").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.evidence_shown and pilot.app.screen is screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountDetailScreen))


async def test_a_wrong_app_secret_and_a_callback_elsewhere_fail_and_say_why(sandbox: EmbeddedBackend) -> None:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        providers = SandboxProviders(client)
        await providers.set({"meta.app_callback_url": "https://elsewhere.example/webhook"})
        try:
            async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
                account = select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
                draft = AccountDraft.from_account(account).model_copy(
                    update={"app_secret": SecretStr(random_tokens.token_hex(16))}
                )
                await client.update_account(account, draft)
                await open_report(pilot)
                screen = await give_secrets(pilot, SEED_WHATSAPP_ACCESS_TOKEN)
                assert screen.results["meta.app_secret"].status is FAIL
                assert "not the token's app's" in screen.results["meta.app_secret"].summary
                assert screen.results["meta.webhook_url"].status is FAIL
                assert "elsewhere.example" in screen.results["meta.webhook_url"].summary
                text = screen_text(pilot)
                assert "✗ fail" in text and "2 failed" in text
        finally:
            await providers.reset()


async def test_waiting_says_what_to_do_counts_the_seconds_and_esc_stops_it(
    sandbox: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message that never comes (the run is stuck in end_to_end): esc leaves at once and the
    check is cancelled, not left running behind the list."""
    stopped = asyncio.Event()

    async def never_arrives(run: DoctorRun) -> Outcome:
        assert run.on_wait is not None
        run.on_wait("send a WhatsApp message from a phone to +1 555-078-3881; waiting up to 120 s")
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()
        raise AssertionError("not reached")

    monkeypatch.setitem(runner.CHECK_FUNCTIONS, "end_to_end", never_arrives)
    async with make_app(sandbox).run_test(size=(80, 24), notifications=True) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        screen = await open_report(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await pilot.press("w")
        await wait_until(pilot, lambda: len(screen.results) == len(screen.plan) - 1)
        await wait_until(pilot, lambda: "1 s so far" in screen_text(pilot), timeout=3)
        assert "send a WhatsApp message from a phone to +1 555-078-3881" in screen_text(pilot)
        planned = len(screen.plan)
        assert f"Running… {planned - 1} of {planned} checks done" in str(screen.query_one("#doctor-status").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: pilot.app.screen is accounts_screen(pilot))
        await asyncio.wait_for(stopped.wait(), 2)
        assert not [worker for worker in pilot.app.workers if worker.group == "doctor"]
        assert not [n for n in pilot.app._notifications if n.severity == "error"]


async def test_the_form_checks_what_is_typed_before_saving(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for_accounts(pilot)
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            before = len(await client.list_accounts())
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AccountFormScreen))
        form = pilot.app.screen
        await choose(pilot, "#input-type", AccountType.WHATSAPP)
        await type_into(pilot, "#input-name", "Checked first")
        await paste_into(pilot, "#input-token", SEED_WHATSAPP_ACCESS_TOKEN)
        await paste_into(pilot, "#input-secret", SEED_WHATSAPP_VERIFY_TOKEN)
        await paste_into(pilot, "#input-phone_number_id", SEED_PHONE_NUMBER_ID)
        await paste_into(pilot, "#input-app_secret", SEED_WHATSAPP_APP_SECRET)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DoctorReportScreen))
        screen = report(pilot)
        await wait_until(pilot, lambda: screen.finished, timeout=20)  # nothing asked: the form's secrets
        await pilot.pause()
        assert "Check before saving" in screen_text(pilot)
        found = statuses(screen)
        assert found["voipbin.account"] is SKIP and "not saved yet" in screen.results["voipbin.account"].summary
        for check_id in ("meta.token", "meta.phone_number", "meta.app_secret", "meta.health", "meta.subscription"):
            assert found[check_id] is PASS, screen.results[check_id]
        for check_id in ("meta.webhook_url", "hook.verify_token", "end_to_end"):
            assert found[check_id] is SKIP and "saved" in screen.results[check_id].summary
        assert_holds_no_secret(pilot, screen, SEEDED_SECRETS)
        await pilot.press("escape")
        await wait_until(pilot, lambda: pilot.app.screen is form)
        assert form.query_one("#input-token", Input).value == SEED_WHATSAPP_ACCESS_TOKEN  # nothing lost
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            assert len(await client.list_accounts()) == before  # checked, not saved


async def test_read_only_on_the_sandbox_offers_no_end_to_end(sandbox: EmbeddedBackend) -> None:
    """Signing posts to the hook and, on the sandbox, waiting has the emulated provider post:
    read-only asks neither, and the row says it was not asked for."""
    async with make_app(sandbox, read_only=True).run_test(size=(80, 24)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        screen = await open_report(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.finished, timeout=20)
        assert not any(isinstance(s, ChoiceScreen) for s in pilot.app.screen_stack)
        assert screen.results["end_to_end"].status is SKIP


@pytest.mark.parametrize("answer", ["n", "y"])
async def test_test_traffic_to_a_live_hook_is_asked_about_first(sandbox: EmbeddedBackend, answer: str) -> None:
    """On a profile (not the sandbox) the hub challenge goes to the live hook only after a yes;
    a no still runs every other check, and the row says what was not sent."""

    @asynccontextmanager
    async def live_profile():
        async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
            local = sandbox_connection(sandbox, client)
            target = RemoteTarget(sandbox.api_url, sandbox.hook_url, sandbox.accesskey, None, "prod", None)
            yield Connection(
                client, target, sandbox.hook_url, None, None, sandbox.local_hook_url, providers=local.providers
            )

    async with VoipbinApp(live_profile).run_test(size=(120, 40)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        screen = await open_report(pilot)
        await paste_into(pilot, "#prompt-verify_token", SEED_WHATSAPP_VERIFY_TOKEN)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await pilot.press("n")  # no end to end: only the hub challenge would send
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "live hook" in screen_text(pilot)
        await pilot.press(answer)
        await wait_until(pilot, lambda: screen.finished, timeout=20)
        verify = screen.results["hook.verify_token"]
        if answer == "y":
            assert verify.status is PASS, verify
        else:
            assert verify.status is SKIP and "was not confirmed" in verify.summary
        assert screen.results["voipbin.flow"].status is PASS


async def test_waiting_on_the_sandbox_its_emulated_meta_sends_the_message(sandbox: EmbeddedBackend) -> None:
    async with make_app(sandbox).run_test(size=(80, 24)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.WHATSAPP)
        await open_report(pilot)
        screen = await give_secrets(pilot, SEED_WHATSAPP_ACCESS_TOKEN, end_to_end="w")
        end_to_end = screen.results["end_to_end"]
        assert end_to_end.status is PASS, end_to_end
        assert any(line.startswith("the emulated meta sent a signed message") for line in end_to_end.evidence), (
            end_to_end
        )
        assert not screen.query_one("#doctor-waiting").has_class("-visible")  # the notice went with the wait


async def test_a_line_account_asks_for_its_token_and_channel_secret_and_r_runs_again(
    sandbox: EmbeddedBackend,
) -> None:
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.LINE)
        screen = await open_report(pilot)
        prompt = pilot.app.screen
        assert [widget.id for widget in prompt.query(Input)] == ["prompt-token", "prompt-channel_secret"]
        await paste_into(pilot, "#prompt-token", SEED_LINE_CHANNEL_TOKEN)
        await paste_into(pilot, "#prompt-channel_secret", SEED_LINE_CHANNEL_SECRET)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.finished, timeout=20)
        for check_id in ("line.token", "line.channel_secret", "line.webhook_url", "line.webhook_active"):
            assert screen.results[check_id].status is PASS, screen.results[check_id]
        assert_holds_no_secret(pilot, screen, (SEED_LINE_CHANNEL_TOKEN, SEED_LINE_CHANNEL_SECRET))
        screen.checks.focus()
        await pilot.press("r")  # asks again: nothing was kept to run with
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        assert pilot.app.screen.query_one("#prompt-token", Input).value == ""
        assert not screen.finished and screen.results == {}


async def test_the_palette_offers_the_check_and_an_sms_account_runs_without_questions(
    sandbox: EmbeddedBackend,
) -> None:
    """SMS needs no secret and has no hook: nothing is asked, VoIPBIN's own checks run."""
    async with make_app(sandbox).run_test(size=(120, 40)) as pilot:
        select_type(await wait_for_accounts(pilot), AccountType.SMS)
        await pilot.press("ctrl+p", *"check selected")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DoctorReportScreen))
        screen = report(pilot)
        await wait_until(pilot, lambda: screen.finished, timeout=20)
        assert list(screen.results) == [check.id for check in planned_checks(AccountType.SMS)]
        assert not any(isinstance(s, PromptScreen | ChoiceScreen) for s in pilot.app.screen_stack)
