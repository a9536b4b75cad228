"""The state one doctor run shares between its checks: the account, the secrets, the provider
clients, the answers several checks read (fetched once), and each check's result as it lands.

A check is an ``async`` function of a ``DoctorRun`` returning an ``Outcome``; it raises ``Skip``
when an input is missing, and awaits another check's result or a shared answer when it
depends on one, so independent calls run concurrently and dependants follow their inputs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import SecretStr

from voipbin_tui.api.graph import GraphClient
from voipbin_tui.api.hooks import HookSender
from voipbin_tui.api.line_channel import LineChannelClient
from voipbin_tui.api.models import NIL_UUID, Account
from voipbin_tui.api.provider_http import ProviderCallFailed
from voipbin_tui.connection import Connection
from voipbin_tui.doctor.report import CheckResult, CheckStatus
from voipbin_tui.doctor.secrets import DoctorSecrets
from voipbin_tui.workflows.confirmation import live_traffic_question
from voipbin_tui.workflows.hook_test import hook_test_url

EndToEnd = Literal["sign", "wait"]
WaitNotice = Callable[[str], None]
"""Tells the operator what to do while the doctor waits for a message (send one, press Test)."""

T = TypeVar("T")


class Skip(Exception):
    """The check cannot run: ``reason`` says what it needs (e.g. "needs the access token")."""

    def __init__(self, reason: str, evidence: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


@dataclass(frozen=True, slots=True)
class Outcome:
    status: CheckStatus
    summary: str
    evidence: tuple[str, ...] = ()


def passed(summary: str, *evidence: str) -> Outcome:
    return Outcome(CheckStatus.PASS, summary, evidence)


def failed(summary: str, *evidence: str) -> Outcome:
    return Outcome(CheckStatus.FAIL, summary, evidence)


def warned(summary: str, *evidence: str) -> Outcome:
    return Outcome(CheckStatus.WARN, summary, evidence)


async def caught(call: Awaitable[T]) -> T | ProviderCallFailed:
    """The answer or the failure, so that concurrent calls are all heard out."""
    try:
        return await call
    except ProviderCallFailed as exc:
        return exc


async def nothing() -> None:
    return None


@dataclass(slots=True)
class DoctorRun:
    """One run's inputs and what its checks have learnt so far."""

    connection: Connection
    account: Account
    saved: bool
    """False for a form's values not yet saved: nothing is sent to its hook."""
    secrets: DoctorSecrets
    graph: GraphClient
    line: LineChannelClient
    hook_sender: HookSender
    app_id: str | None = None
    end_to_end: EndToEnd | None = None
    time_limit: float | None = None
    on_wait: WaitNotice | None = None
    live_hook_confirmed: bool = False
    """The operator agreed to send test traffic to a live (not sandbox) hook."""
    results: dict[str, asyncio.Future[CheckResult]] = field(default_factory=dict)
    _shared: dict[str, asyncio.Task[Any]] = field(default_factory=dict)

    @property
    def hook_url(self) -> str:
        """The URL providers must call for this account (what Meta's and LINE's settings must
        say). Raises ``Skip`` for a form's account not created yet: its id, and so its hook URL,
        comes from VoIPBIN when it is saved (its ``id`` is the nil UUID until then)."""
        if not self.saved and self.account.id == NIL_UUID:
            raise Skip("needs the saved account: VoIPBIN gives its hook URL when it creates it")
        return self.connection.hook_url_for(self.account.id)

    @property
    def test_hook_url(self) -> str:
        """Where this machine's test traffic goes (the sandbox's local hook, or the live one)."""
        return hook_test_url(self.connection, self.account.id)

    def need_secret(self, name: str, what: str) -> SecretStr:
        value = self.secrets.given(name)
        if value is None:
            raise Skip(f"needs the {what}")
        return value

    def app_secret(self) -> SecretStr | None:
        return self.account.app_secret

    def may_send_to_hook(self) -> None:
        """Raise ``Skip`` unless test traffic may go to this account's hook."""
        if not self.saved:
            raise Skip("needs the saved account: its hook knows only saved values")
        live = live_traffic_question(self.connection, self.test_hook_url)
        if live is not None and not self.live_hook_confirmed:
            raise Skip(f"not sent: sending to the live hook {live.url} was not confirmed")

    def shared(self, key: str, fetch: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """An answer several checks read, fetched once (by whichever check asks first)."""
        task = self._shared.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._shared[key] = task
        return asyncio.shield(task)

    async def result(self, check_id: str) -> CheckResult | None:
        """Another check's result once it is in; None when it is not part of this report."""
        future = self.results.get(check_id)
        return await asyncio.shield(future) if future is not None else None

    async def cancel_shared(self) -> None:
        for task in self._shared.values():
            task.cancel()
        await asyncio.gather(*self._shared.values(), return_exceptions=True)
