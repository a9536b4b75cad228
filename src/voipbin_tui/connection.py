"""Open a ready client for a target: start the embedded sandbox, or log in to VoIPBIN.

The one place that turns a resolved ``Target`` into a live ``VoipbinClient``; the CLI and the
TUI both come through here, so they reach the sandbox and live VoIPBIN the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import httpx
from pydantic import SecretStr

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.config import ConfigError, Environment, ProviderBases, RemoteTarget, SandboxTarget, Target

if TYPE_CHECKING:  # the feed and the hook sender load when first used: most commands need neither
    from voipbin_tui.api.feed import FeedClient
    from voipbin_tui.api.hooks import HookSender
    from voipbin_tui.backend.service import SandboxLease

PasswordPrompt = Callable[[str], str]


class SandboxUnavailable(VoipbinError):
    """The data dir's sandbox backend can neither be used nor started (one line says why)."""


@dataclass(slots=True)
class Connection:
    """A logged-in client plus where this target's hooks and captured-traffic feed live."""

    client: VoipbinClient
    target: Target
    hook_base_url: str
    """Where providers must post (shown to the user, pasted into Meta's dashboard)."""
    inspector_url: str | None
    feed_accesskey: SecretStr | None
    local_hook_base_url: str | None = None
    """Where test traffic from this machine is delivered, if not ``hook_base_url``."""
    hook_url_derived: bool = False
    """Nobody gave the hook URL: it was derived from the API URL."""
    owns_sandbox: bool = False
    """This process started the sandbox backend: its hook listens only while this process runs."""
    sandbox_owner_pid: int | None = None
    """The process whose sandbox backend this connection uses."""
    notices: tuple[str, ...] = ()
    """What the user should be told once (e.g. the sandbox's port was taken)."""
    inspector_key_hint: str | None = None
    """How to give the feed its key, for when the relay refuses the one sent (or none)."""
    providers: ProviderBases = ProviderBases()
    """Where the account doctor reaches Meta's Graph API and LINE's API (on the sandbox: its emulation)."""
    backend_url: str | None = None
    """The sandbox backend's origin (its control API lives there); None on live VoIPBIN."""

    @property
    def test_hook_base_url(self) -> str:
        return self.local_hook_base_url or self.hook_base_url

    @property
    def is_sandbox(self) -> bool:
        return isinstance(self.target, SandboxTarget)

    def hook_url_for(self, account_id: UUID | str) -> str:
        """The callback URL to paste into Meta's App Dashboard for this account."""
        from voipbin_tui.api.hooks import hook_url_for

        return hook_url_for(self.hook_base_url, account_id)

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    def make_read_only(self) -> None:
        """From now on the client refuses every change; feed clients and hook senders made
        afterwards refuse replays and test messages. There is no way back."""
        self.client.read_only = True

    def feed_client(self) -> FeedClient | None:
        """A client of this target's captured-traffic feed (``None`` when it has none), with
        its own key and the connection's read-only gate."""
        if self.inspector_url is None:
            return None
        from voipbin_tui.api.feed import FeedClient

        return FeedClient(self.inspector_url, accesskey=self.feed_accesskey, read_only=self.read_only)

    def hook_sender(self, *, transport: httpx.AsyncBaseTransport | None = None) -> HookSender:
        """Sends provider-shaped traffic; a read-only connection's refuses test messages."""
        from voipbin_tui.api.hooks import HookSender

        return HookSender(read_only=self.read_only, transport=transport)


def start_sandbox_early(target: SandboxTarget) -> Future[SandboxLease]:
    """Find or start the data dir's sandbox backend on a thread right away, so that it gets
    ready while the caller is still importing and drawing the TUI."""
    started: Future[SandboxLease] = Future()

    def start() -> None:
        try:
            from voipbin_tui.backend.runtime import BackendStartError  # the one entry into backend/
            from voipbin_tui.backend.service import acquire_sandbox

            try:
                started.set_result(acquire_sandbox(target.data_dir, port=target.port))
            except BackendStartError as exc:
                raise SandboxUnavailable(str(exc)) from None
        except BaseException as exc:  # handed to whoever awaits the backend
            started.set_exception(exc)

    threading.Thread(target=start, name="voipbin-sandbox-start", daemon=True).start()
    return started


