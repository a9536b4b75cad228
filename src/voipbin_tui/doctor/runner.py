"""Run an account's checks: all at once, each waiting only for its own inputs, and hand each
result over as it lands (a report screen fills in; the CLI prints in display order).

Every summary and evidence line passes one redaction of the secrets in play (the typed ones
and the stored app secret) before it leaves, on top of the provider clients' own.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from traceback import format_exception
from uuid import UUID

import httpx

from voipbin_tui.api.client import tls_verification
from voipbin_tui.api.errors import NotFound, ReadOnlyRefused, VoipbinError
from voipbin_tui.api.graph import GraphClient
from voipbin_tui.api.line_channel import LineChannelClient
from voipbin_tui.api.models import Account
from voipbin_tui.api.provider_http import (
    ProviderCallFailed,
    ProviderHttp,
    ProviderRateLimited,
    ProviderUnreachable,
    provider_client,
    redact_text,
)
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import hook_checks, line_checks, meta_checks, voipbin_checks
from voipbin_tui.doctor.catalogue import CHECKS, planned_checks
from voipbin_tui.doctor.context import DoctorRun, EndToEnd, Outcome, Skip, WaitNotice
from voipbin_tui.doctor.report import CheckResult, CheckStatus
from voipbin_tui.doctor.secrets import DoctorSecrets
from voipbin_tui.terminal_text import one_line

__all__ = ["EndToEnd", "run_checks"]

log = logging.getLogger(__name__)

Check = Callable[[DoctorRun], Awaitable[Outcome]]

CHECK_FUNCTIONS: dict[str, Check] = {
    "voipbin.flow": voipbin_checks.check_flow,
    "whatsapp.phone_number_id": voipbin_checks.check_phone_number_id,
    "whatsapp.app_secret_shape": voipbin_checks.check_app_secret_shape,
    "meta.token": meta_checks.check_token,
    "meta.phone_number": meta_checks.check_phone_number,
    "meta.app_secret": meta_checks.check_app_secret,
    "meta.health": meta_checks.check_health,
    "meta.webhook_url": meta_checks.check_webhook_url,
    "meta.subscription": meta_checks.check_subscription,
    "hook.verify_token": hook_checks.check_verify_token,
    "line.token": line_checks.check_token,
    "line.channel_secret": line_checks.check_channel_secret,
    "line.webhook_url": line_checks.check_webhook_url,
    "line.webhook_active": line_checks.check_webhook_active,
    "line.webhook_test": line_checks.check_webhook_test,
    "end_to_end": hook_checks.check_end_to_end,
}
"""Every check but ``voipbin.account``, which the runner makes itself (all others need the account)."""


async def run_checks(
    connection: Connection,
    subject: UUID | str | Account,
    secrets: DoctorSecrets,
    *,
    app_id: str | None = None,
    end_to_end: EndToEnd | None = None,
    time_limit: float | None = None,
    on_wait: WaitNotice | None = None,
    live_hook_confirmed: bool = False,
    http: httpx.AsyncClient | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Yield each check's result as it finishes, ``voipbin.account`` first.

    ``subject`` is a saved account's id (read from VoIPBIN), or an ``Account`` holding a form's
    values not saved yet (nothing is sent to a hook for it). ``secrets`` are what VoIPBIN never
    returns; a check that needs one not given is skipped, saying so. ``end_to_end`` sends a
    signed test message (``"sign"``) or waits for a real one (``"wait"``, told to the operator
    through ``on_wait``), within ``time_limit`` seconds. Test traffic goes to a live (not
    sandbox) hook only with ``live_hook_confirmed``.
    """
    started = time.monotonic()
    hidden = list(secrets.values())
    account, first = await _account(connection, subject)
    if account is not None and account.app_secret is not None:
        hidden.append(account.app_secret.get_secret_value())
    yield _redacted(first, hidden)
    plan = [check for check in planned_checks(account.type if account is not None else None)]
    rest = [check for check in plan if check.id != "voipbin.account"]
    if account is None:
        for check in rest:
            reason = "needs the account (see voipbin.account)"
            yield CheckResult(check.id, check.title, CheckStatus.SKIP, reason)
        return
    providers = connection.providers
    ssl_context = await _tls_for(providers.graph_base, providers.line_base, connection.test_hook_base_url)
    shared_http = http or provider_client(verify=ssl_context)
    graph_http = ProviderHttp(providers.graph_base, hidden=hidden, http=shared_http)
    line_http = ProviderHttp(providers.line_base, hidden=hidden, http=shared_http)
    async with connection.hook_sender(transport=httpx.AsyncHTTPTransport(verify=ssl_context)) as hook_sender:
        run = DoctorRun(
            connection=connection,
            account=account,
            saved=not isinstance(subject, Account),
            secrets=secrets,
            graph=GraphClient(graph_http, providers.graph_version),
            line=LineChannelClient(line_http),
            hook_sender=hook_sender,
            app_id=app_id.strip() if app_id else None,
            end_to_end=end_to_end,
            time_limit=time_limit,
            on_wait=on_wait,
            live_hook_confirmed=live_hook_confirmed,
        )
        loop = asyncio.get_running_loop()
        run.results = {check.id: loop.create_future() for check in rest}
        tasks = [asyncio.ensure_future(_run_one(run, check.id, check.title, hidden)) for check in rest]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await run.cancel_shared()
            if http is None:
                await shared_http.aclose()
    log.debug("doctor: %d checks in %.2f s", len(plan), time.monotonic() - started)


