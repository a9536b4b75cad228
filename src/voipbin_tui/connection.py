"""Open a ready client for a target: start the embedded sandbox, or log in to VoIPBIN.

The one place that turns a resolved ``Target`` into a live ``VoipbinClient``; the CLI and the
TUI both come through here, so they reach the sandbox and live VoIPBIN the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import SecretStr

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.hooks import hook_url_for
from voipbin_tui.config import ConfigError, Environment, RemoteTarget, SandboxTarget, Target

if TYPE_CHECKING:
    from voipbin_tui.backend.server import EmbeddedBackend

PasswordPrompt = Callable[[str], str]


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

    @property
    def test_hook_base_url(self) -> str:
        return self.local_hook_base_url or self.hook_base_url

    @property
    def is_sandbox(self) -> bool:
        return isinstance(self.target, SandboxTarget)

    def hook_url_for(self, account_id: UUID | str) -> str:
        """The callback URL to paste into Meta's App Dashboard for this account."""
        return hook_url_for(self.hook_base_url, account_id)


def start_sandbox_early(target: SandboxTarget) -> Future[EmbeddedBackend]:
    """Import and start the embedded backend on a thread right away, so that it gets ready
    while the caller is still importing and drawing the TUI."""
    started: Future[EmbeddedBackend] = Future()

    def start() -> None:
        try:
            from voipbin_tui.backend.server import start_embedded  # the one entry into backend/

            started.set_result(start_embedded(target.data_dir))
        except BaseException as exc:  # handed to whoever awaits the backend
            started.set_exception(exc)

    threading.Thread(target=start, name="voipbin-sandbox-start", daemon=True).start()
    return started


@asynccontextmanager
async def open_connection(
    target: Target,
    *,
    password_prompt: PasswordPrompt | None = None,
    env: Environment | None = None,
    sandbox: Future[EmbeddedBackend] | None = None,
) -> AsyncIterator[Connection]:
    """Yield a ready connection; the sandbox backend stops on exit (also one started early)."""
    if isinstance(target, SandboxTarget):
        async with _sandbox_connection(target, sandbox or start_sandbox_early(target)) as connection:
            yield connection
        return
    async with _remote_connection(target, password_prompt, env or Environment()) as connection:
        yield connection


@asynccontextmanager
async def _sandbox_connection(target: SandboxTarget, starting: Future[EmbeddedBackend]) -> AsyncIterator[Connection]:
    backend = await asyncio.wrap_future(starting)
    try:
        async with VoipbinClient(backend.api_url, accesskey=backend.accesskey) as client:
            yield Connection(
                client=client,
                target=target,
                hook_base_url=backend.hook_url,
                inspector_url=backend.inspector_url,
                feed_accesskey=backend.accesskey,
                local_hook_base_url=backend.local_hook_url,
            )
    finally:
        await asyncio.to_thread(backend.stop)


@asynccontextmanager
async def _remote_connection(
    target: RemoteTarget, password_prompt: PasswordPrompt | None, env: Environment
) -> AsyncIterator[Connection]:
    async with VoipbinClient(target.api_url, accesskey=target.accesskey) as client:
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
            feed_accesskey=target.accesskey,
        )