def connection_opener(
    target: Target, *, password_prompt: PasswordPrompt | None = None, read_only: bool = False
) -> Callable[[], AbstractAsyncContextManager[Connection]]:
    """What the TUI connects with, and again with R after a failed start. A sandbox is looked
    for (or started) at once, on a thread; a retry looks again rather than repeating the first
    answer, so a backend that was in the way (a relay, one not answering) can be stopped meanwhile."""
    early = [start_sandbox_early(target)] if isinstance(target, SandboxTarget) else []

    def opener() -> AbstractAsyncContextManager[Connection]:
        return open_connection(
            target, password_prompt=password_prompt, sandbox=early.pop() if early else None, read_only=read_only
        )

    return opener


@asynccontextmanager
async def open_connection(
    target: Target,
    *,
    password_prompt: PasswordPrompt | None = None,
    env: Environment | None = None,
    sandbox: Future[SandboxLease] | None = None,
    read_only: bool = False,
) -> AsyncIterator[Connection]:
    """Yield a ready connection. A sandbox backend this process started stops on exit (also one
    started early); one that another process runs for the same data dir is used and left running.
    A ``read_only`` connection refuses every change in its clients (``ReadOnlyRefused``)."""
    if isinstance(target, SandboxTarget):
        async with _sandbox_connection(target, sandbox or start_sandbox_early(target), read_only) as connection:
            yield connection
        return
    async with _remote_connection(target, password_prompt, env or Environment(), read_only) as connection:
        yield connection


@asynccontextmanager
async def _sandbox_connection(
    target: SandboxTarget, starting: Future[SandboxLease], read_only: bool
) -> AsyncIterator[Connection]:
    lease = await asyncio.wrap_future(starting)
    try:
        async with VoipbinClient(lease.api_url, accesskey=lease.accesskey, read_only=read_only) as client:
            yield Connection(
                client=client,
                target=target,
                hook_base_url=lease.hook_url,
                inspector_url=lease.inspector_url,
                feed_accesskey=lease.accesskey,
                local_hook_base_url=lease.local_hook_url,
                owns_sandbox=lease.owned,
                sandbox_owner_pid=lease.record.pid,
                notices=(lease.notice,) if lease.notice else (),
                providers=ProviderBases.emulated_by(lease.base_url, Environment()),
                backend_url=lease.base_url,
            )
    finally:
        await asyncio.to_thread(lease.release)


@asynccontextmanager
async def _remote_connection(
    target: RemoteTarget, password_prompt: PasswordPrompt | None, env: Environment, read_only: bool
) -> AsyncIterator[Connection]:
    async with VoipbinClient(target.api_url, accesskey=target.accesskey, read_only=read_only) as client:
        if target.accesskey is None and target.username:
            password = env.password
            if password is None:
                if password_prompt is None:
                    raise ConfigError(f"set VOIPBIN_PASSWORD to log in as {target.username!r}")
                password = SecretStr(password_prompt(f"Password for {target.username}"))
            await client.login(target.username, password)
        yield Connection(
            client=client,
            target=target,
            hook_base_url=target.hook_url,
            inspector_url=target.inspector_url,
            feed_accesskey=target.inspector_accesskey,  # the relay's own key, never VoIPBIN's
            hook_url_derived=target.hook_url_derived,
            inspector_key_hint=_inspector_key_hint(target),
            providers=target.providers,
        )


def _inspector_key_hint(target: RemoteTarget) -> str:
    where = f"voipbin-tui config set-profile {target.profile} --inspector-accesskey -" if target.profile else None
    how = f"{where} (or VOIPBIN_INSPECTOR_ACCESSKEY)" if where else "set VOIPBIN_INSPECTOR_ACCESSKEY"
    return f"give it the relay's access key (the one `voipbin-tui serve` prints): {how}"