async def _tls_for(*urls: str) -> ssl.SSLContext:
    """One TLS context for every client of the run: loading the CA bundle takes a tenth of a
    second, so it is loaded once, off the event loop, and only when some URL is https (for
    plain-http ones, the sandbox's, the client's rule gives a context that trusts nothing)."""
    verifications = [tls_verification(url) for url in urls]
    if all(isinstance(verification, ssl.SSLContext) for verification in verifications):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return await asyncio.to_thread(httpx.create_ssl_context)


async def _account(connection: Connection, subject: UUID | str | Account) -> tuple[Account | None, CheckResult]:
    title = CHECKS["voipbin.account"].title
    started = time.monotonic()
    if isinstance(subject, Account):
        outcome = voipbin_checks.account_outcome(subject, saved=False)
        return subject, _result("voipbin.account", title, outcome, started)
    try:
        account = await connection.client.get_account(subject)
    except NotFound as exc:
        outcome = Outcome(
            CheckStatus.FAIL, f"VoIPBIN has no account {subject}: check the id (accounts list)", (str(exc),)
        )
        return None, _result("voipbin.account", title, outcome, started)
    except VoipbinError as exc:
        outcome = Outcome(CheckStatus.FAIL, f"VoIPBIN did not give the account: {exc}", ())
        return None, _result("voipbin.account", title, outcome, started)
    return account, _result("voipbin.account", title, voipbin_checks.account_outcome(account, saved=True), started)


async def _run_one(run: DoctorRun, check_id: str, title: str, hidden: list[str]) -> CheckResult:
    started = time.monotonic()
    try:
        outcome = await CHECK_FUNCTIONS[check_id](run)
    except Skip as skip:
        outcome = Outcome(CheckStatus.SKIP, skip.reason, skip.evidence)
    except ProviderRateLimited as exc:
        outcome = Outcome(CheckStatus.SKIP, f"not checked: {exc}", exc.exchange.lines())
    except ProviderUnreachable as exc:
        outcome = Outcome(CheckStatus.FAIL, f"{exc}: run the check again when it answers", exc.exchange.lines())
    except ProviderCallFailed as exc:
        outcome = Outcome(CheckStatus.FAIL, f"unexpected answer: {exc}", exc.exchange.lines())
    except ReadOnlyRefused as exc:
        outcome = Outcome(CheckStatus.SKIP, f"not sent: {exc}")
    except VoipbinError as exc:
        outcome = Outcome(CheckStatus.FAIL, str(exc))
    except Exception as exc:  # a bug in one check must not take the report down
        # the traceback, not just the exception, redacted: a bug's message may quote a secret
        log.error("doctor check %s failed:\n%s", check_id, redact_text("".join(format_exception(exc)), hidden))
        outcome = Outcome(CheckStatus.FAIL, f"the check itself failed ({type(exc).__name__}): please report it")
    result = _redacted(_result(check_id, title, outcome, started), hidden)
    future = run.results[check_id]
    if not future.done():
        future.set_result(result)
    return result


def _result(check_id: str, title: str, outcome: Outcome, started: float) -> CheckResult:
    return CheckResult(
        id=check_id,
        title=title,
        status=outcome.status,
        summary=outcome.summary,
        evidence=outcome.evidence,
        elapsed=time.monotonic() - started,
    )


def _redacted(result: CheckResult, hidden: list[str]) -> CheckResult:
    """The result with every secret value hidden and each line made safe for one terminal line."""
    return CheckResult(
        id=result.id,
        title=result.title,
        status=result.status,
        summary=one_line(redact_text(result.summary, hidden)),
        evidence=tuple(one_line(redact_text(line, hidden)) for line in result.evidence),
        elapsed=result.elapsed,
    )
